package io.tslab.bench.report;

import io.tslab.bench.harness.CountersHarness;
import io.tslab.bench.harness.LatencyHarness;
import io.tslab.bench.harness.MemoryHarness;
import io.tslab.bench.peer.Peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Turns one run's result files into {@code docs/BENCHMARKS.md} and the latency chart(s). Every
 * number and every sentence with a number is computed from the files; nothing is typed in.
 *
 * <pre>
 * java -cp tslab-benchmarks.jar io.tslab.bench.report.ReportWriter
 *      --results DIR --out docs/BENCHMARKS.md --charts docs/bench [--results-link bench/results]
 * </pre>
 *
 * {@code DIR} holds {@code jmh-*.json} (JMH {@code -rf json}), {@code latency.json}, {@code
 * memory.json}, {@code lscpu.txt} and {@code run.properties} as {@code run.sh} writes them.
 */
public final class ReportWriter {
    private static final String OURS = Peer.TSLAB.id();
    private static final String PAIR = "PairBenchmark.allocFree";
    private static final String BATCH = "BatchBenchmark.allocAllFreeAll";
    private static final String CROSS = "CrossThreadBenchmark.handoff";
    private static final String FAST_PATH = "TslabFastPathBenchmark.";
    private static final String SNAPSHOT = "SnapshotBenchmark.snapshot";
    /** The configuration the headline and the main chart are about. */
    private static final int HEADLINE_SIZE = 128;

    private final Path charts;
    private final String chartLink;
    private final String resultsLink;
    private final List<JmhResult> jmh;
    private final List<LatencyHarness.Row> latency;
    private final long latencyWarmup;
    private final Map<String, Object> memory;
    /** The interleaved counters on/off measurement, if run. */
    private final Optional<CountersHarness.Result> counters;
    private final Properties run;
    private final String lscpu;
    private final List<Double> load;
    private final StringBuilder out = new StringBuilder();

    private ReportWriter(Path results, Path charts, String chartLink, String resultsLink) throws IOException {
        this.charts = charts;
        this.chartLink = chartLink;
        this.resultsLink = resultsLink;
        this.jmh = poolPasses(JmhResult.loadAll(results));
        Path latencyFile = results.resolve("latency.json");
        Map<String, Object> latencyDoc = Files.exists(latencyFile)
                ? Json.obj(Json.parse(Files.readString(latencyFile))) : Map.of("rows", List.of());
        this.latency = Json.arr(latencyDoc.get("rows")).stream().map(r -> LatencyHarness.Row.fromJson(Json.obj(r))).toList();
        this.latencyWarmup = (long) Json.num(latencyDoc.get("warmup_ops"));
        Path memoryFile = results.resolve("memory.json");
        this.memory = Files.exists(memoryFile) ? Json.obj(Json.parse(Files.readString(memoryFile))) : Map.of();
        Path countersFile = results.resolve("counters.json");
        this.counters = Files.exists(countersFile)
                ? Optional.of(CountersHarness.Result.fromJson(Json.obj(Json.parse(Files.readString(countersFile)))))
                : Optional.empty();
        this.run = new Properties();
        Path runFile = results.resolve("run.properties");
        if (Files.exists(runFile)) {
            try (var in = Files.newBufferedReader(runFile)) {
                run.load(in);
            }
        }
        Path loadFile = results.resolve("load.txt");
        this.load = Files.exists(loadFile) ? Files.readAllLines(loadFile).stream().map(String::trim)
                .filter(l -> l.matches("[0-9.]+")).map(Double::parseDouble).toList() : List.of();
        Path lscpuFile = results.resolve("lscpu.txt");
        this.lscpu = Files.exists(lscpuFile) ? Files.readString(lscpuFile) : "";
    }

    /**
     * A configuration run in several passes (run.sh runs the pair benchmark twice, minutes apart,
     * against drift of a shared machine) becomes one result over all iterations.
     */
    private static List<JmhResult> poolPasses(List<JmhResult> all) {
        List<JmhResult> pooled = new ArrayList<>();
        List<JmhResult> left = new ArrayList<>(all);
        while (!left.isEmpty()) {
            JmhResult r = left.getFirst();
            List<JmhResult> same = left.stream().filter(r::sameConfiguration).toList();
            pooled.add(JmhResult.pool(same));
            left.removeAll(same);
        }
        return pooled;
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("argument: " + args[i] + " (expected: --name value)");
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        if (!o.containsKey("results") || !o.containsKey("out")) {
            System.err.println("usage: ReportWriter --results DIR --out BENCHMARKS.md [--charts DIR] "
                    + "[--chart-link bench] [--results-link bench/results]");
            System.exit(2);
        }
        Path outFile = Path.of(o.get("out"));
        Path charts = Path.of(o.getOrDefault("charts", outFile.toAbsolutePath().getParent().resolve("bench").toString()));
        String report = write(Path.of(o.get("results")), charts, o.getOrDefault("chart-link", "bench"),
                o.getOrDefault("results-link", "bench/results"));
        Files.writeString(outFile, report);
        System.err.println("wrote " + outFile + " and charts in " + charts);
    }

    /** Builds the report (and writes the charts); returns the markdown. */
    public static String write(Path results, Path charts, String chartLink, String resultsLink) throws IOException {
        ReportWriter w = new ReportWriter(results, charts, chartLink, resultsLink);
        w.build();
        return w.out.toString();
    }

    private void build() throws IOException {
        String mode = run.getProperty("mode", "reduced");
        line("# Benchmarks");
        line("");
        line("_Generated by `tslab-bench/run.sh" + (mode.equals("full") ? " --full" : "") + "` from one run: every number "
                + "and every ratio on this page was measured in that run and computed from its result files "
                + "([" + resultsLink + "/](" + resultsLink + "/)) by `io.tslab.bench.report.ReportWriter`. "
                + "Do not edit by hand; run the command again to refresh it._");
        line("");
        machine();
        headline();
        pair();
        batch();
        cross();
        latencySection();
        memorySection();
        counters();
        fastPath();
        snapshot();
        targets();
        howToRun();
        methodNotes();
    }

