package io.tslab.bench.harness;

import io.tslab.bench.peer.Peer;
import io.tslab.bench.peer.PeerAllocator;
import io.tslab.bench.peer.Slots;
import io.tslab.bench.report.Json;
import io.netty.util.concurrent.FastThreadLocalThread;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Memory behaviour, measured from the OS, each contender in a fresh JVM with a fixed, pre-touched
 * heap (so the Java heap does not move the process RSS):
 * <ul>
 *   <li><b>churn</b>: {@code live} objects allocated, then {@code cycles} cycles each freeing a
 *       random {@code churn%} of them and allocating as many again; process RSS (and, for tslab,
 *       the resident bytes of its reservation from {@code mincore}) after the fill, after a few
 *       warm-up cycles (the process RSS growth is counted from there, so that JIT memory is not
 *       counted) and at the end.
 *       {@code tslab-epoch-per-cycle} ends an epoch every cycle although the objects outlive it: it
 *       shows what a lifetime mismatch costs.</li>
 *   <li><b>epoch</b>: fill one epoch with {@code epoch-bytes} of objects, free them all, end the
 *       epoch (tslab: {@code advanceEpoch}, {@code closeEpoch}; the others have no such step), and
 *       measure how much of what the fill made resident went back to the OS; then once more after
 *       a {@code System.gc()}, which lets memory owned by Cleaners go back.</li>
 * </ul>
 * Before the measured run, the same phase runs once, smaller, on a separate instance: the JIT
 * compiles the code (and its own memory grows) before the baseline is read.
 *
 * <pre>
 * java -cp tslab-benchmarks.jar io.tslab.bench.harness.MemoryHarness [--phases churn,epoch]
 *      [--sizes 128] [--live 100000] [--cycles 1000] [--churn-percent 10]
 *      [--epoch-bytes 67108864] [--out memory.json] [--in-process]
 * </pre>
 */
public final class MemoryHarness {
    /** tslab, ending an epoch after every churn cycle. */
    public static final String TSLAB_EPOCH_PER_CYCLE = "tslab-epoch-per-cycle";
    public static final List<String> CHURN_CONTENDERS =
            List.of("tslab", TSLAB_EPOCH_PER_CYCLE, "netty-pooled", "netty-adaptive", "malloc");
    public static final List<String> EPOCH_CONTENDERS = List.of("tslab", "netty-pooled", "netty-adaptive", "malloc");
    private static final int REHEARSAL_OBJECTS = 20_000;
    private static final int REHEARSAL_ROUNDS = 10;
    /** Churn cycles run before the measured ones (after the fill), so that the loop is compiled. */
    private static final int WARM_CYCLES = 20;

