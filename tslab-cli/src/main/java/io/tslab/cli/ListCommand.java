package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFilePublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tslab list}: the JVMs that publish allocator stats on this machine. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the JVMs publishing allocator stats: pid, main class, allocators, heartbeat age, live and resident bytes.")
final class ListCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--bytes", description = "Print exact numbers instead of IEC units.")
    private boolean raw;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<StatsFilePublisher> publishers = StatsFiles.publishers();
        if (publishers.isEmpty()) {
            out.println("no JVM publishes allocator stats in " + StatsFile.directory());
            out.flush();
            return 0;
        }
        out.printf("%8s  %-32s %-24s %10s %11s %11s%n", "pid", "main", "allocators", "heartbeat", "live", "resident");
        for (StatsFilePublisher p : publishers) {
            String main = StatsReport.truncate(p.command().orElse("?"), 32);
            if (!p.readable()) {
                out.printf("%8d  %-32s unreadable: %s%n", p.pid(), main, p.problem().orElse("?"));
                continue;
            }
            long live = 0;
            long resident = 0;
            try {
                StatsFileContents c = StatsFile.read(p.pid());
                for (AllocatorSnapshot s : c.allocators()) {
                    live += s.global().liveBytes();
                    resident += s.global().residentBytes();
                }
            } catch (StatsFileException e) {
                continue; // exited between list and read
            }
            out.printf(Locale.ROOT, "%8d  %-32s %-24s %9.1fs%s %11s %11s%n", p.pid(), main,
                    StatsReport.truncate(String.join(",", p.allocators()), 24), p.heartbeatAge().toMillis() / 1000.0,
                    p.stale() ? "!" : " ", Units.bytes(live, raw), Units.bytes(resident, raw));
        }
        if (publishers.stream().anyMatch(StatsFilePublisher::stale)) {
            out.println("(! heartbeat older than three publish intervals: the JVM is paused or stuck)");
        }
        out.flush();
        return 0;
    }
}
