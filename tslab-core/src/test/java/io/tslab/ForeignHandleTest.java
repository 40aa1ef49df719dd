package io.tslab;

import io.tslab.internal.SlabEngine;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static io.tslab.TestSupport.assertNoBrokenInvariants;
import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.censusText;
import static io.tslab.TestSupport.stampHandle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Allocators open at the same time never accept each other's handles or segments. */
class ForeignHandleTest {

    /** Allocates the same sequence in each allocator, so their handles differ only by the allocator. */
    private static List<Long> populate(SlabAllocator a, int count) {
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long h = a.alloc(1 + (i * 97) % 768);
            stampHandle(a, h, h);
            handles.add(h);
        }
        return handles;
    }

    @Test
    void twoIdenticalAllocatorsRejectEachOthersHandles() {
        try (SlabAllocator a = SlabAllocator.builder().name("a").reserveBytes(16L << 20).build();
             SlabAllocator b = SlabAllocator.builder().name("b").reserveBytes(16L << 20).build()) {
            List<Long> ha = populate(a, 300);
            List<Long> hb = populate(b, 300);
            for (int i = 0; i < ha.size(); i++) {
                assertNotEquals(ha.get(i), hb.get(i), "handles carry their allocator");
                assertEquals(a.offset(ha.get(i)), b.offset(hb.get(i)), "same layout in both");
            }
            String censusA = censusText(a);
            String censusB = censusText(b);
            for (int i = 0; i < ha.size(); i++) {
                long fromA = ha.get(i);
                long fromB = hb.get(i);
                assertFalse(b.free(fromA));
                assertFalse(a.free(fromB));
                assertThrows(IllegalArgumentException.class, () -> b.segment(fromA));
                assertThrows(IllegalArgumentException.class, () -> b.offset(fromA));
                assertThrows(IllegalArgumentException.class, () -> a.segment(fromB));
                assertThrows(IllegalArgumentException.class, () -> a.offset(fromB));
            }
            assertEquals(300, a.engine().rejections(SlabEngine.REJECT_FOREIGN));
            assertEquals(300, b.engine().rejections(SlabEngine.REJECT_FOREIGN));
            assertEquals(censusA, censusText(a));
            assertEquals(censusB, censusText(b));
            for (long h : ha) {
                assertStamp(a, h, h);
            }
            for (long h : hb) {
                assertStamp(b, h, h);
            }
            for (long h : ha) {
                assertTrue(a.free(h));
            }
            for (long h : hb) {
                assertTrue(b.free(h));
            }
            assertNoBrokenInvariants(a);
            assertNoBrokenInvariants(b);
        }
    }

    @Test
    void twoAllocatorsRejectEachOthersSegments() {
        try (SlabAllocator a = SlabAllocator.builder().name("a").reserveBytes(16L << 20).build();
             SlabAllocator b = SlabAllocator.builder().name("b").reserveBytes(16L << 20).build()) {
            List<MemorySegment> sa = new ArrayList<>();
            List<MemorySegment> sb = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                sa.add(a.allocate(1 + i * 7, 8));
                sb.add(b.allocate(1 + i * 7, 8));
                sa.getLast().fill((byte) 'a');
                sb.getLast().fill((byte) 'b');
            }
            for (int i = 0; i < 100; i++) {
                assertFalse(b.free(sa.get(i)));
                assertFalse(a.free(sb.get(i)));
                assertFalse(b.free(a.segment(a.alloc(64))), "a handle-path segment of the other allocator");
            }
            assertEquals(200, b.engine().rejections(SlabEngine.REJECT_FOREIGN));
            assertEquals(100, a.engine().rejections(SlabEngine.REJECT_FOREIGN));
            for (int i = 0; i < 100; i++) {
                for (byte x : sa.get(i).toArray(ValueLayout.JAVA_BYTE)) {
                    assertEquals('a', x);
                }
                for (byte x : sb.get(i).toArray(ValueLayout.JAVA_BYTE)) {
                    assertEquals('b', x);
                }
                assertTrue(a.free(sa.get(i)));
                assertTrue(b.free(sb.get(i)));
            }
            assertEquals(0, b.snapshot().global().liveObjects());
            assertEquals(100, a.snapshot().global().liveObjects());
        }
    }

    @Test
    void manyOpenAllocatorsEachRejectEveryOthersHandles() {
        List<SlabAllocator> open = new ArrayList<>();
        try {
            for (int i = 0; i < 24; i++) {
                open.add(SlabAllocator.builder().name("n" + i).reserveBytes(1 << 20).build());
            }
            long[] handles = new long[open.size()];
            for (int i = 0; i < open.size(); i++) {
                handles[i] = open.get(i).alloc(64);
            }
            for (int i = 0; i < open.size(); i++) {
                for (int j = 0; j < open.size(); j++) {
                    if (i != j) {
                        assertFalse(open.get(i).free(handles[j]), i + " accepted " + j + "'s handle");
                    }
                }
            }
            for (int i = 0; i < open.size(); i++) {
                assertEquals(open.size() - 1, open.get(i).engine().rejections(SlabEngine.REJECT_FOREIGN));
                assertTrue(open.get(i).free(handles[i]));
            }
        } finally {
            open.forEach(SlabAllocator::close);
        }
    }

    @Test
    void aClosedAllocatorsHandlesAreForeignToTheNextOne() {
        SlabAllocator first = SlabAllocator.builder().reserveBytes(1 << 20).build();
        List<Long> old = populate(first, 50);
        first.close();
        try (SlabAllocator second = SlabAllocator.builder().reserveBytes(1 << 20).build()) {
            List<Long> fresh = populate(second, 50);
            for (long h : old) {
                assertFalse(second.free(h));
                assertThrows(IllegalArgumentException.class, () -> second.segment(h));
            }
            assertEquals(50, second.engine().rejections(SlabEngine.REJECT_FOREIGN));
            for (long h : fresh) {
                assertStamp(second, h, h);
            }
        }
    }
}
