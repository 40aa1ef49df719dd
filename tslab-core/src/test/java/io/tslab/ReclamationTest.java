package io.tslab;

import io.tslab.internal.SlabEngine;
import io.tslab.internal.os.OsMemory;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.GlobalStats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static io.tslab.TestSupport.assertNoBrokenInvariants;
import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.slabOf;
import static io.tslab.TestSupport.stampHandle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reclamation as the operating system sees it: resident bytes of the reservation ({@code mincore})
 * and the process RSS fall when an epoch drains, pages stay with {@link ReclaimPolicy#NONE}, and
 * slabs of a closed era never take new objects, even after the ring wraps onto their slot.
 */
class ReclamationTest {
    private static final long FILL_BYTES = 64L << 20;
    private static final int SIZE = 512;

    /** Fills {@code bytes} with 512-byte objects in the current epoch, touching every object. */
    private static long[] fill(SlabAllocator a, long bytes) {
        long[] handles = new long[(int) (bytes / SIZE)];
        MemorySegment memory = a.memory();
        for (int i = 0; i < handles.length; i++) {
            long h = a.alloc(SIZE);
            assertNotEquals(0L, h);
            long offset = a.offset(h);
            memory.set(ValueLayout.JAVA_LONG, offset, h);
            memory.set(ValueLayout.JAVA_LONG, offset + SIZE - 8, ~h);
            handles[i] = h;
        }
        return handles;
    }

    private static void freeAll(SlabAllocator a, long[] handles) {
        MemorySegment memory = a.memory();
        for (long h : handles) {
            long offset = a.offset(h);
            assertEquals(h, memory.get(ValueLayout.JAVA_LONG, offset));
            assertEquals(~h, memory.get(ValueLayout.JAVA_LONG, offset + SIZE - 8));
            assertTrue(a.free(h));
        }
    }

    /**
     * Fill 64 MiB in one epoch, free everything, close the epoch: the reservation's resident bytes
     * fall by at least 98% of what was filled, and the process RSS falls by at least half of it.
     * A large empty-slab cache keeps the drained slabs until the close, so the close is what
     * returns them.
     */
    @Test
    void closingADrainedEpochReturnsItsPagesToTheOs() {
        try (SlabAllocator a = SlabAllocator.builder().name("reclaim").reserveBytes(256L << 20)
                .cacheCapacity(65_536).build()) {
            int epoch = a.currentEpoch();
            long rssEmpty = OsMemory.processRssBytes();
            long[] handles = fill(a, FILL_BYTES);
            long residentFilled = a.engine().residentBytes();
            long rssFilled = OsMemory.processRssBytes();
            assertTrue(residentFilled >= FILL_BYTES, "filled pages are resident: " + residentFilled);
            assertTrue(rssFilled - rssEmpty >= FILL_BYTES / 2, "RSS grew: " + rssEmpty + " -> " + rssFilled);

            freeAll(a, handles);
            long residentDrained = a.engine().residentBytes();
            assertTrue(residentDrained >= FILL_BYTES * 98 / 100,
                    "an ACTIVE epoch keeps its drained slabs hot within the cache: " + residentDrained);
            assertEquals(0, a.snapshot().global().liveObjects());

            a.closeEpoch(epoch);
            long residentClosed = a.engine().residentBytes();
            long rssClosed = OsMemory.processRssBytes();
            GlobalStats g = a.snapshot().global();
            assertTrue(residentFilled - residentClosed >= FILL_BYTES * 98 / 100,
                    "mincore: resident " + residentFilled + " -> " + residentClosed);
            assertTrue(rssFilled - rssClosed >= FILL_BYTES / 2, "RSS " + rssFilled + " -> " + rssClosed);
            assertEquals(0, g.netSlabs());
            assertEquals(residentClosed, g.residentBytes());
            assertTrue(g.totalMadviseBytes() >= FILL_BYTES);
            assertEquals(0, g.totalMadviseFailures());
            assertNoBrokenInvariants(a);
        }
    }

    /** A closed era returns each slab's pages as soon as its last object is freed, with no close call. */
    @Test
    void aClosedEpochReturnsPagesAsItDrains() {
        try (SlabAllocator a = SlabAllocator.builder().name("reclaim").reserveBytes(256L << 20).build()) {
            long[] handles = fill(a, FILL_BYTES);
            long residentFilled = a.engine().residentBytes();
            long rssFilled = OsMemory.processRssBytes();
            a.advanceEpoch();
            freeAll(a, handles);
            long residentDrained = a.engine().residentBytes();
            long rssDrained = OsMemory.processRssBytes();
            assertTrue(residentFilled - residentDrained >= FILL_BYTES * 98 / 100,
                    "mincore: resident " + residentFilled + " -> " + residentDrained);
            assertTrue(rssFilled - rssDrained >= FILL_BYTES / 2, "RSS " + rssFilled + " -> " + rssDrained);
            assertEquals(0, a.snapshot().global().netSlabs());
            assertNoBrokenInvariants(a);
        }
    }

    /**
     * An advance returns at once, with no close, the pages of the empty slabs the old epoch kept
     * for reuse (each is sealed, madvised and pooled): {@code mincore} shows exactly those slabs
     * leaving RAM, the CLOSING epoch keeps no empty slab, and a slab still holding an object stays
     * on its list until the free of that object recycles it. A close afterwards finds nothing.
     */
    @Test
    void anAdvanceReturnsThePagesOfTheEmptySlabsTheOldEpochKept() {
        long slab = SlabAllocator.SLAB_SIZE;
        long bytes = 8L << 20;
        int slabs = (int) (bytes / slab);
        try (SlabAllocator a = SlabAllocator.builder().name("reclaim-advance").reserveBytes(64L << 20)
                .cacheCapacity(65_536).build()) {
            int epoch = a.currentEpoch();
            long[] handles = fill(a, bytes);
            long held = handles[0];
            assertEquals(0, slabOf(a.offset(held)));
            freeAll(a, java.util.Arrays.copyOfRange(handles, 1, handles.length));
            assertEquals(slabs * slab, a.engine().residentBytes(), "an ACTIVE epoch keeps its drained slabs hot");
            AllocatorSnapshot s = a.snapshot();
            assertEquals(slabs - 1, s.epochStats(epoch).emptyPartialCount());
            assertEquals(0, s.global().pooledSlabs());

            a.advanceEpoch();
            assertEquals(slab, a.engine().residentBytes(), "only slab 0, which holds an object, is resident");
            s = a.snapshot();
            assertEquals(EpochState.CLOSING, s.epochStats(epoch).state());
            assertEquals(0, s.epochStats(epoch).emptyPartialCount(), "a CLOSING epoch keeps no empty slab");
            assertEquals(1, s.epochStats(epoch).partialSlabCount(), "slab 0 stays on its list");
            assertEquals(0, s.epochStats(epoch).closeCount(), "no close happened");
            assertEquals(slabs - 1, s.global().pooledSlabs());
            assertEquals(1, s.global().netSlabs());
            assertEquals(slabs - 1, s.global().totalSlabsRecycled());
            assertEquals(1, s.global().totalMadviseCalls(), "slabs 1.." + (slabs - 1) + ": one run of ids");
            assertEquals((slabs - 1) * slab, s.global().totalMadviseBytes());
            assertEquals(0, s.global().totalEpochCloseCalls());

            assertEquals(handles[0], a.memory().get(ValueLayout.JAVA_LONG, a.offset(held)), "the object is intact");
            assertTrue(a.free(held)); // the last object of a CLOSING epoch's slab: recycled on free
            assertEquals(0L, a.engine().residentBytes(), "every page went back");
            s = a.snapshot();
            assertEquals(0, s.global().netSlabs());
            assertEquals(slabs, s.global().pooledSlabs());
            assertEquals(2, s.global().totalMadviseCalls());

            a.closeEpoch(epoch);
            assertEquals(0, a.snapshot().lastEpochClose().scannedSlabs(), "nothing left for the close");
            assertNoBrokenInvariants(a);
        }
    }

    @Test
    void reclaimPolicyNoneKeepsPagesResident() {
        long bytes = 16L << 20;
        try (SlabAllocator a = SlabAllocator.builder().reclaimPolicy(ReclaimPolicy.NONE).reserveBytes(64L << 20)
                .build()) {
            int epoch = a.currentEpoch();
            long[] handles = fill(a, bytes);
            long residentFilled = a.engine().residentBytes();
            freeAll(a, handles);
            a.closeEpoch(epoch);
            GlobalStats g = a.snapshot().global();
            assertEquals(0, g.netSlabs(), "the slabs are recycled");
            assertEquals(bytes / SlabAllocator.SLAB_SIZE, g.totalSlabsRecycled());
            assertEquals(0, g.totalMadviseCalls());
            assertTrue(a.engine().residentBytes() >= residentFilled * 98 / 100,
                    "NONE keeps the pages: " + residentFilled + " -> " + a.engine().residentBytes());
            assertNoBrokenInvariants(a);
        }
    }

    @Test
    void reclaimPolicyFreeIsAcceptedAndRecycledSlabsServeAgain() {
        long bytes = 16L << 20;
        try (SlabAllocator a = SlabAllocator.builder().reclaimPolicy(ReclaimPolicy.FREE).reserveBytes(64L << 20)
                .build()) {
            int epoch = a.currentEpoch();
            long[] handles = fill(a, bytes);
            freeAll(a, handles);
            a.closeEpoch(epoch);
            GlobalStats g = a.snapshot().global();
            assertEquals(0, g.netSlabs());
            assertTrue(g.totalMadviseCalls() > 0);
            assertEquals(bytes, g.totalMadviseBytes(), "MADV_FREE accepted for every recycled slab");
            assertEquals(0, g.totalMadviseFailures());
            a.advanceEpoch();
            long[] again = fill(a, bytes);
            assertEquals(bytes / SlabAllocator.SLAB_SIZE, a.snapshot().global().totalSlabsAllocated() / 2,
                    "the second fill reused the recycled slabs");
            assertEquals(bytes, a.snapshot().global().committedBytes(), "no new part of the reservation touched");
            freeAll(a, again);
            assertNoBrokenInvariants(a);
        }
    }

    /**
     * Keep one object alive in epoch 0 of era 1 in a slab that still has room, wrap the ring (epoch 0
     * becomes current again in a new era) and allocate many objects in epoch 0: none may land in the
     * old era's slab. Freeing the last old object recycles that slab, which then serves again.
     */
    @ParameterizedTest(name = "explicit closeEpoch before the wrap: {0}")
    @ValueSource(booleans = {false, true})
    void aClosedErasSlabNeverTakesNewObjectsAfterTheRingWraps(boolean closeExplicitly) {
        try (SlabAllocator a = SlabAllocator.builder().epochs(4).reserveBytes(16L << 20).build()) {
            List<Long> firstEra = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                firstEra.add(a.alloc(128, 0));
            }
            long keep = firstEra.get(3);
            stampHandle(a, keep, 42);
            for (long h : firstEra) {
                if (h != keep) {
                    assertTrue(a.free(h));
                }
            }
            int oldSlab = slabOf(a.offset(keep));
            assertEquals(1, a.epochEra(0));
            if (closeExplicitly) {
                a.closeEpoch(0);
            }
            for (int i = 0; i < a.epochCount(); i++) {
                a.advanceEpoch();
            }
            assertEquals(0, a.currentEpoch());
            assertEquals(EpochState.ACTIVE, a.epochState(0));
            assertEquals(5, a.epochEra(0), "a new era of the same slot");

            List<Long> newEra = new ArrayList<>();
            for (int i = 0; i < 32 * 20; i++) {
                long h = i % 2 == 0 ? a.alloc(128) : a.alloc(100, 0);
                assertNotEquals(0L, h);
                assertNotEquals(oldSlab, slabOf(a.offset(h)), "object " + i + " landed in the closed era's slab");
                newEra.add(h);
            }
            for (int size = 1; size <= 768; size += 50) {
                assertNotEquals(oldSlab, slabOf(a.offset(a.alloc(size))), "no class gets the old slab");
            }
            assertStamp(a, keep, 42);
            assertNoBrokenInvariants(a);
            // A snapshot tells the slot's old era (still draining) from its new one.
            AllocatorSnapshot wrapped = a.snapshot();
            assertEquals(5, wrapped.epochStats(0).epochEra());
            assertEquals(1, wrapped.epochStats(0).olderErasLiveObjects(), "the kept object, of era 1");
            ClassEpochStats ce = wrapped.classEpochs().stream()
                    .filter(x -> x.epochId() == 0 && x.classIndex() == SlabAllocator.sizeClassOf(128))
                    .findFirst().orElseThrow();
            assertEquals(List.of(1L, 5L), ce.erasPresent());

            long recycled = a.snapshot().global().totalSlabsRecycled();
            assertTrue(a.free(keep));
            assertEquals(recycled + 1, a.snapshot().global().totalSlabsRecycled(), "the drained old slab is recycled");
            assertFalse(a.free(keep));
            assertEquals(1, a.engine().rejections(SlabEngine.REJECT_NOT_IN_SERVICE));

            boolean reused = false;
            for (int i = 0; i < 5 * 4 && !reused; i++) {
                reused = slabOf(a.offset(a.alloc(768))) == oldSlab;
            }
            assertTrue(reused, "the recycled slab serves again");
            for (long h : newEra) {
                assertTrue(a.free(h));
            }
            assertEquals(0, a.snapshot().epochStats(0).olderErasLiveObjects());
            assertNoBrokenInvariants(a);
        }
    }

    /** Objects of an old era that fill their slab: the full slab drains and is recycled after the wrap. */
    @Test
    void aFullSlabOfAClosedEraDrainsAfterTheRingWraps() {
        try (SlabAllocator a = SlabAllocator.builder().epochs(2).reserveBytes(16L << 20).build()) {
            List<Long> old = new ArrayList<>();
            for (int i = 0; i < 5 * 3; i++) {
                old.add(a.alloc(768));
                stampHandle(a, old.getLast(), i);
            }
            a.advanceEpoch();
            a.advanceEpoch(); // epoch 0 again, era 3
            assertEquals(3, a.epochEra(0));
            List<Integer> oldSlabs = old.stream().map(h -> slabOf(a.offset(h))).distinct().toList();
            for (int i = 0; i < 5 * 10; i++) {
                long h = a.alloc(768);
                assertFalse(oldSlabs.contains(slabOf(a.offset(h))));
            }
            for (int i = 0; i < old.size(); i++) {
                assertStamp(a, old.get(i), i);
                assertTrue(a.free(old.get(i)));
            }
            assertEquals(3, a.snapshot().global().totalSlabsRecycled());
            assertNoBrokenInvariants(a);
        }
    }
}
