package io.tslab.prometheus;

import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.EpochStats;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text writer and client_java's own writer over the collector give the same bytes. */
class ClientJavaParityTest {

    /** Snapshots that exercise escaping, repeated allocator names and the label cap. */
    static List<AllocatorSnapshot> awkwardSnapshots() {
        AllocatorSnapshot busy = Workloads.labelledWorkload("orders \"eu\" \\ west");
        List<EpochStats> epochs = new ArrayList<>();
        for (EpochStats e : busy.epochs()) {
            // a label with a newline cannot come from setEpochLabel, but can from a JSON document
            epochs.add(Workloads.with(e, Map.of("label", "line1\nline2 \"q\" \\ ünï " + e.epochId())));
        }
        AllocatorSnapshot relabelled = Workloads.with(busy, Map.of("epochs", epochs));
        AllocatorSnapshot idle;
        try (SlabAllocator a = Workloads.quietBuilder("orders \"eu\" \\ west").build()) {
            idle = a.snapshot();
        }
        return List.of(busy, relabelled, idle);
    }

    private static String clientJavaText(TslabCollector collector) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(collector);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void sameBytesAsPrometheusTextFormatWriter() throws IOException {
        List<AllocatorSnapshot> snapshots = awkwardSnapshots();
        TslabCollector collector = TslabCollector.builder().snapshots(() -> snapshots).labelLimit(3)
                .constantLabel("pid", "4242").constantLabel("host", "a\"b").build();
        PrometheusText text = PrometheusText.withLabelLimit(3);
        for (int scrape = 0; scrape < 3; scrape++) {
            StringBuilder ours = new StringBuilder();
            text.render(List.of(new PrometheusText.Target(Map.of("pid", "4242", "host", "a\"b"), snapshots)), ours);
            String theirs = clientJavaText(collector);
            assertEquals(theirs, ours.toString(), "scrape " + scrape);
        }
    }

    @Test
    void sameBytesWithoutExtraLabelsForALiveAllocator() throws IOException {
        try (SlabAllocator a = Workloads.quietBuilder("live").build()) {
            Workloads.runLabelledWorkload(a);
            a.advanceEpoch();
            AllocatorSnapshot snapshot = a.snapshot();
            TslabCollector collector = TslabCollector.builder().snapshots(() -> List.of(snapshot)).build();
            assertEquals(clientJavaText(collector), PrometheusText.toText(List.of(snapshot), Map.of()));
        }
    }

    @Test
    void theSnapshotsAreValidOpenMetricsToo() throws IOException {
        List<AllocatorSnapshot> snapshots = awkwardSnapshots();
        TslabCollector collector = TslabCollector.builder().snapshots(() -> snapshots).build();
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(collector);
        MetricSnapshots scraped = registry.scrape();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenMetricsTextFormatWriter.create().write(out, scraped);
        String om = out.toString(StandardCharsets.UTF_8);
        assertTrue(om.endsWith("# EOF\n"));
        assertTrue(om.contains("# UNIT temporal_slab_live_bytes bytes\n"), "units reach OpenMetrics");
        assertTrue(om.contains("# TYPE temporal_slab info\n"), "the info family is an OpenMetrics info");
    }

    @Test
    void aSecondCollectorInTheSameRegistryIsRefused() {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(TslabCollector.builder().build());
        assertThrows(IllegalArgumentException.class, () -> registry.register(TslabCollector.builder().build()));
    }
}
