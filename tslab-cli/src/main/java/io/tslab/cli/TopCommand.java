package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code tslab top}: classes or epochs ranked by a metric. On a terminal, a live full screen
 * (q quits, c/e switch classes/epochs, s cycles the sort metric, r toggles rate/cumulative);
 * otherwise, or with {@code --once}, one plain table.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"Rank size classes (or epochs, --epochs) by a metric, cumulative or as a rate over --window.",
                "On a terminal: a live full screen. Keys: q quit, c classes, e epochs, s next sort metric, r rate/cumulative.",
                "Class metrics: slow_path_hits (default), new_slab_count, madvise_bytes, net_slabs, live_objects, live_bytes,",
                "  allocations, frees, empty_slab_recycled, slow_path_cache_miss, lock_contended.",
                "Epoch metrics: rss (default), age, refcount, reclaimable, live, live_bytes, older."})
final class TopCommand implements Callable<Integer> {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Spec
    private CommandSpec spec;

    @Mixin
    private TargetOptions target;

    @Option(names = "--by", paramLabel = "METRIC", description = "Sort by this metric (see above).")
    private String by;

    @Option(names = "--epochs", description = "Rank epochs instead of size classes.")
    private boolean epochs;

    @Option(names = "--n", defaultValue = "10", description = "Rows to show. Default: ${DEFAULT-VALUE}.")
    private int n;

    @Option(names = "--window", converter = DurationConverter.class,
            description = "Rank counters by their rate over this window instead of their total.")
    private Duration window;

    @Option(names = "--interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Refresh period of the full screen. Default: ${DEFAULT-VALUE}.")
    private Duration interval;

    @Option(names = "--once", description = "Print one plain table and exit, even on a terminal.")
    private boolean once;

