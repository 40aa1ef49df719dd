package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;
import io.tslab.stats.AllocatorSnapshot;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Striped current slabs: threads of different stripes allocate in different slabs (so that they do
 * not contend on one occupancy word), threads of one stripe share its slab, and every current slab
 * that is empty counts among the empty slabs a class keeps, within its cache capacity.
 */
class StripedAllocationTest {
    private static final int SIZE = 128;
    private static final int C128 = 2;

    @Test
    void thereAreAtLeastTwoStripesAndAtMostSixteen() {
        int stripes = SlabEngine.stripes();
        assertTrue(stripes >= 2 && stripes <= 16 && Integer.bitCount(stripes) == 1, "stripes: " + stripes);
    }

    @Test
    void threadsOfDifferentStripesAllocateInDifferentSlabs() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("stripes-apart").reserveBytes(1L << 20).build()) {
            long[] handles = allocateIn(a, distinctStripes(2));
            AllocatorSnapshot s = a.snapshot();
            assertEquals(2, s.global().netSlabs(), "one current slab per stripe");
            assertNotEquals(slabOf(handles[0]), slabOf(handles[1]));
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    @Test
    void threadsOfOneStripeShareItsCurrentSlab() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("stripes-shared").reserveBytes(1L << 20).build()) {
            int stripe = SlabEngine.stripeOf(Thread.currentThread());
            long[] handles = allocateIn(a, List.of(stripe, stripe, stripe));
            assertEquals(1, a.snapshot().global().netSlabs());
            assertEquals(slabOf(handles[0]), slabOf(handles[2]));
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    @Test
    void emptyCurrentSlabsOfSeveralStripesAreKeptEmptySlabs() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("stripes-kept").reserveBytes(1L << 20).build()) {
            long[] handles = allocateIn(a, distinctStripes(2));
            for (long h : handles) {
                assertTrue(a.free(h));
            }
            AllocatorSnapshot s = a.snapshot();
            assertEquals(2, s.global().netSlabs());
            assertEquals(2, s.classes().get(C128).cacheSize(), "both empty current slabs are kept");
            assertEquals(2, s.epochs().get(0).emptyPartialCount());
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    @Test
    void withNoCacheAnEmptiedCurrentSlabOfAnyStripeIsRecycled() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("stripes-no-cache").reserveBytes(1L << 20)
                .cacheCapacity(0).build()) {
            long[] handles = allocateIn(a, distinctStripes(2));
            for (long h : handles) {
                assertTrue(a.free(h));
            }
            AllocatorSnapshot s = a.snapshot();
            assertEquals(0, s.global().netSlabs());
            assertEquals(2, s.classes().get(C128).emptySlabOverflowed());
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    @Test
    void aStripeWhoseSlabFilledTakesAFreshSlabNotAnotherStripesCurrent() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("stripes-full").reserveBytes(1L << 20).build()) {
            List<Integer> stripes = distinctStripes(2);
            int slots = a.snapshot().classes().get(C128).slotsPerSlab();
            AtomicLong other = new AtomicLong();
            runIn(threadOf(stripes.get(0), () -> other.set(a.alloc(SIZE))));
            List<Long> mine = new ArrayList<>();
            runIn(threadOf(stripes.get(1), () -> {
                for (int i = 0; i < slots + 1; i++) {
                    mine.add(a.alloc(SIZE));
                }
            }));
            assertEquals(3, a.snapshot().global().netSlabs(), "a full slab, a fresh one, and the other stripe's");
            for (long h : mine) {
                assertNotEquals(slabOf(other.get()), slabOf(h));
            }
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static long slabOf(long handle) {
        return Handles.slab(handle);
    }

    /** {@code n} distinct stripes, the caller's first. */
    private static List<Integer> distinctStripes(int n) {
        List<Integer> stripes = new ArrayList<>();
        for (int s = SlabEngine.stripeOf(Thread.currentThread()); stripes.size() < n; s = (s + 1) % SlabEngine.stripes()) {
            stripes.add(s);
        }
        return stripes;
    }

    /** An unstarted platform thread of {@code stripe} (thread ids are handed out in order). */
    private static Thread threadOf(int stripe, Runnable body) {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            Thread t = Thread.ofPlatform().unstarted(body);
            if (SlabEngine.stripeOf(t) == stripe) {
                return t;
            }
        }
        throw new IllegalStateException("no thread of stripe " + stripe + " in 1000 tries");
    }

    /** One thread per entry, of that stripe, one after the other, allocates one object; their handles. */
    private static long[] allocateIn(SlabAllocator a, List<Integer> stripes) throws InterruptedException {
        long[] handles = new long[stripes.size()];
        for (int i = 0; i < stripes.size(); i++) {
            int index = i;
            runIn(threadOf(stripes.get(i), () -> handles[index] = a.alloc(SIZE)));
            assertNotEquals(0L, handles[i]);
        }
        return handles;
    }

    private static void runIn(Thread thread) throws InterruptedException {
        thread.start();
        thread.join();
    }
}
