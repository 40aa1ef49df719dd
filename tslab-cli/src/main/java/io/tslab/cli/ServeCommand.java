package io.tslab.cli;

import io.tslab.prometheus.PrometheusText;
import io.tslab.stats.StatsFilePublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tslab serve}: an HTTP endpoint for Prometheus over one or more targets. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve /metrics (Prometheus text format), /stats.json and /-/healthy over HTTP.",
                "Targets: the given PIDs, --file and --url; with none, every JVM publishing stats on this machine,",
                "found again at each scrape. Each series is labelled by allocator and pid."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "PID", arity = "0..*", description = "JVMs to serve, through their stats files.")
    private List<Long> pids = new ArrayList<>();

    @Option(names = "--file", paramLabel = "FILE", description = "Also serve this snapshot JSON file (repeatable).")
    private List<String> files = new ArrayList<>();

    @Option(names = "--url", paramLabel = "URL", description = "Also serve what this /stats.json gives (repeatable).")
    private List<String> urls = new ArrayList<>();

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    private String bind;

    @Option(names = "--port", defaultValue = "9464", description = "Port to listen on (0: any free one). Default: ${DEFAULT-VALUE}.")
    private int port;

    @Option(names = "--interval", defaultValue = "0s", converter = DurationConverter.class,
            description = "Reuse a reading of the targets for this long (0: read at every request). Default: ${DEFAULT-VALUE}.")
    private Duration interval;

    @Option(names = "--label-limit", defaultValue = "64",
            description = "Distinct epoch labels per allocator before further ones become 'other'. Default: ${DEFAULT-VALUE}.")
    private int labelLimit;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw CliException.badInput("--port: " + port + " (expected: 0..65535)");
        }
        if (labelLimit < 0 || labelLimit > 100_000) {
            throw CliException.badInput("--label-limit: " + labelLimit + " (expected: 0..100000)");
        }
        for (long pid : pids) {
            if (pid <= 0 || ProcessHandle.of(pid).isEmpty()) { // a pid that is gone never comes back
                throw CliException.badInput("pid " + pid + ": no such process (it exited, or never ran)");
            }
        }
        for (String f : files) {
            TargetOptions.fromFile(f); // fail now, not at the first scrape
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (MetricsServer server = new MetricsServer(bind, port, this::targets, labelLimit, interval.toNanos())) {
            PrintWriter out = spec.commandLine().getOut();
            out.println("tslab serve: listening on " + server.address() + " (/metrics, /stats.json, /-/healthy)");
            out.flush();
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }

    /** Reads every target; a named target that is gone fails the request (503) with the reason. */
    private List<PrometheusText.Target> targets() {
        List<PrometheusText.Target> targets = new ArrayList<>();
        boolean explicit = !pids.isEmpty() || !files.isEmpty() || !urls.isEmpty();
        if (explicit) {
            for (long pid : pids) {
                targets.add(target(StatsFiles.read(pid)));
            }
            for (String f : files) {
                targets.add(target(TargetOptions.fromFile(f)));
            }
            for (String u : urls) {
                targets.add(target(TargetOptions.fromUrl(u)));
            }
            return targets;
        }
        for (StatsFilePublisher p : StatsFiles.publishers()) {
            try {
                targets.add(target(StatsFiles.read(p.pid())));
            } catch (CliException gone) {
                // exited between listing and reading: not an error when serving whatever runs
            }
        }
        if (targets.isEmpty()) {
            throw CliException.badInput("no JVM publishes allocator stats right now");
        }
        return targets;
    }

    static PrometheusText.Target target(Loaded loaded) {
        return new PrometheusText.Target(Map.of("pid", Long.toString(loaded.pid())), loaded.snapshots());
    }
}
