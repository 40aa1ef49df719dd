package io.tslab;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Snapshots taken while other threads allocate and free. Forbidden outcomes: a snapshot or its
 * JSON throwing, any negative figure, more live objects than the slabs in service have slots (per
 * class, per (class, epoch) and in total), global figures that are not the sums of the class
 * figures, live bytes not matching live objects, JSON that does not parse, a monotonic counter (or
 * the current era) lower than in the previous snapshot. Each run is bounded in time; nothing is
 * timed.
 *
 * <p>What is <em>not</em> a bound: the number of objects the workers hold. A snapshot walks the
 * bins one after another, each under its own lock only while it is read (allocation never waits
 * for a snapshot), so it is not an atomic cut of the allocator. An object freed from a bin the walk
 * has already read is still counted, and an object allocated meanwhile into a bin the walk has not
 * reached yet is counted too; a slab recycled out of a bin already read and taken by a bin read
 * later is met twice. So the snapshot's live objects may exceed what the workers held at any one
 * instant. For the same reason the slabs counted in service may exceed the slabs the reservation
 * ever handed out, so that bound is checked only once the workers stopped. The bounds checked under
 * load hold whatever runs meanwhile: each bin's slabs and their occupancy words are read together
 * under that bin's lock, so a bin never reports more objects than its listed slabs have slots, and
 * the class, epoch and global figures are sums of those bin figures.
 */
class SnapshotConcurrencyTest {
    /** Bound of each run; a run also ends after {@link #SNAPSHOTS} snapshots. */
    private static final long RUN_NANOS = 4_000_000_000L;
    private static final int SNAPSHOTS = 400;
    private static final int[] SIZES = {64, 96, 128, 192, 256, 384, 512, 768};
    /** Most objects one worker holds at once. */
    private static final int MAX_LIVE_PER_WORKER = 3_000;

    @Test
    void snapshotsUnderAllocationAndFreeAreConsistent() throws InterruptedException {
        try (SlabAllocator a = SlabAllocator.builder().name("snapshot-under-load").epochs(4).cacheCapacity(2)
                .reserveBytes(256L << 20).build()) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int id = w;
                Thread t = new Thread(() -> work(a, id, stop, failure), "snapshot-worker-" + w);
                workers.add(t);
                t.start();
            }
            int snapshots = 0;
            AllocatorSnapshot previous = null;
            long deadline = System.nanoTime() + RUN_NANOS;
            try {
                while (System.nanoTime() < deadline && snapshots < SNAPSHOTS && failure.get() == null) {
                    AllocatorSnapshot s = a.snapshot();
                    String json = s.toJson();
                    if (snapshots % 8 == 0) {
                        Map<String, Object> parsed = StatsJson.parseObject(json);
                        assertEquals(s.global().liveObjects(), StatsJson.number(parsed, "live_objects"));
                    }
                    List<String> broken = new ArrayList<>(StatsAssertions.brokenRules(s));
                    broken.addAll(slotBounds(s));
                    if (!broken.isEmpty()) {
                        fail("snapshot " + snapshots + " breaks: " + broken);
                    }
                    if (previous != null) {
                        assertNoCounterDecreased(previous, s, snapshots);
                    }
                    previous = s;
                    snapshots++;
                }
            } finally {
                stop.set(true);
                for (Thread t : workers) {
                    t.join(30_000);
                }
            }
            if (failure.get() != null) {
                throw new AssertionError("worker failed", failure.get());
            }
            for (Thread t : workers) {
                assertFalse(t.isAlive(), t.getName() + " did not stop");
            }
            assertTrue(snapshots >= 5, "only " + snapshots + " snapshots");

