package io.tslab.bench.harness;

import io.tslab.bench.peer.Peer;
import io.tslab.bench.peer.PeerAllocator;
import io.tslab.bench.peer.Slots;
import io.tslab.bench.report.Json;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.HdrHistogram.Histogram;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/**
 * Latency of every single alloc+free pair: {@code System.nanoTime()} before and after each pair,
 * recorded in an HdrHistogram (3 significant digits), after a warm-up that runs the same code.
 * Before the contenders, an empty loop (two {@code nanoTime} calls and the recording) is measured
 * the same way: the timer floor, shown in the same table.
 *
 * <p>Each (contender, size, threads) runs in a fresh JVM unless {@code --in-process} is given (the
 * smoke test does that with tiny counts). This is a closed loop: it measures how long each
 * operation takes, not a response time under an arrival rate (no coordinated-omission correction
 * applies). With several threads, each thread times its own pairs on the shared allocator and the
 * histograms are merged. Worker threads are Netty {@code FastThreadLocalThread}s, on which Netty's
 * pooled allocator recycles its buffer objects (see {@code FastThreadLocalExecutor}).
 *
 * <pre>
 * java -cp tslab-benchmarks.jar io.tslab.bench.harness.LatencyHarness
 *      [--ops 10000000] [--warmup 2000000] [--sizes 128] [--threads 1]
 *      [--allocators all] [--out latency.json] [--in-process]
 * </pre>
 */
public final class LatencyHarness {
    /** The row id of the empty loop. */
    public static final String TIMER_FLOOR = "timer-floor";
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int CHUNK = 10_000;

    private LatencyHarness() {
    }

    /** What to run. */
    public record Settings(List<String> contenders, List<Integer> sizes, List<Integer> threads, long ops,
                           long warmupOps, boolean inProcess) {
        public Settings {
            contenders = List.copyOf(contenders);
            sizes = List.copyOf(sizes);
            threads = List.copyOf(threads);
            if (ops < 1 || warmupOps < 0) {
                throw new IllegalArgumentException("ops: " + ops + ", warmup: " + warmupOps + " (expected: ops >= 1, warmup >= 0)");
            }
        }

        /** The timer floor and every peer. */
        public static List<String> allContenders() {
            List<String> all = new ArrayList<>();
            all.add(TIMER_FLOOR);
            for (Peer p : Peer.values()) {
                all.add(p.id());
            }
            return all;
        }
    }

    /** One line of the table; latencies in nanoseconds. */
    public record Row(String allocator, int size, int threads, long ops, long p50, long p90, long p99, long p999,
                      long p9999, long max, double mean, long gcCount, long gcMillis) {

        static Row of(String allocator, int size, int threads, Histogram h, long gcCount, long gcMillis) {
            return new Row(allocator, size, threads, h.getTotalCount(), h.getValueAtPercentile(50),
                    h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                    h.getValueAtPercentile(99.99), h.getMaxValue(), h.getMean(), gcCount, gcMillis);
        }

        /** p50, p90, p99, p99.9, p99.99, max. */
        public long[] percentiles() {
            return new long[] {p50, p90, p99, p999, p9999, max};
        }

        /** The row as a JSON object (see {@link #fromJson}). */
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("allocator", allocator);
            m.put("size", size);
            m.put("threads", threads);
            m.put("ops", ops);
            m.put("p50", p50);
            m.put("p90", p90);
            m.put("p99", p99);
            m.put("p99.9", p999);
            m.put("p99.99", p9999);
            m.put("max", max);
            m.put("mean", mean);
            m.put("gc_count", gcCount);
            m.put("gc_millis", gcMillis);
            return m;
        }

