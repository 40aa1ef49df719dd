package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;

import java.io.PrintWriter;
import java.time.Duration;

/** The human summary of {@code tslab stats}: global, per class, per epoch. */
final class StatsReport {
    private final PrintWriter out;
    private final boolean raw;
    private final boolean all;

    StatsReport(PrintWriter out, boolean raw, boolean all) {
        this.out = out;
        this.raw = raw;
        this.all = all;
    }

    private String b(long bytes) {
        return Units.bytes(bytes, raw);
    }

    void print(Loaded loaded, AllocatorSnapshot s) {
        GlobalStats g = s.global();
        out.printf("allocator %s  (%s%s)%n", s.allocator(), loaded.source(), heartbeat(loaded.heartbeatAge()));
        out.printf("  epoch     current %d (era %d), %d active, %d closing of %d%n",
                g.currentEpoch(), g.currentEra(), g.activeEpochCount(), g.closingEpochCount(), s.epochCount());
        out.printf("  memory    live %s objects (%s) in %d slabs; resident %s (mincore), estimated %s; process RSS %s%n",
                count(g.liveObjects()), b(g.liveBytes()), g.netSlabs(), b(g.residentBytes()),
                b(g.estimatedSlabRssBytes()), b(g.rssBytesCurrent()));
        out.printf("            reserved %s, ever used %s, %d slabs pooled for reuse%n",
                b(g.mappedBytes()), b(g.committedBytes()), g.pooledSlabs());
        out.printf("  activity  %s allocations, %s frees; slow path %s (cache miss %s, epoch closed %s)%n",
                count(g.totalAllocations()), count(g.totalFrees()), count(g.totalSlowPathHits()),
                count(g.totalSlowCacheMiss()), count(g.totalSlowEpochClosed()));
        out.printf("            refused %d (epoch closed %d, reservation exhausted %d); invalid frees %d; refcount underflows %d%n",
                g.totalAllocRefused(), g.allocRefusedEpochClosed(), g.allocRefusedReservationExhausted(),
                g.totalInvalidFrees(), g.totalRefcountUnderflows());
        out.printf("  reclaim   %d slabs recycled of %d put in service; madvise %d calls, %s, %d failures; %d epoch closes%n",
                g.totalSlabsRecycled(), g.totalSlabsAllocated(), g.totalMadviseCalls(), b(g.totalMadviseBytes()),
                g.totalMadviseFailures(), g.totalEpochCloseCalls());
        if (!s.countersEnabled()) {
            out.println("  (CAS-retry counters are off in the target: -Dtslab.counters=false)");
        }
        out.println();
        printClasses(s);
        out.println();
        printEpochs(s);
    }

    private void printClasses(AllocatorSnapshot s) {
        out.printf("  %5s %5s %9s %10s %7s %7s %6s %6s %5s %9s %9s %9s %10s%n", "class", "size", "live", "live-size",
                "slabs", "partial", "full", "drain", "cache", "slow-path", "new-slabs", "recycled", "madvised");
        int shown = 0;
        for (ClassStats c : s.classes()) {
            if (!all && c.netSlabs() == 0 && c.newSlabCount() == 0) {
                continue;
            }
            shown++;
            out.printf("  %5d %5d %9s %10s %7d %7d %6d %6d %5s %9s %9d %9d %10s%n", c.classIndex(), c.objectSize(),
                    count(c.liveObjects()), b(c.liveBytes()), c.netSlabs(), c.totalPartialSlabs(), c.totalFullSlabs(),
                    c.totalDrainingSlabs(), c.cacheSize() + "/" + c.cacheCapacity(), count(c.slowPathHits()),
                    c.newSlabCount(), c.emptySlabRecycled(), b(c.madviseBytes()));
        }
        if (shown == 0) {
            out.println("  (no class has been used; --all shows every class)");
        }
    }

    private void printEpochs(AllocatorSnapshot s) {
        out.printf("  %5s %6s %-8s %8s %-24s %8s %9s %10s %7s %10s %11s %7s%n", "epoch", "era", "state", "age", "label",
                "refcount", "live", "live-size", "slabs", "est-rss", "reclaimable", "older");
        for (EpochStats e : s.epochs()) {
            long slabs = e.partialSlabCount() + e.fullSlabCount() + e.drainingSlabCount();
            if (!all && e.epochEra() == 0) {
                continue;
            }
            String marker = e.epochId() == s.global().currentEpoch() ? "*" : " ";
            out.printf("  %4d%s %6d %-8s %8s %-24s %8d %9s %10s %7d %10s %11d %7d%n", e.epochId(), marker, e.epochEra(),
                    e.state(), Units.seconds(e.ageSec()), truncate(e.label(), 24), e.refcount(), count(e.allocCount()),
                    b(e.liveBytes()), slabs, b(e.estimatedRssBytes()), e.reclaimableSlabCount(), e.olderErasSlabCount());
        }
        out.println("  (* current epoch; 'older' = slabs still held from earlier eras of the slot)");
    }

    private static String heartbeat(Duration age) {
        return age == null ? "" : String.format(java.util.Locale.ROOT, ", heartbeat %.1fs ago", age.toMillis() / 1000.0);
    }

    private String count(long n) {
        return raw ? Long.toString(n) : Units.count(n);
    }

    static String truncate(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