    private MemoryHarness() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = LatencyHarness.parse(args);
        if (o.containsKey("child")) {
            Map<String, Object> result = runPhase(o.get("phases"), o.get("allocator"), Integer.parseInt(o.get("sizes")), o);
            System.out.println("RESULT " + Base64.getEncoder().encodeToString(
                    Json.write(result).getBytes(StandardCharsets.UTF_8)));
            return;
        }
        boolean inProcess = o.containsKey("in-process");
        List<Map<String, Object>> churn = new ArrayList<>();
        List<Map<String, Object>> epoch = new ArrayList<>();
        for (String phase : o.getOrDefault("phases", "churn,epoch").split(",")) {
            List<String> contenders = phase.equals("churn") ? CHURN_CONTENDERS : EPOCH_CONTENDERS;
            if (o.containsKey("allocators")) {
                contenders = List.of(o.get("allocators").split(","));
            }
            for (int size : LatencyHarness.ints(o.getOrDefault("sizes", "128"))) {
                for (String contender : contenders) {
                    Map<String, Object> result;
                    if (inProcess) {
                        result = runPhase(phase, contender, size, o);
                    } else {
                        List<String> childArgs = new ArrayList<>(List.of("--child", "--phases", phase,
                                "--allocator", contender, "--sizes", Integer.toString(size)));
                        for (String key : List.of("live", "cycles", "churn-percent", "epoch-bytes")) {
                            if (o.containsKey(key)) {
                                childArgs.add("--" + key);
                                childArgs.add(o.get(key));
                            }
                        }
                        String out = ChildJvm.run(MemoryHarness.class, childArgs);
                        result = Json.obj(Json.parse(new String(Base64.getDecoder().decode(
                                ChildJvm.line(out, "RESULT ")), StandardCharsets.UTF_8)));
                    }
                    System.err.println("[memory] " + phase + " " + contender + " " + size + " B: " + summary(phase, result));
                    (phase.equals("churn") ? churn : epoch).add(result);
                }
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("jvm_options", ChildJvm.OPTIONS);
        doc.put("churn", churn);
        doc.put("epoch", epoch);
        if (o.containsKey("out")) {
            Files.writeString(Path.of(o.get("out")), Json.write(doc));
        } else {
            System.out.print(Json.write(doc));
        }
    }

    private static String summary(String phase, Map<String, Object> r) {
        if (phase.equals("churn")) {
            return String.format(Locale.ROOT, "RSS growth %.2f%% of footprint, resident growth %.2f%%",
                    Json.num(r.get("rss_growth_pct")), Json.num(r.get("resident_growth_pct")));
        }
        return String.format(Locale.ROOT, "returned %.1f%% (RSS), %.1f%% (mincore)",
                Json.num(r.get("returned_pct_rss")), Json.num(r.get("returned_pct_mincore")));
    }

    /**
     * Runs one phase for one contender in this JVM, on a Netty {@code FastThreadLocalThread} (where
     * Netty's pooled allocator recycles its buffer objects); the result is a flat JSON object.
     */
    public static Map<String, Object> runPhase(String phase, String contender, int size, Map<String, String> o) {
        AtomicReference<Map<String, Object>> result = new AtomicReference<>();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread worker = new FastThreadLocalThread(() -> {
            try {
                result.set(runPhaseHere(phase, contender, size, o));
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "memory-" + phase + "-" + contender);
        worker.start();
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    private static Map<String, Object> runPhaseHere(String phase, String contender, int size, Map<String, String> o) {
        boolean epochPerCycle = contender.equals(TSLAB_EPOCH_PER_CYCLE);
        Peer peer = epochPerCycle ? Peer.TSLAB : Peer.byId(contender);
        int live = Integer.parseInt(o.getOrDefault("live", "100000"));
        int cycles = Integer.parseInt(o.getOrDefault("cycles", "1000"));
        int percent = Integer.parseInt(o.getOrDefault("churn-percent", "10"));
        long bytes = Long.parseLong(o.getOrDefault("epoch-bytes", "67108864"));
        if (!phase.equals("churn") && !phase.equals("epoch")) {
            throw new IllegalArgumentException("phase: " + phase + " (expected: churn or epoch)");
        }
        // A rehearsal of the same code on a separate, smaller instance: the JIT compiles (and the
        // compiler's own memory grows) before the baseline is taken, not during the measurement.
        // Several rounds, so that the loops are compiled by C2 as ordinary methods, not only on-stack-replaced.
        try (PeerAllocator rehearsal = peer.open(size)) {
            for (int round = 0; round < REHEARSAL_ROUNDS; round++) {
                if (phase.equals("churn")) {
                    churn(contender, rehearsal, epochPerCycle, Math.min(live, REHEARSAL_OBJECTS), Math.min(cycles, 50), percent,
                            false);
                } else {
                    epoch(contender, rehearsal, Math.min(bytes, (long) REHEARSAL_OBJECTS * size), false);
                }
            }
        }
        try (PeerAllocator allocator = peer.open(size)) {
            return phase.equals("churn")
                    ? churn(contender, allocator, epochPerCycle, live, cycles, percent, true)
                    : epoch(contender, allocator, bytes, true);
        }
    }

    /** @param measured false for a rehearsal: no pauses to let the JVM settle */
    private static Map<String, Object> churn(String contender, PeerAllocator allocator, boolean epochPerCycle,
                                             int live, int cycles, int percent, boolean measured) {
        int perCycle = (int) ((long) live * percent / 100);
        try (Slots slots = allocator.slots(live)) {
            int[] order = new int[live];
            for (int i = 0; i < live; i++) {
                order[i] = i;
            }
            SplittableRandom random = new SplittableRandom(42);
            settle(measured);
            Sample before = Sample.take(allocator);
            for (int i = 0; i < live; i++) {
                slots.allocate(i);
            }
            Sample filled = Sample.take(allocator);
            for (int cycle = 0; cycle < WARM_CYCLES; cycle++) {
                churnCycle(slots, order, perCycle, random, epochPerCycle);
            }
            Sample warmed = Sample.take(allocator);
            long maxRss = warmed.rss;
            List<Object> rssSamples = new ArrayList<>();
            long start = System.nanoTime();
            for (int cycle = 0; cycle < cycles; cycle++) {
                churnCycle(slots, order, perCycle, random, epochPerCycle);
                if ((cycle + 1) % Math.max(1, cycles / 10) == 0) {
                    long rss = ProcessMemory.rssBytes();
                    maxRss = Math.max(maxRss, rss);
                    rssSamples.add(rss);
                }
            }
            long elapsed = System.nanoTime() - start;
            Sample end = Sample.take(allocator);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("allocator", contender);
            r.put("size", allocator.size());
            r.put("live", live);
            r.put("cycles", cycles);
            r.put("per_cycle", perCycle);
            r.put("warm_cycles", WARM_CYCLES);
            r.put("ns_per_op", (double) elapsed / ((long) cycles * perCycle * 2));
            before.put(r, "before");
            filled.put(r, "after_fill");
            warmed.put(r, "after_warm_cycles");
            end.put(r, "end");
            r.put("rss_max", maxRss);
            r.put("rss_samples", rssSamples);
            // Process RSS: growth over the measured cycles only (the warm-up cycles absorb JIT memory).
            // The allocator's own figures (mincore, accounting) see no JIT: growth since the fill.
            long footprint = filled.rss - before.rss;
            r.put("rss_growth_bytes", end.rss - warmed.rss);
            r.put("rss_growth_pct", footprint > 0 ? 100.0 * (end.rss - warmed.rss) / footprint : Double.NaN);
            r.put("rss_growth_since_fill_bytes", end.rss - filled.rss);
            r.put("rss_growth_pct_of_process", warmed.rss > 0 ? 100.0 * (end.rss - warmed.rss) / warmed.rss : Double.NaN);
            r.put("resident_growth_pct", filled.resident > 0
                    ? 100.0 * (end.resident - filled.resident) / filled.resident : Double.NaN);
            r.put("accounted_growth_pct", filled.accounted > 0
                    ? 100.0 * (end.accounted - filled.accounted) / filled.accounted : Double.NaN);
            return r;
        }
    }

    /** Frees a random {@code perCycle} of the objects and allocates as many again. */
    private static void churnCycle(Slots slots, int[] order, int perCycle, SplittableRandom random, boolean endEpoch) {
        int live = order.length;
        for (int j = 0; j < perCycle; j++) { // partial Fisher-Yates: the first perCycle slots are the victims
            int k = j + random.nextInt(live - j);
            int t = order[j];
            order[j] = order[k];
            order[k] = t;
        }
        for (int j = 0; j < perCycle; j++) {
            slots.free(order[j]);
        }
        if (endEpoch) {
            slots.endBatch();
        }
        for (int j = 0; j < perCycle; j++) {
            slots.allocate(order[j]);
        }
    }

    private static Map<String, Object> epoch(String contender, PeerAllocator allocator, long bytes, boolean measured) {
        int n = (int) (bytes / allocator.size());
        try (Slots slots = allocator.slots(n)) {
            settle(measured);
            Sample before = Sample.take(allocator);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                slots.allocate(i);
            }
            long t1 = System.nanoTime();
            Sample filled = Sample.take(allocator);
            for (int i = 0; i < n; i++) {
                slots.free(i);
            }
            long t2 = System.nanoTime();
            Sample drained = Sample.take(allocator);
            slots.endBatch();
            long t3 = System.nanoTime();
            Sample closed = Sample.take(allocator);
            settle(measured); // a GC lets Cleaner-managed memory (direct buffers behind Netty's chunks) go back too
            Sample collected = Sample.take(allocator);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("allocator", contender);
            r.put("size", allocator.size());
            r.put("objects", n);
            r.put("bytes", (long) n * allocator.size());
            r.put("fill_ms", (t1 - t0) / 1e6);
            r.put("drain_ms", (t2 - t1) / 1e6);
            r.put("close_ms", (t3 - t2) / 1e6);
            before.put(r, "before");
            filled.put(r, "after_fill");
            drained.put(r, "after_drain");
            closed.put(r, "after_close");
            collected.put(r, "after_close_gc");
            long rssTaken = filled.rss - before.rss;
            r.put("returned_pct_rss", rssTaken > 0 ? 100.0 * (filled.rss - closed.rss) / rssTaken : Double.NaN);
            r.put("returned_pct_rss_after_gc", rssTaken > 0 ? 100.0 * (filled.rss - collected.rss) / rssTaken : Double.NaN);
            long residentTaken = filled.resident - before.resident;
            r.put("returned_pct_mincore", before.resident >= 0 && residentTaken > 0
                    ? 100.0 * (filled.resident - closed.resident) / residentTaken : Double.NaN);
            return r;
        }
    }

    /** Lets the JIT and GC threads finish what the rehearsal started (not during a rehearsal). */
    private static void settle(boolean measured) {
        if (!measured) {
            return;
        }
        System.gc();
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Process RSS, the allocator's own resident bytes (mincore) and its own accounting, at one moment. */
    private record Sample(long rss, long resident, long accounted) {
        static Sample take(PeerAllocator allocator) {
            return new Sample(ProcessMemory.rssBytes(), allocator.residentBytes(), allocator.reservedBytes());
        }

        void put(Map<String, Object> r, String when) {
            r.put("rss_" + when, rss);
            r.put("resident_" + when, resident);
            r.put("accounted_" + when, accounted);
        }
    }
}
