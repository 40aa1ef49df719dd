package io.tslab.cli;

import io.tslab.stats.StatsFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Targets that come and go: commands without a target use the only JVM publishing stats, and say so
 * when there are none or several; files left by killed JVMs are ignored; a watched target that dies
 * ends the watch with one line. Each test has a stats directory of its own ({@code
 * tslab.statsFile.dir}, here and in the targets), so other JVMs on the machine do not count.
 */
class TargetLifecycleTest {
    @TempDir
    Path dir;

    private String saved;

    @BeforeEach
    void privateDirectory() {
        saved = System.getProperty("tslab.statsFile.dir");
        System.setProperty("tslab.statsFile.dir", dir.toString());
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty("tslab.statsFile.dir");
        } else {
            System.setProperty("tslab.statsFile.dir", saved);
        }
    }

    private TestTarget start(String name) {
        return TestTarget.start(List.of("-Dtslab.statsFile.dir=" + dir), name);
    }

    @Test
    void noPublisher() {
        assertEquals(dir, StatsFile.directory());
        assertEquals("tslab: no JVM publishes allocator stats in " + dir + " (start one, e.g. ./tslab demo, or give --file / --url)",
                Cli.run("stats").badInput());
        Cli.run("top").badInput();
        Cli.run("export", "prometheus").badInput();
        assertEquals(List.of("no JVM publishes allocator stats in " + dir), Cli.run("list").ok().outLines());
    }

    @Test
    void theOnlyPublisherIsTheDefaultAndSeveralMustBeNamed() {
        try (TestTarget one = start("solo")) {
            Cli.Result stats = Cli.run("stats").ok();
            assertTrue(stats.out().startsWith("allocator solo  (pid " + one.pid() + ", heartbeat "), stats::describe);
            assertTrue(Cli.run("top").ok().out().contains("allocator solo (pid " + one.pid() + ")"));
            assertTrue(Cli.run("export", "prometheus").ok().out().contains("allocator=\"solo\""));
            assertEquals(2, Cli.run("watch", "--count", "1", "--interval", "100ms").ok().outLines().size());

            try (TestTarget two = start("duo")) {
                String line = Cli.run("stats").badInput();
                assertEquals("tslab: several JVMs publish allocator stats; name one: " + Math.min(one.pid(), two.pid())
                        + " (io.tslab.cli.TargetApp), " + Math.max(one.pid(), two.pid()) + " (io.tslab.cli.TargetApp)", line);
                assertEquals(2, Cli.run("list").ok().outLines().stream().filter(l -> l.contains("io.tslab.cli.TargetApp")).count());

                // killed without a chance to clean up: its file stays, and is ignored
                two.kill();
                assertTrue(Files.exists(dir.resolve(Long.toString(two.pid()))), "the left-over file");
                assertTrue(Cli.run("stats").ok().out().startsWith("allocator solo  (pid " + one.pid()));
                assertEquals(1, Cli.run("list").ok().outLines().stream().filter(l -> l.contains("io.tslab.cli.TargetApp")).count());
                assertEquals("tslab: pid " + two.pid() + ": no such process (it exited, or never ran)",
                        Cli.run("stats", Long.toString(two.pid())).badInput());
            }
        }
    }

    @Test
    void aWatchedTargetThatDiesEndsTheWatchWithOneLine() throws Exception {
        try (TestTarget mortal = start("mortal")) {
            ExecutorService executor = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().factory());
            try {
                Future<Cli.Result> watch = executor.submit(() -> Cli.run("watch", Long.toString(mortal.pid()), "--interval", "100ms"));
                mortal.awaitPublications(mortal.contents().sequence(), 3); // let it watch a little (not required)
                mortal.kill();
                Cli.Result r = watch.get(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals(2, r.exit(), r::describe);
                assertEquals(List.of("tslab: pid " + mortal.pid() + ": no such process (it exited, or never ran)"), r.errLines());
                assertTrue(r.outLines().stream().skip(1).allMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d .*")), r::describe);
            } finally {
                executor.shutdownNow();
            }
        }
    }
}
