package io.tslab.cli;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.GlobalStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code tslab demo}: a service-like workload in this JVM, with its allocator's figures printed live. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a service-like workload in this JVM and print its allocator's figures live.",
                "Worker threads serve requests whose objects live in the current epoch; a ticker advances",
                "the epoch ring and closes old epochs; at the end everything is freed and the pages go",
                "back to the OS."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long the workload runs (e.g. 10s, 2m). Default: ${DEFAULT-VALUE}.")
    private Duration duration;

    @Option(names = "--interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Time between two printed lines. Default: ${DEFAULT-VALUE}.")
    private Duration interval;

    @Option(names = "--epoch-period", defaultValue = "200ms", converter = DurationConverter.class,
            description = "Time between two epoch advances. Default: ${DEFAULT-VALUE}.")
    private Duration epochPeriod;

    @Option(names = "--threads", defaultValue = "2", description = "Worker threads, 1..64. Default: ${DEFAULT-VALUE}.")
    private int threads;

    @Option(names = "--serve", arity = "0..1", fallbackValue = "9464", paramLabel = "PORT",
            description = "Also serve /metrics, /stats.json and /-/healthy on this port (default 9464; 0: any free port).")
    private Integer servePort;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address for --serve. Default: ${DEFAULT-VALUE}.")
    private String bind;

    @Override
    public Integer call() throws InterruptedException {
        if (threads < 1 || threads > 64) {
            throw CliException.badInput("--threads: " + threads + " (expected: 1..64)");
        }
        requirePositive(duration, "--duration");
        requirePositive(interval, "--interval");
        requirePositive(epochPeriod, "--epoch-period");
        PrintWriter out = spec.commandLine().getOut();
        try (SlabAllocator allocator = SlabAllocator.builder().name("demo").reserveBytes(4L << 30)
                .leakDetection(true).build()) {
            DemoWorkload workload = new DemoWorkload(allocator, threads, epochPeriod);
            MetricsServer server = servePort == null ? null : new MetricsServer(bind, servePort,
                    () -> java.util.List.of(new io.tslab.prometheus.PrometheusText.Target(
                            java.util.Map.of("pid", Long.toString(ProcessHandle.current().pid())),
                            java.util.List.of(allocator.snapshot()))), 64, 0);
            out.printf("tslab demo (pid %d): %d request workers and one leaky background worker, epoch advanced every %d ms,"
                            + " for %s%n", ProcessHandle.current().pid(), threads, epochPeriod.toMillis(),
                    DurationConverter.format(duration));
            out.printf("from another terminal: ./tslab stats --doctor, ./tslab watch, ./tslab top%n");
            if (server != null) {
                out.printf("serving %s/metrics, /stats.json, /-/healthy%n", server.address());
            }
            out.println();
            String header = String.format("%8s %11s %9s %9s %10s %10s %7s %10s %10s",
                    "time", "epoch/era", "allocs/s", "frees/s", "live", "live-size", "slabs", "resident", "madvised");
            out.println(header);
            workload.start();
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long previousAllocs = 0;
            long previousFrees = 0;
            long previousAt = start;
            while (System.nanoTime() < end) {
                long sleepNanos = Math.min(interval.toNanos(), end - System.nanoTime());
                Thread.sleep(Duration.ofNanos(Math.max(1, sleepNanos)));
                long now = System.nanoTime();
                long allocs = workload.allocations();
                long frees = workload.frees();
                double seconds = (now - previousAt) / 1e9;
                GlobalStats g = allocator.snapshot().global();
                out.printf("%7.1fs %11s %9s %9s %10s %10s %7d %10s %10s%n", (now - start) / 1e9,
                        g.currentEpoch() + "/" + g.currentEra(),
                        Units.count((allocs - previousAllocs) / seconds), Units.count((frees - previousFrees) / seconds),
                        Units.count(g.liveObjects()), Units.bytes(g.liveBytes()), g.netSlabs(),
                        Units.bytes(g.residentBytes()), Units.bytes(g.totalMadviseBytes()));
                out.flush();
                previousAllocs = allocs;
                previousFrees = frees;
                previousAt = now;
            }
            workload.stop();
            if (server != null) {
                server.close();
            }
            AllocatorSnapshot before = allocator.snapshot();
            workload.drain();
            AllocatorSnapshot after = allocator.snapshot();
            printSummary(out, workload, before.global(), after.global());
        }
        return 0;
    }

    private void printSummary(PrintWriter out, DemoWorkload workload, GlobalStats before, GlobalStats after) {
        out.println();
        out.printf("requests served      %s%n", Units.count(workload.requests()));
        out.printf("objects allocated    %s (refused while an epoch closed under a worker: %d)%n",
                Units.count(workload.allocations()), workload.refusals());
        out.printf("epochs advanced      %d (era %d now); scopes leaked by background-worker-3: %d%n",
                after.currentEra() - 1, after.currentEra(), workload.leakedScopes());
        out.printf("slabs recycled       %d of %d ever allocated%n", after.totalSlabsRecycled(), after.totalSlabsAllocated());
        out.printf("madvise              %d calls, %s returned to the OS, %d failures%n",
                after.totalMadviseCalls(), Units.bytes(after.totalMadviseBytes()), after.totalMadviseFailures());
        out.printf("at the end           %s live in %d slabs, %s resident%n",
                Units.count(before.liveObjects()), before.netSlabs(), Units.bytes(before.residentBytes()));
        out.printf("after freeing all    %d live in %d slabs, %s resident (mincore)%n",
                after.liveObjects(), after.netSlabs(), Units.bytes(after.residentBytes()));
        out.flush();
    }

    private void requirePositive(Duration value, String option) {
        if (value.isNegative() || value.isZero()) {
            throw CliException.badInput(option + ": " + DurationConverter.format(value) + " (expected: > 0)");
        }
    }
}
