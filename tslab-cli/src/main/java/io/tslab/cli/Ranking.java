package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/** What {@code tslab top} ranks: classes or epochs, by one metric, cumulative or as a rate. */
final class Ranking {
    /** A metric: its name for --by, whether it is a counter (so a rate makes sense), and how to read it. */
    record Metric<T>(String name, boolean counter, boolean bytes, ToLongFunction<T> value) {
    }

    static final Map<String, Metric<ClassStats>> CLASS_METRICS = new LinkedHashMap<>();
    static final Map<String, Metric<EpochStats>> EPOCH_METRICS = new LinkedHashMap<>();

    static {
        classMetric("slow_path_hits", true, false, ClassStats::slowPathHits);
        classMetric("new_slab_count", true, false, ClassStats::newSlabCount);
        classMetric("madvise_bytes", true, true, ClassStats::madviseBytes);
        classMetric("net_slabs", false, false, ClassStats::netSlabs);
        classMetric("live_objects", false, false, ClassStats::liveObjects);
        classMetric("live_bytes", false, true, ClassStats::liveBytes);
        classMetric("allocations", true, false, ClassStats::bitmapAllocAttempts);
        classMetric("frees", true, false, ClassStats::bitmapFreeAttempts);
        classMetric("empty_slab_recycled", true, false, ClassStats::emptySlabRecycled);
        classMetric("slow_path_cache_miss", true, false, ClassStats::slowPathCacheMiss);
        classMetric("lock_contended", true, false, ClassStats::lockContended);
        epochMetric("rss", false, true, EpochStats::estimatedRssBytes);
        epochMetric("age", false, false, e -> Math.round(e.ageSec() * 1000));
        epochMetric("refcount", false, false, EpochStats::refcount);
        epochMetric("reclaimable", false, true, EpochStats::reclaimableBytes);
        epochMetric("live", false, false, EpochStats::allocCount);
        epochMetric("live_bytes", false, true, EpochStats::liveBytes);
        epochMetric("older", false, false, EpochStats::olderErasSlabCount);
    }

    private static void classMetric(String name, boolean counter, boolean bytes, ToLongFunction<ClassStats> f) {
        CLASS_METRICS.put(name, new Metric<>(name, counter, bytes, f));
    }

    private static void epochMetric(String name, boolean counter, boolean bytes, ToLongFunction<EpochStats> f) {
        EPOCH_METRICS.put(name, new Metric<>(name, counter, bytes, f));
    }

    /** One ranked row: its key columns and its value (per second when a rate). */
    record Row(String[] columns, double value) {
    }

    static List<Row> classes(AllocatorSnapshot now, AllocatorSnapshot before, Metric<ClassStats> metric) {
        List<Row> rows = new ArrayList<>();
        double seconds = before == null ? 0 : Math.max(1e-9, (now.timestampNs() - before.timestampNs()) / 1e9);
        for (ClassStats c : now.classes()) {
            double value = metric.value().applyAsLong(c);
            if (before != null && metric.counter()) {
                value = Math.max(0, value - metric.value().applyAsLong(before.classes().get(c.classIndex()))) / seconds;
            }
            if (c.newSlabCount() == 0 && value == 0) {
                continue;
            }
            rows.add(new Row(new String[] {Integer.toString(c.classIndex()), Integer.toString(c.objectSize()),
                    Units.count(c.liveObjects()), Long.toString(c.netSlabs()), Units.count(c.slowPathHits()),
                    Units.bytes(c.madviseBytes())}, value));
        }
        rows.sort(Comparator.comparingDouble(Row::value).reversed());
        return rows;
    }

    static final String[] CLASS_HEADER = {"class", "size", "live", "slabs", "slow-path", "madvised"};
    static final String[] EPOCH_HEADER = {"epoch", "era", "state", "age", "label", "refcount", "live", "est-rss"};

    static List<Row> epochs(AllocatorSnapshot now, Metric<EpochStats> metric) {
        List<Row> rows = new ArrayList<>();
        for (EpochStats e : now.epochs()) {
            if (e.epochEra() == 0) {
                continue;
            }
            rows.add(new Row(new String[] {Integer.toString(e.epochId()), Long.toString(e.epochEra()),
                    e.state().name(), Units.seconds(e.ageSec()), StatsReport.truncate(e.label(), 20),
                    Long.toString(e.refcount()), Units.count(e.allocCount()), Units.bytes(e.estimatedRssBytes())},
                    metric.value().applyAsLong(e)));
        }
        rows.sort(Comparator.comparingDouble(Row::value).reversed());
        return rows;
    }

    static String format(double value, boolean bytes, boolean rate) {
        String v = bytes ? Units.bytes(Math.round(value)) : Units.count(value);
        return rate ? v + "/s" : v;
    }
}