            // Quiescent again: the workers freed everything, and the exact identities hold.
            AllocatorSnapshot end = a.snapshot();
            assertEquals(List.of(), StatsAssertions.brokenQuiescentRules(end));
            assertEquals(0, end.global().liveObjects());
            assertEquals(end.global().totalAllocations(), end.global().totalFrees());
            assertEquals(end.global().totalSlabsAllocated() - end.global().totalSlabsRecycled(), end.global().netSlabs());
            assertEquals(a.engine().census().totalSlabs(), end.global().netSlabs());
            for (ClassStats c : end.classes()) {
                assertEquals(c.bitmapAllocAttempts(), c.bitmapFreeAttempts(), "class " + c.classIndex());
            }
            assertEquals(List.of(), a.engine().checkInvariants());
        }
    }

    /**
     * A slab being recycled, or just taken from the pool, is never counted as holding objects by
     * the snapshot. The worker holds at most one object at any time, so no slab ever holds more
     * than one of its objects; a walk may meet a slab once per bin it moves through while the walk
     * runs (two epochs here), so it can never find more than two live objects per slab, while a
     * slab miscounted as full shows 64 or 42. Every round recycles the slab (its epoch is CLOSING when the
     * object is freed) and takes one from the pool for the next round. Class 0 (64 slots: the
     * occupancy word of a full slab has every bit set, like a sealed one) and class 1 are exercised.
     */
    @Test
    void theSnapshotNeverCountsASlabInRecyclingAsLive() throws InterruptedException {
        assertEquals(List.of(), phantomsWhileRecycling(a -> {
            AllocatorSnapshot s = a.snapshot();
            long slabs = s.global().committedBytes() / s.slabSize();
            long live = s.global().liveObjects();
            return live > 2 * slabs ? "snapshot: " + live + " live objects in " + slabs + " slabs" : null;
        }));
    }

    /**
     * The same for the engine's census (the slab walk tests and the invariant checks rely on): it
     * decides "being recycled" by the same occupancy test the snapshot used to.
     */
    @Test
    void theCensusNeverCountsASlabInRecyclingAsLive() throws InterruptedException {
        assertEquals(List.of(), phantomsWhileRecycling(a -> {
            long live = a.engine().census().totalLiveObjects();
            long slabs = a.engine().slabsCreated();
            return live > 2 * slabs ? "census: " + live + " live objects in " + slabs + " slabs" : null;
        }));
    }

    /** Runs the one-object recycling worker against {@code probe} (null: nothing wrong seen). */
    private static List<String> phantomsWhileRecycling(java.util.function.Function<SlabAllocator, String> probe)
            throws InterruptedException {
        List<String> phantoms = new ArrayList<>();
        for (int size : new int[] {64, 96}) {
            try (SlabAllocator a = SlabAllocator.builder().name("snapshot-recycling").epochs(2).cacheCapacity(0)
                    .build()) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread worker = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            long h = a.alloc(size);
                            if (h == 0) {
                                throw new AssertionError("refused");
                            }
                            a.advanceEpoch();
                            if (!a.free(h)) {
                                throw new AssertionError("free refused");
                            }
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }, "recycling-worker");
                worker.start();
                long deadline = System.nanoTime() + RUN_NANOS / 4;
                try {
                    while (System.nanoTime() < deadline && failure.get() == null && phantoms.isEmpty()) {
                        String seen = probe.apply(a);
                        if (seen != null) {
                            phantoms.add(size + "-byte objects, the worker holding at most 1: " + seen);
                        }
                    }
                } finally {
                    stop.set(true);
                    worker.join(30_000);
                }
                if (failure.get() != null) {
                    throw new AssertionError("worker failed", failure.get());
                }
                assertFalse(worker.isAlive());
                assertEquals(0, a.snapshot().global().liveObjects());
            }
        }
        return phantoms;
    }

    private static void work(SlabAllocator a, int id, AtomicBoolean stop, AtomicReference<Throwable> failure) {
        SplittableRandom random = new SplittableRandom(id * 31L + 7);
        long[] live = new long[MAX_LIVE_PER_WORKER];
        int count = 0;
        long ops = 0;
        try {
            while (!stop.get()) {
                ops++;
                if (id == 0 && ops % 20_000 == 0) {
                    int previous = a.currentEpoch();
                    a.advanceEpoch();
                    if (random.nextBoolean()) {
                        a.closeEpoch(previous);
                    }
                }
                boolean allocate = count == 0 || (count < live.length && random.nextInt(100) < 52);
                if (allocate) {
                    long h = a.alloc(SIZES[random.nextInt(SIZES.length)]);
                    if (h != 0) { // 0: the epoch was closed under us; the next try goes to the new one
                        live[count++] = h;
                    }
                } else {
                    int pick = random.nextInt(count);
                    if (!a.free(live[pick])) {
                        throw new AssertionError("free of a live handle refused");
                    }
                    live[pick] = live[--count];
                }
                if (ops % 50_000 == 0) {
                    a.snapshot(); // workers take snapshots too
                }
                if (ops % 1_000 == 0) {
                    LockSupport.parkNanos(20_000); // leave the snapshot thread some CPU on a small machine
                }
            }
            while (count > 0) {
                if (!a.free(live[--count])) {
                    throw new AssertionError("free of a live handle refused");
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    /**
     * Live objects never exceed the slots of the slabs in service that hold them: per class, and
     * in total over the classes. (The per-class bound and the sums are also among {@link
     * StatsAssertions#brokenRules}; the total is checked here against the global figure.)
     */
    private static List<String> slotBounds(AllocatorSnapshot s) {
        List<String> problems = new ArrayList<>();
        long slots = 0;
        long live = 0;
        for (ClassStats c : s.classes()) {
            long classSlots = c.netSlabs() * c.slotsPerSlab();
            if (c.liveObjects() > classSlots) {
                problems.add("class " + c.classIndex() + ": " + c.liveObjects() + " live objects > " + classSlots
                        + " slots of " + c.netSlabs() + " slabs in service");
            }
            slots += classSlots;
            live += c.liveObjects();
        }
        if (s.global().liveObjects() > slots) {
            problems.add("global: " + s.global().liveObjects() + " live objects > " + slots
                    + " slots of the slabs in service");
        }
        if (s.global().liveObjects() != live) {
            problems.add("global live objects " + s.global().liveObjects() + " != sum of classes " + live);
        }
        return problems;
    }

    private static void assertNoCounterDecreased(AllocatorSnapshot before, AllocatorSnapshot after, int index) {
        Map<String, Long> b = StatsAssertions.counters(before);
        Map<String, Long> c = StatsAssertions.counters(after);
        for (Map.Entry<String, Long> e : b.entrySet()) {
            long now = c.get(e.getKey());
            if (now < e.getValue()) {
                fail("snapshot " + index + ": " + e.getKey() + " went from " + e.getValue() + " to " + now);
            }
        }
        if (after.global().currentEra() < before.global().currentEra()) {
            fail("snapshot " + index + ": current_era went back");
        }
    }
}
