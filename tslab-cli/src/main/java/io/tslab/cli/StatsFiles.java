package io.tslab.cli;

import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFilePublisher;

import java.util.List;
import java.util.stream.Collectors;

/** The CLI's view of the stats files of the JVMs on this machine. */
final class StatsFiles {
    private StatsFiles() {
    }

    static List<StatsFilePublisher> publishers() {
        return StatsFile.list();
    }

    /** The pid of the only JVM publishing stats; fails listing them when there are none or several. */
    static long onlyPublisher() {
        List<StatsFilePublisher> all = publishers();
        if (all.size() == 1) {
            return all.getFirst().pid();
        }
        if (all.isEmpty()) {
            throw CliException.badInput("no JVM publishes allocator stats in " + StatsFile.directory()
                    + " (start one, e.g. ./tslab demo, or give --file / --url)");
        }
        throw CliException.badInput("several JVMs publish allocator stats; name one: " + all.stream()
                .map(p -> p.pid() + p.command().map(c -> " (" + c + ")").orElse(""))
                .collect(Collectors.joining(", ")));
    }

    static Loaded read(long pid) {
        try {
            StatsFileContents c = StatsFile.read(pid);
            if (c.allocators().isEmpty()) {
                throw CliException.badInput("pid " + pid + " publishes no allocator right now");
            }
            return new Loaded("pid " + pid, pid, c.heartbeatAge(), c.allocators());
        } catch (StatsFileException e) {
            throw CliException.badInput(switch (e.problem()) {
                case PROCESS_GONE -> "pid " + pid + ": no such process (it exited, or never ran)";
                case NO_FILE -> "pid " + pid + " publishes no allocator stats (no file in " + StatsFile.directory() + ")";
                default -> e.getMessage();
            });
        } catch (IllegalArgumentException e) {
            throw CliException.badInput(e.getMessage());
        }
    }
}