    private boolean showEpochs;
    private String classMetric;
    private String epochMetric;
    private boolean rate;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (n < 1) {
            throw CliException.badInput("--n: " + n + " (expected: at least 1)");
        }
        if (interval.toMillis() < 100) {
            throw CliException.badInput("--interval: " + DurationConverter.format(interval) + " (expected: at least 100ms)");
        }
        showEpochs = epochs;
        classMetric = "slow_path_hits";
        epochMetric = "rss";
        if (by != null) {
            if (epochs ? !Ranking.EPOCH_METRICS.containsKey(by) : !Ranking.CLASS_METRICS.containsKey(by)) {
                throw CliException.badInput("--by: unknown " + (epochs ? "epoch" : "class") + " metric '" + by + "' (expected one of: "
                        + String.join(", ", epochs ? Ranking.EPOCH_METRICS.keySet() : Ranking.CLASS_METRICS.keySet()) + ")");
            }
            if (epochs) {
                epochMetric = by;
            } else {
                classMetric = by;
            }
        }
        rate = window != null;
        if (window != null && target.file != null) {
            throw CliException.badInput("--window needs a live target: a PID or --url (a file does not change)");
        }
        boolean terminal = System.console() != null && System.console().isTerminal() && target.file == null;
        if (once || !terminal) {
            return plain();
        }
        return fullScreen();
    }

    private AllocatorSnapshot one(Loaded loaded) {
        return loaded.snapshots().getFirst();
    }

    private int plain() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        AllocatorSnapshot before = null;
        if (window != null) {
            before = one(target.load());
            Thread.sleep(window);
        }
        Loaded loaded = target.load();
        for (String line : render(loaded, one(loaded), before, 0, Integer.MAX_VALUE)) {
            out.println(line);
        }
        out.flush();
        return 0;
    }

    private List<String> render(Loaded loaded, AllocatorSnapshot now, AllocatorSnapshot before, int width, int height) {
        List<String> lines = new ArrayList<>();
        boolean rated = rate && before != null;
        String metric = showEpochs ? epochMetric : classMetric;
        lines.add(String.format(Locale.ROOT, "tslab top - %s - allocator %s (%s) - %s by %s%s", LocalTime.now().format(CLOCK),
                now.allocator(), loaded.source(), showEpochs ? "epochs" : "classes", metric,
                rated ? " per second over " + DurationConverter.format(window) : " (cumulative)"));
        lines.add(String.format(Locale.ROOT, "epoch %d era %d | live %s (%s) | slabs %d | resident %s | madvised %s",
                now.global().currentEpoch(), now.global().currentEra(), Units.count(now.global().liveObjects()),
                Units.bytes(now.global().liveBytes()), now.global().netSlabs(), Units.bytes(now.global().residentBytes()),
                Units.bytes(now.global().totalMadviseBytes())));
        lines.add("");
        List<Ranking.Row> rows;
        String[] header;
        boolean bytes;
        boolean counter;
        if (showEpochs) {
            Ranking.Metric<EpochStats> m = Ranking.EPOCH_METRICS.get(epochMetric);
            rows = Ranking.epochs(now, m);
            header = Ranking.EPOCH_HEADER;
            bytes = m.bytes();
            counter = false;
        } else {
            Ranking.Metric<ClassStats> m = Ranking.CLASS_METRICS.get(classMetric);
            rows = Ranking.classes(now, rated ? before : null, m);
            header = Ranking.CLASS_HEADER;
            bytes = m.bytes();
            counter = m.counter();
        }
        int[] widths = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            widths[c] = header[c].length();
            for (int i = 0; i < Math.min(n, rows.size()); i++) {
                widths[c] = Math.max(widths[c], rows.get(i).columns()[c].length());
            }
        }
        StringBuilder h = new StringBuilder();
        for (int c = 0; c < header.length; c++) {
            h.append(pad(header[c], widths[c])).append("  ");
        }
        h.append(String.format(Locale.ROOT, "%14s", metric + (rated && counter ? "/s" : "")));
        lines.add(h.toString());
        for (int i = 0; i < Math.min(n, rows.size()); i++) {
            Ranking.Row row = rows.get(i);
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < header.length; c++) {
                line.append(pad(row.columns()[c], widths[c])).append("  ");
            }
            String value = showEpochs && epochMetric.equals("age") ? Units.seconds(row.value() / 1000)
                    : Ranking.format(row.value(), bytes, false);
            line.append(String.format(Locale.ROOT, "%14s", value));
            lines.add(line.toString());
        }
        if (rows.isEmpty()) {
            lines.add("(nothing to rank yet)");
        }
        if (width > 0) {
            lines.add("");
            lines.add("q quit  c classes  e epochs  s sort: next metric  r " + (rate ? "cumulative" : "rate per second"));
            List<String> fitted = new ArrayList<>();
            for (String l : lines.subList(0, Math.min(lines.size(), Math.max(1, height - 1)))) {
                fitted.add(l.length() > width ? l.substring(0, width) : l);
            }
            return fitted;
        }
        return lines;
    }

    private int fullScreen() throws IOException {
        if (window == null) {
            window = Duration.ofSeconds(5);
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            Attributes saved = terminal.enterRawMode();
            AtomicBoolean resized = new AtomicBoolean();
            terminal.handle(Terminal.Signal.WINCH, signal -> resized.set(true));
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.cursor_invisible);
            Deque<AllocatorSnapshot> history = new ArrayDeque<>();
            Loaded loaded = null;
            try {
                NonBlockingReader reader = terminal.reader();
                long nextSample = 0;
                while (true) {
                    long now = System.nanoTime();
                    if (now >= nextSample) {
                        loaded = target.load();
                        history.addLast(one(loaded));
                        while (history.size() > 1 && history.peekFirst().timestampNs()
                                < one(loaded).timestampNs() - window.toNanos()) {
                            history.removeFirst();
                        }
                        nextSample = now + interval.toNanos();
                        draw(terminal, loaded, history);
                    } else if (resized.getAndSet(false)) {
                        draw(terminal, loaded, history);
                    }
                    int key = reader.read(Math.max(1, Math.min(100, (nextSample - System.nanoTime()) / 1_000_000)));
                    if (key == 'q' || key == 'Q' || key == 3 /* ctrl-c */ || key == NonBlockingReader.EOF) {
                        return 0;
                    }
                    if (key > 0 && handleKey(key)) {
                        draw(terminal, loaded, history);
                    }
                }
            } finally {
                terminal.puts(Capability.cursor_visible);
                terminal.puts(Capability.exit_ca_mode);
                terminal.setAttributes(saved);
                terminal.flush();
            }
        }
    }

    private boolean handleKey(int key) {
        switch (key) {
            case 'c' -> showEpochs = false;
            case 'e' -> showEpochs = true;
            case 'r' -> rate = !rate;
            case 's' -> {
                if (showEpochs) {
                    epochMetric = next(new ArrayList<>(Ranking.EPOCH_METRICS.keySet()), epochMetric);
                } else {
                    classMetric = next(new ArrayList<>(Ranking.CLASS_METRICS.keySet()), classMetric);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    private static String next(List<String> names, String current) {
        return names.get((names.indexOf(current) + 1) % names.size());
    }

    private void draw(Terminal terminal, Loaded loaded, Deque<AllocatorSnapshot> history) {
        Size size = terminal.getSize();
        int width = size.getColumns() > 0 ? size.getColumns() : 80;
        int height = size.getRows() > 0 ? size.getRows() : 24;
        AllocatorSnapshot now = history.peekLast();
        AllocatorSnapshot before = history.size() > 1 ? history.peekFirst() : null;
        terminal.puts(Capability.clear_screen);
        PrintWriter w = terminal.writer();
        for (String line : render(loaded, now, before, width, height)) {
            w.print(line);
            w.print("\r\n");
        }
        w.flush();
    }
}
