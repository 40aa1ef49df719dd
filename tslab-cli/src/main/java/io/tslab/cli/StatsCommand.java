package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code tslab stats}: the human summary, the JSON document, or the doctor's findings. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Show an allocator's figures: global, per class, per epoch.",
                "--json prints the snapshot document; --doctor prints actionable findings."})
final class StatsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private TargetOptions target;

    @Option(names = "--json", description = "Print the snapshot JSON document (several allocators: {\"allocators\": [...]}).")
    private boolean json;

    @Option(names = "--doctor", description = "Print findings: epoch leaks, slow-path causes, reclamation, ring pressure.")
    private boolean doctor;

    @Option(names = "--all", description = "Show idle classes and never-used epochs too.")
    private boolean all;

    @Option(names = "--bytes", description = "Print exact numbers instead of IEC units and k/M.")
    private boolean raw;

    @Option(names = "--leak-age", defaultValue = "60s", converter = DurationConverter.class,
            description = "With --doctor: an ACTIVE epoch held open longer than this is a leak suspect. Default: ${DEFAULT-VALUE}.")
    private Duration leakAge;

    @Override
    public Integer call() {
        if (json && doctor) {
            throw CliException.badInput("--json and --doctor do not go together");
        }
        Loaded loaded = target.load();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(SnapshotDocuments.write(loaded.snapshots()));
        } else if (doctor) {
            Doctor d = new Doctor(out, leakAge.toMillis() / 1000.0);
            for (AllocatorSnapshot s : loaded.snapshots()) {
                d.examine(s);
                out.println();
            }
        } else {
            StatsReport report = new StatsReport(out, raw, all);
            for (AllocatorSnapshot s : loaded.snapshots()) {
                report.print(loaded, s);
                out.println();
            }
        }
        out.flush();
        return 0;
    }
}
