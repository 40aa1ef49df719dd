package io.tslab.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One entry of a JMH JSON result file ({@code -rf json}), reduced to what the report uses.
 *
 * @param benchmark   {@code Class.method} (package dropped), e.g. {@code PairBenchmark.allocFree}
 * @param median      median of all measurement iterations (all forks)
 * @param min         smallest iteration score
 * @param max         largest iteration score
 * @param error       JMH's 99.9% confidence half-width (NaN with too few iterations)
 * @param gcBytesPerOp bytes allocated on the Java heap per operation ({@code -prof gc}), NaN without it
 * @param secondary   median of each other secondary metric (group methods of a group benchmark)
 * @param samples     every measurement iteration's score (all forks)
 * @param secondarySamples every iteration's score of each secondary metric
 * @param source      the file it came from (several, comma-separated, after {@link #pool})
 */
public record JmhResult(String benchmark, String mode, int threads, int forks, Map<String, String> params,
                        double median, double min, double max, double error, String unit, double gcBytesPerOp,
                        Map<String, Double> secondary, String jdkVersion, String vmVersion, String warmup,
                        String measurement, List<String> jvmArgs, String source, List<Double> samples,
                        Map<String, List<Double>> secondarySamples) {

    /** Same benchmark, parameters and thread count. */
    public boolean sameConfiguration(JmhResult other) {
        return benchmark.equals(other.benchmark) && params.equals(other.params) && threads == other.threads;
    }

    /**
     * Results of one configuration from several runs (passes at different times) as one: the
     * median, min and max over all their iterations; heap bytes per operation averaged.
     */
    public static JmhResult pool(List<JmhResult> runs) {
        if (runs.size() == 1) {
            return runs.getFirst();
        }
        JmhResult first = runs.getFirst();
        List<Double> all = new ArrayList<>();
        Map<String, List<Double>> secondaryAll = new LinkedHashMap<>();
        double gc = 0;
        int forks = 0;
        for (JmhResult r : runs) {
            all.addAll(r.samples);
            r.secondarySamples.forEach((k, v) -> secondaryAll.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            gc += r.gcBytesPerOp / runs.size();
            forks += r.forks;
        }
        Map<String, Double> secondary = new LinkedHashMap<>();
        secondaryAll.forEach((k, v) -> secondary.put(k, median(v)));
        return new JmhResult(first.benchmark, first.mode, first.threads, forks, first.params, median(all),
                all.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
                all.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN), Double.NaN, first.unit, gc,
                secondary, first.jdkVersion, first.vmVersion, first.warmup, first.measurement, first.jvmArgs,
                String.join(",", runs.stream().map(JmhResult::source).toList()), all, secondaryAll);
    }

    /** Median of {@code values} (NaN when empty). */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Parameter {@code name}, or {@code ""}. */
    public String param(String name) {
        return params.getOrDefault(name, "");
    }

    /** Every iteration score in a metric's {@code rawData} (one array per fork). */
    private static List<Double> samples(Map<String, Object> metric) {
        List<Double> values = new ArrayList<>();
        if (metric.get("rawData") instanceof List<?> forks) {
            for (Object fork : forks) {
                if (fork instanceof List<?> iterations) {
                    iterations.forEach(v -> values.add(Json.num(v)));
                }
            }
        }
        return values;
    }

    /** Every result of every {@code jmh-*.json} file in {@code dir}, in file name order. */
    public static List<JmhResult> loadAll(Path dir) {
        List<JmhResult> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.getFileName().toString().matches("jmh-.*\\.json")).sorted().toList()) {
                all.addAll(load(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /** The results of one JMH JSON file. */
    public static List<JmhResult> load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (text.isBlank()) {
            return List.of();
        }
        List<JmhResult> results = new ArrayList<>();
        for (Object node : Json.arr(Json.parse(text))) {
            Map<String, Object> r = Json.obj(node);
            String full = (String) r.get("benchmark");
            String[] parts = full.split("\\.");
            String name = parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : full;
            Map<String, String> params = new LinkedHashMap<>();
            if (r.get("params") != null) {
                Json.obj(r.get("params")).forEach((k, v) -> params.put(k, String.valueOf(v)));
            }
            Map<String, Object> primary = Json.obj(r.get("primaryMetric"));
            Map<String, Object> percentiles = Json.obj(primary.get("scorePercentiles"));
            double gc = Double.NaN;
            Map<String, Double> secondary = new LinkedHashMap<>();
            Map<String, List<Double>> secondarySamples = new LinkedHashMap<>();
            if (r.get("secondaryMetrics") != null) {
                for (Map.Entry<String, Object> e : Json.obj(r.get("secondaryMetrics")).entrySet()) {
                    Map<String, Object> metric = Json.obj(e.getValue());
                    String key = e.getKey().replace("\u00b7", "");
                    if (key.equals("gc.alloc.rate.norm")) {
                        gc = Json.num(metric.get("score"));
                    } else {
                        Object p = metric.get("scorePercentiles");
                        secondary.put(key, p != null ? Json.num(Json.obj(p).get("50.0")) : Json.num(metric.get("score")));
                        secondarySamples.put(key, samples(metric));
                    }
                }
            }
            List<String> jvmArgs = new ArrayList<>();
            if (r.get("jvmArgs") != null) {
                Json.arr(r.get("jvmArgs")).forEach(a -> jvmArgs.add(String.valueOf(a)));
            }
            results.add(new JmhResult(name, (String) r.get("mode"), (int) Json.num(r.get("threads")),
                    (int) Json.num(r.get("forks")), params, Json.num(percentiles.get("50.0")),
                    Json.num(percentiles.get("0.0")), Json.num(percentiles.get("100.0")),
                    Json.num(primary.get("scoreError")), (String) primary.get("scoreUnit"), gc, secondary,
                    String.valueOf(r.get("jdkVersion")), String.valueOf(r.get("vmVersion")),
                    r.get("warmupIterations") instanceof Number n ? n.intValue() + " × " + r.get("warmupTime") : "",
                    r.get("measurementIterations") instanceof Number n ? n.intValue() + " × " + r.get("measurementTime") : "",
                    jvmArgs, file.getFileName().toString(), samples(primary), secondarySamples));
        }
        return results;
    }
}
