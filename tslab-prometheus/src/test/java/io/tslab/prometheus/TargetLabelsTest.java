package io.tslab.prometheus;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Target labels (pid, ...) and several targets in one exposition. */
class TargetLabelsTest {
    private static AllocatorSnapshot idle(String name) {
        try (SlabAllocator a = Workloads.quietBuilder(name).build()) {
            return a.snapshot();
        }
    }

    @Test
    void invalidOrReservedLabelNamesAreRefusedWithTheRule() {
        AllocatorSnapshot s = idle("a");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> PrometheusText.toText(List.of(s), Map.of("9pid", "1")));
        assertEquals("label name: \"9pid\" (expected: [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.toText(List.of(s), Map.of("__pid", "1")));
        IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
                () -> PrometheusText.toText(List.of(s), Map.of("epoch", "1")));
        assertTrue(reserved.getMessage().startsWith("label name: \"epoch\" (expected: none of the exporter's own labels"),
                reserved.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TslabCollector.builder().constantLabel("allocator", "x").build());
        assertThrows(IllegalArgumentException.class, () -> TslabCollector.builder().labelLimit(-1));
    }

    @Test
    void severalTargetsGoIntoOneExposition() throws IOException {
        StringBuilder out = new StringBuilder();
        PrometheusText.write(List.of(
                new PrometheusText.Target(Map.of("pid", "200"), List.of(idle("default"), idle("sessions"))),
                new PrometheusText.Target(Map.of("pid", "100"), List.of(idle("default")))), out);
        ParsedExposition p = ParsedExposition.parse(out.toString());
        assertEquals(List.of("default/100", "default/200", "sessions/200"), p.series("temporal_slab_mapped_bytes").stream()
                .map(x -> x.labels().get("allocator") + "/" + x.labels().get("pid")).toList());
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.write(List.of(
                new PrometheusText.Target(Map.of("pid", "1"), List.of(idle("a"))),
                new PrometheusText.Target(Map.of("host", "h"), List.of(idle("b")))), new StringBuilder()));
    }

    @Test
    void noSnapshotsGiveAnEmptyExposition() throws IOException {
        StringBuilder out = new StringBuilder();
        PrometheusText.write(List.of(), Map.of("pid", "1"), out);
        assertEquals("", out.toString());
    }
}
