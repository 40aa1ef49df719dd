package io.tslab;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exact comparison of snapshot records with figures a test computed on its own: every numeric
 * component of a record is compared, those the test does not name are expected to be zero, and
 * only components listed as ignored (clocks, process RSS, lock probes) are skipped. So a counter
 * that moves when the script says it must not is caught as surely as one that does not move.
 */
final class StatsAssertions {
    private StatsAssertions() {
    }

    /** Class figures that depend on timing or lock probing, not on the script. */
    static final Set<String> CLASS_UNSCRIPTED = Set.of("classIndex", "objectSize", "slotsPerSlab", "cacheCapacity",
            "epochCloseTotalNs", "lockFastAcquire", "lockContended", "lockContentionRate");
    /** Global figures that depend on the process or on lock probing, not on the script. */
    static final Set<String> GLOBAL_UNSCRIPTED = Set.of("residentBytes", "rssBytesCurrent", "mappedBytes",
            "totalLockFastAcquire", "totalLockContended", "invalidFreesByReason");
    /** Epoch figures that depend on clocks or on the process. */
    static final Set<String> EPOCH_UNSCRIPTED = Set.of("epochId", "openSinceNs", "ageSec", "rssBeforeClose",
            "rssAfterClose", "residentBeforeClose", "residentAfterClose", "label", "leakSites");

