package io.tslab.prometheus;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The exposition format pinned byte for byte by a golden file, and checked by {@code promtool}.
 * Rerun with {@code -Dtslab.updateGolden=true} to rewrite the golden file after an intended change,
 * and review the diff. The exposition is also written to {@value #CHECK_FILE} so that CI can run
 * {@code promtool check metrics < tslab-prometheus/target/golden-exposition.prom}.
 */
class GoldenExpositionTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/exposition.prom");
    static final String CHECK_FILE = "target/golden-exposition.prom";

    /**
     * Two allocators of one process, built from records (see {@link GoldenSnapshots}): the file pins
     * the format, not the allocator's behaviour.
     */
    static String goldenExposition() {
        return PrometheusText.toText(List.of(GoldenSnapshots.busy("golden"), GoldenSnapshots.idle("idle")),
                Map.of("pid", Long.toString(Workloads.PID)));
    }

    /** A real workload's exposition (time- and machine-dependent values left as they are). */
    static String workloadExposition() {
        AllocatorSnapshot busy = Workloads.labelledWorkload("golden");
        AllocatorSnapshot idle;
        try (SlabAllocator a = Workloads.quietBuilder("idle").build()) {
            idle = a.snapshot();
        }
        return PrometheusText.toText(List.of(busy, idle), Map.of("pid", Long.toString(ProcessHandle.current().pid())));
    }

    @Test
    void theExpositionIsPinnedByTheGoldenFile() throws IOException {
        String actual = goldenExposition();
        Path check = Path.of(CHECK_FILE);
        Files.createDirectories(check.getParent());
        Files.writeString(check, actual, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("tslab.updateGolden")) {
            Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
        }
        assertEquals(Files.readString(GOLDEN, StandardCharsets.UTF_8), actual,
                "exposition changed; if on purpose, rerun with -Dtslab.updateGolden=true and review the diff");
    }

    @Test
    void theGoldenFileAndARealWorkloadShowEveryFamily() {
        Set<String> expected = new TreeSet<>();
        for (MetricFamily f : Families.ALL) {
            expected.add(f.exposedName());
        }
        assertEquals(expected, new TreeSet<>(ParsedExposition.parse(goldenExposition()).type.keySet()));
        assertEquals(expected, new TreeSet<>(ParsedExposition.parse(workloadExposition()).type.keySet()));
        assertTrue(expected.size() >= 40, "at least 40 families: " + expected.size());
    }

    @Test
    void promtoolAcceptsTheExposition() throws IOException, InterruptedException {
        Path promtool = Promtool.find();
        assumeTrue(promtool != null, "promtool is not on the PATH (Debian package prometheus)");
        Path file = Files.createTempFile("tslab-exposition", ".prom");
        try {
            for (String exposition : List.of(goldenExposition(), workloadExposition())) {
                Files.writeString(file, exposition, StandardCharsets.UTF_8);
                Promtool.Result result = Promtool.run(promtool, file, List.of("check", "metrics"));
                assertEquals(0, result.exitCode(), "promtool check metrics:\n" + result.output());
                assertEquals("", result.output().strip(), "promtool check metrics printed problems");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
