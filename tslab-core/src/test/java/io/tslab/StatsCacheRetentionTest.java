package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;
import io.tslab.stats.AllocatorSnapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.tslab.StatsAssertions.allocMany;
import static io.tslab.StatsAssertions.assertClass;
import static io.tslab.StatsAssertions.figures;
import static io.tslab.StatsAssertions.freeAll;
import static io.tslab.StatsAssertions.touch;
import static io.tslab.TestSupport.plus;
import static io.tslab.TestSupport.rejections;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bounded retention (SPEC §3.2): empty slabs of ACTIVE epochs are kept for reuse up to the class's
 * cache capacity, and every slab beyond it is recycled on the free that empties it, counted as
 * {@code empty_slab_recycled} and {@code empty_slab_overflowed}, its page given back; the current
 * slab is no exception. Only the current epoch is ACTIVE, and an advance recycles the empty slabs
 * the old epoch kept, so the check on the slab's own bin bounds the whole class. The figures
 * are computed from the script: {@code n} slabs of 512-byte objects (8 per slab), all freed.
 */
class StatsCacheRetentionTest {
    private static final int C512 = 6;
    private static final int SLABS = 10;
    private static final long SLAB = SlabAllocator.SLAB_SIZE;

    /**
     * The common case: objects freed in the order they were allocated, so the slab that empties
     * last is the one allocations were going to. The class keeps exactly {@code capacity} empty
     * slabs, however the last one is used.
     */
    @ParameterizedTest(name = "cacheCapacity({0})")
    @ValueSource(ints = {0, 2, 5})
    void freeingManySlabsInAnActiveEpochKeepsExactlyTheCacheCapacity(int capacity) {
        try (SlabAllocator a = SlabAllocator.builder().name("retention").cacheCapacity(capacity).build()) {
            long[] h = allocMany(a, 512, SLABS * 8);
            touch(a, h);
            freeAll(a, h, 0, h.length);
            assertRetained(a, capacity);
        }
    }

    /** The same, with the slab allocations were going to emptied first. */
    @Test
    void theCurrentSlabEmptiedFirstCountsLikeAnyOther() {
        try (SlabAllocator a = SlabAllocator.builder().name("retention-current-first").cacheCapacity(2).build()) {
            long[] h = allocMany(a, 512, SLABS * 8);
            touch(a, h);
            freeAll(a, h, (SLABS - 1) * 8, SLABS * 8);
            freeAll(a, h, 0, (SLABS - 1) * 8);
            assertRetained(a, 2);
        }
    }

