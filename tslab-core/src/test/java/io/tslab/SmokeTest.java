package io.tslab;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SmokeTest {
    @Test
    void allocWriteFreeAndReclaim() {
        try (SlabAllocator a = SlabAllocator.builder().name("smoke").reserveBytes(1L << 30).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                long h = a.alloc(128);
                assertNotEquals(0L, h);
                a.memory().set(ValueLayout.JAVA_LONG, a.offset(h), i);
                handles.add(h);
            }
            for (int i = 0; i < handles.size(); i++) {
                assertEquals(i, a.memory().get(ValueLayout.JAVA_LONG, a.offset(handles.get(i))));
            }
            assertEquals(100_000, a.snapshot().global().liveObjects());
            long residentBefore = a.engine().residentBytes();
            int e = a.currentEpoch();
            a.advanceEpoch();
            for (long h : handles) {
                assertTrue(a.free(h));
            }
            for (long h : handles) {
                assertFalse(a.free(h));
            }
            a.closeEpoch(e);
            long residentAfter = a.engine().residentBytes();
            System.out.println("resident before " + residentBefore + " after " + residentAfter + " " + a.snapshot());
            assertTrue(residentAfter < residentBefore / 50);
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }
}