        /** Reads a row written by {@link #toJson()}. */
        public static Row fromJson(Map<String, Object> m) {
            return new Row((String) m.get("allocator"), (int) Json.num(m.get("size")), (int) Json.num(m.get("threads")),
                    (long) Json.num(m.get("ops")), (long) Json.num(m.get("p50")), (long) Json.num(m.get("p90")),
                    (long) Json.num(m.get("p99")), (long) Json.num(m.get("p99.9")), (long) Json.num(m.get("p99.99")),
                    (long) Json.num(m.get("max")), Json.num(m.get("mean")), (long) Json.num(m.get("gc_count")),
                    (long) Json.num(m.get("gc_millis")));
        }
    }

    /** Percentile column names, in the order of {@link Row#percentiles()}. */
    public static final List<String> PERCENTILES = List.of("p50", "p90", "p99", "p99.9", "p99.99", "max");

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options.containsKey("child")) {
            runChild(options);
            return;
        }
        Settings settings = new Settings(
                options.containsKey("allocators") && !options.get("allocators").equals("all")
                        ? Arrays.asList(options.get("allocators").split(",")) : Settings.allContenders(),
                ints(options.getOrDefault("sizes", "128")),
                ints(options.getOrDefault("threads", "1")),
                Long.parseLong(options.getOrDefault("ops", "10000000")),
                Long.parseLong(options.getOrDefault("warmup", "2000000")),
                options.containsKey("in-process"));
        List<Row> rows = run(settings, line -> System.err.println("[latency] " + line));
        String table = table(rows);
        System.out.print(table);
        if (options.containsKey("out")) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("ops", settings.ops());
            doc.put("warmup_ops", settings.warmupOps());
            doc.put("jvm_options", ChildJvm.OPTIONS);
            doc.put("rows", rows.stream().map(Row::toJson).toList());
            Files.writeString(Path.of(options.get("out")), Json.write(doc));
        }
    }

    /** Runs every configuration; {@code log} gets one line per finished row. */
    public static List<Row> run(Settings settings, java.util.function.Consumer<String> log) {
        List<Row> rows = new ArrayList<>();
        for (int size : settings.sizes()) {
            for (int threads : settings.threads()) {
                for (String contender : settings.contenders()) {
                    Row row = settings.inProcess()
                            ? measure(contender, size, threads, settings.warmupOps(), settings.ops())
                            : measureInChild(contender, size, threads, settings.warmupOps(), settings.ops());
                    log.accept(String.format(Locale.ROOT, "%-18s %4d B %d thr: p50 %d ns, p99 %d ns, p99.99 %d ns, max %d ns",
                            contender, size, threads, row.p50(), row.p99(), row.p9999(), row.max()));
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    /** A markdown table of {@code rows} (all of one size and thread count, or labelled by them). */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| allocator | size | threads | ops | p50 | p90 | p99 | p99.9 | p99.99 | max | mean | GCs |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %,d | %s | %s | %s | %s | %s | %s | %.1f | %d |%n",
                    r.allocator(), r.size(), r.threads(), r.ops(), ns(r.p50()), ns(r.p90()), ns(r.p99()), ns(r.p999()),
                    ns(r.p9999()), ns(r.max()), r.mean(), r.gcCount()));
        }
        return sb.toString();
    }

    /** Nanoseconds, switching to µs/ms for large values. */
    public static String ns(long nanos) {
        if (nanos < 10_000) {
            return nanos + " ns";
        }
        if (nanos < 10_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    // ---- measurement --------------------------------------------------------------------------

    private static Row measureInChild(String contender, int size, int threads, long warmup, long ops) {
        String out = ChildJvm.run(LatencyHarness.class, List.of("--child", "--allocators", contender,
                "--sizes", Integer.toString(size), "--threads", Integer.toString(threads),
                "--warmup", Long.toString(warmup), "--ops", Long.toString(ops)));
        byte[] encoded = Base64.getDecoder().decode(ChildJvm.line(out, "HISTOGRAM "));
        Histogram h;
        try {
            h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(encoded), HIGHEST_NANOS);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalStateException("child histogram is corrupt", e);
        }
        String[] gc = ChildJvm.line(out, "GC ").split(" ");
        return Row.of(contender, size, threads, h, Long.parseLong(gc[0]), Long.parseLong(gc[1]));
    }

    private static void runChild(Map<String, String> options) {
        String contender = options.get("allocators");
        int size = Integer.parseInt(options.get("sizes"));
        int threads = Integer.parseInt(options.get("threads"));
        Row row = measure(contender, size, threads, Long.parseLong(options.get("warmup")),
                Long.parseLong(options.get("ops")), h -> {
                    ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
                    int length = h.encodeIntoCompressedByteBuffer(buffer);
                    System.out.println("HISTOGRAM " + Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length)));
                });
        System.out.println("GC " + row.gcCount() + " " + row.gcMillis());
    }

    /** Measures in this JVM. */
    public static Row measure(String contender, int size, int threads, long warmup, long ops) {
        return measure(contender, size, threads, warmup, ops, h -> { });
    }

    private static Row measure(String contender, int size, int threads, long warmup, long ops,
                               java.util.function.Consumer<Histogram> sink) {
        boolean floor = contender.equals(TIMER_FLOOR);
        try (PeerAllocator peer = floor ? null : Peer.byId(contender).open(size)) {
            Histogram[] histograms = new Histogram[threads];
            long[] gcBefore = new long[2];
            CyclicBarrier measureStart = new CyclicBarrier(threads, () -> {
                long[] now = gcTotals();
                gcBefore[0] = now[0];
                gcBefore[1] = now[1];
            });
            List<Thread> workers = new ArrayList<>();
            Throwable[] failure = new Throwable[1];
            for (int t = 0; t < threads; t++) {
                int index = t;
                histograms[t] = new Histogram(HIGHEST_NANOS, 3);
                Thread worker = new FastThreadLocalThread(() -> {
                    try (Slots slots = floor ? null : peer.slots(1)) {
                        Histogram h = histograms[index];
                        run(slots, h, warmup);
                        h.reset();
                        measureStart.await();
                        run(slots, h, ops);
                    } catch (Throwable e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                        measureStart.reset();
                    }
                }, "latency-" + contender + "-" + t);
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            long[] gcAfter = gcTotals();
            if (failure[0] != null) {
                throw new IllegalStateException(contender + " failed: " + failure[0], failure[0]);
            }
            Histogram merged = new Histogram(HIGHEST_NANOS, 3);
            for (Histogram h : histograms) {
                merged.add(h);
            }
            sink.accept(merged);
            return Row.of(contender, size, threads, merged, gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** In chunks, so that the timed loops get compiled as ordinary methods, not only on-stack-replaced. */
    private static void run(Slots slots, Histogram h, long ops) {
        for (long done = 0; done < ops; ) {
            int n = (int) Math.min(CHUNK, ops - done);
            if (slots == null) {
                timeEmpty(h, n);
            } else {
                timePairs(slots, h, n);
            }
            done += n;
        }
    }

    private static void timePairs(Slots slots, Histogram h, int n) {
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            slots.allocate(0);
            slots.free(0);
            long end = System.nanoTime();
            h.recordValue(Math.min(end - start, HIGHEST_NANOS));
        }
    }

    private static void timeEmpty(Histogram h, int n) {
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            long end = System.nanoTime();
            h.recordValue(Math.min(end - start, HIGHEST_NANOS));
        }
    }

    private static long[] gcTotals() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    // ---- options ------------------------------------------------------------------------------

    static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("argument: " + a + " (expected: --name [value])");
            }
            String name = a.substring(2);
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                options.put(name, args[++i]);
            } else {
                options.put(name, "true");
            }
        }
        return options;
    }

    static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }
}
