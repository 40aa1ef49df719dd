package io.tslab.cli;

import io.tslab.EpochState;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code tslab stats --doctor}: actionable findings from one snapshot. Each finding says whether it
 * rests on a fact (our own counters, {@code mincore}) or on a heuristic (process RSS).
 */
final class Doctor {
    private final PrintWriter out;
    private final double leakAgeSeconds;
    private int problems;

    Doctor(PrintWriter out, double leakAgeSeconds) {
        this.out = out;
        this.leakAgeSeconds = leakAgeSeconds;
    }

    /** Prints the findings; returns how many need action. */
    int examine(AllocatorSnapshot s) {
        out.printf("tslab doctor: allocator %s (pid %d)%n%n", s.allocator(), s.pid());
        epochLeaks(s);
        slowPath(s);
        reclamation(s);
        ringPressure(s);
        out.printf("%n%s%n", problems == 0 ? "No problem found." : problems + " finding(s) need action.");
        return problems;
    }

    private void section(String title) {
        out.println("== " + title);
    }

    private void epochLeaks(AllocatorSnapshot s) {
        section("Epoch leaks (refcount: open domain scopes)");
        List<EpochStats> suspects = new ArrayList<>();
        for (EpochStats e : s.epochs()) {
            boolean old = e.ageSec() >= leakAgeSeconds;
            if (e.refcount() > 0 && e.epochEra() > 0 && (e.state() == EpochState.CLOSING || old)) {
                suspects.add(e);
            }
        }
        suspects.sort(Comparator.comparingLong(EpochStats::estimatedRssBytes).reversed());
        if (suspects.isEmpty()) {
            out.println("  OK    no CLOSING or old epoch is held open by a scope. [fact]");
        }
        for (EpochStats e : suspects) {
            problems++;
            out.printf(Locale.ROOT, "  LEAK  epoch %d (era %d, label '%s', %s): refcount %d, open %s, holds %s in %d slabs (%s live objects) [fact]%n",
                    e.epochId(), e.epochEra(), e.label(), e.state(), e.refcount(), Units.seconds(e.ageSec()),
                    Units.bytes(e.estimatedRssBytes()), e.partialSlabCount() + e.fullSlabCount() + e.drainingSlabCount(),
                    Units.count(e.allocCount()));
            if (e.leakSites().isEmpty()) {
                out.println("        where: unknown; start the application with -Dtslab.leakDetection=true to record where scopes are entered");
            } else {
                for (String site : e.leakSites()) {
                    out.println("        entered at " + site);
                }
            }
            out.println("        -> application bug, not allocator issue: a domain scope was entered and never closed"
                    + " (use try-with-resources), or incEpochRefcount has no matching decEpochRefcount.");
        }
        out.println();
    }

    private void slowPath(AllocatorSnapshot s) {
        section("Slow-path root cause, per class");
        boolean any = false;
        for (ClassStats c : s.classes()) {
            if (c.slowPathHits() == 0) {
                continue;
            }
            any = true;
            double hits = c.slowPathHits();
            double closed = c.slowPathEpochClosed() / hits;
            double miss = c.slowPathCacheMiss() / hits;
            double nul = c.currentPartialNull() / hits;
            double full = c.currentPartialFull() / hits;
            double rate = c.bitmapAllocAttempts() == 0 ? 0 : hits / c.bitmapAllocAttempts();
            String advice;
            String level = "INFO";
            if (closed > 0.5) {
                advice = "allocations hit CLOSING epochs: fix the epoch rotation (allocate in the current epoch or a live domain)";
                level = "WARN";
            } else if (miss > 0.5 && c.emptySlabOverflowed() > 0) {
                advice = "new slabs are fetched while empty ones were released for being over the cache: raise cacheCapacity (now "
                        + c.cacheCapacity() + ")";
                level = "WARN";
            } else if (miss > 0.5) {
                advice = "most slow paths fetch a new slab: the live set is growing, or epochs advance often (normal when filling)";
            } else if (full > 0.5) {
                advice = "normal churn at slab boundaries";
            } else if (nul > 0.5) {
                advice = "first allocation of the class in each epoch: normal with frequent advances";
            } else {
                advice = "mixed causes";
            }
            if (level.equals("WARN")) {
                problems++;
            }
            out.printf(Locale.ROOT, "  %-5s class %d (%d B): %s slow paths = %s of allocations; epoch closed %s, cache miss %s, no current slab %s, current full %s%n",
                    level, c.classIndex(), c.objectSize(), Units.count(c.slowPathHits()), Units.percent(rate),
                    Units.percent(closed), Units.percent(miss), Units.percent(nul), Units.percent(full));
            out.println("        -> " + advice + " [fact]");
        }
        if (!any) {
            out.println("  OK    no slow path taken.");
        }
        out.println();
    }

