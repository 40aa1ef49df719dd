package io.tslab.bench.report;

import io.tslab.bench.harness.LatencyHarness;
import io.tslab.bench.harness.MemoryHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report generator on a small but real result set: tiny harness runs plus a JMH JSON file. */
class ReportWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesTablesRatiosAndAReadableChart() throws Exception {
        Path results = Files.createDirectories(dir.resolve("results"));
        List<LatencyHarness.Row> rows = LatencyHarness.run(new LatencyHarness.Settings(
                List.of(LatencyHarness.TIMER_FLOOR, "tslab", "malloc"), List.of(128), List.of(1), 2_000, 1_000, true),
                line -> { });
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("ops", 2_000);
        latency.put("warmup_ops", 1_000);
        latency.put("rows", rows.stream().map(LatencyHarness.Row::toJson).toList());
        Files.writeString(results.resolve("latency.json"), Json.write(latency));
        MemoryHarness.main(new String[] {"--in-process", "--phases", "churn,epoch", "--allocators", "tslab",
                "--live", "2000", "--cycles", "3", "--epoch-bytes", "1048576", "--out", results.resolve("memory.json").toString()});
        Files.writeString(results.resolve("jmh-pair-t1.json"),
                "[" + jmhEntry("tslab", 2.0e7, 0.0001) + "," + jmhEntry("malloc", 4.0e7, 0.0001) + "]");
        Files.writeString(results.resolve("lscpu.txt"), "Model name:   Test CPU\nCPU(s):   2\n");
        Files.writeString(results.resolve("run.properties"), "mode=reduced\ncommand=tslab-bench/run.sh\n");

        Path charts = dir.resolve("bench");
        String md = ReportWriter.write(results, charts, "bench", "bench/results");

        assertTrue(md.contains("## 1. Alloc+free pair throughput (JMH)"), md);
        assertTrue(md.contains("| malloc | 0.50× |"), "pair ratio tslab ÷ malloc expected 0.50×:\n" + md);
        assertTrue(md.contains("Test CPU, 2 CPUs"), md);
        assertTrue(md.contains("| timer-floor |"), md);
        assertTrue(md.contains("### Churn"), md);
        assertTrue(md.contains("### Epoch phase"), md);
        BufferedImage png = ImageIO.read(charts.resolve("latency.png").toFile());
        assertNotNull(png);
        assertEquals(1200, png.getWidth());
    }

    /** One entry of a JMH result file, shaped as JMH 1.37 writes it. */
    private static String jmhEntry(String allocator, double score, double gcNorm) {
        return """
                    {
                        "jmhVersion" : "1.37",
                        "benchmark" : "io.tslab.bench.jmh.PairBenchmark.allocFree",
                        "mode" : "thrpt",
                        "threads" : 1,
                        "forks" : 1,
                        "jvmArgs" : [ "--enable-native-access=ALL-UNNAMED" ],
                        "jdkVersion" : "25",
                        "vmVersion" : "25+test",
                        "warmupIterations" : 1,
                        "warmupTime" : "1 s",
                        "measurementIterations" : 3,
                        "measurementTime" : "1 s",
                        "params" : { "allocator" : "%s", "size" : "128" },
                        "primaryMetric" : {
                            "score" : %s,
                            "scoreError" : NaN,
                            "scoreConfidence" : [ NaN, NaN ],
                            "scorePercentiles" : { "0.0" : %s, "50.0" : %s, "100.0" : %s },
                            "scoreUnit" : "ops/s",
                            "rawData" : [ [ %s, %s, %s ] ]
                        },
                        "secondaryMetrics" : {
                            "\u00b7gc.alloc.rate.norm" : { "score" : %s, "scoreUnit" : "B/op" }
                        }
                    }
                """.formatted(allocator, score, score, score, score, score, score, score, gcNorm);
    }
}
