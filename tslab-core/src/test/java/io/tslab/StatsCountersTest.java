package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.os.OsMemory;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.tslab.StatsAssertions.allocMany;
import static io.tslab.StatsAssertions.assertClass;
import static io.tslab.StatsAssertions.assertEpoch;
import static io.tslab.StatsAssertions.assertGlobal;
import static io.tslab.StatsAssertions.assertOtherClassesUntouched;
import static io.tslab.StatsAssertions.classEpoch;
import static io.tslab.StatsAssertions.figures;
import static io.tslab.StatsAssertions.freeAll;
import static io.tslab.StatsAssertions.touch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every counter and gauge of the snapshot against a value the test computes on its own from a
 * single-threaded script, compared exactly. The figures follow from the documented behaviour: a
 * slab of class {@code c} holds {@code 4096 / size} objects, the lowest free slot and the lowest
 * pooled slab are taken first, an allocation that finds no current slab or a full one takes the
 * slow path, a slab found full is parked on the full list, a free into a full slab of an open era
 * moves it back, an advance recycles at once the empty slabs the old epoch kept, empty slabs of a
 * closed era are recycled at once, and a close scans the partial and full lists of the bins it
 * closes.
 */
class StatsCountersTest {
    private static final int C128 = 2; // class index of 128-byte objects: 32 slots
    private static final int C64 = 0; // 64 slots
    private static final int C768 = 7; // 5 slots
    private static final long SLAB = SlabAllocator.SLAB_SIZE;

