package io.tslab.bench.harness;

import io.tslab.SlabAllocator;
import io.tslab.bench.peer.Peer;
import io.tslab.bench.peer.PeerAllocator;
import io.tslab.bench.peer.Slots;
import io.tslab.bench.report.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Observability overhead with a resolution finer than the machine's drift: the tslab pair of
 * {@code PairBenchmark} (one object live, written, freed) in two child JVMs, one started with
 * {@code -Dtslab.counters=true} and one with {@code =false} (the core reads the property once, at
 * class initialisation; each child checks {@code snapshot().countersEnabled()} and fails
 * otherwise). Both warm up, then take turns: short bursts, in the order on, off, off, on, ... so that
 * a linear drift of the shared machine cancels within each group of four, while the idle child waits
 * on a pipe. The result is the median of the per-pair ratios with a distribution-free 95% interval.
 *
 * <pre>
 *   java -cp tslab-benchmarks.jar io.tslab.bench.harness.CountersHarness
 *      [--size 128] [--pairs 40] [--burst-ms 250] [--warmup-ms 4000] [--out counters.json]
 * </pre>
 */
public final class CountersHarness {
    private CountersHarness() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = LatencyHarness.parse(args);
        int size = Integer.parseInt(options.getOrDefault("size", "128"));
        int pairs = Integer.parseInt(options.getOrDefault("pairs", "40"));
        int burstMs = Integer.parseInt(options.getOrDefault("burst-ms", "250"));
        int warmupMs = Integer.parseInt(options.getOrDefault("warmup-ms", "4000"));
        if (options.containsKey("child")) {
            child(size, Boolean.parseBoolean(options.get("child")), burstMs, warmupMs);
            return;
        }
        if (pairs < 4 || burstMs < 10 || warmupMs < 0) {
            throw new IllegalArgumentException("pairs: " + pairs + ", burst-ms: " + burstMs + ", warmup-ms: " + warmupMs
                    + " (expected: pairs >= 4, burst-ms >= 10, warmup-ms >= 0)");
        }
        Result result = run(size, pairs, burstMs, warmupMs);
        System.out.println(result.summary());
        if (options.containsKey("out")) {
            Files.writeString(Path.of(options.get("out")), Json.write(result.toJson()));
        }
    }

    /** The per-pair figures and what they say. */
    public record Result(int size, int burstMs, int warmupMs, double[] onOps, double[] offOps) {
        /** Per pair, counters-on ÷ counters-off − 1. */
        public double[] diffs() {
            double[] d = new double[onOps.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = onOps[i] / offOps[i] - 1;
            }
            return d;
        }

        public double medianDiff() {
            return median(diffs());
        }

        /**
         * Distribution-free 95% interval of the median difference: the order statistics at ranks
         * {@code n/2 ± 0.98·sqrt(n)} (normal approximation of the binomial), clamped to the sample.
         */
        public double[] interval() {
            double[] d = diffs().clone();
            Arrays.sort(d);
            int n = d.length;
            int half = (int) Math.ceil(0.98 * Math.sqrt(n));
            int lo = Math.max(0, n / 2 - half);
            int hi = Math.min(n - 1, (n - 1) / 2 + half);
            return new double[] {d[lo], d[hi]};
        }

        public String summary() {
            double[] ci = interval();
            return String.format(Locale.ROOT, "counters on vs off, %d B, %d pairs of %d ms bursts: off %.1f M pairs/s, "
                            + "on %.1f M pairs/s, on/off - 1 = %+.2f%% (95%% interval %+.2f%% .. %+.2f%%)",
                    size, onOps.length, burstMs, median(offOps) / 1e6, median(onOps) / 1e6, 100 * medianDiff(),
                    100 * ci[0], 100 * ci[1]);
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("size", size);
            m.put("burst_ms", burstMs);
            m.put("warmup_ms", warmupMs);
            m.put("order", "on,off,off,on per group of two pairs");
            m.put("on_ops_per_s", Arrays.stream(onOps).boxed().toList());
            m.put("off_ops_per_s", Arrays.stream(offOps).boxed().toList());
            m.put("median_diff", medianDiff());
            m.put("interval_95", Arrays.stream(interval()).boxed().toList());
            return m;
        }

        /** Reads what {@link #toJson()} wrote. */
        public static Result fromJson(Map<String, Object> m) {
            return new Result((int) Json.num(m.get("size")), (int) Json.num(m.get("burst_ms")),
                    (int) Json.num(m.get("warmup_ms")), doubles(m.get("on_ops_per_s")), doubles(m.get("off_ops_per_s")));
        }

        private static double[] doubles(Object array) {
            return Json.arr(array).stream().mapToDouble(Json::num).toArray();
        }
    }

    static Result run(int size, int pairs, int burstMs, int warmupMs) throws IOException, InterruptedException {
        Child on = new Child(size, true, burstMs, warmupMs);
        try (on) {
            Child off = new Child(size, false, burstMs, warmupMs);
            try (off) {
                on.awaitReady();
                off.awaitReady();
                double[] onOps = new double[pairs];
                double[] offOps = new double[pairs];
                for (int i = 0; i < pairs; i++) {
                    if (i % 2 == 0) {
                        onOps[i] = on.burst();
                        offOps[i] = off.burst();
                    } else {
                        offOps[i] = off.burst();
                        onOps[i] = on.burst();
                    }
                }
                return new Result(size, burstMs, warmupMs, onOps, offOps);
            }
        }
    }

    /** The driver's end of one child JVM. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final Writer in;
        private final boolean counters;

        Child(int size, boolean counters, int burstMs, int warmupMs) throws IOException {
            this.counters = counters;
            this.process = ChildJvm.start(CountersHarness.class, List.of("-Dtslab.counters=" + counters),
                    List.of("--child", Boolean.toString(counters), "--size", Integer.toString(size),
                            "--burst-ms", Integer.toString(burstMs), "--warmup-ms", Integer.toString(warmupMs)));
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        void awaitReady() throws IOException {
            expect("ready");
        }

        /** One burst; pairs per second. */
        double burst() throws IOException {
            in.write("burst\n");
            in.flush();
            return Double.parseDouble(expect("ops "));
        }

        private String expect(String prefix) throws IOException {
            String line = out.readLine();
            if (line == null || !line.startsWith(prefix)) {
                throw new IllegalStateException("counters=" + counters + " child: expected '" + prefix.trim()
                        + "', got " + (line == null ? "end of output (exit " + exitCode() + ")" : "'" + line + "'"));
            }
            return line.substring(prefix.length()).trim();
        }

        private String exitCode() {
            try {
                return Integer.toString(process.waitFor());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        }

        @Override
        public void close() {
            try {
                in.close(); // end of input: the child exits
            } catch (IOException ignored) {
                // already gone
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- child side --------------------------------------------------------------------------

    private static void child(int size, boolean expected, int burstMs, int warmupMs) throws IOException {
        PrintStream out = System.out;
        try (SlabAllocator probe = SlabAllocator.builder().name("counters-probe").reserveBytes(1L << 20).build()) {
            boolean actual = probe.snapshot().countersEnabled();
            if (actual != expected) {
                throw new IllegalStateException("tslab.counters=" + System.getProperty("tslab.counters")
                        + " but the core reports countersEnabled=" + actual);
            }
        }
        try (PeerAllocator peer = Peer.TSLAB.open(size); Slots slots = peer.slots(1)) {
            pairsFor(slots, warmupMs * 1_000_000L);
            out.println("ready");
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.equals("burst")) {
                    throw new IllegalStateException("unexpected command: " + line);
                }
                long start = System.nanoTime();
                long pairs = pairsFor(slots, burstMs * 1_000_000L);
                double seconds = (System.nanoTime() - start) / 1e9;
                out.println("ops " + pairs / seconds);
                out.flush();
            }
        }
    }

    /** Alloc+write+free pairs for about {@code nanos}; the clock is read every 4096 pairs. */
    private static long pairsFor(Slots slots, long nanos) {
        long end = System.nanoTime() + nanos;
        long pairs = 0;
        do {
            for (int i = 0; i < 4096; i++) {
                slots.allocate(0);
                slots.free(0);
            }
            pairs += 4096;
        } while (System.nanoTime() < end);
        return pairs;
    }

    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
