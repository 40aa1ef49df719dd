package io.tslab.prometheus;

import io.tslab.EpochState;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Snapshots built from records directly, so that the golden exposition changes only when the
 * exposition (or an exported record component) changes, not when the allocator's behaviour does.
 * Every component not given explicitly gets a value derived from its name and the record's place
 * (class, slot), so each series of the golden file has its own value: a family reading the wrong
 * component shows up in the diff. Adding a component to a record changes no existing value.
 */
final class GoldenSnapshots {
    private GoldenSnapshots() {
    }

    static final int[] SIZES = {64, 96, 128, 192, 256, 384, 512, 768};
    static final int[] SLOTS = {64, 42, 32, 21, 16, 10, 8, 5};
    static final long TIMESTAMP_NS = 1_700_000_000_000_000_000L;

    /** A 4-slot allocator in era 6, slot 1 current, slot 0 closed with a leaked scope. */
    static AllocatorSnapshot busy(String name) {
        return snapshot(name, 1, true);
    }

    /** A fresh allocator: era 1, slot 0 current, nothing allocated. */
    static AllocatorSnapshot idle(String name) {
        return snapshot(name, 0, false);
    }

    private static AllocatorSnapshot snapshot(String name, int salt, boolean busy) {
        String s = name + "/";
        Map<String, Long> invalid = new LinkedHashMap<>();
        for (String reason : List.of("null_handle", "foreign", "unknown_slab", "slab_not_in_service", "class_mismatch",
                "bad_slot", "stale_or_double")) {
            invalid.put(reason, busy ? value(s + reason, 20) : 0);
        }
        Map<String, Object> g = new HashMap<>();
        g.put("currentEpoch", busy ? 1 : 0);
        g.put("currentEra", busy ? 6L : 1L);
        g.put("activeEpochCount", 1);
        g.put("closingEpochCount", 3);
        g.put("invalidFreesByReason", invalid);
        g.put("mappedBytes", 64L << 20);
        List<ClassStats> classes = new ArrayList<>();
        for (int c = 0; c < SIZES.length; c++) {
            classes.add(synthetic(ClassStats.class, s + "class" + c, busy, Map.of(
                    "classIndex", c, "objectSize", SIZES[c], "slotsPerSlab", SLOTS[c], "cacheCapacity", 32,
                    "avgAllocCasRetriesPerAttempt", busy ? 0.001 * (c + 1) : 0.0, "avgFreeCasRetriesPerAttempt", 0.0,
                    "lockContentionRate", busy ? 0.01 * c : 0.0, "recycleRatePct", busy ? 12.5 * c : 0.0)));
        }
        List<EpochStats> epochs = new ArrayList<>();
        String[] labels = {Workloads.TRICKY_LABEL, "batch-7", "", ""};
        long[] eras = busy ? new long[] {5, 6, 3, 4} : new long[] {1, 0, 0, 0};
        for (int e = 0; e < 4; e++) {
            boolean current = e == (busy ? 1 : 0);
            Map<String, Object> o = new HashMap<>();
            o.put("epochId", e);
            o.put("epochEra", eras[e]);
            o.put("state", current ? EpochState.ACTIVE : EpochState.CLOSING);
            o.put("label", busy ? labels[e] : "");
            o.put("openSinceNs", eras[e] == 0 ? 0L : TIMESTAMP_NS - (10L - e) * 1_000_000_000L);
            o.put("ageSec", eras[e] == 0 ? 0.0 : 10.5 - e);
            o.put("leakSites", busy && e == 0 ? List.of("io.example.Worker.run(Worker.java:42) (1 open)") : List.of());
            o.put("refcount", busy && e == 0 ? 1L : 0L);
            epochs.add(synthetic(EpochStats.class, s + "epoch" + e, busy && eras[e] != 0, o));
        }
        List<ClassEpochStats> pairs = new ArrayList<>();
        if (busy) {
            pairs.add(synthetic(ClassEpochStats.class, s + "pair0/0", true, Map.of("classIndex", 0, "objectSize", 64,
                    "epochId", 0, "epochEra", 5L, "erasPresent", List.of(1L, 5L))));
            pairs.add(synthetic(ClassEpochStats.class, s + "pair4/1", true, Map.of("classIndex", 4, "objectSize", 256,
                    "epochId", 1, "epochEra", 6L, "erasPresent", List.of(6L))));
        }
        LastEpochClose last = busy
                ? synthetic(LastEpochClose.class, s + "last", true, Map.of("timestampNs", TIMESTAMP_NS - 2_000_000_000L,
                "epochId", 0, "epochEra", 5L, "durationNs", 1_250_000L, "residentAfter", 0L))
                : LastEpochClose.NONE;
        Map<String, Object> top = new HashMap<>();
        top.put("schemaVersion", AllocatorSnapshot.SCHEMA_VERSION);
        top.put("timestampNs", TIMESTAMP_NS + salt);
        top.put("pid", Workloads.PID);
        top.put("allocator", name);
        top.put("pageSize", 4096L);
        top.put("slabSize", 4096);
        top.put("epochCount", 4);
        top.put("version", AllocatorSnapshot.STATS_VERSION);
        top.put("countersEnabled", true);
        top.put("leakDetection", busy);
        top.put("global", synthetic(GlobalStats.class, s + "global", busy, g));
        top.put("classes", classes);
        top.put("epochs", epochs);
        top.put("classEpochs", pairs);
        top.put("lastEpochClose", last);
        return synthetic(AllocatorSnapshot.class, s, busy, top);
    }

    /** A value in 1..range from {@code key} (String.hashCode is specified, so this is stable). */
    private static long value(String key, int range) {
        return Math.floorMod(key.hashCode(), range) + 1;
    }

    /**
     * A record whose components are {@code overrides}, and otherwise values made from the component
     * name: whole 4 KiB pages for {@code *Bytes}, small counts for other numbers, all 0 when
     * {@code busy} is false.
     */
    private static <R extends Record> R synthetic(Class<R> type, String salt, boolean busy, Map<String, ?> overrides) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            String name = components[i].getName();
            Class<?> t = components[i].getType();
            types[i] = t;
            if (overrides.containsKey(name)) {
                values[i] = overrides.get(name);
                continue;
            }
            long v = busy ? value(salt + name, name.endsWith("Bytes") || name.startsWith("rss") || name.startsWith("resident")
                    ? 4000 : 900) : 0;
            if (name.endsWith("Bytes") || name.startsWith("rss") || name.startsWith("resident")) {
                v *= 4096;
            } else if (name.endsWith("Ns")) {
                v *= 1_000_000;
            }
            if (t == long.class) {
                values[i] = v;
            } else if (t == int.class) {
                values[i] = (int) v;
            } else if (t == double.class) {
                values[i] = v / 8.0;
            } else if (t == boolean.class) {
                values[i] = busy;
            } else if (t == String.class) {
                values[i] = name;
            } else if (t == List.class) {
                values[i] = List.of();
            } else if (t == Map.class) {
                values[i] = Map.of();
            } else {
                throw new IllegalArgumentException(type.getSimpleName() + "." + name + ": give a value for type " + t);
            }
        }
        try {
            return type.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getSimpleName(), e);
        }
    }
}