    /**
     * One epoch's life told by the counters: fill four slabs, empty one, make a full one partial,
     * advance (the empty slab is recycled by the advance), be refused in the CLOSING epoch, close it
     * (the three slabs holding objects move to draining, none is recycled), drain them (three
     * recycled on free), then take a recycled slab back for the next epoch.
     */
    @Test
    void aScriptedEpochLifeIsCountedExactly() {
        try (SlabAllocator a = SlabAllocator.builder().name("stats-script").epochs(4).reserveBytes(64L << 20)
                .build()) {
            AllocatorSnapshot s = a.snapshot();
            assertEquals(64L << 20, s.global().mappedBytes());
            assertGlobal(s, figures("activeEpochCount", 1, "closingEpochCount", 3, "currentEra", 1L));
            assertOtherClassesUntouched(s);
            assertEpoch(s, 0, figures("epochEra", 1L, "state", EpochState.ACTIVE));
            for (int e = 1; e < 4; e++) {
                assertEpoch(s, e, figures("state", EpochState.CLOSING)); // never activated: era 0
                assertEquals(0, s.epochStats(e).openSinceNs());
            }
            assertEquals(List.of(), s.classEpochs());
            assertEquals(LastEpochClose.NONE, s.lastEpochClose());

            // 1. 100 objects of 128 bytes: slabs 0..3 hold 32, 32, 32 and 4. The first allocation
            // finds no current slab, each of the next three slow paths finds the current one full
            // and parks it on the full list, and every slow path takes a fresh slab.
            long[] h = allocMany(a, 128, 100);
            touch(a, h);
            for (int i = 0; i < 100; i++) {
                assertEquals(i / 32, Handles.slab(h[i]), "slabs are filled in order, lowest slot first");
            }
            s = a.snapshot();
            Map<String, Object> c2 = figures("slowPathHits", 4L, "newSlabCount", 4L, "listMovePartialToFull", 3L,
                    "currentPartialNull", 1L, "currentPartialFull", 3L, "slowPathCacheMiss", 4L,
                    "bitmapAllocAttempts", 100L, "totalPartialSlabs", 1L, "totalFullSlabs", 3L,
                    "liveObjects", 100L, "liveBytes", 12_800L, "netSlabs", 4L, "estimatedRssBytes", 4 * SLAB);
            assertClass(s, C128, c2);
            assertOtherClassesUntouched(s, C128);
            Map<String, Object> global = figures("activeEpochCount", 1, "closingEpochCount", 3, "currentEra", 1L,
                    "totalSlabsAllocated", 4L, "netSlabs", 4L, "committedBytes", 4 * SLAB,
                    "estimatedSlabRssBytes", 4 * SLAB, "liveObjects", 100L, "liveBytes", 12_800L,
                    "totalAllocations", 100L, "totalBitmapAllocAttempts", 100L, "totalSlowPathHits", 4L,
                    "totalSlowCacheMiss", 4L);
            assertGlobal(s, global);
            Map<String, Object> e0 = figures("epochEra", 1L, "state", EpochState.ACTIVE, "allocCount", 100L,
                    "liveBytes", 12_800L, "partialSlabCount", 1L, "fullSlabCount", 3L, "estimatedRssBytes", 4 * SLAB);
            assertEpoch(s, 0, e0);
            assertEquals(List.of(new ClassEpochStats(C128, 128, 0, 1, 100, 1, 3, 0, 0, List.of(1L))), s.classEpochs());
            assertEquals(4 * SLAB, a.engine().residentBytes(), "the four touched slabs are resident");

            // 2. Free slab 0 entirely (its first free moves it from full to partial; it stays, empty,
            // within the cache) and one object of slab 1 (full to partial).
            freeAll(a, h, 0, 33);
            s = a.snapshot();
            c2.putAll(figures("listMoveFullToPartial", 2L, "bitmapFreeAttempts", 33L, "cacheSize", 1L,
                    "totalPartialSlabs", 3L, "totalFullSlabs", 1L, "liveObjects", 67L, "liveBytes", 67 * 128L));
            assertClass(s, C128, c2);
            global.putAll(figures("liveObjects", 67L, "liveBytes", 67 * 128L, "totalFrees", 33L,
                    "totalBitmapFreeAttempts", 33L));
            assertGlobal(s, global);
            e0.putAll(figures("allocCount", 67L, "liveBytes", 67 * 128L, "partialSlabCount", 3L, "fullSlabCount", 1L,
                    "emptyPartialCount", 1L, "reclaimableSlabCount", 1L, "reclaimableBytes", SLAB));
            assertEpoch(s, 0, e0);
            assertEquals(List.of(new ClassEpochStats(C128, 128, 0, 1, 67, 3, 1, 0, 1, List.of(1L))), s.classEpochs());

            // 3. One more object: the current slab (3) has room, the fast path takes it.
            long extra = a.alloc(128);
            assertEquals(3, Handles.slab(extra));
            touch(a, new long[] {extra});

            // 4. Advance: epoch 1 becomes current in era 2, epoch 0 CLOSING; the empty slab it kept
            // (slab 0) is recycled by the advance at once, with one madvise, and leaves RAM.
            long residentBeforeAdvance = a.engine().residentBytes();
            assertEquals(1, a.advanceEpoch());
            assertEquals(SLAB, residentBeforeAdvance - a.engine().residentBytes(), "the recycled slab left RAM");
            // 5. Refused in the CLOSING epoch, in two classes.
            assertEquals(0L, a.alloc(128, 0));
            assertEquals(0L, a.alloc(700, 0));
            s = a.snapshot();
            c2.putAll(figures("slowPathHits", 5L, "slowPathEpochClosed", 1L, "bitmapAllocAttempts", 101L,
                    "cacheSize", 0L, "liveObjects", 68L, "liveBytes", 68 * 128L, "emptySlabRecycled", 1L,
                    "madviseCalls", 1L, "madviseBytes", SLAB, "totalPartialSlabs", 2L, "netSlabs", 3L,
                    "estimatedRssBytes", 3 * SLAB, "recycleRatePct", 25.0));
            assertClass(s, C128, c2);
            assertClass(s, C768, figures("slowPathHits", 1L, "slowPathEpochClosed", 1L));
            global.putAll(figures("currentEpoch", 1, "currentEra", 2L, "liveObjects", 68L, "liveBytes", 68 * 128L,
                    "totalAllocations", 101L, "totalBitmapAllocAttempts", 101L, "totalSlowPathHits", 6L,
                    "totalSlowEpochClosed", 2L, "totalAllocRefused", 2L, "allocRefusedEpochClosed", 2L,
                    "totalSlabsRecycled", 1L, "netSlabs", 3L, "pooledSlabs", 1L, "estimatedSlabRssBytes", 3 * SLAB,
                    "totalMadviseCalls", 1L, "totalMadviseBytes", SLAB));
            assertGlobal(s, global);
            e0.putAll(figures("state", EpochState.CLOSING, "allocCount", 68L, "liveBytes", 68 * 128L,
                    "partialSlabCount", 2L, "estimatedRssBytes", 3 * SLAB, "emptyPartialCount", 0L,
                    "reclaimableSlabCount", 0L, "reclaimableBytes", 0L));
            assertEpoch(s, 0, e0);
            assertEquals(List.of(new ClassEpochStats(C128, 128, 0, 1, 68, 2, 1, 0, 0, List.of(1L))), s.classEpochs());
            assertEquals(LastEpochClose.NONE, s.lastEpochClose(), "an advance is not a close");
            assertEpoch(s, 1, figures("epochEra", 2L, "state", EpochState.ACTIVE));
            assertEquals(Map.of("epoch_closed", 2L, "reservation_exhausted", 0L), s.global().allocRefusedByReason());

            // 6. Close epoch 0: the close scans the three slabs of class 128 (and no other class),
            // all holding objects: it recycles none, gives no page back, and moves them to draining.
            long residentBefore = a.engine().residentBytes();
            a.closeEpoch(0);
            long residentAfter = a.engine().residentBytes();
            assertEquals(residentBefore, residentAfter, "the close recycled nothing");
            s = a.snapshot();
            c2.putAll(figures("epochCloseCalls", 1L, "epochCloseScannedSlabs", 3L, "epochCloseRecycledSlabs", 0L,
                    "totalPartialSlabs", 0L, "totalFullSlabs", 0L, "totalDrainingSlabs", 3L));
            assertClass(s, C128, c2);
            assertClass(s, C768, figures("slowPathHits", 1L, "slowPathEpochClosed", 1L)); // not scanned: no close counted
            global.putAll(figures("totalEpochCloseCalls", 1L));
            assertGlobal(s, global);
            e0.putAll(figures("partialSlabCount", 0L, "fullSlabCount", 0L, "drainingSlabCount", 3L,
                    "closeCount", 1L, "madviseBytesAtClose", 0L, "residentBeforeClose", 0L, "residentAfterClose", 0L));
            assertEpoch(s, 0, e0);
            assertTrue(s.epochStats(0).rssBeforeClose() > 0 && s.epochStats(0).rssAfterClose() > 0);
            LastEpochClose last = s.lastEpochClose();
            assertEquals(new LastEpochClose(last.timestampNs(), 0, 1, 3, 0, last.rssBefore(), last.rssAfter(),
                    0, 0, 0, last.durationNs()), last);
            assertTrue(last.timestampNs() > 0 && last.durationNs() > 0, last.toString());
            assertEquals(List.of(new ClassEpochStats(C128, 128, 0, 1, 68, 0, 0, 3, 0, List.of(1L))), s.classEpochs());

            // 7. Drain: each of the three slabs is recycled by its last free, one madvise each; a
            // free into a full slab of a closed era moves nothing.
            freeAll(a, h, 33, 100);
            assertTrue(a.free(extra));
            s = a.snapshot();
            c2.putAll(figures("emptySlabRecycled", 4L, "madviseCalls", 4L, "madviseBytes", 4 * SLAB,
                    "bitmapFreeAttempts", 101L, "totalDrainingSlabs", 0L, "liveObjects", 0L, "liveBytes", 0L,
                    "netSlabs", 0L, "estimatedRssBytes", 0L, "recycleRatePct", 100.0));
            assertClass(s, C128, c2);
            global.putAll(figures("totalSlabsRecycled", 4L, "netSlabs", 0L, "pooledSlabs", 4L,
                    "estimatedSlabRssBytes", 0L, "totalMadviseCalls", 4L, "totalMadviseBytes", 4 * SLAB,
                    "liveObjects", 0L, "liveBytes", 0L, "totalFrees", 101L, "totalBitmapFreeAttempts", 101L));
            assertGlobal(s, global);
            e0.putAll(figures("allocCount", 0L, "liveBytes", 0L, "drainingSlabCount", 0L, "estimatedRssBytes", 0L));
            assertEpoch(s, 0, e0);
            assertEquals(List.of(), s.classEpochs());
            assertEquals(0L, a.engine().residentBytes(), "every page went back");

            // 8. Epoch 1 takes the lowest pooled slab: a cache miss and a new slab for the class,
            // no new committed memory.
            long again = a.alloc(128);
            assertTrue(Handles.slab(again) < 4, "a pooled slab is reused before the reservation grows");
            s = a.snapshot();
            c2.putAll(figures("slowPathHits", 6L, "currentPartialNull", 2L, "slowPathCacheMiss", 5L,
                    "newSlabCount", 5L, "bitmapAllocAttempts", 102L, "totalPartialSlabs", 1L, "liveObjects", 1L,
                    "liveBytes", 128L, "netSlabs", 1L, "estimatedRssBytes", SLAB, "recycleRatePct", 80.0));
            assertClass(s, C128, c2);
            global.putAll(figures("totalSlabsAllocated", 5L, "netSlabs", 1L, "pooledSlabs", 3L,
                    "estimatedSlabRssBytes", SLAB, "liveObjects", 1L, "liveBytes", 128L, "totalAllocations", 102L,
                    "totalBitmapAllocAttempts", 102L, "totalSlowPathHits", 7L, "totalSlowCacheMiss", 5L));
            assertGlobal(s, global);
            assertEquals(s.global().totalSlabsAllocated() - s.global().totalSlabsRecycled(), s.global().netSlabs());
            assertEpoch(s, 1, figures("epochEra", 2L, "state", EpochState.ACTIVE, "allocCount", 1L, "liveBytes", 128L,
                    "partialSlabCount", 1L, "estimatedRssBytes", SLAB));
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    /** current_epoch is the ring slot (0..N-1), never the number of advances; eras count activations. */
    @Test
    void currentEpochAndErasAfterAdvancesAndWraps() {
        try (SlabAllocator a = SlabAllocator.builder().name("eras").epochs(4).build()) {
            long[] expectedEra = {1, 0, 0, 0};
            for (int advance = 1; advance <= 10; advance++) {
                long wallBefore = wallNanos();
                int next = a.advanceEpoch();
                long wallAfter = wallNanos();
                int slot = advance % 4;
                expectedEra[slot] = advance + 1;
                assertEquals(slot, next);
                AllocatorSnapshot s = a.snapshot();
                assertEquals(slot, s.global().currentEpoch());
                assertEquals(advance + 1, s.global().currentEra());
                assertEquals(1, s.global().activeEpochCount());
                assertEquals(3, s.global().closingEpochCount());
                for (int e = 0; e < 4; e++) {
                    assertEquals(expectedEra[e], s.epochStats(e).epochEra(), "era of slot " + e + " after " + advance);
                    assertEquals(expectedEra[e], a.epochEra(e));
                    assertEquals(e == slot ? EpochState.ACTIVE : EpochState.CLOSING, s.epochStats(e).state());
                }
                long openSince = s.epochStats(slot).openSinceNs();
                assertTrue(openSince >= wallBefore - 1_000_000 && openSince <= wallAfter + 1_000_000,
                        "open_since_ns " + openSince + " not within the advance [" + wallBefore + ", " + wallAfter + "]");
                Map<String, Object> json = StatsJson.parseObject(s.toJson());
                assertEquals(slot, StatsJson.number(json, "current_epoch"));
                assertEquals(advance + 1, StatsJson.number(json, "current_era"));
                assertEquals(expectedEra[0], StatsJson.number(StatsJson.element(StatsJson.array(json, "epochs"), 0),
                        "epoch_era"));
            }
            assertEquals(List.of(9L, 10L, 11L, 8L), List.of(expectedEra[0], expectedEra[1], expectedEra[2], expectedEra[3]));
            // Closing the current epoch leaves no ACTIVE one until the next advance.
            a.closeEpoch(a.currentEpoch());
            AllocatorSnapshot s = a.snapshot();
            assertEquals(0, s.global().activeEpochCount());
            assertEquals(4, s.global().closingEpochCount());
            assertEquals(2, s.global().currentEpoch());
        }
    }

    /** After a wrap, the slot's slabs of the closed era are told apart from the new era's. */
    @Test
    void slabsOfAnOlderEraAreCountedApartAfterTheRingWraps() {
        try (SlabAllocator a = SlabAllocator.builder().name("wrap").epochs(2).build()) {
            long[] old = allocMany(a, 64, 3); // slot 0, era 1
            a.advanceEpoch(); // slot 1, era 2
            a.advanceEpoch(); // slot 0, era 3: the era-1 slab drains
            long[] fresh = allocMany(a, 64, 2);
            assertNotEquals(Handles.slab(old[0]), Handles.slab(fresh[0]), "a closed era's slab takes no new object");
            AllocatorSnapshot s = a.snapshot();
            assertEquals(new ClassEpochStats(C64, 64, 0, 3, 5, 1, 0, 1, 0, List.of(1L, 3L)), classEpoch(s, C64, 0));
            assertEpoch(s, 0, figures("epochEra", 3L, "state", EpochState.ACTIVE, "allocCount", 2L, "liveBytes", 128L,
                    "partialSlabCount", 1L, "estimatedRssBytes", SLAB, "olderErasSlabCount", 1L,
                    "olderErasLiveObjects", 3L));
            assertClass(s, C64, figures("slowPathHits", 2L, "newSlabCount", 2L, "currentPartialNull", 2L,
                    "slowPathCacheMiss", 2L, "bitmapAllocAttempts", 5L, "totalPartialSlabs", 1L,
                    "totalDrainingSlabs", 1L, "liveObjects", 5L, "liveBytes", 320L, "netSlabs", 2L,
                    "estimatedRssBytes", 2 * SLAB));
            assertEquals(5, s.global().liveObjects());

            freeAll(a, old, 0, 3); // the last free recycles the old slab
            s = a.snapshot();
            assertEquals(new ClassEpochStats(C64, 64, 0, 3, 2, 1, 0, 0, 0, List.of(3L)), classEpoch(s, C64, 0));
            assertEquals(1, s.classStats(C64).emptySlabRecycled());
            assertEquals(1, s.classStats(C64).madviseCalls());
            assertEquals(0, s.epochStats(0).olderErasSlabCount());
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    /**
     * Reservation exhaustion and a closed epoch are refused and counted by reason; the slow path
     * attribution of the exhausted allocation: a cache miss, no new slab.
     */
    @Test
    void refusalsAreCountedByReason() {
        try (SlabAllocator a = SlabAllocator.builder().name("refusals").reserveBytes(1L << 20).build()) {
            long[] h = allocMany(a, 768, 256 * 5); // 256 slabs of 5 objects: the whole megabyte
            assertEquals(0L, a.alloc(768));
            assertEquals(0L, a.alloc(768));
            AllocatorSnapshot s = a.snapshot();
            // The first refused allocation parks the last slab on the full list; the second finds the
            // current slab (now on the full list) full and the partial list empty: one more slow path
            // and cache miss, no second move.
            Map<String, Object> c7 = figures("slowPathHits", 258L, "newSlabCount", 256L, "listMovePartialToFull", 256L,
                    "currentPartialNull", 1L, "currentPartialFull", 257L, "slowPathCacheMiss", 258L,
                    "bitmapAllocAttempts", 1280L, "totalFullSlabs", 256L, "liveObjects", 1280L, "liveBytes", 1280 * 768L,
                    "netSlabs", 256L, "estimatedRssBytes", 256 * SLAB);
            assertClass(s, C768, c7);
            assertGlobal(s, figures("activeEpochCount", 1, "closingEpochCount", 15, "currentEra", 1L,
                    "totalSlabsAllocated", 256L, "netSlabs", 256L, "committedBytes", 1L << 20,
                    "estimatedSlabRssBytes", 1L << 20, "liveObjects", 1280L, "liveBytes", 1280 * 768L,
                    "totalAllocations", 1280L, "totalBitmapAllocAttempts", 1280L, "totalSlowPathHits", 258L,
                    "totalSlowCacheMiss", 258L, "totalAllocRefused", 2L, "allocRefusedReservationExhausted", 2L));
            assertEquals(Map.of("epoch_closed", 0L, "reservation_exhausted", 2L), s.global().allocRefusedByReason());

            // A free makes room: the full slab moves back to partial and the next allocation finds it.
            assertTrue(a.free(h[0]));
            assertNotEquals(0L, a.alloc(768));
            s = a.snapshot();
            c7.putAll(figures("slowPathHits", 259L, "currentPartialFull", 258L, "listMoveFullToPartial", 1L,
                    "bitmapAllocAttempts", 1281L, "bitmapFreeAttempts", 1L, "totalFullSlabs", 255L,
                    "totalPartialSlabs", 1L));
            assertClass(s, C768, c7);

            a.advanceEpoch();
            assertEquals(0L, a.alloc(64, 0));
            s = a.snapshot();
            assertEquals(Map.of("epoch_closed", 1L, "reservation_exhausted", 2L), s.global().allocRefusedByReason());
            assertEquals(3, s.global().totalAllocRefused());
            assertEquals(1, s.global().totalSlowEpochClosed());
            Map<String, Object> json = StatsJson.parseObject(s.toJson());
            assertEquals(3, StatsJson.number(json, "total_alloc_refused"));
            assertEquals(1, StatsJson.number(json, "alloc_refused_epoch_closed"));
            assertEquals(2, StatsJson.number(json, "alloc_refused_reservation_exhausted"));
        }
    }

    /** Each kind of invalid free is counted under its own reason, and nothing else moves. */
    @Test
    void invalidFreesAreCountedByReason() {
        try (SlabAllocator a = SlabAllocator.builder().name("invalid").epochs(2).build();
             SlabAllocator other = SlabAllocator.builder().name("other").build();
             Arena arena = Arena.ofConfined()) {
            long h128 = a.alloc(128);
            long h768 = a.alloc(768);
            long freed = a.alloc(128);
            assertTrue(a.free(freed));
            // A slab recycled after its epoch closed: its handle names a slab out of service.
            a.advanceEpoch();
            long inNewEpoch = a.alloc(64);
            long retired = a.alloc(256);
            a.closeEpoch(1); // slot 1 is current: its 256 slab keeps the object, drains later
            assertTrue(a.free(retired)); // recycled now
            MemorySegment seg = other.allocate(64, 8);
            AllocatorSnapshot before = a.snapshot();
            String stableBefore = stable(before.global());

            assertFalse(a.free(0L));
            assertFalse(a.free(other.alloc(64)));
            assertFalse(a.free(Handles.pack(Handles.tag(h128), 1 << 20, 0, 0, C128)));
            assertFalse(a.free(retired));
            assertFalse(a.free(Handles.pack(Handles.tag(h128), Handles.slab(h128), Handles.generation(h128),
                    Handles.slot(h128), 5)));
            assertFalse(a.free(Handles.pack(Handles.tag(h768), Handles.slab(h768), Handles.generation(h768), 9, C768)));
            assertFalse(a.free(freed));
            assertFalse(a.free(freed));
            assertFalse(a.free(arena.allocate(64)));
            assertFalse(a.free(seg));

            AllocatorSnapshot s = a.snapshot();
            Map<String, Long> expected = new LinkedHashMap<>();
            expected.put("null_handle", 1L);
            expected.put("foreign", 3L); // a handle of another allocator, a heap/arena segment, another allocator's segment
            expected.put("unknown_slab", 1L);
            expected.put("slab_not_in_service", 1L);
            expected.put("class_mismatch", 1L);
            expected.put("bad_slot", 1L);
            expected.put("stale_or_double", 2L);
            assertEquals(expected, s.global().invalidFreesByReason());
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(s.global().invalidFreesByReason().keySet()),
                    "reasons keep their order");
            assertEquals(10, s.global().totalInvalidFrees());
            assertEquals(stableBefore, stable(s.global()), "an invalid free changes nothing but its counter");
            Map<String, Object> json = StatsJson.parseObject(s.toJson());
            assertEquals(10, StatsJson.number(json, "total_invalid_frees"));
            Map<String, Object> byReason = StatsJson.object(json, "invalid_frees_by_reason");
            for (Map.Entry<String, Long> e : expected.entrySet()) {
                assertEquals(e.getValue(), StatsJson.number(byReason, e.getKey()), e.getKey());
            }
            assertTrue(a.free(h128) && a.free(h768) && a.free(inNewEpoch));
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    /**
     * Close telemetry counts a class only when the close scanned slabs of it; per-epoch close
     * figures and {@code last_epoch_close} describe the latest close, also one that found nothing.
     * Here the epoch is closed after an advance, which already recycled the empty slabs it kept:
     * class 768, whose slabs were all empty, has nothing left for the close to scan, and the close
     * of class 64 finds only its two full slabs.
     */
    @Test
    void closeTelemetryCountsOnlyTheClassesAClosedScanned() {
        try (SlabAllocator a = SlabAllocator.builder().name("close").epochs(4).cacheCapacity(64).build()) {
            fiveResidentSlabsThreeEmpty(a);
            a.advanceEpoch();
            // The advance recycled slab 2 (class 64) and slabs 3, 4 (class 768): two releases, each
            // one run of ids.
            assertEquals(2 * SLAB, a.engine().residentBytes(), "the recycled slabs left RAM at the advance");
            AllocatorSnapshot advanced = a.snapshot();
            assertEquals(2, advanced.global().totalMadviseCalls());
            assertEquals(3 * SLAB, advanced.global().totalMadviseBytes());
            assertEquals(0, advanced.global().totalEpochCloseCalls());
            assertEquals(0, advanced.epochStats(0).emptyPartialCount());

            a.closeEpoch(0);
            AllocatorSnapshot s = a.snapshot();
            assertEquals(1, s.classStats(C64).epochCloseCalls());
            assertEquals(2, s.classStats(C64).epochCloseScannedSlabs());
            assertEquals(0, s.classStats(C64).epochCloseRecycledSlabs());
            assertEquals(1, s.classStats(C64).emptySlabRecycled(), "by the advance");
            assertEquals(2, s.classStats(C768).emptySlabRecycled(), "by the advance");
            for (int c = 1; c < 8; c++) {
                assertEquals(0, s.classStats(c).epochCloseCalls(), "class " + c + " had nothing to scan");
                assertEquals(0, s.classStats(c).epochCloseScannedSlabs());
                assertEquals(0, s.classStats(c).epochCloseTotalNs());
            }
            assertEquals(2, s.global().totalMadviseCalls(), "the close gave no page back");
            assertEquals(3 * SLAB, s.global().totalMadviseBytes());
            assertEquals(new LastEpochClose(s.lastEpochClose().timestampNs(), 0, 1, 2, 0,
                    s.lastEpochClose().rssBefore(), s.lastEpochClose().rssAfter(), 0, 0, 0,
                    s.lastEpochClose().durationNs()), s.lastEpochClose());
            assertEpoch(s, 0, figures("epochEra", 1L, "state", EpochState.CLOSING, "allocCount", 128L,
                    "liveBytes", 128 * 64L, "drainingSlabCount", 2L, "estimatedRssBytes", 2 * SLAB, "closeCount", 1L,
                    "madviseBytesAtClose", 0L, "residentBeforeClose", 0L, "residentAfterClose", 0L));

            // Closing it again scans nothing (its slabs are draining): no class counter moves, but
            // the epoch's and the allocator's close figures describe this latest close.
            a.closeEpoch(0);
            // Closing a slot the ring never reached: nothing to scan either.
            a.closeEpoch(3);
            AllocatorSnapshot again = a.snapshot();
            for (int c = 0; c < 8; c++) {
                assertEquals(s.classStats(c).epochCloseCalls(), again.classStats(c).epochCloseCalls());
                assertEquals(s.classStats(c).epochCloseScannedSlabs(), again.classStats(c).epochCloseScannedSlabs());
                assertEquals(s.classStats(c).epochCloseTotalNs(), again.classStats(c).epochCloseTotalNs());
            }
            assertEquals(3, again.global().totalEpochCloseCalls());
            assertEquals(2, again.epochStats(0).closeCount());
            assertEquals(0, again.epochStats(0).madviseBytesAtClose());
            assertEquals(0, again.epochStats(0).residentBeforeClose());
            assertEquals(1, again.epochStats(3).closeCount());
            LastEpochClose last = again.lastEpochClose();
            assertEquals(3, last.epochId());
            assertEquals(0, last.epochEra());
            assertEquals(0, last.scannedSlabs());
            assertEquals(0, last.recycledSlabs());
            assertEquals(0, last.madviseBytes());
            assertTrue(last.timestampNs() >= s.lastEpochClose().timestampNs());
        }
    }

    /**
     * The current epoch closed directly ({@code closeEpoch(current)}, no advance before): the empty
     * slabs it kept are still there, so the close recycles them itself, with its telemetry: per
     * class scanned and recycled slabs, the madvise calls, and the {@code mincore} figures of the
     * recycled slabs.
     */
    @Test
    void closingTheCurrentEpochRecyclesTheEmptySlabsItKept() {
        try (SlabAllocator a = SlabAllocator.builder().name("close-current").epochs(4).cacheCapacity(64).build()) {
            fiveResidentSlabsThreeEmpty(a);
            a.closeEpoch(0);
            assertEquals(2 * SLAB, a.engine().residentBytes(), "the recycled slabs left RAM at the close");
            AllocatorSnapshot s = a.snapshot();
            assertEquals(1, s.classStats(C64).epochCloseCalls());
            assertEquals(3, s.classStats(C64).epochCloseScannedSlabs());
            assertEquals(1, s.classStats(C64).epochCloseRecycledSlabs());
            assertEquals(1, s.classStats(C768).epochCloseCalls());
            assertEquals(2, s.classStats(C768).epochCloseScannedSlabs());
            assertEquals(2, s.classStats(C768).epochCloseRecycledSlabs());
            for (int c = 1; c < 7; c++) {
                assertEquals(0, s.classStats(c).epochCloseCalls(), "class " + c + " had nothing to scan");
                assertEquals(0, s.classStats(c).epochCloseTotalNs());
            }
            // Slab 2 (class 64) and slabs 3, 4 (class 768): two releases, each one run of ids.
            assertEquals(2, s.global().totalMadviseCalls());
            assertEquals(3 * SLAB, s.global().totalMadviseBytes());
            assertEquals(new LastEpochClose(s.lastEpochClose().timestampNs(), 0, 1, 5, 3,
                    s.lastEpochClose().rssBefore(), s.lastEpochClose().rssAfter(), 3 * SLAB, 0, 3 * SLAB,
                    s.lastEpochClose().durationNs()), s.lastEpochClose());
            assertEpoch(s, 0, figures("epochEra", 1L, "state", EpochState.CLOSING, "allocCount", 128L,
                    "liveBytes", 128 * 64L, "drainingSlabCount", 2L, "estimatedRssBytes", 2 * SLAB, "closeCount", 1L,
                    "madviseBytesAtClose", 3 * SLAB, "residentBeforeClose", 3 * SLAB, "residentAfterClose", 0L));
            assertEquals(0, s.global().activeEpochCount(), "no epoch is ACTIVE until the next advance");

            // The next advance finds no empty slab left in the closed epoch.
            a.advanceEpoch();
            AllocatorSnapshot advanced = a.snapshot();
            assertEquals(2, advanced.global().totalMadviseCalls());
            assertEquals(3, advanced.global().totalSlabsRecycled());
            assertEquals(2, advanced.epochStats(0).drainingSlabCount());
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    /**
     * The setup of the two close tests above: class 64 in slabs 0, 1 (full) and 2 (emptied), class
     * 768 in slabs 3 and 4 (both emptied), all written; five slabs resident, three of them empty.
     */
    private static void fiveResidentSlabsThreeEmpty(SlabAllocator a) {
        long[] small = allocMany(a, 64, 130); // slabs 0, 1 full, slab 2 holds 2
        long[] big = allocMany(a, 768, 7); // slabs 3 (full), 4 (2 objects)
        touch(a, small);
        touch(a, big);
        freeAll(a, big, 0, 7); // both class-768 slabs empty, kept (capacity 64)
        freeAll(a, small, 128, 130); // slab 2 empty
        assertEquals(5 * SLAB, a.engine().residentBytes());
    }

    /**
     * A failing madvise is counted, its bytes are not, and the slab is recycled all the same (a
     * failing kernel call never fails the allocator).
     */
    @Test
    void madviseFailuresAreCountedApart() {
        try (SlabAllocator a = SlabAllocator.builder().name("madvise-failure").build()) {
            long[] h = allocMany(a, 512, 16); // two slabs
            a.advanceEpoch();
            OsMemory.injectMadviseFailure(1);
            try {
                freeAll(a, h, 0, 8); // recycles slab 0: the injected failure
            } finally {
                OsMemory.injectMadviseFailure(0);
            }
            freeAll(a, h, 8, 16); // recycles slab 1: a real madvise
            AllocatorSnapshot s = a.snapshot();
            assertClass(s, 6, figures("slowPathHits", 2L, "newSlabCount", 2L, "listMovePartialToFull", 1L,
                    "currentPartialNull", 1L, "currentPartialFull", 1L, "slowPathCacheMiss", 2L,
                    "emptySlabRecycled", 2L, "madviseCalls", 2L, "madviseFailures", 1L, "madviseBytes", SLAB,
                    "bitmapAllocAttempts", 16L, "bitmapFreeAttempts", 16L, "recycleRatePct", 100.0));
            assertEquals(1, s.global().totalMadviseFailures());
            assertEquals(2, s.global().totalMadviseCalls());
            assertEquals(SLAB, s.global().totalMadviseBytes());
            assertEquals(2, s.global().pooledSlabs());
        }
    }

    /**
     * A domain's allocations are attributed like any other: the slow path they take is explained
     * by current_partial_null / current_partial_full, as it is for {@link SlabAllocator#alloc(int)}.
     */
    @Test
    void domainAllocationsAttributeTheirSlowPaths() {
        try (SlabAllocator plain = SlabAllocator.builder().name("plain").build();
             SlabAllocator viaDomain = SlabAllocator.builder().name("domain").build()) {
            allocMany(plain, 128, 33);
            EpochDomain d = viaDomain.newDomain("d");
            for (int i = 0; i < 33; i++) {
                assertNotEquals(0L, d.alloc(128));
            }
            AllocatorSnapshot p = plain.snapshot();
            AllocatorSnapshot q = viaDomain.snapshot();
            assertEquals(2, p.classStats(C128).slowPathHits());
            assertEquals(1, p.classStats(C128).currentPartialNull());
            assertEquals(1, p.classStats(C128).currentPartialFull());
            assertEquals(2, q.classStats(C128).slowPathHits());
            assertEquals(p.classStats(C128).currentPartialNull(), q.classStats(C128).currentPartialNull(),
                    "current_partial_null of domain allocations");
            assertEquals(p.classStats(C128).currentPartialFull(), q.classStats(C128).currentPartialFull(),
                    "current_partial_full of domain allocations");
        }
    }

    /** The JSON document carries exactly the record values, under the snake_case names. */
    @Test
    void jsonCarriesTheRecordValues() {
        try (SlabAllocator a = SlabAllocator.builder().name("json-values").epochs(2).build()) {
            long[] h = allocMany(a, 200, 30);
            freeAll(a, h, 0, 10);
            a.setEpochLabel(0, "values");
            a.advanceEpoch();
            a.closeEpoch(0);
            AllocatorSnapshot s = a.snapshot();
            Map<String, Object> json = StatsJson.parseObject(s.toJson());
            assertEquals(AllocatorSnapshot.SCHEMA_VERSION, StatsJson.number(json, "schema_version"));
            assertEquals("json-values", StatsJson.string(json, "allocator"));
            assertEquals(s.pid(), StatsJson.number(json, "pid"));
            assertEquals(s.timestampNs(), StatsJson.number(json, "timestamp_ns"));
            assertEquals(4096, StatsJson.number(json, "slab_size"));
            assertEquals(OsMemory.pageSize(), s.pageSize());
            assertEquals(s.pageSize(), StatsJson.number(json, "page_size"));
            assertEquals(AllocatorSnapshot.STATS_VERSION, StatsJson.number(json, "version"));
            assertEquals(s.countersEnabled(), json.get("counters_enabled"));
            assertEquals(2, StatsJson.number(json, "epoch_count"));
            assertRecordInJson(s.global(), json);
            for (int c = 0; c < 8; c++) {
                assertRecordInJson(s.classStats(c), StatsJson.element(StatsJson.array(json, "classes"), c));
            }
            for (int e = 0; e < 2; e++) {
                assertRecordInJson(s.epochStats(e), StatsJson.element(StatsJson.array(json, "epochs"), e));
            }
            List<Object> pairs = StatsJson.array(json, "class_epochs");
            assertEquals(s.classEpochs().size(), pairs.size());
            for (int i = 0; i < pairs.size(); i++) {
                assertRecordInJson(s.classEpochs().get(i), StatsJson.element(pairs, i));
            }
            assertRecordInJson(s.lastEpochClose(), StatsJson.object(json, "last_epoch_close"));
            freeAll(a, h, 10, 30);
        }
    }

    private static void assertRecordInJson(Record r, Map<String, Object> json) {
        for (java.lang.reflect.RecordComponent c : r.getClass().getRecordComponents()) {
            String name = io.tslab.internal.SnapshotJson.snakeCase(c.getName());
            assertTrue(json.containsKey(name), "JSON lacks " + name);
            Object value = StatsAssertions.read(c, r);
            Object parsed = json.get(name);
            String what = r.getClass().getSimpleName() + "." + c.getName();
            switch (value) {
                case Double d -> assertEquals(d, ((Number) parsed).doubleValue(), 1e-6, what);
                case Integer i -> assertEquals(i.longValue(), parsed, what);
                case Long l -> assertEquals(l, parsed, what);
                case Enum<?> e -> assertEquals(e.name(), parsed, what);
                default -> assertEquals(value, parsed, what);
            }
        }
    }

    /** The global figures an invalid free must not move. */
    private static String stable(GlobalStats g) {
        return List.of(g.currentEpoch(), g.currentEra(), g.totalSlabsAllocated(), g.totalSlabsRecycled(), g.netSlabs(),
                g.committedBytes(), g.liveObjects(), g.liveBytes(), g.totalAllocations(), g.totalFrees(),
                g.totalSlowPathHits(), g.totalMadviseCalls(), g.totalAllocRefused()).toString();
    }

    private static long wallNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
