package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.LastEpochClose;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tslab.TestSupport.assertNoBrokenInvariants;
import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.plus;
import static io.tslab.TestSupport.refusals;
import static io.tslab.TestSupport.stampHandle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small reservation ({@code reserveBytes(1 << 20)}: 256 slabs) runs out: {@code alloc} returns 0
 * and counts {@code reservation_exhausted}, frees still work, and allocation resumes after frees,
 * in the same epoch and after an epoch is closed. Empty slabs never make it refuse: before refusing,
 * an allocation takes an empty slab another class keeps for reuse, and an advance returns the empty
 * slabs the old epoch kept to the pool.
 */
class ExhaustionTest {
    private static final int SLABS = (1 << 20) / SlabAllocator.SLAB_SIZE;
    /** The default empty-slab cache capacity of a class. */
    private static final int CACHE = SlabAllocator.Builder.DEFAULT_CACHE_CAPACITY;
    private static final long SLAB = SlabAllocator.SLAB_SIZE;

    private static SlabAllocator small() {
        return SlabAllocator.builder().name("small").reserveBytes(1 << 20).build();
    }

    /** Allocates {@code size}-byte objects in the current epoch until refused; stamps each with its handle. */
    private static List<Long> fillUntilRefused(SlabAllocator a, int size) {
        List<Long> handles = new ArrayList<>();
        for (long h; (h = a.alloc(size)) != 0; ) {
            stampHandle(a, h, h);
            handles.add(h);
            assertTrue(handles.size() <= SLABS * 64, "more objects than the reservation holds");
        }
        return handles;
    }

