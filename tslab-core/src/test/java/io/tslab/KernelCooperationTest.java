package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.EpochStats;
import io.tslab.stats.LastEpochClose;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tslab.StatsAssertions.allocMany;
import static io.tslab.StatsAssertions.freeAll;
import static io.tslab.StatsAssertions.touch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel cooperation figures of a close (SPEC §3.3, Phase 2.4): {@code resident_before_close} and
 * {@code resident_after_close} are {@code mincore} facts about the slabs the close recycled,
 * compared here with the allocator's own {@code mincore} reading of its whole used range taken
 * around the close; {@code madvise_bytes_at_close} is the recycled slabs times 4 KiB; the process
 * RSS figures are present and plausible, never more.
 *
 * <p>A large cache capacity keeps the drained slabs in the ACTIVE epoch, so that the close, and
 * not the frees, is what recycles them.
 */
class KernelCooperationTest {
    private static final long SLAB = SlabAllocator.SLAB_SIZE;
    private static final int SLABS = 2048; // 8 MiB
    private static final int PER_SLAB = 8; // 512-byte objects
    /** RSS may grow a little during a close from other JVM activity; more than this is implausible. */
    private static final long RSS_SLACK = 4L << 20;

    private static SlabAllocator filled(String name, ReclaimPolicy policy, List<long[]> slabs) {
        SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(64L << 20).cacheCapacity(65_536)
                .reclaimPolicy(policy).build();
        long[] h = allocMany(a, 512, SLABS * PER_SLAB);
        touch(a, h);
        for (int s = 0; s < SLABS; s++) {
            long[] objects = java.util.Arrays.copyOfRange(h, s * PER_SLAB, (s + 1) * PER_SLAB);
            assertEquals(s, Handles.slab(objects[0]));
            slabs.add(objects);
        }
        assertEquals(SLABS * SLAB, a.engine().residentBytes(), "every touched slab is resident");
        return a;
    }

    @Test
    void closingADrainedEpochReturnsEveryPageAndSaysSo() {
        List<long[]> slabs = new ArrayList<>();
        try (SlabAllocator a = filled("kernel-drained", ReclaimPolicy.DONTNEED, slabs)) {
            for (long[] objects : slabs) {
                freeAll(a, objects, 0, objects.length);
            }
            long residentBefore = a.engine().residentBytes();
            assertEquals(SLABS * SLAB, residentBefore, "drained slabs stay hot in the ACTIVE epoch's cache");
            a.closeEpoch(0);
            long residentAfter = a.engine().residentBytes();
            AllocatorSnapshot s = a.snapshot();

            EpochStats e = s.epochStats(0);
            assertEquals(1, e.closeCount());
            assertEquals(residentBefore, e.residentBeforeClose(), "resident bytes of the recycled slabs, before");
            assertEquals(0, e.residentAfterClose(), "resident bytes of the recycled slabs, after");
            assertEquals(0, residentAfter);
            assertEquals(SLABS * SLAB, e.madviseBytesAtClose());
            assertPlausibleRss(e.rssBeforeClose(), e.rssAfterClose());

            LastEpochClose last = s.lastEpochClose();
            assertEquals(new LastEpochClose(last.timestampNs(), 0, 1, SLABS, SLABS, e.rssBeforeClose(),
                    e.rssAfterClose(), residentBefore, 0, SLABS * SLAB, last.durationNs()), last);
            assertTrue(last.durationNs() > 0);

            assertEquals(1, s.classStats(6).epochCloseCalls());
            assertEquals(SLABS, s.classStats(6).epochCloseScannedSlabs());
            assertEquals(SLABS, s.classStats(6).epochCloseRecycledSlabs());
            assertEquals(1, s.classStats(6).madviseCalls(), "one run of consecutive slabs, one madvise");
            assertEquals(SLABS * SLAB, s.global().totalMadviseBytes());
            assertEquals(0, s.global().netSlabs());
            assertEquals(SLABS, s.global().pooledSlabs());
        }
    }

    /** Only the empty slabs are recycled by the close; every other one drains and goes back on its last free. */
    @Test
    void aPartlyDrainedEpochReleasesItsEmptySlabsOnly() {
        List<long[]> slabs = new ArrayList<>();
        try (SlabAllocator a = filled("kernel-partial", ReclaimPolicy.DONTNEED, slabs)) {
            for (int s = 0; s < SLABS; s += 2) { // every other slab: 1024 runs of one slab
                freeAll(a, slabs.get(s), 0, PER_SLAB);
            }
            long residentBefore = a.engine().residentBytes();
            a.closeEpoch(0);
            long residentAfter = a.engine().residentBytes();
            AllocatorSnapshot s = a.snapshot();
            EpochStats e = s.epochStats(0);
            int recycled = SLABS / 2;
            assertEquals(residentBefore - residentAfter, e.residentBeforeClose() - e.residentAfterClose(),
                    "what left RAM is what the close released");
            assertEquals(recycled * SLAB, e.residentBeforeClose());
            assertEquals(0, e.residentAfterClose());
            assertEquals(recycled * SLAB, e.madviseBytesAtClose());
            assertEquals(recycled, s.lastEpochClose().recycledSlabs());
            assertEquals(SLABS, s.lastEpochClose().scannedSlabs());
            assertEquals(recycled, s.classStats(6).madviseCalls(), "one madvise per run of consecutive slabs");
            assertEquals(recycled, e.drainingSlabCount());
            assertPlausibleRss(e.rssBeforeClose(), e.rssAfterClose());

            // The rest drains: each slab is recycled by its last free, outside any close.
            for (int i = 1; i < SLABS; i += 2) {
                freeAll(a, slabs.get(i), 0, PER_SLAB);
            }
            assertEquals(0, a.engine().residentBytes());
            s = a.snapshot();
            assertEquals(SLABS, s.classStats(6).madviseCalls());
            assertEquals(SLABS * SLAB, s.global().totalMadviseBytes());
            assertEquals(recycled * SLAB, s.epochStats(0).madviseBytesAtClose(), "frees are not the close");
            assertEquals(recycled, s.classStats(6).epochCloseRecycledSlabs());
        }
    }

    /** With no reclaim policy the close recycles the slabs but keeps their pages, and says so. */
    @Test
    void withoutReclaimPolicyThePagesStayAndTheFiguresShowIt() {
        List<long[]> slabs = new ArrayList<>();
        try (SlabAllocator a = filled("kernel-none", ReclaimPolicy.NONE, slabs)) {
            for (long[] objects : slabs) {
                freeAll(a, objects, 0, objects.length);
            }
            long residentBefore = a.engine().residentBytes();
            a.closeEpoch(0);
            AllocatorSnapshot s = a.snapshot();
            EpochStats e = s.epochStats(0);
            assertEquals(residentBefore, e.residentBeforeClose());
            assertEquals(residentBefore, e.residentAfterClose(), "no madvise: still resident");
            assertEquals(residentBefore, a.engine().residentBytes());
            assertEquals(0, e.madviseBytesAtClose());
            assertEquals(0, s.global().totalMadviseCalls());
            assertEquals(SLABS, s.lastEpochClose().recycledSlabs());
            assertPlausibleRss(e.rssBeforeClose(), e.rssAfterClose());
        }
    }

    private static void assertPlausibleRss(long before, long after) {
        assertTrue(before > 0 && after > 0, "process RSS read: " + before + " -> " + after);
        assertTrue(after <= before + RSS_SLACK, "RSS grew by a close: " + before + " -> " + after);
    }
}
