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
}