    @Test
    void aFullReservationRefusesCountsFreesAndResumesInTheSameEpoch() {
        try (SlabAllocator a = small()) {
            List<Long> handles = fillUntilRefused(a, 64);
            assertEquals(SLABS * 64, handles.size(), "every slab of the reservation is used");
            assertEquals(SLABS, a.snapshot().global().netSlabs());
            assertEquals(1, a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED));
            long[] before = refusals(a);
            for (int size : new int[] {1, 64, 65, 700, 768}) {
                assertEquals(0L, a.alloc(size), "size " + size);
            }
            assertArrayEquals(plus(before, SlabEngine.REFUSED_RESERVATION_EXHAUSTED, 5), refusals(a));
            assertEquals(6, a.snapshot().global().allocRefusedByReason().get("reservation_exhausted"));
            assertEquals(0, a.snapshot().global().allocRefusedByReason().get("epoch_closed"));
            OutOfMemoryError oom = assertThrows(OutOfMemoryError.class, () -> a.allocate(64, 8));
            assertTrue(oom.getMessage().contains("exhausted"), oom.getMessage());

            // Frees still work, and the freed slots are handed out again.
            long freedOffset = a.offset(handles.get(100));
            assertTrue(a.free(handles.remove(100)));
            long again = a.alloc(64);
            assertNotEquals(0L, again);
            assertEquals(freedOffset, a.offset(again));
            assertEquals(0L, a.alloc(64), "full again");
            handles.add(again);
            stampHandle(a, again, again);

            // Free half of everything: all of it can be allocated again.
            List<Long> kept = new ArrayList<>();
            for (int i = 0; i < handles.size(); i++) {
                if (i % 2 == 0) {
                    assertTrue(a.free(handles.get(i)));
                } else {
                    kept.add(handles.get(i));
                }
            }
            List<Long> refill = fillUntilRefused(a, 64);
            assertEquals(SLABS * 64 - kept.size(), refill.size());
            for (long h : kept) {
                assertStamp(a, h, h);
            }
            for (long h : refill) {
                assertStamp(a, h, h);
            }
            assertNoBrokenInvariants(a);
        }
    }

    @Test
    void anotherClassGetsTheSlabsThatAFreedClassReleased() {
        try (SlabAllocator a = SlabAllocator.builder().reserveBytes(1 << 20).cacheCapacity(0).build()) {
            List<Long> handles = fillUntilRefused(a, 64);
            assertEquals(0L, a.alloc(768));
            for (long h : handles) {
                assertTrue(a.free(h));
            }
            // With no empty-slab cache, every drained slab, the current one included, went back to
            // the pool as it emptied.
            AllocatorSnapshot s = a.snapshot();
            assertEquals(SLABS, s.global().pooledSlabs());
            assertEquals(0, s.global().netSlabs());
            assertEquals(SLABS, s.classStats(0).emptySlabOverflowed());
            List<Long> big = fillUntilRefused(a, 768);
            assertEquals(SLABS * 5, big.size(), "objects of 768 bytes");
            assertNoBrokenInvariants(a);
        }
    }

    /**
     * With nothing live at all, the reservation is not exhausted: an allocation of any class must
     * succeed, even when another class filled the reservation before and keeps its drained slabs
     * in its empty-slab cache. (Refusing here means "out of memory" with zero live objects.)
     */
    @Test
    void withNothingLiveAnotherClassCanUseTheWholeReservation() {
        try (SlabAllocator a = small()) {
            List<Long> small = fillUntilRefused(a, 64);
            assertEquals(SLABS * 64, small.size());
            for (long h : small) {
                assertTrue(a.free(h));
            }
            AllocatorSnapshot s = a.snapshot();
            assertEquals(0, s.global().liveObjects(), "nothing is live");
            assertEquals(CACHE, s.classStats(0).cacheSize(), "class 64 keeps its cache capacity of empty slabs");
            assertEquals(SLABS - CACHE, s.global().pooledSlabs());
            List<Long> big = fillUntilRefused(a, 768);
            assertEquals(SLABS * 5, big.size(), "768-byte objects that fit before a refusal, with nothing else live ("
                    + a.snapshot().global().netSlabs() + " slabs in service)");
            // The pooled slabs first, then the 32 that class 64 kept, handed over without a round
            // trip to the OS: they count as recycled by class 64, with no madvise.
            s = a.snapshot();
            assertEquals(0, s.classStats(0).cacheSize());
            assertEquals(SLABS, s.classStats(0).emptySlabRecycled());
            assertEquals(SLABS - CACHE, s.classStats(0).emptySlabOverflowed());
            assertEquals(SLABS - CACHE, s.classStats(0).madviseCalls());
            assertEquals(SLABS, s.classStats(7).newSlabCount());
            assertEquals(SLABS - CACHE, s.global().totalMadviseCalls());
            assertEquals(2, a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED), "one refusal per fill");
            for (long h : big) {
                assertStamp(a, h, h);
            }
            assertNoBrokenInvariants(a);
        }
    }

    @Test
    void allocationResumesWhenAClosedEpochDrains() {
        try (SlabAllocator a = small()) {
            int first = a.currentEpoch();
            List<Long> old = fillUntilRefused(a, 128);
            assertEquals(SLABS * 32, old.size());
            int next = a.advanceEpoch();
            assertEquals(0L, a.alloc(128), "the new epoch finds no slab either");
            long exhausted = a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED);
            assertEquals(2, exhausted);
            for (int i = 0; i < 32; i++) { // one whole slab of the closed era drains: it is recycled
                assertTrue(a.free(old.get(i)));
            }
            List<Long> fresh = fillUntilRefused(a, 768);
            assertEquals(5, fresh.size(), "the recycled slab serves the new epoch");
            assertEquals(next, a.currentEpoch());
            assertEquals(EpochState.CLOSING, a.epochState(first));
            for (int i = 32; i < old.size(); i++) {
                assertStamp(a, old.get(i), old.get(i));
                assertTrue(a.free(old.get(i)));
            }
            List<Long> more = fillUntilRefused(a, 768);
            assertEquals((SLABS - 1) * 5, more.size(), "every other slab came back as the closed era drained");
            assertNoBrokenInvariants(a);
        }
    }

    /**
     * The empty slabs an epoch keeps for reuse go back to the pool, their pages returned, at the
     * advance that makes the epoch CLOSING: the next epoch gets exactly them from the pool, and the
     * close of the old epoch afterwards finds only slabs holding objects, so it releases nothing.
     */
    @Test
    void anAdvanceReleasesTheEmptySlabsTheOldEpochKeptToTheNextEpoch() {
        try (SlabAllocator a = small()) {
            int first = a.currentEpoch();
            List<Long> small = fillUntilRefused(a, 64);
            assertEquals(SLABS * 64, small.size());
            for (long h : small) {
                assertTrue(a.free(h)); // the epoch is ACTIVE: slabs 0..31 stay (the cache capacity), the others go back
            }
            AllocatorSnapshot s = a.snapshot();
            assertEquals(CACHE, s.classStats(0).cacheSize());
            assertEquals(SLABS - CACHE, s.global().pooledSlabs());
            // Exactly the pooled slabs' worth of 768-byte objects: nothing taken from class 64's cache.
            List<Long> big = new ArrayList<>();
            for (int i = 0; i < (SLABS - CACHE) * 5; i++) {
                long h = a.alloc(768);
                assertNotEquals(0L, h);
                stampHandle(a, h, h);
                big.add(h);
            }
            s = a.snapshot();
            assertEquals(0, s.global().pooledSlabs());
            assertEquals(CACHE, s.classStats(0).cacheSize());
            assertEquals(SLABS - CACHE, s.global().totalMadviseCalls());
            assertEquals((long) SLABS * SLAB, a.engine().residentBytes(), "every slab was written");

            a.advanceEpoch();
            s = a.snapshot();
            assertEquals(CACHE, s.global().pooledSlabs(), "the advance pooled the 32 kept slabs");
            assertEquals(0, s.classStats(0).netSlabs());
            assertEquals(0, s.epochStats(first).emptyPartialCount());
            assertEquals(SLABS - CACHE + 1, s.global().totalMadviseCalls(), "slabs 0..31: one run, one madvise");
            assertEquals((long) (SLABS - CACHE) * SLAB, a.engine().residentBytes(), "their pages went back");

            List<Long> resumed = fillUntilRefused(a, 768);
            assertEquals(CACHE * 5, resumed.size(), "the next epoch gets the released slabs");
            assertEquals(0, Handles.slab(resumed.getFirst()), "from the pool, lowest id first");
            assertEquals(2, a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED));
            assertEquals(SLABS, a.snapshot().classStats(0).emptySlabRecycled(),
                    "224 beyond the capacity as they emptied, 32 by the advance");

            a.closeEpoch(first);
            LastEpochClose close = a.snapshot().lastEpochClose();
            assertEquals(SLABS - CACHE, close.scannedSlabs(), "the 768-byte slabs of the first epoch");
            assertEquals(0, close.recycledSlabs(), "all hold objects");
            assertEquals(0L, a.alloc(768), "the close released nothing");
            assertEquals(3, a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED));
            for (long h : big) {
                assertStamp(a, h, h);
            }
            for (long h : resumed) {
                assertStamp(a, h, h);
            }
            assertNoBrokenInvariants(a);
        }
    }

    @Test
    void aClosingEpochRefusesAsEpochClosedEvenWhenTheReservationIsFull() {
        try (SlabAllocator a = small()) {
            int first = a.currentEpoch();
            List<Long> handles = fillUntilRefused(a, 256);
            a.advanceEpoch();
            long[] before = refusals(a);
            assertEquals(0L, a.alloc(256, first));
            assertEquals(0L, a.alloc(64, first));
            assertArrayEquals(plus(before, SlabEngine.REFUSED_EPOCH_CLOSED, 2), refusals(a));
            for (long h : handles) {
                assertTrue(a.free(h));
            }
            assertEquals(0L, a.alloc(64, first), "a drained CLOSING epoch still refuses");
            assertNotEquals(0L, a.alloc(64), "the current epoch has the whole reservation again");
            assertNoBrokenInvariants(a);
        }
    }
}
