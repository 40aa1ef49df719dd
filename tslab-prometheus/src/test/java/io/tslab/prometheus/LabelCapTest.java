package io.tslab.prometheus;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.EpochStats;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The cap on distinct epoch labels per allocator, its {@code other} bucket and its overflow counter. */
class LabelCapTest {
    private static final AllocatorSnapshot BASE;

    static {
        try (SlabAllocator a = Workloads.quietBuilder("capped").build()) {
            BASE = a.snapshot();
        }
    }

    /** The base snapshot with slot i in era {@code eras[i]} labelled {@code labels[i]}. */
    private static AllocatorSnapshot labelled(String allocator, long[] eras, String... labels) {
        List<EpochStats> epochs = new ArrayList<>();
        for (EpochStats e : BASE.epochs()) {
            epochs.add(Workloads.with(e, Map.of("epochEra", eras[e.epochId()], "label", labels[e.epochId()])));
        }
        return Workloads.with(BASE, Map.of("allocator", allocator, "epochs", epochs));
    }

    private static ParsedExposition scrape(PrometheusText text, AllocatorSnapshot... snapshots) throws IOException {
        StringBuilder out = new StringBuilder();
        text.render(List.of(new PrometheusText.Target(Map.of(), List.of(snapshots))), out);
        return ParsedExposition.parse(out.toString());
    }

    private static List<String> exportedLabels(ParsedExposition p, String allocator) {
        List<String> labels = new ArrayList<>();
        for (ParsedExposition.Series s : p.series("temporal_slab_epoch_era")) {
            if (s.labels().get("allocator").equals(allocator)) {
                labels.add(s.labels().get("label"));
            }
        }
        return labels;
    }

    private static double overflow(ParsedExposition p, String allocator) {
        return p.value("temporal_slab_label_overflow_total", Map.of("allocator", allocator));
    }

    @Test
    void labelsOverTheCapBecomeOtherAndEachEraIsCountedOnce() throws IOException {
        PrometheusText text = PrometheusText.withLabelLimit(2);
        ParsedExposition p = scrape(text, labelled("capped", new long[] {1, 2, 3, 0}, "a", "b", "c", ""));
        assertEquals(List.of("a", "b", "other", ""), exportedLabels(p, "capped"));
        assertEquals(1.0, overflow(p, "capped"));
        assertEquals(2.0, p.value("temporal_slab_label_values", Map.of("allocator", "capped")));
        assertEquals(2.0, p.value("temporal_slab_label_limit", Map.of("allocator", "capped")));

        p = scrape(text, labelled("capped", new long[] {1, 2, 3, 0}, "a", "b", "c", ""));
        assertEquals(1.0, overflow(p, "capped"), "the same era is not counted twice");

        p = scrape(text, labelled("capped", new long[] {5, 2, 7, 4}, "c", "b", "d", "c"));
        assertEquals(List.of("other", "b", "other", "other"), exportedLabels(p, "capped"));
        assertEquals(4.0, overflow(p, "capped"), "three new eras over the cap");

        p = scrape(text, labelled("capped", new long[] {5, 6, 7, 8}, "c", "a", "d", "b"));
        assertEquals(List.of("other", "a", "other", "b"), exportedLabels(p, "capped"),
                "admitted labels stay admitted after their epochs moved on");
        assertEquals(4.0, overflow(p, "capped"));
    }

    @Test
    void theCapIsPerAllocatorAndPerWriter() throws IOException {
        PrometheusText text = PrometheusText.withLabelLimit(1);
        ParsedExposition p = scrape(text,
                labelled("x", new long[] {1, 2, 0, 0}, "a", "b", "", ""),
                labelled("y", new long[] {1, 2, 0, 0}, "b", "a", "", ""));
        assertEquals(List.of("a", "other", "", ""), exportedLabels(p, "x"));
        assertEquals(List.of("b", "other", "", ""), exportedLabels(p, "y"));

        ParsedExposition fresh = scrape(PrometheusText.withLabelLimit(1), labelled("x", new long[] {1, 2, 0, 0}, "b", "a", "", ""));
        assertEquals(List.of("b", "other", "", ""), exportedLabels(fresh, "x"), "another writer, another cap");
    }

    @Test
    void anAllocatorMissingFromAScrapeIsForgotten() throws IOException {
        PrometheusText text = PrometheusText.withLabelLimit(1);
        scrape(text, labelled("x", new long[] {1, 2, 0, 0}, "a", "b", "", ""));
        scrape(text, labelled("y", new long[] {1, 0, 0, 0}, "z", "", "", ""));
        ParsedExposition p = scrape(text, labelled("x", new long[] {1, 2, 0, 0}, "b", "a", "", ""));
        assertEquals(List.of("b", "other", "", ""), exportedLabels(p, "x"));
        assertEquals(1.0, overflow(p, "x"));
    }

    @Test
    void aZeroCapExportsEveryLabelAsOtherButKeepsUnlabelledEpochs() throws IOException {
        ParsedExposition p = scrape(PrometheusText.withLabelLimit(0), labelled("x", new long[] {1, 2, 3, 0}, "a", "b", "", ""));
        assertEquals(List.of("other", "other", "", ""), exportedLabels(p, "x"));
        assertEquals(2.0, overflow(p, "x"));
    }

    @Test
    void theCollectorKeepsItsCapBetweenScrapes() {
        List<AllocatorSnapshot> next = new ArrayList<>(List.of(labelled("x", new long[] {1, 2, 3, 0}, "a", "b", "c", "")));
        TslabCollector collector = TslabCollector.builder().labelLimit(2).snapshots(() -> next).build();
        collector.collect();
        next.set(0, labelled("x", new long[] {5, 6, 7, 4}, "d", "e", "a", "f"));
        double overflow = collector.collect().stream()
                .filter(s -> s.getMetadata().getName().equals("temporal_slab_label_overflow"))
                .mapToDouble(s -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot) s).getDataPoints().getFirst().getValue())
                .sum();
        assertEquals(4.0, overflow, "c in era 3, then d, e and f");
    }

    @Test
    void theDefaultCapIs64() throws IOException {
        List<EpochStats> epochs = new ArrayList<>();
        AllocatorSnapshot wide;
        try (SlabAllocator a = SlabAllocator.builder().name("wide").reserveBytes(1L << 24).epochs(128)
                .publishStatsFile(false).registerMXBean(false).build()) {
            wide = a.snapshot();
        }
        for (EpochStats e : wide.epochs()) {
            epochs.add(Workloads.with(e, Map.of("epochEra", (long) e.epochId() + 1, "label", "l" + e.epochId())));
        }
        StringBuilder out = new StringBuilder();
        PrometheusText.write(List.of(Workloads.with(wide, Map.of("epochs", epochs))), Map.of(), out);
        ParsedExposition p = ParsedExposition.parse(out.toString());
        assertEquals(64.0, p.value("temporal_slab_label_values", Map.of()));
        assertEquals(64.0, p.value("temporal_slab_label_overflow_total", Map.of()));
        assertEquals(65, exportedLabels(p, "wide").stream().distinct().count(), "64 labels and other");
    }
}
