package io.tslab.micrometer;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.tslab.SlabAllocator;
import io.tslab.prometheus.TslabCollector;
import io.tslab.stats.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With Micrometer's Prometheus registry the meters come out as the families of tslab-prometheus:
 * same names, same types, same values for the same snapshot, and the same labels except the epoch
 * {@code label}, which Micrometer's fixed tags cannot follow.
 */
class PrometheusNamingTest {
    /** Families of tslab-prometheus that Micrometer does not have, on purpose. */
    static final Set<String> NOT_IN_MICROMETER = Set.of("temporal_slab", "temporal_slab_label_limit",
            "temporal_slab_label_values", "temporal_slab_label_overflow");
    static final String PAIR_PREFIX = "temporal_slab_epoch_class_";

    private static Map<String, MetricSnapshot> byName(MetricSnapshots snapshots) {
        Map<String, MetricSnapshot> out = new HashMap<>();
        for (MetricSnapshot s : snapshots) {
            out.put(s.getMetadata().getPrometheusName(), s);
        }
        return out;
    }

    private static Labels withoutEpochLabel(Labels labels) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (!labels.getName(i).equals("label")) {
                names.add(labels.getName(i));
                values.add(labels.getValue(i));
            }
        }
        return Labels.of(names, values);
    }

    private static double valueOf(DataPointSnapshot p) {
        if (p instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot c) {
            return c.getValue();
        }
        return ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) p).getValue();
    }

    @Test
    void micrometerNamesTypesLabelsAndValuesAreThoseOfTheCollector() {
        try (SlabAllocator a = TslabMetricsTest.quietBuilder("orders").leakDetection(true).build()) {
            TslabMetricsTest.workload(a);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            TslabMetrics metrics = new TslabMetrics(a, Tags.empty(), TslabMetricsTest.AN_HOUR);
            metrics.bindTo(registry);
            AllocatorSnapshot snapshot = metrics.currentSnapshot();
            TslabCollector collector = TslabCollector.builder().snapshots(() -> List.of(snapshot)).build();

            Map<String, MetricSnapshot> ours = byName(collector.collect());
            Map<String, MetricSnapshot> theirs = byName(registry.getPrometheusRegistry().scrape());

            Set<String> expected = new TreeSet<>(ours.keySet());
            expected.removeAll(NOT_IN_MICROMETER);
            expected.removeIf(n -> n.startsWith(PAIR_PREFIX));
            assertEquals(expected, new TreeSet<>(theirs.keySet()), "the same families");

            for (Map.Entry<String, MetricSnapshot> e : theirs.entrySet()) {
                MetricSnapshot m = e.getValue();
                MetricSnapshot o = ours.get(e.getKey());
                assertEquals(o.getClass(), m.getClass(), e.getKey());
                assertEquals(o.getDataPoints().size(), m.getDataPoints().size(), e.getKey());
                Map<Labels, Double> expectedValues = new HashMap<>();
                for (DataPointSnapshot p : o.getDataPoints()) {
                    expectedValues.put(withoutEpochLabel(p.getLabels()), valueOf(p));
                }
                for (DataPointSnapshot p : m.getDataPoints()) {
                    Double v = expectedValues.get(p.getLabels());
                    assertNotNull(v, e.getKey() + p.getLabels());
                    assertEquals(v, valueOf(p), e.getKey() + p.getLabels());
                }
            }

            String text = registry.scrape();
            assertTrue(text.contains("# TYPE temporal_slab_slow_path_hits_total counter\n"), "counter with _total");
            assertTrue(text.contains("# TYPE temporal_slab_live_bytes gauge\n"), "gauge with its base unit");
            assertTrue(text.contains("temporal_slab_class_slow_path_hits_total{allocator=\"orders\",class=\"2\",object_size=\"128\"} "), text);
            assertTrue(text.contains("temporal_slab_epoch_age_seconds{allocator=\"orders\",epoch=\"1\"} "), text);
        }
    }
}
