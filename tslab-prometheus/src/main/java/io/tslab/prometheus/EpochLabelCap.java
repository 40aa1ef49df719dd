package io.tslab.prometheus;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.EpochStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bounds the distinct values of the {@code label} label per allocator.
 *
 * <p>The first {@code limit} distinct non-empty epoch labels an allocator shows are admitted and
 * exported as they are, for as long as this cap lives; any other label is exported as
 * {@value #OTHER}. Admission is permanent on purpose: what Prometheus pays for is every series ever
 * created, so a bound on the set currently visible would not bound anything (an application that
 * labels each request epoch uniquely would still create a new series per era).
 *
 * <p>Each epoch era whose label was folded into {@value #OTHER} is counted once, however many
 * scrapes see it ({@code temporal_slab_label_overflow_total}). The state is kept per allocator key
 * (target labels and allocator name) and forgotten for keys missing from a scrape, so it stays
 * bounded by the allocators of the latest scrape; an allocator that comes back starts afresh.
 *
 * <p>Thread safety: {@link #resolve} runs under this object's monitor.
 */
final class EpochLabelCap {
    /** The label value that replaces labels over the cap. */
    static final String OTHER = "other";
    /** Default distinct labels per allocator. */
    static final int DEFAULT_LIMIT = 64;
    /** Largest accepted limit. */
    static final int MAX_LIMIT = 100_000;

    private final int limit;
    private final Map<String, State> states = new HashMap<>();

    EpochLabelCap(int limit) {
        this.limit = checkLimit(limit);
    }

    static int checkLimit(int limit) {
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("labelLimit: " + limit + " (expected: 0.." + MAX_LIMIT + ")");
        }
        return limit;
    }

    int limit() {
        return limit;
    }

    /** An allocator to resolve: a key unique within the scrape, its exported name and its snapshot. */
    record Entry(String key, String allocator, AllocatorSnapshot snapshot) {
    }

    /**
     * Resolves every entry's epoch labels, in order, and forgets the keys not among them. One call
     * per scrape, so concurrent scrapes each see a consistent cap.
     */
    synchronized List<AllocatorView> resolve(List<Entry> entries) {
        Set<String> seen = new HashSet<>();
        List<AllocatorView> views = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            seen.add(entry.key());
            State state = states.computeIfAbsent(entry.key(), k -> new State());
            List<EpochStats> epochs = entry.snapshot().epochs();
            int slots = 0;
            for (EpochStats e : epochs) {
                slots = Math.max(slots, e.epochId() + 1);
            }
            state.ensureSlots(slots);
            String[] labels = new String[slots];
            Arrays.fill(labels, "");
            for (EpochStats e : epochs) {
                if (e.epochId() >= 0) {
                    labels[e.epochId()] = state.admit(e.epochId(), e.epochEra(), e.label(), limit);
                }
            }
            views.add(new AllocatorView(entry.snapshot(), entry.allocator(), Arrays.asList(labels),
                    state.admitted.size(), state.overflowEras, limit));
        }
        states.keySet().retainAll(seen);
        return views;
    }

    /** What the cap remembers of one allocator. */
    private static final class State {
        final Set<String> admitted = new HashSet<>();
        long overflowEras;
        /** Per slot, the era last counted as an overflow; -1 when none. */
        long[] countedEra = new long[0];

        void ensureSlots(int slots) {
            if (countedEra.length < slots) {
                int old = countedEra.length;
                countedEra = Arrays.copyOf(countedEra, slots);
                Arrays.fill(countedEra, old, slots, -1L);
            }
        }

        String admit(int slot, long era, String label, int limit) {
            if (label == null || label.isEmpty()) {
                return "";
            }
            if (admitted.contains(label)) {
                return label;
            }
            if (admitted.size() < limit) {
                admitted.add(label);
                return label;
            }
            if (countedEra[slot] != era) {
                countedEra[slot] = era;
                overflowEras++;
            }
            return OTHER;
        }
    }
}
