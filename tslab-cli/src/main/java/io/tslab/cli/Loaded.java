package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;

import java.time.Duration;
import java.util.List;

/**
 * What a target gave: its snapshots, and where they came from.
 *
 * @param source        for messages: "pid 123", "file x.json", "http://..."
 * @param pid           the process, or -1 when unknown (a file may not say)
 * @param heartbeatAge  age of the stats file's heartbeat, or null when not read from a stats file
 * @param snapshots     one per allocator
 */
record Loaded(String source, long pid, Duration heartbeatAge, List<AllocatorSnapshot> snapshots) {
    Loaded {
        snapshots = List.copyOf(snapshots);
    }
}