    // ---- machine ----------------------------------------------------------------------------

    private void machine() {
        line("## Machine and run");
        line("");
        Markdown t = new Markdown("", "").leftAligned();
        String cpus = lscpuField("CPU(s)");
        String perCore = lscpuField("Thread(s) per core");
        String hypervisor = lscpuField("Hypervisor vendor");
        t.row("CPU", lscpuField("Model name") + ", " + cpus + " CPUs" + (perCore.isEmpty() ? "" : " (" + perCore
                + " thread(s) per core)") + (hypervisor.isEmpty() ? "" : ", virtualised (" + hypervisor + ")"));
        t.row("Memory", run.getProperty("memory", Markdown.NONE));
        t.row("OS", run.getProperty("os", Markdown.NONE));
        Optional<JmhResult> any = jmh.stream().findFirst();
        t.row("JDK", any.map(r -> r.jdkVersion() + " (" + r.vmVersion() + ")").orElse(run.getProperty("java", Markdown.NONE)));
        t.row("Date", run.getProperty("started", Markdown.NONE));
        t.row("Load during the run", loadSummary());
        t.row("Command", "`" + run.getProperty("command", "tslab-bench/run.sh") + "` (" + run.getProperty("mode", "reduced") + " suite)");
        t.row("Total runtime", run.getProperty("elapsed", Markdown.NONE) + " (build excluded; everything else included)");
        t.row("JMH", any.map(r -> "1.37; per configuration and pass: " + r.forks() + " fork(s), warm-up " + r.warmup()
                + ", measurement " + r.measurement() + "; `-prof gc`; " + passesNote()).orElse(Markdown.NONE));
        t.row("Latency harness", latency.isEmpty() ? Markdown.NONE : String.format(Locale.ROOT,
                "%,d timed pairs per row after %,d warm-up pairs, one fresh JVM per row", latency.getFirst().ops(),
                latencyWarmup));
        line(t.toString());
        line("The machine is shared and noisy: absolute numbers move from run to run by tens of percent. "
                + "Ratios of contenders measured side by side in the same run are the headline; medians of "
                + "iterations are quoted, with the min–max range where it matters.");
        line("");
    }

    /** Which benchmarks ran in more than one pass, from the pooled sources. */
    private String passesNote() {
        int pairPasses = jmh.stream().filter(r -> r.benchmark().equals(PAIR) && r.threads() == 1)
                .mapToInt(r -> r.source().split(",").length).max().orElse(1);
        String pairMeasurement = jmh.stream().filter(r -> r.benchmark().equals(PAIR) && r.threads() == 1)
                .map(JmhResult::measurement).findFirst().orElse("");
        return pairPasses > 1 ? "the 1-thread pair benchmark ran in " + pairPasses + " passes minutes apart (each "
                + pairMeasurement + "), its figures pool the iterations of all passes" : "one pass";
    }

    /** Mean and max of the 1-minute load average sampled every 10 s by run.sh ({@code load.txt}). */
    private String loadSummary() {
        if (load.isEmpty()) {
            return Markdown.NONE;
        }
        double mean = load.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double max = load.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        int cpus = lscpuField("CPU(s)").matches("[0-9]+") ? Integer.parseInt(lscpuField("CPU(s)"))
                : Runtime.getRuntime().availableProcessors();
        return String.format(Locale.ROOT, "1-minute load average %.1f on average, %.1f at most (%d samples, every 10 s; "
                + "%d CPUs; the benchmarks' own 1–2 busy threads count in it)%s", mean, max, load.size(), cpus,
                mean > cpus + 1 ? ": other processes competed with the benchmarks for the CPUs" : "");
    }