    /**
     * Fails unless every component of {@code actual} not in {@code ignored} equals {@code expected}'s
     * value for it, or zero (0, 0.0, false) when {@code expected} does not name it. Integral values
     * compare as {@code long}, doubles exactly.
     */
    static void assertRecord(String what, Record actual, Map<String, ?> expected, Set<String> ignored) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (RecordComponent c : actual.getClass().getRecordComponents()) {
            names.add(c.getName());
            if (ignored.contains(c.getName()) && !expected.containsKey(c.getName())) {
                continue;
            }
            Object value = read(c, actual);
            Object want = expected.containsKey(c.getName()) ? expected.get(c.getName()) : zeroOf(c.getType());
            if (want == null) {
                problems.add(c.getName() + ": no expected value given for a " + c.getType().getSimpleName());
            } else if (!same(want, value)) {
                problems.add(c.getName() + " = " + value + " (expected: " + want + ")");
            }
        }
        for (String name : expected.keySet()) {
            if (!names.contains(name)) {
                problems.add(name + ": no such component in " + actual.getClass().getSimpleName());
            }
        }
        if (!problems.isEmpty()) {
            fail(what + ":\n  " + String.join("\n  ", problems) + "\n  record: " + actual);
        }
    }

    static void assertGlobal(AllocatorSnapshot s, Map<String, ?> expected) {
        assertRecord("global", s.global(), expected, GLOBAL_UNSCRIPTED);
    }

    static void assertClass(AllocatorSnapshot s, int sizeClass, Map<String, ?> expected) {
        assertRecord("class " + sizeClass, s.classStats(sizeClass), expected, CLASS_UNSCRIPTED);
    }

    /** Every class but those in {@code except} has only zero figures. */
    static void assertOtherClassesUntouched(AllocatorSnapshot s, int... except) {
        for (int c = 0; c < s.classes().size(); c++) {
            int sizeClass = c;
            if (java.util.Arrays.stream(except).noneMatch(x -> x == sizeClass)) {
                assertClass(s, c, Map.of());
            }
        }
    }

    static void assertEpoch(AllocatorSnapshot s, int epoch, Map<String, ?> expected) {
        assertRecord("epoch " + epoch, s.epochStats(epoch), expected, EPOCH_UNSCRIPTED);
    }

    /** The (class, epoch) entry, or null when the snapshot lists none (the pair holds no slab). */
    static ClassEpochStats classEpoch(AllocatorSnapshot s, int sizeClass, int epoch) {
        ClassEpochStats found = null;
        for (ClassEpochStats ce : s.classEpochs()) {
            if (ce.classIndex() == sizeClass && ce.epochId() == epoch) {
                assertNotEquals(found, ce, "(class, epoch) listed twice");
                found = ce;
            }
        }
        return found;
    }

    /** A mutable map from alternating name/value arguments. */
    static Map<String, Object> figures(Object... nameValues) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            map.put((String) nameValues[i], nameValues[i + 1]);
        }
        return map;
    }

    /** Writes a word into every object, so that its page is resident (mincore figures become facts). */
    static void touch(SlabAllocator a, long[] handles) {
        MemorySegment memory = a.memory();
        for (long h : handles) {
            memory.set(ValueLayout.JAVA_LONG, a.offset(h), h);
        }
    }

    static long[] allocMany(SlabAllocator a, int size, int count) {
        long[] handles = new long[count];
        for (int i = 0; i < count; i++) {
            handles[i] = a.alloc(size);
            assertNotEquals(0L, handles[i], "allocation " + i + " of " + size + " bytes refused");
        }
        return handles;
    }

    static void freeAll(SlabAllocator a, long[] handles, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!a.free(handles[i])) {
                fail("free of live handle " + i + " refused");
            }
        }
    }

    // ---- consistency rules that hold for any snapshot, even one taken under load ------------

    /**
     * The rules every snapshot obeys, even one taken while other threads allocate and free: no
     * negative figure, no class holding more objects than its slabs have slots, global figures the
     * sums of the class figures, bytes consistent with object sizes. Returns the broken rules.
     *
     * <p>A snapshot walks the bins one after another, each under its own lock, so it is no atomic
     * cut: a slab recycled out of a bin already walked and taken by a bin walked later is counted
     * twice. Rules that compare the walk with the whole reservation (net slabs within the committed
     * slabs) therefore hold only when nothing runs meanwhile: see {@link #brokenQuiescentRules}.
     */
    static List<String> brokenRules(AllocatorSnapshot s) {
        List<String> problems = new ArrayList<>();
        negatives("global", s.global(), problems);
        GlobalStats g = s.global();
        long live = 0;
        long liveBytes = 0;
        long net = 0;
        for (ClassStats c : s.classes()) {
            negatives("class " + c.classIndex(), c, problems);
            if (c.liveBytes() != c.liveObjects() * c.objectSize()) {
                problems.add("class " + c.classIndex() + ": live_bytes " + c.liveBytes() + " != live_objects "
                        + c.liveObjects() + " x " + c.objectSize());
            }
            if (c.liveObjects() > c.netSlabs() * c.slotsPerSlab()) {
                problems.add("class " + c.classIndex() + ": " + c.liveObjects() + " live objects in "
                        + c.netSlabs() + " slabs of " + c.slotsPerSlab() + " slots");
            }
            long listed = c.totalPartialSlabs() + c.totalFullSlabs() + c.totalDrainingSlabs();
            if (listed != c.netSlabs()) {
                problems.add("class " + c.classIndex() + ": partial+full+draining " + listed + " != net_slabs " + c.netSlabs());
            }
            live += c.liveObjects();
            liveBytes += c.liveBytes();
            net += c.netSlabs();
        }
        if (live != g.liveObjects() || liveBytes != g.liveBytes() || net != g.netSlabs()) {
            problems.add("global live " + g.liveObjects() + "/" + g.liveBytes() + " B/net " + g.netSlabs()
                    + " != sum of classes " + live + "/" + liveBytes + " B/" + net);
        }
        if (g.currentEpoch() < 0 || g.currentEpoch() >= s.epochCount()) {
            problems.add("current_epoch " + g.currentEpoch() + " outside 0.." + (s.epochCount() - 1));
        }
        if (g.activeEpochCount() + g.closingEpochCount() != s.epochCount()) {
            problems.add("active + closing epochs != " + s.epochCount());
        }
        if (g.committedBytes() > g.mappedBytes()) {
            problems.add("committed " + g.committedBytes() + " > mapped " + g.mappedBytes());
        }
        long epochLive = 0;
        for (EpochStats e : s.epochs()) {
            negatives("epoch " + e.epochId(), e, problems);
            epochLive += e.allocCount() + e.olderErasLiveObjects();
        }
        if (epochLive != g.liveObjects()) {
            problems.add("sum over epochs of live objects " + epochLive + " != global " + g.liveObjects());
        }
        long pairLive = 0;
        for (ClassEpochStats ce : s.classEpochs()) {
            negatives("class/epoch " + ce.classIndex() + "/" + ce.epochId(), ce, problems);
            long slabs = ce.partialSlabCount() + ce.fullSlabCount() + ce.drainingSlabCount();
            long slots = s.classStats(ce.classIndex()).slotsPerSlab();
            if (ce.liveObjects() > slabs * slots) {
                problems.add("class/epoch " + ce.classIndex() + "/" + ce.epochId() + ": " + ce.liveObjects()
                        + " live objects in " + slabs + " slabs");
            }
            pairLive += ce.liveObjects();
        }
        if (pairLive != g.liveObjects()) {
            problems.add("sum over (class, epoch) of live objects " + pairLive + " != global " + g.liveObjects());
        }
        return problems;
    }

    /**
     * {@link #brokenRules} plus the rules that hold only for a snapshot taken while no other thread
     * uses the allocator: the slabs in service fit in the part of the reservation ever touched.
     */
    static List<String> brokenQuiescentRules(AllocatorSnapshot s) {
        List<String> problems = brokenRules(s);
        GlobalStats g = s.global();
        if (g.netSlabs() * s.slabSize() > g.committedBytes()) {
            problems.add("net slabs " + g.netSlabs() + " exceed the committed bytes " + g.committedBytes());
        }
        if (g.netSlabs() + g.pooledSlabs() != g.committedBytes() / s.slabSize()) {
            problems.add("net slabs " + g.netSlabs() + " + pooled " + g.pooledSlabs() + " != slabs ever touched "
                    + g.committedBytes() / s.slabSize());
        }
        return problems;
    }

    private static void negatives(String what, Record r, List<String> problems) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v = read(c, r);
            if (v instanceof Number n && n.doubleValue() < 0) {
                if (c.getName().equals("epochId") && n.intValue() == -1) {
                    continue;
                }
                problems.add(what + ": " + c.getName() + " = " + v);
            }
            if (v instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (e.getValue() instanceof Number n && n.doubleValue() < 0) {
                        problems.add(what + ": " + c.getName() + "." + e.getKey() + " = " + n);
                    }
                }
            }
        }
    }

    /**
     * The monotonic counters of a snapshot, by name: every global {@code total*} figure and every
     * class counter. Between two snapshots of one allocator none of them may decrease.
     */
    static Map<String, Long> counters(AllocatorSnapshot s) {
        Map<String, Long> out = new HashMap<>();
        for (RecordComponent c : GlobalStats.class.getRecordComponents()) {
            if (c.getName().startsWith("total") && c.getType() == long.class) {
                out.put("global." + c.getName(), (Long) read(c, s.global()));
            }
        }
        for (Map.Entry<String, Long> e : s.global().invalidFreesByReason().entrySet()) {
            out.put("global.invalid." + e.getKey(), e.getValue());
        }
        Set<String> state = Set.of("classIndex", "objectSize", "slotsPerSlab", "cacheSize", "cacheCapacity",
                "cacheOverflowLen", "totalPartialSlabs", "totalFullSlabs", "totalDrainingSlabs", "liveObjects",
                "liveBytes", "netSlabs", "estimatedRssBytes");
        for (ClassStats cs : s.classes()) {
            for (RecordComponent c : ClassStats.class.getRecordComponents()) {
                if (c.getType() == long.class && !state.contains(c.getName())) {
                    out.put("class" + cs.classIndex() + "." + c.getName(), (Long) read(c, cs));
                }
            }
        }
        return out;
    }

    private static Object zeroOf(Class<?> type) {
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == double.class) {
            return 0.0;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == List.class) {
            return List.of();
        }
        return null;
    }

    private static boolean same(Object want, Object value) {
        if (want instanceof Double || value instanceof Double) {
            return want instanceof Number w && value instanceof Number v
                    && Double.compare(w.doubleValue(), v.doubleValue()) == 0;
        }
        if ((want instanceof Long || want instanceof Integer) && (value instanceof Long || value instanceof Integer)) {
            return ((Number) want).longValue() == ((Number) value).longValue();
        }
        return want.equals(value);
    }

    static Object read(RecordComponent c, Object record) {
        try {
            return c.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new AssertionError("cannot read " + c.getName(), e);
        }
    }
}
