package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.GlobalStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/** {@code tslab watch}: one line per interval with rates, like {@code vmstat}. */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Print one line per interval: allocations, frees, slow paths and madvise per second,",
                "live objects, resident memory and slabs (summed over the target's allocators)."})
final class WatchCommand implements Callable<Integer> {
    private static final int PAGE = 20;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Spec
    private CommandSpec spec;

    @Mixin
    private TargetOptions target;

    @Option(names = "--interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Time between samples. Default: ${DEFAULT-VALUE}.")
    private Duration interval;

    @Option(names = "--count", defaultValue = "0", description = "Stop after this many lines (0: until interrupted).")
    private int count;

    @Option(names = "--bytes", description = "Print exact numbers instead of IEC units and k/M.")
    private boolean raw;

    /** Totals of one sample. */
    record Sample(long atNanos, long allocs, long frees, long slow, long madviseBytes, long live, long resident, long slabs) {
        static Sample of(Loaded loaded) {
            long allocs = 0;
            long frees = 0;
            long slow = 0;
            long madvise = 0;
            long live = 0;
            long resident = 0;
            long slabs = 0;
            long at = 0;
            for (AllocatorSnapshot s : loaded.snapshots()) {
                GlobalStats g = s.global();
                allocs += g.totalAllocations();
                frees += g.totalFrees();
                slow += g.totalSlowPathHits();
                madvise += g.totalMadviseBytes();
                live += g.liveObjects();
                resident += g.residentBytes();
                slabs += g.netSlabs();
                at = Math.max(at, s.timestampNs());
            }
            return new Sample(at, allocs, frees, slow, madvise, live, resident, slabs);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        if (target.file != null) {
            throw CliException.badInput("watch needs a live target: a PID or --url (a file does not change)");
        }
        if (interval.toMillis() < 10) {
            throw CliException.badInput("--interval: " + DurationConverter.format(interval) + " (expected: at least 10ms)");
        }
        if (count < 0) {
            throw CliException.badInput("--count: " + count + " (expected: 0 or more)");
        }
        PrintWriter out = spec.commandLine().getOut();
        Sample previous = Sample.of(target.load());
        for (int line = 0; count == 0 || line < count; line++) {
            Thread.sleep(interval);
            Sample now = Sample.of(target.load());
            if (line % PAGE == 0) {
                out.printf("%8s %10s %10s %10s %11s %10s %11s %8s%n", "time", "allocs/s", "frees/s", "slow/s",
                        "madvise/s", "live", "resident", "slabs");
            }
            double seconds = Math.max(1e-9, (now.atNanos() - previous.atNanos()) / 1e9);
            out.printf("%8s %10s %10s %10s %11s %10s %11s %8d%n", LocalTime.now().format(CLOCK),
                    rate(now.allocs() - previous.allocs(), seconds), rate(now.frees() - previous.frees(), seconds),
                    rate(now.slow() - previous.slow(), seconds),
                    Units.bytes(Math.round((now.madviseBytes() - previous.madviseBytes()) / seconds), raw),
                    raw ? Long.toString(now.live()) : Units.count(now.live()), Units.bytes(now.resident(), raw), now.slabs());
            out.flush();
            previous = now;
        }
        return 0;
    }

    private String rate(long delta, double seconds) {
        double perSecond = Math.max(0, delta) / seconds;
        return raw ? Long.toString(Math.round(perSecond)) : Units.count(perSecond);
    }
}