    private void reclamation(AllocatorSnapshot s) {
        section("Reclamation effectiveness");
        GlobalStats g = s.global();
        long scanned = 0;
        long recycled = 0;
        for (ClassStats c : s.classes()) {
            scanned += c.epochCloseScannedSlabs();
            recycled += c.epochCloseRecycledSlabs();
        }
        if (g.totalEpochCloseCalls() == 0) {
            out.println("  INFO  no closeEpoch yet: slabs of CLOSING epochs are recycled as their last object is freed. [fact]");
        } else {
            out.printf(Locale.ROOT, "  INFO  %d closes scanned %d slabs and recycled %d (yield %s); the rest still hold objects and drain. [fact]%n",
                    g.totalEpochCloseCalls(), scanned, recycled, Units.percent(scanned == 0 ? 0 : (double) recycled / scanned));
        }
        out.printf(Locale.ROOT, "  INFO  %d slabs recycled in all, %s returned with madvise in %d calls. [fact]%n",
                g.totalSlabsRecycled(), Units.bytes(g.totalMadviseBytes()), g.totalMadviseCalls());
        if (g.totalMadviseFailures() > 0) {
            problems++;
            out.printf("  WARN  %d madvise calls failed: those pages stayed resident. Check the kernel log and memory limits. [fact]%n",
                    g.totalMadviseFailures());
        }
        LastEpochClose last = s.lastEpochClose();
        if (last.epochId() >= 0 && last.recycledSlabs() > 0) {
            out.printf("  INFO  kernel cooperation, last close (epoch %d era %d): its %d recycled slabs were %s resident before"
                            + " madvise and %s after. [fact, mincore]%n", last.epochId(), last.epochEra(), last.recycledSlabs(),
                    Units.bytes(last.residentBefore()), Units.bytes(last.residentAfter()));
            if (last.residentBefore() > 0 && last.residentAfter() > last.residentBefore() / 10) {
                problems++;
                out.println("  WARN  the kernel kept more than 10% of the released pages resident (MADV_FREE under no pressure,"
                        + " or madvise failed). [fact]");
            }
            out.printf("        process RSS %s -> %s around that close (%s). [heuristic: other threads allocate too]%n",
                    Units.bytes(last.rssBefore()), Units.bytes(last.rssAfter()),
                    signed(last.rssAfter() - last.rssBefore()));
        }
        if (g.residentBytes() > 0 && g.estimatedSlabRssBytes() > 0) {
            out.printf(Locale.ROOT, "  INFO  resident %s for %s of slabs in service (%s of objects live). [fact]%n",
                    Units.bytes(g.residentBytes()), Units.bytes(g.estimatedSlabRssBytes()), Units.bytes(g.liveBytes()));
        }
        out.println();
    }

    private void ringPressure(AllocatorSnapshot s) {
        section("Ring pressure");
        int holding = 0;
        long older = 0;
        for (EpochStats e : s.epochs()) {
            long slabs = e.partialSlabCount() + e.fullSlabCount() + e.drainingSlabCount() + e.olderErasSlabCount();
            if (slabs > 0) {
                holding++;
            }
            older += e.olderErasSlabCount();
        }
        out.printf("  INFO  %d of %d epoch slots hold memory. [fact]%n", holding, s.epochCount());
        if (holding >= s.epochCount() - 1) {
            problems++;
            out.println("  WARN  the ring is nearly full of epochs holding memory: objects live longer than the ring turns."
                    + " Raise epochs(...) or give long-lived objects their own allocator. [fact]");
        }
        if (older > 0) {
            problems++;
            out.printf("  WARN  %d slabs still hold objects from eras the ring has already passed: objects outlive a full turn"
                    + " of %d epochs. [fact]%n", older, s.epochCount());
        }
    }

    private static String signed(long bytes) {
        return (bytes >= 0 ? "+" : "-") + Units.bytes(Math.abs(bytes));
    }
}
