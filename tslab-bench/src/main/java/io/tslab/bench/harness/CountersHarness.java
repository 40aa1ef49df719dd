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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Observability overhead: the tslab pair of {@code PairBenchmark} (one object live, written, freed)
 * in child JVMs started with {@code -Dtslab.counters=true} or {@code =false} (the core reads the
 * property once, at class initialisation; each child checks {@code snapshot().countersEnabled()} and
 * fails otherwise).
 *
 * <p>A <em>session</em> is two such JVMs side by side: both warm up, then they take turns in short
 * bursts (a, b, b, a, ...) while the other waits on a pipe, so that the drift of a shared machine
 * hits both alike; its figure is the median of the per-burst-pair ratios a ÷ b − 1, with a
 * distribution-free 95% interval. Sessions with counters on against off measure the cost; control
 * sessions (off against off) measure how much two identically configured JVMs differ anyway (JIT
 * decisions, memory placement), which bounds what any difference between JVMs can resolve. The kinds
 * alternate so that both see the same machine.
 *
 * <pre>
 *   java -cp tslab-benchmarks.jar io.tslab.bench.harness.CountersHarness
 *      [--size 128] [--sessions 3] [--controls 2] [--pairs 40] [--burst-ms 200] [--warmup-ms 4000]
 *      [--out counters.json]
 * </pre>
 */
