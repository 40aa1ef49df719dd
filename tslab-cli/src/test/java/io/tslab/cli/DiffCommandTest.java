package io.tslab.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tslab diff} on snapshots taken with {@code tslab stats --json} from a real target: a clean
 * pair (exit 0), a pair with real madvise failures injected in the target (exit 1), a target with a
 * leaked scope, thresholds crossed by edited figures, and invalid inputs (exit 2).
 */
class DiffCommandTest {
    @TempDir
    static Path dir;

    private static TestTarget target;
    private static Path before;
    private static Path afterChurn;
    private static Path afterFailures;
    private static Path both;
    private static Path otherAllocator;

    @BeforeAll
    static void snapshots() throws IOException {
        target = TestTarget.start("orders", "sessions");
        String pid = Long.toString(target.pid());
        before = save("a.json", Cli.run("stats", "--json", "-a", "orders", pid).ok().out());
        otherAllocator = save("other.json", Cli.run("stats", "--json", "-a", "sessions", pid).ok().out());
        both = save("both.json", Cli.run("stats", "--json", pid).ok().out());
        target.command("churn");
        afterChurn = save("b.json", Cli.run("stats", "--json", "-a", "orders", pid).ok().out());
        target.command("madvise-fail");
        afterFailures = save("c.json", Cli.run("stats", "--json", "-a", "orders", pid).ok().out());
    }

    @AfterAll
    static void stop() {
        if (target != null) {
            target.close();
        }
    }

