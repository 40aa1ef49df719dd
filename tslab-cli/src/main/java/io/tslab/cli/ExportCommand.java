package io.tslab.cli;

import io.tslab.prometheus.PrometheusText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tslab export prometheus}: the text format on standard output. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export a target's figures.",
        subcommands = ExportCommand.Prometheus.class)
final class ExportCommand {
    @Command(name = "prometheus", mixinStandardHelpOptions = true,
            description = {"Print the Prometheus text exposition (for the node_exporter textfile collector or a Pushgateway)."})
    static final class Prometheus implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Mixin
        private TargetOptions target;

        @Option(names = "--label-limit", defaultValue = "64",
                description = "Distinct epoch labels per allocator before further ones become 'other'. Default: ${DEFAULT-VALUE}.")
        private int labelLimit;

        @Override
        public Integer call() throws IOException {
            if (labelLimit < 0 || labelLimit > 100_000) {
                throw CliException.badInput("--label-limit: " + labelLimit + " (expected: 0..100000)");
            }
            Loaded loaded = target.load();
            PrintWriter out = spec.commandLine().getOut();
            PrometheusText.withLabelLimit(labelLimit).render(List.of(ServeCommand.target(loaded)), out);
            out.flush();
            return 0;
        }
    }
}