public final class CountersHarness {
    private CountersHarness() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = LatencyHarness.parse(args);
        int size = Integer.parseInt(options.getOrDefault("size", "128"));
        int sessions = Integer.parseInt(options.getOrDefault("sessions", "3"));
        int controls = Integer.parseInt(options.getOrDefault("controls", "2"));
        int pairs = Integer.parseInt(options.getOrDefault("pairs", "40"));
        int burstMs = Integer.parseInt(options.getOrDefault("burst-ms", "200"));
        int warmupMs = Integer.parseInt(options.getOrDefault("warmup-ms", "4000"));
        if (options.containsKey("child")) {
            child(size, Boolean.parseBoolean(options.get("child")), burstMs, warmupMs);
            return;
        }
        if (sessions < 1 || controls < 0 || pairs < 4 || burstMs < 10 || warmupMs < 0) {
            throw new IllegalArgumentException("sessions: " + sessions + ", controls: " + controls + ", pairs: " + pairs
                    + ", burst-ms: " + burstMs + ", warmup-ms: " + warmupMs
                    + " (expected: sessions >= 1, controls >= 0, pairs >= 4, burst-ms >= 10, warmup-ms >= 0)");
        }
        List<Session> done = new ArrayList<>();
        for (int i = 0, ab = 0, aa = 0; ab < sessions || aa < controls; i++) {
            boolean control = (i % 2 == 1 && aa < controls) || ab == sessions;
            Session s = control ? session(size, false, false, pairs, burstMs, warmupMs)
                    : session(size, true, false, pairs, burstMs, warmupMs);
            if (control) {
                aa++;
            } else {
                ab++;
            }
            System.err.println("[counters] " + s.summary());
            done.add(s);
        }
        Result result = new Result(size, burstMs, warmupMs, done);
        System.out.println(result.summary());
        if (options.containsKey("out")) {
            Files.writeString(Path.of(options.get("out")), Json.write(result.toJson()));
        }
    }

    /** Two JVMs taking turns: pairs per second of each burst. */
    public record Session(boolean aCounters, boolean bCounters, double[] aOps, double[] bOps) {
        public boolean control() {
            return aCounters == bCounters;
        }

        public String kind() {
            return side(aCounters) + "/" + side(bCounters);
        }

        private static String side(boolean counters) {
            return counters ? "on" : "off";
        }

        /** Per pair of bursts, a ÷ b − 1. */
        public double[] diffs() {
            double[] d = new double[aOps.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = aOps[i] / bOps[i] - 1;
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
            return new double[] {d[Math.max(0, n / 2 - half)], d[Math.min(n - 1, (n - 1) / 2 + half)]};
        }

        public String summary() {
            double[] ci = interval();
            return String.format(Locale.ROOT, "%s: a %.1f M pairs/s, b %.1f M pairs/s, a/b - 1 = %+.2f%% (95%% interval "
                            + "%+.2f%% .. %+.2f%%, %d pairs of bursts)", kind(), median(aOps) / 1e6, median(bOps) / 1e6,
                    100 * medianDiff(), 100 * ci[0], 100 * ci[1], aOps.length);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind());
            m.put("a_counters", aCounters);
            m.put("b_counters", bCounters);
            m.put("a_ops_per_s", Arrays.stream(aOps).boxed().toList());
            m.put("b_ops_per_s", Arrays.stream(bOps).boxed().toList());
            m.put("median_diff", medianDiff());
            m.put("interval_95", Arrays.stream(interval()).boxed().toList());
            return m;
        }

        static Session fromJson(Map<String, Object> m) {
            return new Session((Boolean) m.get("a_counters"), (Boolean) m.get("b_counters"),
                    doubles(m.get("a_ops_per_s")), doubles(m.get("b_ops_per_s")));
        }

        private static double[] doubles(Object array) {
            return Json.arr(array).stream().mapToDouble(Json::num).toArray();
        }
    }

    /** Every session of a run. */
    public record Result(int size, int burstMs, int warmupMs, List<Session> sessions) {
        public List<Session> costSessions() {
            return sessions.stream().filter(s -> !s.control()).toList();
        }

        public List<Session> controls() {
            return sessions.stream().filter(Session::control).toList();
        }

        /** Counters-on ÷ counters-off − 1: the median over the cost sessions of their medians. */
        public double medianDiff() {
            return median(costSessions().stream().mapToDouble(Session::medianDiff).toArray());
        }

        /** The largest difference between two identically configured JVMs, as a fraction (0 without controls). */
        public double controlSpread() {
            return controls().stream().mapToDouble(s -> Math.abs(s.medianDiff())).max().orElse(0);
        }

        public String summary() {
            return String.format(Locale.ROOT, "counters on vs off, %d B: on/off - 1 = %+.2f%% (median of %d sessions); "
                            + "identically configured JVMs differed by up to %.2f%% (%d control sessions)", size,
                    100 * medianDiff(), costSessions().size(), 100 * controlSpread(), controls().size());
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("size", size);
            m.put("burst_ms", burstMs);
            m.put("warmup_ms", warmupMs);
            m.put("order", "a,b,b,a per group of two pairs of bursts");
            m.put("sessions", sessions.stream().map(Session::toJson).toList());
            m.put("median_diff", medianDiff());
            m.put("control_spread", controlSpread());
            return m;
        }

        /** Reads what {@link #toJson()} wrote. */
        public static Result fromJson(Map<String, Object> m) {
            return new Result((int) Json.num(m.get("size")), (int) Json.num(m.get("burst_ms")),
                    (int) Json.num(m.get("warmup_ms")),
                    Json.arr(m.get("sessions")).stream().map(x -> Session.fromJson(Json.obj(x))).toList());
        }
    }

    static Session session(int size, boolean aCounters, boolean bCounters, int pairs, int burstMs, int warmupMs)
            throws IOException {
        try (Child a = new Child(size, aCounters, burstMs, warmupMs); Child b = new Child(size, bCounters, burstMs, warmupMs)) {
            a.awaitReady();
            b.awaitReady();
            double[] aOps = new double[pairs];
            double[] bOps = new double[pairs];
            for (int i = 0; i < pairs; i++) {
                if (i % 2 == 0) {
                    aOps[i] = a.burst();
                    bOps[i] = b.burst();
                } else {
                    bOps[i] = b.burst();
                    aOps[i] = a.burst();
                }
            }
            return new Session(aCounters, bCounters, aOps, bOps);
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
