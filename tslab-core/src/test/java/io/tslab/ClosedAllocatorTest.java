package io.tslab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After {@code close()}: every method throws {@link IllegalStateException}, every old segment is
 * inaccessible, and closing again is harmless.
 */
class ClosedAllocatorTest {

    @Test
    void everyMethodThrowsIllegalStateAfterClose() {
        SlabAllocator a = SlabAllocator.builder().name("closed").reserveBytes(1 << 20).build();
        long h = a.alloc(64);
        long other = a.alloc(64);
        MemorySegment s = a.allocate(32, 8);
        EpochDomain domain = a.newDomain("before-close");
        assertNotEquals(0L, h);
        a.close();

        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("alloc(size)", () -> a.alloc(64));
        calls.put("alloc(size, epoch)", () -> a.alloc(64, 0));
        calls.put("free(long) of a live handle", () -> a.free(h));
        calls.put("free(long) of 0", () -> a.free(0L));
        calls.put("free(MemorySegment)", () -> a.free(s));
        calls.put("segment", () -> a.segment(other));
        calls.put("offset", () -> a.offset(other));
        calls.put("memory", a::memory);
        calls.put("allocate(size, alignment)", () -> a.allocate(16, 8));
        calls.put("allocate(size)", () -> a.allocate(16));
        calls.put("allocate(layout)", () -> a.allocate(ValueLayout.JAVA_LONG));
        calls.put("allocateFrom(String)", () -> a.allocateFrom("x"));
        calls.put("currentEpoch", a::currentEpoch);
        calls.put("advanceEpoch", a::advanceEpoch);
        calls.put("closeEpoch", () -> a.closeEpoch(0));
        calls.put("epochState", () -> a.epochState(0));
        calls.put("epochEra", () -> a.epochEra(0));
        calls.put("epochCount", a::epochCount);
        calls.put("snapshot", a::snapshot);
        calls.put("name", a::name);
        calls.put("setEpochLabel", () -> a.setEpochLabel(0, "x"));
        calls.put("epochLabel", () -> a.epochLabel(0));
        calls.put("incEpochRefcount", () -> a.incEpochRefcount(0));
        calls.put("decEpochRefcount", () -> a.decEpochRefcount(0));
        calls.put("epochRefcount", () -> a.epochRefcount(0));
        calls.put("newDomain(label)", () -> a.newDomain("x"));
        calls.put("newDomain(label, autoClose)", () -> a.newDomain("x", true));
        calls.put("enter() of a domain made before close", domain::enter);
        calls.put("alloc of a domain made before close", () -> domain.alloc(64));
        assertAll(calls.entrySet().stream().map(call -> (Executable) () -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, call.getValue(), call.getKey());
            assertTrue(e.getMessage().contains("closed"), call.getKey() + ": " + e.getMessage());
        }));
    }

    @Test
    void staticMethodsAndToStringStillWork() {
        SlabAllocator a = SlabAllocator.builder().name("closed").reserveBytes(1 << 20).build();
        a.close();
        assertEquals(2, SlabAllocator.sizeClassOf(100));
        assertEquals(768, SlabAllocator.classSize(7));
        assertTrue(a.toString().contains("closed"));
    }

    @Test
    void oldSegmentsFromEveryAccessPathFailAfterClose() {
        SlabAllocator a = SlabAllocator.builder().name("closed").reserveBytes(1 << 20).build();
        long h = a.alloc(128);
        MemorySegment bySegment = a.segment(h);
        MemorySegment memory = a.memory();
        long offset = a.offset(h);
        MemorySegment allocated = a.allocate(100, 8);
        MemorySegment slice = memory.asSlice(0, 4096);
        bySegment.set(ValueLayout.JAVA_LONG, 0, 1);
        allocated.set(ValueLayout.JAVA_LONG, 0, 2);
        a.close();
        Map<String, Executable> reads = new LinkedHashMap<>();
        reads.put("segment(h) read", () -> bySegment.get(ValueLayout.JAVA_LONG, 0));
        reads.put("segment(h) write", () -> bySegment.set(ValueLayout.JAVA_LONG, 0, 3));
        reads.put("memory() read at offset(h)", () -> memory.get(ValueLayout.JAVA_LONG, offset));
        reads.put("memory() write", () -> memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        reads.put("allocate() read", () -> allocated.get(ValueLayout.JAVA_LONG, 0));
        reads.put("allocate() fill", () -> allocated.fill((byte) 0));
        reads.put("slice of memory() read", () -> slice.get(ValueLayout.JAVA_INT, 0));
        reads.put("copy out of segment(h)", () -> bySegment.toArray(ValueLayout.JAVA_BYTE));
        assertAll(reads.entrySet().stream().map(read -> (Executable) () ->
                assertThrows(IllegalStateException.class, read.getValue(), read.getKey())));
        assertTrue(!bySegment.scope().isAlive() && !memory.scope().isAlive() && !allocated.scope().isAlive());
    }

    @Test
    void closeTwiceIsHarmless() {
        SlabAllocator a = SlabAllocator.builder().name("closed").reserveBytes(1 << 20).build();
        a.alloc(64);
        a.close();
        assertDoesNotThrow(a::close);
        assertDoesNotThrow(a::close);
        assertThrows(IllegalStateException.class, a::snapshot);
    }

    @Test
    void openingAndClosingMoreAllocatorsThanThereAreTagsWorks() {
        // If close() leaked an allocator's tag, the 2048th allocator would find none free.
        for (int i = 0; i < 2100; i++) {
            SlabAllocator a = SlabAllocator.builder().reserveBytes(64L << 20).build();
            long h = a.alloc(64);
            a.segment(h).fill((byte) i);
            a.close();
        }
    }
}
