package io.tslab.cli;

import io.tslab.EpochState;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tslab diff A B}: per-field deltas and rates between two snapshots, and a regression gate. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Compare two snapshots of the same allocator (A earlier, B later): per-field deltas and rates.",
                "With --fail-on regression, exit 1 when a threshold is crossed, 0 when clean; 2 on bad input."})
final class DiffCommand implements Callable<Integer> {
    static final int EXIT_REGRESSION = 1;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "Earlier snapshot JSON file ('-' for standard input).")
    private String first;

    @Parameters(index = "1", paramLabel = "B", description = "Later snapshot JSON file.")
    private String second;

    @Option(names = {"-a", "--allocator"}, paramLabel = "NAME", description = "Compare this allocator when the files hold several.")
    private String allocator;

    @Option(names = "--fail-on", paramLabel = "regression", description = "'regression': exit 1 when a threshold below is crossed.")
    private String failOn;

    @Option(names = "--slow-path-increase", defaultValue = "10", paramLabel = "PCT",
            description = "Regression: slow paths per allocation between A and B exceed A's by more than PCT%%. Default: ${DEFAULT-VALUE}.")
    private double slowPathIncreasePct;

    @Option(names = "--net-slab-growth", defaultValue = "10", paramLabel = "PCT",
            description = "Regression: slabs in service grow by more than PCT%%. Default: ${DEFAULT-VALUE}.")
    private double netSlabGrowthPct;

    @Option(names = "--allow-madvise-failures", description = "Do not count new madvise failures as a regression.")
    private boolean allowMadviseFailures;

    @Option(names = "--allow-refcount-leaks", description = "Do not count CLOSING epochs with refcount > 0 in B as a regression.")
    private boolean allowRefcountLeaks;

    @Option(names = "--all", description = "List unchanged fields too.")
    private boolean all;

    @Override
    public Integer call() {
        if (failOn != null && !failOn.equals("regression")) {
            throw CliException.badInput("--fail-on: '" + failOn + "' (expected: regression)");
        }
        if (first.equals("-") && second.equals("-")) {
            throw CliException.badInput("A and B cannot both be standard input");
        }
        AllocatorSnapshot a = one(TargetOptions.fromFile(first));
        AllocatorSnapshot b = one(TargetOptions.fromFile(second));
        if (!a.allocator().equals(b.allocator())) {
            throw CliException.badInput("A is allocator '" + a.allocator() + "', B is '" + b.allocator()
                    + "' (expected: two snapshots of the same allocator)");
        }
        if (b.timestampNs() < a.timestampNs()) {
            throw CliException.badInput("B was taken before A (expected: A earlier, B later)");
        }
        PrintWriter out = spec.commandLine().getOut();
        double seconds = (b.timestampNs() - a.timestampNs()) / 1e9;
        out.printf(Locale.ROOT, "allocator %s: B is %.3fs after A%n%n", a.allocator(), seconds);
        out.printf("  %-38s %16s %16s %16s %14s%n", "field", "A", "B", "delta", "per second");
        for (RecordComponent c : GlobalStats.class.getRecordComponents()) {
            Object va = read(c, a.global());
            Object vb = read(c, b.global());
            if (!(va instanceof Number na) || !(vb instanceof Number nb)) {
                continue;
            }
            long delta = nb.longValue() - na.longValue();
            if (delta == 0 && !all) {
                continue;
            }
            out.printf(Locale.ROOT, "  %-38s %16d %16d %+16d %14s%n", snake(c.getName()),
                    na.longValue(), nb.longValue(), delta,
                    seconds > 0 ? String.format(Locale.ROOT, "%.1f", delta / seconds) : "-");
        }
        out.println();
        out.printf("  %-5s %5s %14s %14s %14s %14s%n", "class", "size", "Δslow-path", "Δnew-slabs", "Δmadvised", "Δnet-slabs");
        for (int i = 0; i < b.classes().size(); i++) {
            ClassStats ca = a.classes().get(i);
            ClassStats cb = b.classes().get(i);
            if (!all && cb.slowPathHits() == ca.slowPathHits() && cb.newSlabCount() == ca.newSlabCount()
                    && cb.madviseBytes() == ca.madviseBytes() && cb.netSlabs() == ca.netSlabs()) {
                continue;
            }
            out.printf(Locale.ROOT, "  %5d %5d %+14d %+14d %+14d %+14d%n", cb.classIndex(), cb.objectSize(),
                    cb.slowPathHits() - ca.slowPathHits(), cb.newSlabCount() - ca.newSlabCount(),
                    cb.madviseBytes() - ca.madviseBytes(), cb.netSlabs() - ca.netSlabs());
        }
        List<String> regressions = regressions(a, b);
        out.println();
        if (regressions.isEmpty()) {
            out.println("no regression");
        } else {
            for (String r : regressions) {
                out.println("REGRESSION " + r);
            }
        }
        out.flush();
        return failOn != null && !regressions.isEmpty() ? EXIT_REGRESSION : 0;
    }

    private List<String> regressions(AllocatorSnapshot a, AllocatorSnapshot b) {
        List<String> found = new ArrayList<>();
        GlobalStats ga = a.global();
        GlobalStats gb = b.global();
        long allocs = gb.totalAllocations() - ga.totalAllocations();
        if (ga.totalAllocations() > 0 && allocs > 0) {
            double before = (double) ga.totalSlowPathHits() / ga.totalAllocations();
            double between = (double) (gb.totalSlowPathHits() - ga.totalSlowPathHits()) / allocs;
            if (between > before * (1 + slowPathIncreasePct / 100) && between - before > 1e-6) {
                found.add(String.format(Locale.ROOT, "slow-path rate %.4f%% of allocations between A and B, was %.4f%% up to A (+%.0f%%, threshold +%.0f%%)",
                        between * 100, before * 100, (between / Math.max(before, 1e-12) - 1) * 100, slowPathIncreasePct));
            }
        }
        if (!allowMadviseFailures && gb.totalMadviseFailures() > ga.totalMadviseFailures()) {
            found.add((gb.totalMadviseFailures() - ga.totalMadviseFailures()) + " new madvise failure(s)");
        }
        if (ga.netSlabs() > 0 && gb.netSlabs() > ga.netSlabs() * (1 + netSlabGrowthPct / 100)) {
            found.add(String.format(Locale.ROOT, "slabs in service grew from %d to %d (+%.0f%%, threshold +%.0f%%)",
                    ga.netSlabs(), gb.netSlabs(), (gb.netSlabs() / (double) ga.netSlabs() - 1) * 100, netSlabGrowthPct));
        }
        if (!allowRefcountLeaks) {
            for (EpochStats e : b.epochs()) {
                if (e.state() == EpochState.CLOSING && e.refcount() > 0 && e.epochEra() > 0) {
                    found.add(String.format(Locale.ROOT, "refcount leak: epoch %d (era %d, label '%s') is CLOSING with refcount %d",
                            e.epochId(), e.epochEra(), e.label(), e.refcount()));
                }
            }
        }
        return found;
    }

    private AllocatorSnapshot one(Loaded loaded) {
        List<AllocatorSnapshot> list = loaded.snapshots();
        if (allocator != null) {
            list = list.stream().filter(s -> s.allocator().equals(allocator)).toList();
            if (list.isEmpty()) {
                throw CliException.badInput(loaded.source() + ": no allocator named '" + allocator + "'");
            }
        }
        if (list.size() != 1) {
            throw CliException.badInput(loaded.source() + ": holds " + list.size() + " allocators (expected one; choose with --allocator)");
        }
        return list.getFirst();
    }

    static String snake(String camel) {
        return camel.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
    }

    private static Object read(RecordComponent c, Object record) {
        try {
            return c.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException(e);
        }
    }
}