    /**
     * The slab allocations were going to (the bin's current slab) emptied last, beyond the
     * capacity: it is retired like any other, and the current-slab pointer is cleared, so the class
     * keeps exactly {@code capacity} empty slabs and the next allocation finds no current slab.
     */
    @ParameterizedTest(name = "cacheCapacity({0})")
    @ValueSource(ints = {0, 2})
    void theCurrentSlabEmptiedLastIsRetiredBeyondTheCapacity(int capacity) {
        try (SlabAllocator a = SlabAllocator.builder().name("retention-current-last").cacheCapacity(capacity)
                .build()) {
            long[] h = allocMany(a, 512, SLABS * 8);
            touch(a, h);
            long last = h[h.length - 1];
            assertEquals(SLABS - 1, Handles.slab(last), "the current slab is the last one filled");
            freeAll(a, h, 0, h.length); // the current slab empties last
            assertRetained(a, capacity);

            // The current slab is out of service: a second free of its last object names a slab
            // that is not in service (a slab still in service would say "stale or double").
            long[] before = rejections(a);
            assertFalse(a.free(last));
            assertArrayEquals(plus(before, SlabEngine.REJECT_NOT_IN_SERVICE, 1), rejections(a));

            // The pointer was cleared: the next allocation finds no current slab. With a cache it
            // takes one of the kept slabs (0 and 1, the first emptied), without one a pooled slab.
            long next = a.alloc(512);
            assertNotEquals(0L, next);
            AllocatorSnapshot s = a.snapshot();
            assertEquals(2, s.classStats(C512).currentPartialNull());
            assertEquals(SLABS - 1, s.classStats(C512).currentPartialFull());
            if (capacity == 0) {
                assertEquals(SLABS + 1, s.classStats(C512).newSlabCount());
                assertEquals(SLABS + 1, s.classStats(C512).slowPathCacheMiss());
                assertEquals(0, s.classStats(C512).cacheSize());
            } else {
                assertTrue(Handles.slab(next) < capacity, "slab " + Handles.slab(next) + " is a kept one");
                assertEquals(SLABS, s.classStats(C512).newSlabCount());
                assertEquals(SLABS, s.classStats(C512).slowPathCacheMiss());
                assertEquals(capacity - 1, s.classStats(C512).cacheSize());
            }
            assertTrue(a.free(next));
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    /**
     * Bounded retention is per ACTIVE epoch: the advance recycles at once the empty slabs the old
     * epoch kept (a CLOSING epoch keeps none), and the new epoch keeps up to its capacity again.
     * Each epoch empties its current slab first and then three more slabs, in allocation order.
     */
    @Test
    void anAdvanceRecyclesTheOldEpochsCacheAndTheNewEpochKeepsItsOwn() {
        try (SlabAllocator a = SlabAllocator.builder().name("retention-closing").cacheCapacity(2).build()) {
            long[] first = allocMany(a, 512, 4 * 8); // slabs 0..3, slab 3 current
            touch(a, first);
            freeAll(a, first, 3 * 8, 4 * 8); // slab 3 first: kept
            freeAll(a, first, 0, 3 * 8); // slab 0 kept; slabs 1 and 2 beyond the capacity: recycled
            AllocatorSnapshot s = a.snapshot();
            assertEquals(2, s.epochStats(0).emptyPartialCount());
            assertEquals(2, s.classStats(C512).emptySlabOverflowed());
            assertEquals(2, s.global().pooledSlabs());
            assertEquals(2 * SLAB, a.engine().residentBytes(), "slabs 0 and 3 are kept hot");

            a.advanceEpoch(); // epoch 0 CLOSING: slabs 0 and 3 recycled now (two runs: two madvise calls)
            s = a.snapshot();
            assertEquals(0, s.epochStats(0).emptyPartialCount(), "a CLOSING epoch keeps no empty slab");
            assertEquals(0, s.epochStats(0).partialSlabCount());
            assertEquals(0, s.classStats(C512).cacheSize());
            assertEquals(4, s.classStats(C512).emptySlabRecycled());
            assertEquals(2, s.classStats(C512).emptySlabOverflowed(), "the advance's recycling is no overflow");
            assertEquals(4, s.classStats(C512).madviseCalls());
            assertEquals(4, s.global().pooledSlabs());
            assertEquals(0, s.global().netSlabs());
            assertEquals(0L, a.engine().residentBytes(), "every page went back");

            // Epoch 1 takes the pooled slabs back from the pool's stack: 0 and 3 (the advance's
            // release, lowest first), then 2 and 1 (the overflows, last pooled first). It empties
            // its current slab (1) first, then 0 (kept), 3 and 2 (beyond the capacity).
            long[] second = allocMany(a, 512, 4 * 8);
            assertEquals(List.of(0, 3, 2, 1), List.of(Handles.slab(second[0]), Handles.slab(second[8]),
                    Handles.slab(second[16]), Handles.slab(second[24])));
            freeAll(a, second, 3 * 8, 4 * 8);
            freeAll(a, second, 0, 3 * 8);
            s = a.snapshot();
            assertEquals(2, s.epochStats(1).emptyPartialCount(), "empty slabs the ACTIVE epoch keeps (capacity 2)");
            assertClass(s, C512, figures("slowPathHits", 8L, "newSlabCount", 8L, "listMovePartialToFull", 6L,
                    "listMoveFullToPartial", 6L, "currentPartialNull", 2L, "currentPartialFull", 6L,
                    "slowPathCacheMiss", 8L, "emptySlabRecycled", 6L, "emptySlabOverflowed", 4L,
                    "madviseCalls", 6L, "madviseBytes", 6 * SLAB, "bitmapAllocAttempts", 64L,
                    "bitmapFreeAttempts", 64L, "cacheSize", 2L, "totalPartialSlabs", 2L, "netSlabs", 2L,
                    "estimatedRssBytes", 2 * SLAB, "recycleRatePct", 75.0));
            assertEquals(4, s.global().totalCacheOverflows(), "2 slabs beyond capacity in each epoch");
            assertEquals(2, s.global().pooledSlabs());
            SlabEngine.Census census = a.engine().census();
            assertEquals(0, census.emptySlabs[C512][0]);
            assertEquals(2, census.emptySlabs[C512][1]);
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    private static void assertRetained(SlabAllocator a, int capacity) {
        int kept = Math.min(capacity, SLABS);
        int recycled = SLABS - kept;
        AllocatorSnapshot s = a.snapshot();
        assertClass(s, C512, figures("slowPathHits", (long) SLABS, "newSlabCount", (long) SLABS,
                "listMovePartialToFull", SLABS - 1L, "listMoveFullToPartial", SLABS - 1L,
                "currentPartialNull", 1L, "currentPartialFull", SLABS - 1L, "slowPathCacheMiss", (long) SLABS,
                "emptySlabRecycled", (long) recycled, "emptySlabOverflowed", (long) recycled,
                "madviseCalls", (long) recycled, "madviseBytes", recycled * SLAB,
                "bitmapAllocAttempts", SLABS * 8L, "bitmapFreeAttempts", SLABS * 8L,
                "cacheSize", (long) kept, "totalPartialSlabs", (long) kept, "netSlabs", (long) kept,
                "estimatedRssBytes", kept * SLAB, "recycleRatePct", 100.0 * recycled / SLABS));
        assertEquals(recycled, s.global().totalCacheOverflows());
        assertEquals(kept, s.epochStats(0).emptyPartialCount());
        SlabEngine.Census census = a.engine().census();
        assertEquals(kept, census.emptySlabs[C512][0], "empty slabs found by a full walk");
        assertEquals(kept * SLAB, a.engine().residentBytes(), "only the kept slabs are resident");
        assertEquals(List.of(), a.engine().checkInvariants());
    }
}