    private static Path save(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static String s(Path p) {
        return p.toString();
    }

    /** The delta column of a global field row of the diff table. */
    private static long delta(Cli.Result r, String field) {
        Matcher m = Pattern.compile("^  " + field + "\\s+(\\d+)\\s+(\\d+)\\s+([+-]\\d+)\\s", Pattern.MULTILINE).matcher(r.out());
        assertTrue(m.find(), () -> field + "\n" + r.describe());
        assertEquals(Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)), Long.parseLong(m.group(3)));
        return Long.parseLong(m.group(3));
    }

    @Test
    void cleanPairExitsZeroAndShowsTheDeltas() {
        Cli.Result r = Cli.run("diff", s(before), s(afterChurn), "--fail-on", "regression").ok();
        assertTrue(r.outLines().getFirst().matches("allocator orders: B is \\d+\\.\\d{3}s after A"), r::describe);
        assertEquals(1000, delta(r, "total_allocations"), "the churn: 1000 allocations");
        assertEquals(1000, delta(r, "total_frees"));
        assertFalse(r.out().contains("  live_objects "), "unchanged fields are left out\n" + r.describe());
        assertEquals("no regression", r.outLines().getLast(), r::describe);

        Cli.Result all = Cli.run("diff", "--all", s(before), s(afterChurn)).ok();
        assertEquals(0, delta(all, "live_objects"), "--all lists unchanged fields");
    }

    @Test
    void realMadviseFailuresAreARegression() {
        Cli.Result r = Cli.run("diff", s(afterChurn), s(afterFailures), "--fail-on", "regression");
        assertEquals(1, r.exit(), r::describe);
        assertEquals("", r.err(), r::describe);
        assertEquals(3, delta(r, "total_madvise_failures"));
        assertTrue(r.outLines().contains("REGRESSION 3 new madvise failure(s)"), r::describe);

        // reported but not failing without --fail-on; ignored when allowed
        Cli.Result report = Cli.run("diff", s(afterChurn), s(afterFailures)).ok();
        assertTrue(report.outLines().contains("REGRESSION 3 new madvise failure(s)"), report::describe);
        Cli.Result allowed = Cli.run("diff", s(afterChurn), s(afterFailures), "--fail-on", "regression", "--allow-madvise-failures");
        assertFalse(allowed.out().contains("madvise failure"), allowed::describe);
    }

    @Test
    void aLeakedScopeIsARegression() throws IOException {
        try (TestTarget leaky = TestTarget.start("--leak", "leaky")) {
            String pid = Long.toString(leaky.pid());
            Path a = save("leak-a.json", Cli.run("stats", "--json", pid).ok().out());
            leaky.awaitPublications(leaky.contents().sequence(), 1);
            Path b = save("leak-b.json", Cli.run("stats", "--json", pid).ok().out());
            Cli.Result r = Cli.run("diff", s(a), s(b), "--fail-on", "regression");
            assertEquals(1, r.exit(), r::describe);
            int epoch = leaky.snapshot().epochs().stream().filter(e -> e.label().equals("leaky-batch")).findFirst().orElseThrow().epochId();
            assertTrue(r.out().contains("REGRESSION refcount leak: epoch " + epoch + " (era "), r::describe);
            assertTrue(r.out().contains("label 'leaky-batch') is CLOSING with refcount 1"), r::describe);
            Cli.Result allowed = Cli.run("diff", s(a), s(b), "--fail-on", "regression", "--allow-refcount-leaks").ok();
            assertEquals("no regression", allowed.outLines().getLast(), allowed::describe);
        }
    }

    @Test
    void slabGrowthAndSlowPathThresholds() throws IOException {
        String b = Files.readString(afterChurn);
        long netSlabs = target.snapshot().global().netSlabs();
        assertTrue(b.contains("\n  \"net_slabs\": " + netSlabs + ",\n"), b);
        Path grown = save("grown.json", b.replace("\n  \"net_slabs\": " + netSlabs + ",\n", "\n  \"net_slabs\": " + netSlabs * 2 + ",\n"));
        Cli.Result r = Cli.run("diff", s(before), s(grown), "--fail-on", "regression");
        assertEquals(1, r.exit(), r::describe);
        assertTrue(r.outLines().contains("REGRESSION slabs in service grew from " + netSlabs + " to " + netSlabs * 2
                + " (+100%, threshold +10%)"), r::describe);
        Cli.Result tolerant = Cli.run("diff", s(before), s(grown), "--fail-on", "regression", "--net-slab-growth", "150").ok();
        assertEquals("no regression", tolerant.outLines().getLast(), tolerant::describe);

        // every allocation of the churn took the slow path
        Matcher slow = Pattern.compile("\n  \"total_slow_path_hits\": (\\d+),\n").matcher(b);
        assertTrue(slow.find());
        long hits = Long.parseLong(slow.group(1));
        Path slower = save("slower.json", b.replace(slow.group(), "\n  \"total_slow_path_hits\": " + (hits + 1000) + ",\n"));
        Cli.Result s = Cli.run("diff", s(before), s(slower), "--fail-on", "regression");
        assertEquals(1, s.exit(), s::describe);
        assertTrue(s.out().contains("REGRESSION slow-path rate 100.0000% of allocations between A and B"), s::describe);
    }

    @Test
    void severalAllocatorsNeedAllocatorOption() {
        String line = Cli.run("diff", s(both), s(afterChurn)).badInput();
        assertEquals("tslab: file " + both + ": holds 2 allocators (expected one; choose with --allocator)", line);
        Cli.run("diff", "-a", "orders", s(both), s(afterChurn), "--fail-on", "regression").ok();
        assertEquals("tslab: file " + both + ": no allocator named 'nope'", Cli.run("diff", "-a", "nope", s(both), s(afterChurn)).badInput());
    }

    @Test
    void invalidInputsExitTwo() throws IOException {
        assertEquals("tslab: A is allocator 'orders', B is 'sessions' (expected: two snapshots of the same allocator)",
                Cli.run("diff", s(before), s(otherAllocator), "--fail-on", "regression").badInput());
        assertEquals("tslab: B was taken before A (expected: A earlier, B later)",
                Cli.run("diff", s(afterChurn), s(before), "--fail-on", "regression").badInput());

        Path wrongSchema = save("v99.json", Files.readString(afterChurn).replace("\"schema_version\": 1,", "\"schema_version\": 99,"));
        assertEquals("tslab: file " + wrongSchema + ": schema_version 99 (expected 1); use a tslab of the matching version",
                Cli.run("diff", s(before), s(wrongSchema), "--fail-on", "regression").badInput());

        Path missing = dir.resolve("missing.json");
        assertEquals("tslab: file " + missing + ": no such file",
                Cli.run("diff", s(missing), s(afterChurn), "--fail-on", "regression").badInput());

        Path unreadable = dir.resolve("a-directory.json");
        Files.createDirectories(unreadable);
        assertTrue(Cli.run("diff", s(before), s(unreadable), "--fail-on", "regression").badInput()
                .startsWith("tslab: file " + unreadable + ": cannot read ("));

        Path broken = save("broken.json", Files.readString(afterChurn).substring(0, 300));
        assertTrue(Cli.run("diff", s(before), s(broken)).badInput().startsWith("tslab: file " + broken + ": not JSON ("));

        assertEquals("tslab: --fail-on: 'everything' (expected: regression)",
                Cli.run("diff", s(before), s(afterChurn), "--fail-on", "everything").badInput());
        assertEquals("tslab: A and B cannot both be standard input", Cli.run("diff", "-", "-").badInput());
    }

    @Test
    void standardInputAsA() throws IOException {
        Cli.Result r = Cli.runWithInput(Files.readString(before), "diff", "-", s(afterChurn), "--fail-on", "regression").ok();
        assertEquals(List.of("no regression"), r.outLines().subList(r.outLines().size() - 1, r.outLines().size()));
    }
}