    private String lscpuField(String name) {
        for (String l : lscpu.split("\n")) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).trim().equals(name)) {
                return l.substring(colon + 1).trim();
            }
        }
        return "";
    }

    // ---- headline ---------------------------------------------------------------------------

    private void headline() {
        line("## Headline: tslab ÷ peer, same run (" + HEADLINE_SIZE + "-byte objects, 1 thread)");
        line("");
        line("Throughput columns: tslab's operations per second ÷ the peer's (above 1: tslab is faster). "
                + "Latency columns: tslab's latency ÷ the peer's at that percentile (below 1: tslab is faster).");
        line("");
        Markdown t = new Markdown("peer", "pair throughput", "batch throughput", "cross-thread throughput",
                "latency p50", "latency p99", "latency p99.9", "latency p99.99");
        Optional<LatencyHarness.Row> ourLatency = latencyRow(OURS, HEADLINE_SIZE, 1);
        for (Peer p : Peer.values()) {
            if (p == Peer.TSLAB) {
                continue;
            }
            Optional<LatencyHarness.Row> theirs = latencyRow(p.id(), HEADLINE_SIZE, 1);
            t.row(p.id(),
                    Markdown.ratio(throughputRatio(PAIR, p.id(), HEADLINE_SIZE, 1)),
                    Markdown.ratio(throughputRatio(BATCH, p.id(), HEADLINE_SIZE, 1)),
                    Markdown.ratio(crossRatio(p.id(), HEADLINE_SIZE)),
                    latencyRatio(ourLatency, theirs, LatencyHarness.Row::p50),
                    latencyRatio(ourLatency, theirs, LatencyHarness.Row::p99),
                    latencyRatio(ourLatency, theirs, LatencyHarness.Row::p999),
                    latencyRatio(ourLatency, theirs, LatencyHarness.Row::p9999));
        }
        line(t.toString());
        Optional<JmhResult> ours = find(PAIR, OURS, HEADLINE_SIZE, 1);
        if (ours.isPresent()) {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                    "tslab, %d-byte alloc+free pair, 1 thread: **%s M pairs/s** (median; %.1f ns per pair)",
                    HEADLINE_SIZE, Markdown.mops(ours.get().median()), 1e9 / ours.get().median()));
            for (Peer p : List.of(Peer.NETTY_POOLED, Peer.NETTY_ADAPTIVE, Peer.MALLOC, Peer.MALLOC_CRITICAL)) {
                find(PAIR, p.id(), HEADLINE_SIZE, 1).ifPresent(r -> s.append(String.format(Locale.ROOT,
                        "; %s %s M/s (%.1f ns, tslab ÷ it = %s)", p.id(), Markdown.mops(r.median()), 1e9 / r.median(),
                        Markdown.ratio(ours.get().median() / r.median()))));
            }
            line(s.append('.').toString());
            line("");
        }
    }

    private double throughputRatio(String benchmark, String peer, int size, int threads) {
        Optional<JmhResult> ours = find(benchmark, OURS, size, threads);
        Optional<JmhResult> theirs = find(benchmark, peer, size, threads);
        return ours.isPresent() && theirs.isPresent() ? ours.get().median() / theirs.get().median() : Double.NaN;
    }

    private double crossRatio(String peer, int size) {
        double ours = crossScore(OURS, size);
        double theirs = crossScore(peer, size);
        return ours / theirs;
    }

    private double crossScore(String peer, int size) {
        return find(CROSS, peer, size, -1).map(r -> r.secondary().getOrDefault("free", Double.NaN)).orElse(Double.NaN);
    }

    private static String latencyRatio(Optional<LatencyHarness.Row> ours, Optional<LatencyHarness.Row> theirs,
                                       java.util.function.ToLongFunction<LatencyHarness.Row> at) {
        if (ours.isEmpty() || theirs.isEmpty()) {
            return Markdown.NONE;
        }
        return Markdown.ratio((double) at.applyAsLong(ours.get()) / Math.max(1, at.applyAsLong(theirs.get())));
    }

    // ---- JMH sections -------------------------------------------------------------------------

    private void pair() {
        line("## 1. Alloc+free pair throughput (JMH)");
        line("");
        line("Allocate one object, write 8 bytes into it, free it; one object live per thread. With 2 threads, both "
                + "share one allocator instance. Millions of pairs per second, all threads together: median of the "
                + "measurement iterations [min–max].");
        line("");
        throughputTables(PAIR, "pairs");
    }

    private void batch() {
        line("## 2. Batch: allocate 100 000, free all, end the epoch (JMH)");
        line("");
        line("Per thread: allocate 100 000 objects (8 bytes written into each), free them all, then end the batch "
                + "(tslab: `advanceEpoch()` + `closeEpoch(previous)`, which returns the pages to the OS, so the next "
                + "batch faults them in again). Millions of objects per second (one object = one allocation and its "
                + "free), all threads.");
        line("");
        throughputTables(BATCH, "objects");
    }

    private void throughputTables(String benchmark, String what) {
        for (int threads : threads(benchmark)) {
            List<Integer> sizes = sizes(benchmark, threads);
            line("**" + threads + " thread" + (threads > 1 ? "s" : "") + "**, M " + what + "/s:");
            line("");
            List<String> header = new ArrayList<>(List.of("allocator"));
            sizes.forEach(s -> header.add(s + " B"));
            Markdown t = new Markdown(header.toArray(String[]::new));
            Markdown ratios = new Markdown(header.toArray(String[]::new));
            Markdown gc = new Markdown(header.toArray(String[]::new));
            for (Peer p : Peer.values()) {
                List<String> row = new ArrayList<>(List.of(p.id()));
                List<String> ratioRow = new ArrayList<>(List.of(p.id()));
                List<String> gcRow = new ArrayList<>(List.of(p.id()));
                boolean any = false;
                for (int size : sizes) {
                    Optional<JmhResult> r = find(benchmark, p.id(), size, threads);
                    any |= r.isPresent();
                    row.add(r.map(x -> Markdown.mops(x.median()) + " [" + Markdown.mops(x.min()) + "–"
                            + Markdown.mops(x.max()) + "]").orElse(Markdown.NONE));
                    ratioRow.add(Markdown.ratio(throughputRatio(benchmark, p.id(), size, threads)));
                    gcRow.add(r.map(x -> Markdown.bytesPerOp(x.gcBytesPerOp())).orElse(Markdown.NONE));
                }
                if (any) {
                    t.row(row);
                    if (p != Peer.TSLAB) {
                        ratios.row(ratioRow);
                    }
                    gc.row(gcRow);
                }
            }
            line(t.toString());
            if (!ratios.isEmpty()) {
                line("tslab ÷ peer (above 1: tslab faster):");
                line("");
                line(ratios.toString());
            }
            line("Java heap bytes allocated per operation (`-prof gc`, `gc.alloc.rate.norm`):");
            line("");
            line(gc.toString());
        }
    }

    private void cross() {
        line("## 3. Cross-thread free (JMH)");
        line("");
        line("One thread allocates (and writes 8 bytes), the other frees; objects pass through a single-producer "
                + "single-consumer ring of 1 024 slots. Millions of objects allocated on one thread and freed on the "
                + "other per second (the `free` side's rate). `arena-confined` cannot take part: only its owner "
                + "thread may close a confined arena.");
        line("");
        List<Integer> sizes = sizes(CROSS);
        if (sizes.isEmpty()) {
            line("_Not run._");
            line("");
            return;
        }
        List<String> header = new ArrayList<>(List.of("allocator"));
        sizes.forEach(s -> header.add(s + " B"));
        sizes.forEach(s -> header.add("tslab ÷ peer, " + s + " B"));
        header.add("heap B/op, " + sizes.getFirst() + " B");
        Markdown t = new Markdown(header.toArray(String[]::new));
        for (Peer p : Peer.values()) {
            List<String> row = new ArrayList<>(List.of(p.id()));
            boolean any = false;
            for (int size : sizes) {
                double v = crossScore(p.id(), size);
                any |= !Double.isNaN(v);
                row.add(Markdown.mops(v));
            }
            for (int size : sizes) {
                row.add(p == Peer.TSLAB ? Markdown.NONE : Markdown.ratio(crossRatio(p.id(), size)));
            }
            row.add(find(CROSS, p.id(), sizes.getFirst(), -1).map(r -> Markdown.bytesPerOp(r.gcBytesPerOp()))
                    .orElse(Markdown.NONE));
            if (any) {
                t.row(row);
            }
        }
        line(t.toString());
        line("Heap bytes are per operation of either thread (an allocation or a free).");
        line("");
    }

    // ---- latency ----------------------------------------------------------------------------

    private void latencySection() throws IOException {
        line("## 4. Latency of every alloc+free pair (harness)");
        line("");
        if (latency.isEmpty()) {
            line("_Not run._");
            line("");
            return;
        }
        line("`io.tslab.bench.harness.LatencyHarness`, a plain `main` (not JMH): each pair is timed with "
                + "`System.nanoTime()` before and after and recorded in an HdrHistogram (3 significant digits). The "
                + "`timer-floor` row times an empty body the same way: it is the resolution and cost of the clock "
                + "itself, included in every other row. Each row ran in a fresh JVM (same options for all: "
                + "`-Xms1g -Xmx1g -XX:+AlwaysPreTouch`, G1). GCs: collections during the timed part.");
        line("");
        TreeSet<Integer> sizes = new TreeSet<>();
        TreeSet<Integer> threadCounts = new TreeSet<>();
        latency.forEach(r -> {
            sizes.add(r.size());
            threadCounts.add(r.threads());
        });
        for (int threads : threadCounts) {
            for (int size : sizes) {
                List<LatencyHarness.Row> rows = latency.stream()
                        .filter(r -> r.size() == size && r.threads() == threads).toList();
                if (rows.isEmpty()) {
                    continue;
                }
                String name = size == HEADLINE_SIZE && threads == 1 ? "latency.png"
                        : "latency-" + size + "b-" + threads + "t.png";
                LatencyChart.write(rows, "alloc+free pair latency, " + size + "-byte objects, " + threads
                                + " thread" + (threads > 1 ? "s" : ""),
                        String.format(Locale.ROOT, "%,d timed pairs per allocator; %s; %s", rows.getFirst().ops(),
                                run.getProperty("started", ""), lscpuField("Model name")),
                        charts.resolve(name));
                line("### " + size + "-byte objects, " + threads + " thread" + (threads > 1 ? "s" : ""));
                line("");
                line("![latency percentiles, " + size + " B, " + threads + " thread(s)](" + chartLink + "/" + name + ")");
                line("");
                Markdown t = new Markdown("allocator", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean",
                        "GCs", "p50 − floor");
                long floor = rows.stream().filter(r -> r.allocator().equals(LatencyHarness.TIMER_FLOOR))
                        .mapToLong(LatencyHarness.Row::p50).findFirst().orElse(0);
                for (LatencyHarness.Row r : rows) {
                    t.row(r.allocator(), LatencyHarness.ns(r.p50()), LatencyHarness.ns(r.p90()),
                            LatencyHarness.ns(r.p99()), LatencyHarness.ns(r.p999()), LatencyHarness.ns(r.p9999()),
                            LatencyHarness.ns(r.max()), Markdown.num(r.mean(), 1) + " ns", Long.toString(r.gcCount()),
                            r.allocator().equals(LatencyHarness.TIMER_FLOOR) ? Markdown.NONE
                                    : (r.p50() - floor) + " ns");
                }
                line(t.toString());
                Optional<LatencyHarness.Row> ours = rows.stream().filter(r -> r.allocator().equals(OURS)).findFirst();
                if (ours.isPresent()) {
                    Markdown ratios = new Markdown("tslab ÷ peer", "p50", "p90", "p99", "p99.9", "p99.99", "max");
                    for (LatencyHarness.Row r : rows) {
                        if (r.allocator().equals(OURS) || r.allocator().equals(LatencyHarness.TIMER_FLOOR)) {
                            continue;
                        }
                        List<String> cells = new ArrayList<>(List.of(r.allocator()));
                        long[] a = ours.get().percentiles();
                        long[] b = r.percentiles();
                        for (int i = 0; i < a.length; i++) {
                            cells.add(Markdown.ratio((double) a[i] / Math.max(1, b[i])));
                        }
                        ratios.row(cells);
                    }
                    line("tslab ÷ peer at each percentile (below 1: tslab is faster):");
                    line("");
                    line(ratios.toString());
                }
            }
        }
    }

    // ---- memory -----------------------------------------------------------------------------

    private void memorySection() {
        line("## 5. Memory, measured from the OS");
        line("");
        if (memory.isEmpty()) {
            line("_Not run._");
            line("");
            return;
        }
        line("`io.tslab.bench.harness.MemoryHarness`, one fresh JVM per row with a fixed pre-touched heap "
                + "(`-Xms1g -Xmx1g -XX:+AlwaysPreTouch`), so the Java heap does not move the process RSS. "
                + "RSS is the process's `VmRSS` (`/proc/self/status`): a fact about the process, but other threads "
                + "(JIT, GC) move it too, so small deltas are noise. For tslab, **resident (mincore)** is "
                + "`snapshot().global().residentBytes()`, the exact resident bytes of its own reservation. "
                + "**Accounted** is the allocator's own bookkeeping (tslab: bytes ever handed out as slabs; Netty: "
                + "`usedDirectMemory()`), not an OS figure.");
        line("");
        List<Object> churn = Json.arr(memory.getOrDefault("churn", List.of()));
        if (!churn.isEmpty()) {
            Map<String, Object> first = Json.obj(churn.getFirst());
            line(String.format(Locale.ROOT, "### Churn: %,d live objects, %,d cycles each freeing a random %,d and allocating as many",
                    (long) Json.num(first.get("live")), (long) Json.num(first.get("cycles")),
                    (long) Json.num(first.get("per_cycle"))));
            line("");
            line("Footprint = RSS after the fill − RSS before it. **RSS growth** = RSS at the end − RSS after "
                    + (long) Json.num(first.get("warm_cycles")) + " unmeasured warm-up cycles (they absorb the JIT's own "
                    + "memory), i.e. over the measured cycles. The allocator's own figures do not see the JIT: "
                    + "**resident growth** (mincore, tslab) and **accounted growth** are end − after the fill. `"
                    + MemoryHarness.TSLAB_EPOCH_PER_CYCLE + "` ends an epoch every cycle although objects outlive it "
                    + "(a lifetime mismatch): slabs of closed epochs take no new objects and drain slowly.");
            line("");
            Markdown t = new Markdown("allocator", "size", "ns per alloc or free", "RSS footprint (MiB)",
                    "RSS growth (MiB)", "RSS growth (% of footprint)", "RSS end − after fill (MiB)",
                    "resident after fill (MiB, mincore)", "resident growth (mincore)", "accounted after fill (MiB)",
                    "accounted growth");
            for (Object o : churn) {
                Map<String, Object> r = Json.obj(o);
                double fill = Json.num(r.get("rss_after_fill"));
                t.row((String) r.get("allocator"), (long) Json.num(r.get("size")) + " B",
                        Markdown.num(Json.num(r.get("ns_per_op")), 1),
                        Markdown.mib(fill - Json.num(r.get("rss_before"))),
                        Markdown.mib(Json.num(r.get("rss_growth_bytes"))),
                        Markdown.pct(Json.num(r.get("rss_growth_pct"))),
                        Markdown.mib(Json.num(r.get("rss_end")) - fill),
                        Markdown.mib(Json.num(r.get("resident_after_fill"))),
                        Markdown.pct(Json.num(r.get("resident_growth_pct"))),
                        Markdown.mib(Json.num(r.get("accounted_after_fill"))),
                        Markdown.pct(Json.num(r.get("accounted_growth_pct"))));
            }
            line(t.toString());
        }
        List<Object> epoch = Json.arr(memory.getOrDefault("epoch", List.of()));
        if (!epoch.isEmpty()) {
            Map<String, Object> first = Json.obj(epoch.getFirst());
            line(String.format(Locale.ROOT, "### Epoch phase: fill %s MiB, free everything, end the epoch "
                            + "(RSS columns: MiB above the RSS before the fill)",
                    Markdown.mib(Json.num(first.get("bytes")))));
            line("");
            line("tslab: the objects go into one epoch; after the frees, `advanceEpoch()` + `closeEpoch(e)`. Netty "
                    + "and malloc have no epoch: their row shows what they keep resident after everything was "
                    + "released. Returned = (after fill − after close) ÷ (after fill − before); the last RSS columns "
                    + "repeat the reading after a `System.gc()` (Netty's chunks are direct buffers whose memory "
                    + "goes back only when the GC has found them unreachable and their Cleaner ran).");
            line("");
            Markdown t = new Markdown("allocator", "size", "RSS taken by the fill (MiB)", "after drain (MiB)",
                    "after close (MiB)", "returned (RSS)", "resident taken (MiB, mincore)",
                    "resident after close (MiB, mincore)", "returned (mincore)", "after close + GC (MiB)",
                    "returned after GC (RSS)", "fill / drain / close (ms)");
            for (Object o : epoch) {
                Map<String, Object> r = Json.obj(o);
                double before = Json.num(r.get("rss_before"));
                boolean hasResident = Json.num(r.get("resident_before")) >= 0;
                t.row((String) r.get("allocator"), (long) Json.num(r.get("size")) + " B",
                        Markdown.mib(Json.num(r.get("rss_after_fill")) - before),
                        Markdown.mib(Json.num(r.get("rss_after_drain")) - before),
                        Markdown.mib(Json.num(r.get("rss_after_close")) - before),
                        Markdown.pct(Json.num(r.get("returned_pct_rss"))),
                        hasResident ? Markdown.mib(Json.num(r.get("resident_after_fill")) - Json.num(r.get("resident_before")))
                                : Markdown.NONE,
                        hasResident ? Markdown.mib(Json.num(r.get("resident_after_close"))) : Markdown.NONE,
                        Markdown.pct(Json.num(r.get("returned_pct_mincore"))),
                        Markdown.mib(Json.num(r.get("rss_after_close_gc")) - before),
                        Markdown.pct(Json.num(r.get("returned_pct_rss_after_gc"))),
                        Markdown.num(Json.num(r.get("fill_ms")), 0) + " / " + Markdown.num(Json.num(r.get("drain_ms")), 0)
                                + " / " + Markdown.num(Json.num(r.get("close_ms")), 1));
            }
            line(t.toString());
        }
    }

    // ---- observability overhead ---------------------------------------------------------------

    private void counters() {
        line("## 6. Observability overhead: counters on vs off");
        line("");
        if (counters.isEmpty()) {
            line("_Not run._");
            line("");
            return;
        }
        CountersHarness.Result r = counters.get();
        line("The tslab pair of section 1 (" + r.size() + " B, 1 thread, object written) in child JVMs started with "
                + "`-Dtslab.counters=true` or `=false` (a property the core reads once when its classes initialise; each "
                + "JVM checks `snapshot().countersEnabled()` and fails if the core did not apply it); "
                + "`io.tslab.bench.harness.CountersHarness`. A session is two JVMs side by side: after " + r.warmupMs()
                + " ms of warm-up each, they take turns in bursts of " + r.burstMs() + " ms (a, b, b, a, …; the idle one "
                + "waits on a pipe), so that the drift of the shared machine hits both alike; its figure is the median "
                + "of the per-burst ratios a ÷ b − 1 with a 95% interval. Control sessions run two JVMs with counters "
                + "off: what they differ by is how far apart two identically configured JVMs land anyway (JIT "
                + "decisions, memory placement), and no difference between JVMs smaller than that can be resolved.");
        line("");
        Markdown t = new Markdown("session", "a ÷ b", "a, median (M pairs/s)", "b, median (M pairs/s)",
                "a ÷ b − 1, median", "95% interval");
        int n = 0;
        for (CountersHarness.Session s : r.sessions()) {
            double[] ci = s.interval();
            t.row(Integer.toString(++n) + (s.control() ? " (control)" : ""), s.kind(),
                    Markdown.mops(CountersHarness.median(s.aOps())), Markdown.mops(CountersHarness.median(s.bOps())),
                    Markdown.pct(100 * s.medianDiff()), Markdown.pct(100 * ci[0]) + " to " + Markdown.pct(100 * ci[1]));
        }
        line(t.toString());
        double cost = -100 * r.medianDiff();
        line(String.format(Locale.ROOT, "Counters cost %s of throughput (median over the %d on/off sessions%s). "
                        + "Identically configured JVMs differed by up to %s.", Markdown.pct(cost), r.costSessions().size(),
                cost < 0 ? "; negative: the counters-on JVMs were the faster" : "", Markdown.pct(100 * r.controlSpread())));
        line("");
    }

    // ---- fast path ----------------------------------------------------------------------------

    private void fastPath() {
        List<JmhResult> rows = jmh.stream().filter(r -> r.benchmark().startsWith(FAST_PATH)).toList();
        line("## 7. Where the time of a tslab pair goes");
        line("");
        if (rows.isEmpty()) {
            line("_Not run._");
            line("");
            return;
        }
        line("`TslabFastPathBenchmark`, 1 thread, nanoseconds per operation (median). Variants differ by one "
                + "ingredient, so differences estimate its cost. `pair` lets the slab go from empty to one object "
                + "and back on every pair (as in section 1); the `BesideNeighbour` variants keep another object "
                + "live in the same slab, so the slab never becomes empty; `NoAccess` skips `offset(h)` and the "
                + "8-byte write; `atomicAdd` is one uncontended `getAndAdd` on a field, the unit price of the "
                + "atomic instructions a pair is made of. The `batch*` rows are the batch of section 2 per object: "
                + "as there (`batchEpochReclaim`), with `ReclaimPolicy.NONE` (`batchEpochNoReclaim`: the epoch "
                + "ends but pages stay), and without ending the epoch, every slab kept in the cache "
                + "(`batchSameEpoch`).");
        line("");
        TreeSet<Integer> sizes = new TreeSet<>();
        rows.forEach(r -> sizes.add(Integer.parseInt(r.param("size"))));
        List<String> header = new ArrayList<>(List.of("variant"));
        sizes.forEach(s -> header.add(s + " B"));
        Markdown t = new Markdown(header.toArray(String[]::new));
        List<String> variants = List.of("pair", "pairNoAccess", "pairBesideNeighbour", "pairBesideNeighbourNoAccess",
                "offset", "atomicAdd", "batchEpochReclaim", "batchEpochNoReclaim", "batchSameEpoch");
        for (String v : variants) {
            List<String> cells = new ArrayList<>(List.of("`" + v + "`"));
            for (int size : sizes) {
                cells.add(fast(v, size).map(r -> Markdown.num(r.median(), 1) + " [" + Markdown.num(r.min(), 1) + "–"
                        + Markdown.num(r.max(), 1) + "]").orElse(Markdown.NONE));
            }
            t.row(cells);
        }
        line(t.toString());
        Markdown d = new Markdown(header.toArray(String[]::new));
        d.row(derived("empty↔non-empty slab bookkeeping (`pairNoAccess` − `pairBesideNeighbourNoAccess`)",
                sizes, "pairNoAccess", "pairBesideNeighbourNoAccess"));
        d.row(derived("`offset(h)` + write (`pair` − `pairNoAccess`)", sizes, "pair", "pairNoAccess"));
        d.row(derived("alloc + free, no bookkeeping, no access (`pairBesideNeighbourNoAccess`)", sizes,
                "pairBesideNeighbourNoAccess", null));
        d.row(derived("batch, per object: returning pages at epoch end and faulting them in again "
                + "(`batchEpochReclaim` − `batchEpochNoReclaim`)", sizes, "batchEpochReclaim", "batchEpochNoReclaim"));
        d.row(derived("batch, per object: ending the epoch, pages kept (`batchEpochNoReclaim` − `batchSameEpoch`)",
                sizes, "batchEpochNoReclaim", "batchSameEpoch"));
        line("Derived, ns:");
        line("");
        line(d.toString());
    }

    private List<String> derived(String label, TreeSet<Integer> sizes, String a, String b) {
        List<String> cells = new ArrayList<>(List.of(label));
        for (int size : sizes) {
            double va = fast(a, size).map(JmhResult::median).orElse(Double.NaN);
            double vb = b == null ? 0 : fast(b, size).map(JmhResult::median).orElse(Double.NaN);
            cells.add(Markdown.num(va - vb, 1));
        }
        return cells;
    }

    private Optional<JmhResult> fast(String variant, int size) {
        return jmh.stream().filter(r -> r.benchmark().equals(FAST_PATH + variant)
                && r.param("size").equals(Integer.toString(size))).findFirst();
    }

    // ---- snapshot -----------------------------------------------------------------------------

    private void snapshot() {
        line("## 8. Snapshot cost");
        line("");
        List<JmhResult> rows = jmh.stream().filter(r -> r.benchmark().equals(SNAPSHOT)).toList();
        if (rows.isEmpty()) {
            line("_Not run._");
            line("");
            return;
        }
        Markdown t = new Markdown("slabs in service (8 classes, 4 epochs, half full)", "snapshot() µs/op, median [min–max]",
                "per slab", "heap B/op");
        for (JmhResult r : rows) {
            double perSlabNs = r.median() * 1000 / Double.parseDouble(r.param("slabs"));
            t.row(r.param("slabs"), Markdown.num(r.median(), 1) + " [" + Markdown.num(r.min(), 1) + "–"
                    + Markdown.num(r.max(), 1) + "]", Markdown.num(perSlabNs, 1) + " ns", Markdown.bytesPerOp(r.gcBytesPerOp()));
        }
        line(t.toString());
        line("`snapshot()` walks every slab in service under its bin's lock (occupancy word and slot stamps, "
                + "which give the exact live, allocation and free counts) and calls `mincore` over the used part of "
                + "the reservation; the allocation fast path never waits for it. The cost of one stats-file refresh "
                + "(SPEC §4) is not measured separately by this suite.");
        line("");
    }

    // ---- targets ------------------------------------------------------------------------------

    private void targets() {
        line("## Targets, checked against this run");
        line("");
        line("The fast-path targets of the performance work, then those of SPEC §7.");
        line("");
        Markdown t = new Markdown("target", "measured", "verdict");
        fastPathTargets(t);
        Optional<Map<String, Object>> churn = memoryRow("churn", OURS, HEADLINE_SIZE);
        churn.ifPresent(r -> {
            double resident = Json.num(r.get("resident_growth_pct"));
            double rss = Json.num(r.get("rss_growth_pct"));
            t.row("churn: resident growth ≤ 2% (tslab, mincore)", Markdown.pct(resident), verdict(resident <= 2));
            double ofProcess = Json.num(r.get("rss_growth_pct_of_process"));
            t.row("churn: RSS growth ≤ 2% (tslab, process RSS, heuristic: includes the JVM's own growth)",
                    Markdown.pct(ofProcess) + " of the process RSS, " + Markdown.pct(rss) + " of tslab's footprint",
                    verdict(ofProcess <= 2) + " / " + verdict(rss <= 2));
        });
        memoryRow("epoch", OURS, HEADLINE_SIZE).ifPresent(r -> {
            double mincore = Json.num(r.get("returned_pct_mincore"));
            double rss = Json.num(r.get("returned_pct_rss"));
            t.row("epoch close returns ≥ 98% of its pages (mincore)", Markdown.pct(mincore), verdict(mincore >= 98));
            t.row("epoch close returns ≥ 98% of its pages (process RSS, heuristic)", Markdown.pct(rss), verdict(rss >= 98));
        });
        for (String benchmark : List.of(PAIR, BATCH, CROSS)) {
            List<JmhResult> ours = jmh.stream().filter(r -> r.benchmark().equals(benchmark) && r.param("allocator").equals(OURS))
                    .toList();
            if (!ours.isEmpty()) {
                double worst = ours.stream().mapToDouble(JmhResult::gcBytesPerOp).max().orElse(Double.NaN);
                t.row("0 B/op on the Java heap: " + benchmark.substring(0, benchmark.indexOf('.')) + " (all sizes and threads)",
                        Markdown.num(worst, 3) + " B/op (worst)", verdict(worst < 0.5));
            }
        }
        counters.ifPresent(r -> {
            double cost = -100 * r.medianDiff();
            double spread = 100 * r.controlSpread();
            String verdict = Math.abs(cost) <= 1 && spread <= 1 ? "met"
                    : Math.abs(cost) <= spread ? "not resolvable here: within the " + Markdown.pct(spread)
                    + " two identical JVMs differed by" : verdict(cost <= 1);
            t.row("counters cost ≤ 1% of throughput", Markdown.pct(cost) + " (control: identical JVMs differ by up to "
                    + Markdown.pct(spread) + ")", verdict);
        });
        line(t.toString());
    }

    /** Pair throughput against the fixed and relative targets, two-thread scaling, latency tails. */
    private void fastPathTargets(Markdown t) {
        int size = HEADLINE_SIZE;
        Optional<JmhResult> ours = find(PAIR, OURS, size, 1);
        ours.ifPresent(r -> t.row("pair, " + size + " B, 1 thread: ≥ 50 M pairs/s", Markdown.mops(r.median()) + " M/s",
                verdict(r.median() >= 50e6)));
        for (String peer : List.of(Peer.NETTY_POOLED.id(), Peer.MALLOC_CRITICAL.id())) {
            double wanted = peer.equals(Peer.NETTY_POOLED.id()) ? 6 : 1.3;
            find(PAIR, peer, size, 1).ifPresent(p -> ours.ifPresent(r -> {
                double ratio = r.median() / p.median();
                t.row("pair, " + size + " B, 1 thread: ≥ " + Markdown.num(wanted, 1) + "× " + peer + " (same run)",
                        Markdown.num(ratio, 2) + "×", verdict(ratio >= wanted));
            }));
        }
        find(PAIR, OURS, size, 2).ifPresent(two -> ours.ifPresent(one -> {
            double scaling = two.median() / one.median();
            double mallocScaling = find(PAIR, Peer.MALLOC.id(), size, 2).flatMap(m2 -> find(PAIR, Peer.MALLOC.id(), size, 1)
                    .map(m1 -> m2.median() / m1.median())).orElse(Double.NaN);
            t.row("pair, " + size + " B: 2 threads ≥ 1.7× 1 thread (aggregate)", Markdown.num(scaling, 2) + "× (malloc in "
                    + "the same run: " + Markdown.num(mallocScaling, 2) + "×)", verdict(scaling >= 1.7));
        }));
        latencyRow(OURS, size, 1).ifPresent(r -> latencyRow(LatencyHarness.TIMER_FLOOR, size, 1).ifPresent(floor -> {
            long over = r.p999() - floor.p999();
            t.row("latency, " + size + " B: p99.9 within 50 ns of the empty loop's p99.9", r.p999() + " ns vs "
                    + floor.p999() + " ns: +" + over + " ns", verdict(over <= 50));
            t.row("latency, " + size + " B: p99.99 ≤ 1 µs", r.p9999() + " ns", verdict(r.p9999() <= 1000));
        }));
    }

    private static String verdict(boolean ok) {
        return ok ? "met" : "**not met**";
    }

    private Optional<Map<String, Object>> memoryRow(String phase, String allocator, int size) {
        return Json.arr(memory.getOrDefault(phase, List.of())).stream().map(Json::obj)
                .filter(r -> allocator.equals(r.get("allocator")) && (long) Json.num(r.get("size")) == size).findFirst();
    }

    // ---- static text ------------------------------------------------------------------------

    private void howToRun() {
        line("## How to run");
        line("");
        line("```");
        line("tslab-bench/run.sh          # reduced suite, under 15 minutes on 2 cores; rewrites this file");
        line("tslab-bench/run.sh --full   # every size, both thread counts, longer runs (about 1.5 hours)");
        line("./tslab bench [--full]      # the same, through the launcher");
        line("```");
        line("");
        line("`run.sh` builds `tslab-bench/target/tslab-benchmarks.jar` (JMH uber-jar) if it is missing or older than "
                + "the sources, runs JMH with `-rf json`, the latency and memory harnesses, then "
                + "`io.tslab.bench.report.ReportWriter`, which writes this file, `docs/bench/latency.png` (JFreeChart) "
                + "and copies the raw result files to `docs/bench/results/`. Single benchmarks can be run directly, "
                + "e.g. `java -jar tslab-bench/target/tslab-benchmarks.jar PairBenchmark -p size=128 -prof gc`.");
        line("");
        line("`tslab-bench/profile.sh 'TslabFastPathBenchmark.pairNoAccess'` profiles one benchmark at the instruction "
                + "level (JMH `perfasm` on Linux `perf`, the `cpu-clock` event so that it works in VMs without "
                + "hardware counters; it builds a small HotSpot disassembler plugin on capstone from "
                + "`tslab-bench/tools/hsdis.c`).");
        line("");
    }

    private void methodNotes() {
        line("## Method notes");
        line("");
        line("- Every contender writes 8 bytes into each object it allocates. `arena-*`, `allocate-direct` and "
                + "`byte-array` also zero the whole object (the JDK always does); `tslab`, Netty and `malloc` do not.");
        line("- \"Free\" differs: `allocate-direct` and `byte-array` only drop the reference, the GC (and for direct "
                + "buffers the Cleaner) pays later, visible as GC counts and tail latency; `arena-shared-1000` frees "
                + "1 000 objects at once when the last of an arena's objects is released (a thread handshake).");
        line("- `malloc`/`malloc-critical`: glibc `malloc`/`free` through `Linker` downcall handles held in "
                + "`static final` fields, pointer passed as a `long` (no `MemorySegment` per call); "
                + "`critical(false)` skips the thread-state transition.");
        line("- Netty runs with `--sun-misc-unsafe-memory-access=allow` (otherwise Netty 4.2 on JDK 25 turns its "
                + "`Unsafe` paths off) and `-Dio.netty.leakDetection.level=disabled`; benchmark threads are Netty "
                + "`FastThreadLocalThread`s (a JMH custom executor), the threads its event loops use: on plain "
                + "threads Netty 4.2's pooled allocator does not recycle its `ByteBuf` objects and allocates one per "
                + "buffer on the heap. The pooled allocator is built with thread caches for all threads; the adaptive "
                + "one with `useCacheForNonEventLoopThreads`.");
        line("- tslab runs with its defaults (`SlabAllocator.builder().build()`), including whatever publishing "
                + "the core does by default (stats file refreshed by a daemon thread); the memory tables' process RSS "
                + "includes that thread's memory, the mincore figures do not.");
        line("- tslab objects are accessed through the zero-garbage path: `memory().set(JAVA_LONG, offset(h), v)`; "
                + "`offset(h)` validates the handle (generation check) on every call.");
        line("- JMH forks: `--enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g`; each (allocator, size) pair runs in "
                + "its own fork, so call sites stay monomorphic as in an application that uses one allocator.");
        line("- The latency harness is a closed loop: it measures how long each operation takes; it is not a "
                + "response-time test under an arrival rate, so no coordinated-omission correction applies.");
        line("");
    }

    // ---- lookups ------------------------------------------------------------------------------

    /** The result of {@code benchmark} for (allocator, size, threads); threads -1 matches any. */
    private Optional<JmhResult> find(String benchmark, String allocator, int size, int threads) {
        Predicate<JmhResult> match = r -> r.benchmark().equals(benchmark) && r.param("allocator").equals(allocator)
                && r.param("size").equals(Integer.toString(size)) && (threads < 0 || r.threads() == threads);
        return jmh.stream().filter(match).max(Comparator.comparing(JmhResult::source));
    }

    private List<Integer> sizes(String benchmark) {
        return sizes(benchmark, -1);
    }

    /** Sizes {@code benchmark} ran with at {@code threads} threads (-1: any). */
    private List<Integer> sizes(String benchmark, int threads) {
        TreeSet<Integer> sizes = new TreeSet<>();
        jmh.stream().filter(r -> r.benchmark().equals(benchmark) && (threads < 0 || r.threads() == threads))
                .forEach(r -> sizes.add(Integer.parseInt(r.param("size"))));
        return List.copyOf(sizes);
    }

    private List<Integer> threads(String benchmark) {
        TreeSet<Integer> threads = new TreeSet<>();
        jmh.stream().filter(r -> r.benchmark().equals(benchmark)).forEach(r -> threads.add(r.threads()));
        return List.copyOf(threads);
    }

    private Optional<LatencyHarness.Row> latencyRow(String allocator, int size, int threads) {
        return latency.stream().filter(r -> r.allocator().equals(allocator) && r.size() == size && r.threads() == threads)
                .findFirst();
    }

    private void line(String s) {
        out.append(s).append('\n');
    }
}
