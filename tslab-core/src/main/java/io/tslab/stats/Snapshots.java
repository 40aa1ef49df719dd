package io.tslab.stats;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the snapshot records. */
final class Snapshots {
    private Snapshots() {
    }

    /** An unmodifiable copy that keeps the iteration order (JSON output is stable). */
    static <K, V> Map<K, V> orderedCopy(Map<K, V> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    /** {@code numerator / denominator}, or 0 when the denominator is 0. */
    static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0.0 : (double) numerator / denominator;
    }
}
