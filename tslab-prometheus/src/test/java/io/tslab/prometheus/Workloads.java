package io.tslab.prometheus;

import io.tslab.EpochDomain;
import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Scripted single-threaded workloads on real allocators, and record copies with some components replaced. */
final class Workloads {
    private Workloads() {
    }

    /** A label that needs escaping in the exposition (quote, backslash) and is not ASCII. */
    static final String TRICKY_LABEL = "req \"quoted\" \\ é";

    static SlabAllocator.Builder quietBuilder(String name) {
        return SlabAllocator.builder().name(name).reserveBytes(64L << 20).epochs(4)
                .publishStatsFile(false).registerMXBean(false);
    }

    /**
     * Labelled epochs, a leaked domain, refused allocations, invalid frees, a close that recycles and
     * one that leaves slabs draining: every family has samples.
     */
    static AllocatorSnapshot labelledWorkload(String name) {
        try (SlabAllocator a = quietBuilder(name).leakDetection(true).build()) {
            return runLabelledWorkload(a);
        }
    }

    static AllocatorSnapshot runLabelledWorkload(SlabAllocator a) {
        a.setEpochLabel(0, TRICKY_LABEL);
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long h = a.alloc(1 + (i * 37) % 768);
            touch(a, h);
            if (i % 3 == 0) {
                kept.add(h);
            } else {
                a.free(h);
            }
        }
        EpochDomain leaky = a.newDomain("worker-3");
        leaky.enter(); // never closed: a refcount leak
        a.free(0L);
        a.free(kept.getFirst() ^ 1L << 40);
        a.advanceEpoch();
        a.setEpochLabel(1, "batch-7");
        for (int i = 0; i < kept.size(); i += 2) {
            a.free(kept.get(i));
        }
        a.closeEpoch(0);
        a.alloc(64, 0); // refused: epoch 0 is CLOSING
        for (int i = 0; i < 40; i++) {
            touch(a, a.alloc(200));
        }
        a.decEpochRefcount(3); // an underflow
        return a.snapshot();
    }

    private static void touch(SlabAllocator a, long handle) {
        if (handle != 0L) {
            MemorySegment s = a.segment(handle);
            s.fill((byte) 0x5a);
        }
    }

    // ---- records ---------------------------------------------------------------------------------

    /** The pid the golden exposition shows. */
    static final long PID = 4242;

    /** A copy of {@code record} with the named components replaced. */
    @SuppressWarnings("unchecked")
    static <R extends Record> R with(R record, Map<String, ?> overrides) {
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        int used = 0;
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                if (overrides.containsKey(components[i].getName())) {
                    values[i] = overrides.get(components[i].getName());
                    used++;
                } else {
                    values[i] = components[i].getAccessor().invoke(record);
                }
            }
            if (used != overrides.size()) {
                throw new IllegalArgumentException("unknown component among " + overrides.keySet());
            }
            return (R) record.getClass().getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e instanceof InvocationTargetException ite ? ite.getCause() : e);
        }
    }
}
