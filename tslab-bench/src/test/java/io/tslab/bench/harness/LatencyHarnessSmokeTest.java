package io.tslab.bench.harness;

import io.tslab.bench.peer.Peer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the latency harness with tiny counts, in this JVM, over every contender. */
class LatencyHarnessSmokeTest {
    @Test
    void everyAllocatorGetsARowWithOrderedPercentiles() {
        LatencyHarness.Settings settings = new LatencyHarness.Settings(LatencyHarness.Settings.allContenders(),
                List.of(128), List.of(1), 5_000, 2_000, true);
        List<LatencyHarness.Row> rows = LatencyHarness.run(settings, line -> { });
        String table = LatencyHarness.table(rows);

        assertEquals(Peer.values().length + 1, rows.size());
        assertTrue(table.contains("| " + LatencyHarness.TIMER_FLOOR + " |"), table);
        for (Peer peer : Peer.values()) {
            assertTrue(table.contains("| " + peer.id() + " | 128 | 1 |"), "no row for " + peer.id() + ":\n" + table);
        }
        for (LatencyHarness.Row row : rows) {
            assertEquals(5_000, row.ops(), row.allocator());
            long[] p = row.percentiles();
            assertTrue(p[0] > 0, row.allocator() + ": p50 " + p[0]);
            for (int i = 1; i < p.length; i++) {
                assertTrue(p[i - 1] <= p[i], row.allocator() + ": percentiles not ordered " + java.util.Arrays.toString(p));
            }
        }
    }

    @Test
    void twoThreadsShareOneAllocatorAndMergeHistograms() {
        LatencyHarness.Row row = LatencyHarness.measure(Peer.TSLAB.id(), 64, 2, 1_000, 3_000);
        assertEquals(6_000, row.ops());
        assertEquals(2, row.threads());
    }
}
