package io.tslab.cli;

import io.tslab.EpochState;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.StatsFileContents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * list, stats, watch, top (plain) and export prometheus against a real target: a child JVM with two
 * allocators ({@code cli-target}, {@code cli-aux}), each with a leaked domain scope; and against the
 * JSON files {@code stats --json} writes.
 */
class ReadCommandsTest {
    private static TestTarget target;
    private static String pid;

    @BeforeAll
    static void startTarget() {
        target = TestTarget.start("--leak", "cli-target", "cli-aux");
        pid = Long.toString(target.pid());
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    private static AllocatorSnapshot published(String allocator) {
        return target.contents().allocator(allocator).orElseThrow();
    }

    // ---- list ---------------------------------------------------------------------------------

    @Test
    void listShowsTheTargetWithItsAllocatorsAndHeartbeat() {
        Cli.Result r = Cli.run("list").ok();
        assertTrue(r.outLines().getFirst().matches("\\s+pid\\s+main\\s+allocators\\s+heartbeat\\s+live\\s+resident"), r::describe);
        String row = r.outLines().stream().filter(l -> l.strip().startsWith(pid + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for pid " + pid + "\n" + r.describe()));
        assertTrue(row.contains("io.tslab.cli.TargetApp"), row);
        assertTrue(row.contains("cli-target,cli-aux"), row);
        // the heartbeat age in seconds ('!' would mark it stale: not asserted, a loaded machine may delay it)
        assertTrue(Pattern.compile(" \\d+\\.\\ds[ !] ").matcher(row).find(), row);
    }

    // ---- stats --------------------------------------------------------------------------------

    @Test
    void statsSummarisesEveryAllocatorWithItsEpochs() {
        Cli.Result r = Cli.run("stats", pid).ok();
        String out = r.out();
        assertTrue(out.contains("allocator cli-target  (pid " + pid + ", heartbeat "), r::describe);
        assertTrue(out.contains("allocator cli-aux  (pid " + pid + ", heartbeat "), r::describe);
        AllocatorSnapshot s = published("cli-target");
        assertTrue(out.contains("live " + s.global().liveObjects() + " objects"), r::describe);
        assertTrue(out.contains("in " + s.global().netSlabs() + " slabs"), r::describe);
        for (String label : List.of("warmup", "leaky-batch", "requests")) {
            assertTrue(out.lines().anyMatch(l -> l.contains(" " + label + " ")), () -> label + "\n" + r.describe());
        }
        // the current epoch is starred; the leaked one is CLOSING with refcount 1
        EpochStats current = s.epochStats(s.global().currentEpoch());
        assertEquals("requests", current.label());
        assertTrue(out.lines().anyMatch(l -> l.matches("\\s+" + current.epochId() + "\\*\\s+" + current.epochEra() + " ACTIVE .*")),
                r::describe);
        assertTrue(out.lines().anyMatch(l -> l.matches(".* CLOSING .* leaky-batch\\s+1\\s+200 .*")), r::describe);
    }

    @Test
    void statsJsonIsTheSnapshotTheTargetPublishes() {
        Cli.Result r = Cli.run("stats", "--json", pid).ok();
        List<AllocatorSnapshot> printed = SnapshotDocuments.parse(r.out(), "stdout");
        StatsFileContents c = target.contents();
        assertEquals(c.allocatorNames(), printed.stream().map(AllocatorSnapshot::allocator).toList());
        for (int i = 0; i < printed.size(); i++) {
            AllocatorSnapshot p = printed.get(i);
            AllocatorSnapshot f = c.allocators().get(i);
            assertEquals(target.pid(), p.pid());
            // the target is idle after its workload: everything but time and process RSS is the same
            assertEquals(f.classes(), p.classes());
            assertEquals(f.global().liveObjects(), p.global().liveObjects());
            assertEquals(f.global().totalAllocations(), p.global().totalAllocations());
            assertEquals(f.global().netSlabs(), p.global().netSlabs());
            assertEquals(f.global().residentBytes(), p.global().residentBytes());
            assertEquals(f.epochs().stream().map(e -> e.label() + "/" + e.epochEra() + "/" + e.state() + "/" + e.refcount()).toList(),
                    p.epochs().stream().map(e -> e.label() + "/" + e.epochEra() + "/" + e.state() + "/" + e.refcount()).toList());
        }
        AllocatorSnapshot s = printed.getFirst();
        assertEquals(TargetApp.REQUEST_OBJECTS + TargetApp.LARGE_OBJECTS + TargetApp.LEAKED_OBJECTS, s.global().liveObjects());
        assertTrue(s.global().residentBytes() >= TargetApp.REQUEST_OBJECTS * 128L, "the written objects are resident");
    }

    @Test
    void statsAllocatorOptionSelectsOne() {
        Cli.Result r = Cli.run("stats", "--json", "-a", "cli-aux", pid).ok();
        AllocatorSnapshot only = AllocatorSnapshot.fromJson(r.out());
        assertEquals("cli-aux", only.allocator());
        Cli.Result human = Cli.run("stats", "--allocator", "cli-aux", pid).ok();
        assertTrue(human.out().contains("allocator cli-aux"), human::describe);
        assertFalse(human.out().contains("allocator cli-target"), human::describe);
    }

    @Test
    void unknownAllocatorIsBadInputNamingTheOnesThereAre() {
        String line = Cli.run("stats", "-a", "nope", pid).badInput();
        assertEquals("tslab: pid " + pid + ": no allocator named 'nope' (it has: cli-target, cli-aux)", line);
    }

    @Test
    void doctorFindsTheLeakedScopeWithItsLabelAndSite() {
        Cli.Result r = Cli.run("stats", "--doctor", "-a", "cli-target", pid).ok();
        String out = r.out();
        assertTrue(out.startsWith("tslab doctor: allocator cli-target (pid " + pid + ")"), r::describe);
        EpochStats leaked = published("cli-target").epochs().stream().filter(e -> e.label().equals("leaky-batch")).findFirst().orElseThrow();
        assertTrue(out.contains("LEAK  epoch " + leaked.epochId() + " (era " + leaked.epochEra()
                + ", label 'leaky-batch', CLOSING): refcount 1"), r::describe);
        assertTrue(out.contains("(" + TargetApp.LEAKED_OBJECTS + " live objects)"), r::describe);
        assertTrue(out.contains("entered at io.tslab.cli.TargetApp.workload"), r::describe);
        assertTrue(out.contains("1 finding(s) need action."), r::describe);
    }

    @Test
    void statsReadsFilesAndStandardInputAndWritesThemBackUnchanged(@TempDir Path dir) throws IOException {
        String json = Cli.run("stats", "--json", "-a", "cli-target", pid).ok().out();
        Path file = dir.resolve("snapshot.json");
        Files.writeString(file, json);

        Cli.Result fromFile = Cli.run("stats", "--file", file.toString()).ok();
        assertTrue(fromFile.out().startsWith("allocator cli-target  (file " + file + ")"), fromFile::describe);
        assertFalse(fromFile.out().contains("heartbeat"), "a file has no heartbeat\n" + fromFile.describe());

        assertEquals(json, Cli.run("stats", "--json", "--file", file.toString()).ok().out(), "file round trip");
        Cli.Result stdin = Cli.runWithInput(json, "stats", "--json", "--file", "-").ok();
        assertEquals(json, stdin.out(), "standard input round trip");

        // several allocators: {"allocators": [...]} round trip, and -a picks one
        String both = Cli.run("stats", "--json", pid).ok().out();
        assertTrue(both.startsWith("{\"allocators\": ["), both);
        Path bothFile = dir.resolve("both.json");
        Files.writeString(bothFile, both);
        assertEquals(both, Cli.run("stats", "--json", "--file", bothFile.toString()).ok().out());
        assertEquals("cli-aux", AllocatorSnapshot.fromJson(
                Cli.run("stats", "--json", "-a", "cli-aux", "--file", bothFile.toString()).ok().out()).allocator());
    }

    // ---- watch --------------------------------------------------------------------------------

    @Test
    void watchPrintsOneLinePerSample() {
        AllocatorSnapshot s = published("cli-target");
        Cli.Result r = Cli.run("watch", pid, "-a", "cli-target", "--interval", "100ms", "--count", "3", "--bytes").ok();
        List<String> lines = r.outLines();
        assertEquals(4, lines.size(), r::describe);
        assertTrue(lines.getFirst().matches("\\s+time\\s+allocs/s\\s+frees/s\\s+slow/s\\s+madvise/s\\s+live\\s+resident\\s+slabs"), r::describe);
        for (String line : lines.subList(1, 4)) {
            // idle target: no operations; live, resident and slabs as published
            assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\s+0\\s+0\\s+0\\s+0\\s+" + s.global().liveObjects() + "\\s+"
                    + s.global().residentBytes() + "\\s+" + s.global().netSlabs()), () -> line + "\n" + r.describe());
        }
    }

    @Test
    void watchSumsTheAllocatorsOfTheTarget() {
        long live = target.contents().allocators().stream().mapToLong(a -> a.global().liveObjects()).sum();
        Cli.Result r = Cli.run("watch", pid, "--interval", "100ms", "--count", "1", "--bytes").ok();
        assertEquals(2, r.outLines().size(), r::describe);
        assertTrue(r.outLines().get(1).matches(".*\\s" + live + "\\s.*"), r::describe);
    }

    // ---- top (plain: not a terminal) ----------------------------------------------------------

    /** The rows of a plain top table: the lines after the column header, split on blanks. */
    private static List<String[]> rows(Cli.Result r) {
        List<String> lines = r.outLines();
        int header = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("class ") || lines.get(i).startsWith("epoch  ")) {
                header = i;
            }
        }
        assertTrue(header > 0, r::describe);
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(header + 1, lines.size())) {
            if (!line.isBlank()) {
                rows.add(line.strip().split("\\s+"));
            }
        }
        return rows;
    }

    @Test
    void topRanksClassesBySlowPathHitsByDefault() {
        AllocatorSnapshot s = published("cli-target");
        Cli.Result r = Cli.run("top", pid, "-a", "cli-target").ok();
        assertTrue(r.outLines().getFirst().matches("tslab top - \\d\\d:\\d\\d:\\d\\d - allocator cli-target \\(pid " + pid
                + "\\) - classes by slow_path_hits \\(cumulative\\)"), r::describe);
        assertEquals("epoch " + s.global().currentEpoch() + " era " + s.global().currentEra() + " | live "
                + s.global().liveObjects() + " ", r.outLines().get(1).substring(0, r.outLines().get(1).indexOf('(')), r::describe);
        List<Integer> expected = s.classes().stream().filter(c -> c.newSlabCount() > 0 || c.slowPathHits() > 0)
                .sorted(Comparator.comparingLong(ClassStats::slowPathHits).reversed()).map(ClassStats::classIndex).toList();
        List<String[]> rows = rows(r);
        assertEquals(expected, rows.stream().map(row -> Integer.parseInt(row[0])).toList(), r::describe);
        for (String[] row : rows) {
            ClassStats c = s.classStats(Integer.parseInt(row[0]));
            assertEquals(Integer.toString(c.objectSize()), row[1]);
            assertEquals(Long.toString(c.slowPathHits()), row[row.length - 1], r::describe);
        }
    }

    @Test
    void topByAnotherMetricAndRowLimit() {
        Cli.Result r = Cli.run("top", pid, "-a", "cli-target", "--by", "live_objects", "--n", "1").ok();
        List<String[]> rows = rows(r);
        assertEquals(1, rows.size(), r::describe);
        assertEquals("2", rows.getFirst()[0], "class 2 (128 B) holds the most live objects\n" + r.describe());
        assertEquals(Integer.toString(TargetApp.REQUEST_OBJECTS), rows.getFirst()[rows.getFirst().length - 1], r::describe);
    }

    @Test
    void topRanksEpochsByRefcountWithTheLeakFirst() {
        Cli.Result r = Cli.run("top", pid, "-a", "cli-target", "--epochs", "--by", "refcount").ok();
        assertTrue(r.outLines().getFirst().endsWith(" - epochs by refcount (cumulative)"), r::describe);
        List<String[]> rows = rows(r);
        assertEquals(List.of("warmup", "leaky-batch", "requests").stream().sorted().toList(),
                rows.stream().map(row -> row[4]).sorted().toList(), r::describe);
        String[] first = rows.getFirst();
        assertEquals("leaky-batch", first[4], r::describe);
        assertEquals(EpochState.CLOSING.name(), first[2]);
        assertEquals("1", first[5]);
        assertEquals("1", first[first.length - 1]);
    }

    @Test
    void topReadsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.json");
        Files.writeString(file, Cli.run("stats", "--json", pid).ok().out());
        Cli.Result r = Cli.run("top", "--file", file.toString(), "-a", "cli-aux", "--epochs", "--by", "live", "--once").ok();
        assertTrue(r.outLines().getFirst().endsWith(" - allocator cli-aux (file " + file + ") - epochs by live (cumulative)"), r::describe);
        String[] first = rows(r).getFirst();
        assertEquals("requests", first[4], r::describe);
        assertEquals(Integer.toString(TargetApp.REQUEST_OBJECTS + TargetApp.LARGE_OBJECTS), first[first.length - 1], r::describe);
    }

    @Test
    void topRatesOverAWindow() {
        Cli.Result r = Cli.run("top", pid, "-a", "cli-target", "--window", "200ms").ok();
        assertTrue(r.outLines().getFirst().endsWith(" - classes by slow_path_hits per second over 200ms"), r::describe);
        List<String> lines = r.outLines();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("class ") && l.endsWith("slow_path_hits/s")), r::describe);
        // nothing happens in the idle target: every rate is 0
        for (String[] row : rows(r)) {
            assertEquals("0", row[row.length - 1], r::describe);
        }
    }

    // ---- Locale.ROOT -------------------------------------------------------------------------

    @Test
    void outputIsInLocaleRootWhateverTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            for (String[] args : List.of(new String[] {"list"}, new String[] {"stats", pid}, new String[] {"stats", "--doctor", pid},
                    new String[] {"top", pid}, new String[] {"top", "--epochs", pid}, new String[] {"watch", pid, "--count", "1", "--interval", "100ms"})) {
                Locale.setDefault(Locale.GERMANY);
                Cli.Result r = Cli.run(args).ok();
                assertTrue(Pattern.compile("\\d\\.\\d").matcher(r.out()).find(), () -> "decimals expected\n" + r.describe());
                assertFalse(Pattern.compile("\\d,\\d").matcher(r.out()).find(), () -> "a decimal comma\n" + r.describe());
            }
        } finally {
            Locale.setDefault(saved);
        }
    }

    // ---- export prometheus --------------------------------------------------------------------

    @Test
    void exportPrometheusMatchesTheStatsFile() {
        Cli.Result r = Cli.run("export", "prometheus", pid).ok();
        PromText text = PromText.parse(r.out());
        checkExposition(text, target.contents(), pid);
    }

    @Test
    void exportPrometheusFromAFile(@TempDir Path dir) throws IOException {
        String json = Cli.run("stats", "--json", pid).ok().out();
        Path file = dir.resolve("s.json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        PromText text = PromText.parse(Cli.run("export", "prometheus", "--file", file.toString()).ok().out());
        List<AllocatorSnapshot> snapshots = SnapshotDocuments.parse(json, "x");
        for (AllocatorSnapshot s : snapshots) {
            assertEquals(s.global().liveObjects(), text.value("temporal_slab_live_objects",
                    Map.of("allocator", s.allocator(), "pid", pid)));
        }
    }

    /**
     * Checks an exposition against the target's stats file: every family has samples, every series
     * carries the allocator and pid, class and epoch series have their labels, the era is a value
     * and never a label, and the figures that do not move in an idle target are the published ones.
     */
    static void checkExposition(PromText text, StatsFileContents contents, String pid) {
        assertTrue(text.families.size() >= 40, "at least 40 families: " + text.families.keySet());
        for (PromText.Family family : text.families.values()) {
            assertTrue(family.name().startsWith("temporal_slab_"), family.name());
            assertFalse(family.samples().isEmpty(), family.name());
            assertEquals(family.type().equals("counter"), family.samples().getFirst().name().endsWith("_total"),
                    "_total on counters only: " + family.name());
        }
        for (PromText.Sample sample : text.samples) {
            assertFalse(sample.labels().containsKey("era"), "the era is never a label: " + sample);
        }
        for (AllocatorSnapshot s : contents.allocators()) {
            Map<String, String> who = Map.of("allocator", s.allocator(), "pid", pid);
            List<PromText.Sample> mine = text.samples.stream()
                    .filter(x -> x.labels().entrySet().containsAll(who.entrySet())).toList();
            assertTrue(mine.size() > 100, "series of " + who + ": " + mine.size());
            assertEquals(s.global().liveObjects(), text.value("temporal_slab_live_objects", who));
            assertEquals(s.global().liveBytes(), text.value("temporal_slab_live_bytes", who));
            assertEquals(s.global().netSlabs(), text.value("temporal_slab_net_slabs", who));
            assertEquals(s.global().residentBytes(), text.value("temporal_slab_resident_bytes", who));
            assertEquals(s.global().totalAllocations(), text.value("temporal_slab_allocations_total", who));
            assertEquals(s.global().totalSlowPathHits(), text.value("temporal_slab_slow_path_hits_total", who));
            assertEquals(s.global().totalMadviseBytes(), text.value("temporal_slab_madvise_bytes_total", who));
            assertEquals(s.global().currentEra(), text.value("temporal_slab_current_era", who));
            assertEquals(s.epochCount(), text.value("temporal_slab_epoch_ring_slots", who));
            for (ClassStats c : s.classes()) {
                Map<String, String> cls = Map.of("allocator", s.allocator(), "pid", pid,
                        "class", Integer.toString(c.classIndex()), "object_size", Integer.toString(c.objectSize()));
                assertEquals(c.liveObjects(), text.value("temporal_slab_class_live_objects", cls), cls::toString);
                assertEquals(c.slowPathHits(), text.value("temporal_slab_class_slow_path_hits_total", cls), cls::toString);
            }
            Set<String> epochSeries = text.find("temporal_slab_epoch_era", who).stream()
                    .map(x -> x.labels().get("epoch") + "=" + x.labels().get("label") + "@" + (long) x.value())
                    .collect(Collectors.toSet());
            Set<String> expected = s.epochs().stream()
                    .map(e -> e.epochId() + "=" + e.label() + "@" + e.epochEra()).collect(Collectors.toSet());
            assertEquals(expected, epochSeries, "one temporal_slab_epoch_era series per ring slot, era as value");
            EpochStats leaked = s.epochs().stream().filter(e -> e.label().equals("leaky-batch")).findFirst().orElseThrow();
            assertEquals(1, text.value("temporal_slab_epoch_refcount", Map.of("allocator", s.allocator(), "pid", pid,
                    "epoch", Integer.toString(leaked.epochId()), "label", "leaky-batch")));
        }
    }
}
