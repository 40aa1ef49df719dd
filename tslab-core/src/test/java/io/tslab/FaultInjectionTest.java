package io.tslab;

import io.tslab.internal.os.OsMemory;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.tslab.TestSupport.assertNoBrokenInvariants;
import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.stampHandle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code madvise} made to fail ({@link OsMemory#injectMadviseFailure}, which fails the next calls
 * with EAGAIN before they reach the kernel). Promised: each failure is counted ({@code
 * total_madvise_failures}, per class too) and its bytes are not counted as returned; the slab is
 * recycled all the same, its pages simply stay resident; the allocator keeps working (allocation,
 * free, epoch close, reuse of those very slabs); and the next {@code madvise} that is not made to
 * fail works. ({@link StatsCountersTest} pins the per-class counters of one failure.)
 */
class FaultInjectionTest {
    private static final long SLAB = SlabAllocator.SLAB_SIZE;

    @AfterEach
    void noInjectionLeftOver() {
        OsMemory.injectMadviseFailure(0);
    }

    /** Fills {@code slabs} slabs of class 0 (64 objects each), stamped; returns the handles by slab. */
    private static List<List<Long>> fill(SlabAllocator a, int slabs) {
        List<List<Long>> bySlab = new ArrayList<>();
        for (int s = 0; s < slabs; s++) {
            List<Long> objects = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long h = a.alloc(64);
                assertTrue(h != 0);
                stampHandle(a, h, h);
                objects.add(h);
            }
            bySlab.add(objects);
        }
        return bySlab;
    }

    @Test
    void aFailingMadviseIsCountedLeavesThePagesResidentAndTheAllocatorWorking() {
        assertEquals(4096, OsMemory.pageSize(), "this test counts 4 KiB pages, one per slab");
        try (SlabAllocator a = SlabAllocator.builder().name("fault-madvise").reserveBytes(16L << 20).cacheCapacity(0)
                .publishStatsFile(false).registerMXBean(false).build()) {
            List<List<Long>> slabs = fill(a, 64);
            assertEquals(64 * SLAB, a.engine().residentBytes());

            // Eight slabs empty one by one: eight madvise calls, the first five fail.
            OsMemory.injectMadviseFailure(5);
            for (int s = 0; s < 8; s++) {
                for (long h : slabs.get(s)) {
                    assertTrue(a.free(h));
                }
            }
            GlobalStats g = a.snapshot().global();
            assertEquals(8, g.totalMadviseCalls());
            assertEquals(5, g.totalMadviseFailures(), "every failure is counted");
            assertEquals(3 * SLAB, g.totalMadviseBytes(), "only the bytes of the calls that worked");
            assertEquals(5, a.snapshot().classStats(0).madviseFailures());
            assertEquals(8, g.pooledSlabs(), "the slabs were recycled all the same");
            assertEquals((64 - 3) * SLAB, a.engine().residentBytes(), "the pages of the failed calls stay resident");

            // The allocator keeps working: the eight pooled slabs are used again, nothing else is touched.
            List<List<Long>> again = fill(a, 8);
            assertEquals(0, a.snapshot().global().pooledSlabs());
            for (int s = 8; s < 64; s++) {
                for (long h : slabs.get(s)) {
                    assertStamp(a, h, h);
                }
            }
            for (List<Long> objects : again) {
                for (long h : objects) {
                    assertStamp(a, h, h);
                }
            }
            assertNoBrokenInvariants(a);

            // The injection is used up: the next madvise works, and an epoch close releases the rest.
            int first = a.currentEpoch();
            a.advanceEpoch();
            for (int s = 8; s < 64; s++) {
                for (long h : slabs.get(s)) {
                    assertTrue(a.free(h));
                }
            }
            for (List<Long> objects : again) {
                for (long h : objects) {
                    assertTrue(a.free(h));
                }
            }
            a.closeEpoch(first);
            g = a.snapshot().global();
            assertEquals(5, g.totalMadviseFailures(), "no new failure");
            assertEquals(0, g.netSlabs());
            assertEquals(0, a.engine().residentBytes(), "every page went back once madvise worked again");
            assertNoBrokenInvariants(a);
        }
    }

    @Test
    void anEpochCloseWhoseMadviseFailsStillRecyclesAndReportsWhatWasReleased() {
        try (SlabAllocator a = SlabAllocator.builder().name("fault-close").reserveBytes(16L << 20)
                .publishStatsFile(false).registerMXBean(false).build()) {
            int first = a.currentEpoch();
            List<List<Long>> slabs = fill(a, 16);
            a.advanceEpoch();
            for (List<Long> objects : slabs) { // the slabs stay listed until the close: 16 in one run
                for (long h : objects.subList(1, 64)) {
                    assertTrue(a.free(h));
                }
            }
            for (List<Long> objects : slabs) {
                assertTrue(a.free(objects.getFirst()));
            }
            // Emptied in a CLOSING epoch, each slab was recycled as it emptied; refill a closed epoch's worth.
            int second = a.currentEpoch();
            List<List<Long>> more = fill(a, 16);
            a.advanceEpoch();
            OsMemory.injectMadviseFailure(1);
            for (List<Long> objects : more) {
                for (long h : objects) {
                    assertTrue(a.free(h));
                }
            }
            a.closeEpoch(second);
            a.closeEpoch(first);
            LastEpochClose close = a.snapshot().lastEpochClose();
            GlobalStats g = a.snapshot().global();
            assertEquals(1, g.totalMadviseFailures());
            assertEquals(0, g.netSlabs(), "every slab was recycled, the one whose madvise failed too");
            assertEquals(SLAB, a.engine().residentBytes(), "the one slab whose madvise failed stays resident");
            assertTrue(close.recycledSlabs() >= 0);
            assertNoBrokenInvariants(a);
            List<List<Long>> reuse = fill(a, 32);
            assertEquals(32, reuse.size());
            assertNoBrokenInvariants(a);
        }
    }

    /**
     * Failures injected while two threads churn slabs (no empty-slab cache: every emptied slab is
     * recycled through {@code madvise}). Forbidden: a failure not counted or counted twice (the
     * first {@code N} calls after the injection fail: exactly {@code N} counted once there were at
     * least {@code N} calls), an exception reaching a caller, an object losing its stamp, a broken
     * invariant.
     */
    @Test
    void failuresInjectedUnderConcurrentChurnAreCountedExactlyAndChangeNothingElse() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("fault-churn").reserveBytes(64L << 20).cacheCapacity(0)
                .epochs(4).publishStatsFile(false).registerMXBean(false).build()) {
            int injected = 2_000;
            long callsBefore = a.snapshot().global().totalMadviseCalls();
            OsMemory.injectMadviseFailure(injected);
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().name("fault-churn-" + t).start(() -> {
                    try {
                        List<Long> mine = new ArrayList<>();
                        for (int round = 0; !stop.get(); round++) {
                            for (int i = 0; i < 200; i++) {
                                long h = a.alloc(64 << (i % 4));
                                assertTrue(h != 0);
                                stampHandle(a, h, h ^ id);
                                mine.add(h);
                            }
                            for (long h : mine) {
                                assertStamp(a, h, h ^ id);
                                assertTrue(a.free(h));
                            }
                            mine.clear();
                            if (id == 0 && round % 16 == 0) {
                                a.advanceEpoch();
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (a.snapshot().global().totalMadviseCalls() - callsBefore < injected + 500 && System.nanoTime() < deadline
                    && errors.isEmpty()) {
                Thread.sleep(10);
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(20_000);
                assertFalse(t.isAlive());
            }
            assertEquals(List.of(), errors);
            GlobalStats g = a.snapshot().global();
            assertTrue(g.totalMadviseCalls() - callsBefore >= injected, g.totalMadviseCalls() + " madvise calls");
            assertEquals(injected, g.totalMadviseFailures(), "failures counted out of " + injected + " injected");
            assertTrue(g.totalMadviseBytes() >= (g.totalMadviseCalls() - injected) * SLAB,
                    "bytes of the calls that worked");
            assertNoBrokenInvariants(a);
            System.out.printf("faults: %d madvise failures injected and counted in %d calls under churn%n", injected,
                    g.totalMadviseCalls() - callsBefore);
        }
    }
}
