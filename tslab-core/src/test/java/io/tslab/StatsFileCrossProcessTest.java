package io.tslab;

import io.tslab.internal.statsfile.StatsFileChannel;
import io.tslab.internal.statsfile.StatsFileDirectory;
import io.tslab.internal.statsfile.StatsFileWriter;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFileException.Problem;
import io.tslab.stats.StatsFilePublisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The stats file between real processes: another JVM reads this one's allocator and gets the numbers
 * of the snapshot published at that heartbeat; a paused target still reads, its heartbeat ageing; a
 * killed target's file is ignored and cleaned by the next writer; a reader racing a writer that exits
 * sees a whole publication or a clear absence; an unwritable directory costs one warning and nothing
 * else. Every child is killed in a {@code finally}, every wait is bounded.
 */
class StatsFileCrossProcessTest {
    private static final long SELF = ProcessHandle.current().pid();
    private static final long CHILD_START_SECONDS = 60;
    private static final long WAIT_NANOS = 20_000_000_000L;

    @TempDir
    Path dir;

    /** A child JVM running {@link StatsFileChildMain}, its stdout lines in a queue, its stderr in a file. */
    private record Child(Process process, BlockingQueue<String> lines, Path stderr) implements AutoCloseable {
        static Child start(Path dir, List<String> jvmOptions, String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                    "-cp", System.getProperty("java.class.path")));
            command.addAll(jvmOptions);
            command.add(StatsFileChildMain.class.getName());
            command.addAll(List.of(args));
            Path stderr = Files.createTempFile(dir, "child-", ".err");
            Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the child is gone
                }
            });
            return new Child(p, lines, stderr);
        }

        long pid() {
            return process.pid();
        }

        /** The next stdout line starting with {@code prefix}, without the prefix. */
        String await(String prefix) throws InterruptedException, IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_START_SECONDS);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
                if (line == null && !process.isAlive() && lines.isEmpty()) {
                    break;
                }
            }
            fail("child " + pid() + " printed no '" + prefix + "' line; stderr:\n" + Files.readString(stderr));
            return null;
        }

        void signal(String signal) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly(); // SIGKILL works on a stopped process too
            }
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static StatsFileContents awaitRead(long pid, Predicate<StatsFileContents> until, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        String last = "no read yet";
        while (System.nanoTime() < deadline) {
            try {
                StatsFileContents c = StatsFile.read(pid);
                if (until.test(c)) {
                    return c;
                }
                last = "sequence " + c.sequence() + ", " + c.allocatorNames();
            } catch (StatsFileException e) {
                last = e.getMessage();
            }
            Thread.sleep(20);
        }
        fail("timed out waiting for " + what + " of pid " + pid + " (" + last + ")");
        return null;
    }

    private static Optional<StatsFilePublisher> listed(long pid) {
        return StatsFile.list().stream().filter(p -> p.pid() == pid).findFirst();
    }

    @Test
    void anotherJvmReadsTheNumbersOfTheSnapshotPublishedAtThatHeartbeat() throws Exception {
        String name = "xproc-" + System.nanoTime();
        AtomicBoolean stop = new AtomicBoolean();
        try (SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(64L << 20).epochs(8).build()) {
            StatsFileChannel.keepPublications(64);
            a.setEpochLabel(0, "requests \"a\"");
            List<Long> kept = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                long h = a.alloc(1 + (i * 31) % 768);
                if (i % 3 == 0) {
                    kept.add(h);
                } else {
                    a.free(h);
                }
            }
            a.advanceEpoch();
            a.closeEpoch(0);
            Thread worker = Thread.ofPlatform().start(() -> { // the allocator keeps running during the read
                long i = 0;
                while (!stop.get()) {
                    long h = a.alloc(64 + (int) (i++ % 700));
                    if (i % 2 == 0) {
                        a.free(h);
                    }
                    if (i % 1_000 == 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // leave CPU to the child
                    }
                }
            });
            try {
                awaitRead(SELF, c -> c.allocator(name).isPresent() && StatsFileChannel.publication(c.sequence()).isPresent()
                        && c.allocator(name).get().global().totalAllocations() > 5000, "a kept publication after the work");
                String sequence;
                String json;
                try (Child reader = Child.start(dir, List.of(), "read", Long.toString(SELF), name)) {
                    sequence = reader.await("SEQUENCE ");
                    json = new String(Base64.getDecoder().decode(reader.await("JSON ")), StandardCharsets.UTF_8);
                    assertTrue(reader.process().waitFor(CHILD_START_SECONDS, TimeUnit.SECONDS));
                    assertEquals(0, reader.process().exitValue(), Files.readString(reader.stderr()));
                }
                StatsFileChannel.Publication published = StatsFileChannel.publication(Long.parseLong(sequence))
                        .orElseThrow(() -> new AssertionError("publication " + sequence + " is no longer kept"));
                AllocatorSnapshot inProcess = published.snapshots().stream()
                        .filter(s -> s.allocator().equals(name)).findFirst().orElseThrow();
                assertEquals(inProcess.toJson(), json);
                AllocatorSnapshot read = AllocatorSnapshot.fromJson(json);
                assertEquals(inProcess.global(), read.global());
                assertEquals(inProcess.classEpochs(), read.classEpochs());
                assertEquals(SELF, read.pid());
                assertTrue(read.global().totalAllocations() > 5000, "the worker ran before that heartbeat");
            } finally {
                stop.set(true);
                worker.join(10_000);
                StatsFileChannel.keepPublications(0);
            }
        }
    }

    @Test
    void aPausedTargetStillReadsWithAGrowingHeartbeatAgeAndAKilledTargetIsIgnored() throws Exception {
        String name = "target-" + System.nanoTime();
        try (Child target = Child.start(dir, List.of("-Dtslab.statsFile.intervalMs=100"), "target", name, "3000")) {
            long live = Long.parseLong(target.await("READY "));
            long pid = target.pid();
            StatsFileContents first = awaitRead(pid, c -> c.allocator(name).isPresent()
                    && c.allocator(name).get().global().liveObjects() == live, name + " after its allocations");
            assertEquals("child-target", first.allocator(name).orElseThrow().epochs().getFirst().label());
            assertEquals(Duration.ofMillis(100), first.publishInterval());
            StatsFilePublisher entry = listed(pid).orElseThrow(() -> new AssertionError("pid " + pid + " not listed"));
            assertEquals(List.of(name), entry.allocators());
            assertTrue(entry.command().orElse("").contains("StatsFileChildMain"), entry.toString());
            assertFalse(entry.stale());

            target.signal("STOP");
            try {
                Thread.sleep(300); // a publication in flight when the signal landed is over by now
                StatsFileContents paused = StatsFile.read(pid);
                Thread.sleep(700);
                StatsFileContents later = StatsFile.read(pid);
                assertEquals(paused.sequence(), later.sequence(), "nothing published while stopped");
                assertTrue(later.heartbeatAge().minus(paused.heartbeatAge()).toMillis() >= 600,
                        paused.heartbeatAge() + " then " + later.heartbeatAge());
                assertTrue(later.stale(), "age " + later.heartbeatAge() + " is over three intervals");
                assertEquals(paused.allocators().getFirst().toJson(), later.allocators().getFirst().toJson());
                assertTrue(listed(pid).orElseThrow().stale());
            } finally {
                target.signal("CONT");
            }
            StatsFileContents resumed = StatsFile.read(pid);
            awaitRead(pid, c -> c.sequence() > resumed.sequence(), "a heartbeat after SIGCONT");

            Path file = StatsFile.directory().resolve(Long.toString(pid));
            target.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(target.process().waitFor(30, TimeUnit.SECONDS));
            assertTrue(Files.exists(file), "a killed JVM leaves its file behind");
            assertTrue(listed(pid).isEmpty(), "a dead JVM is not listed");
            StatsFileException gone = assertThrows(StatsFileException.class,
                    () -> StatsFile.read(pid));
            assertEquals(Problem.PROCESS_GONE, gone.problem(), gone.getMessage());
            assertTrue(gone.getMessage().contains("process " + pid + " is not running; its file is left over and ignored"),
                    gone.getMessage());
        }
    }

    /**
     * The next JVM to publish removes a dead JVM's file. Then, while a reader reads its file in a loop,
     * that JVM exits normally: every read either returns a whole publication or says the file or the
     * process is gone (forbidden: any other failure), and the file is gone after the exit.
     */
    @Test
    void theNextWriterCleansDeadFilesAndAReaderRacingAnExitingWriterSeesWholeFilesOrAbsence() throws Exception {
        Path statsDir = StatsFile.directory();
        StatsFileDirectory.prepare(statsDir);
        StatsFileWriter deadWriter = new StatsFileWriter(statsDir, StatsFileFixtures.DEAD_PID, 0, 1000, 0);
        deadWriter.publish(List.of(StatsFileFixtures.snapshot("dead", StatsFileFixtures.DEAD_PID)),
                StatsFileFixtures.HEARTBEAT_NS);
        Path dead = deadWriter.file();
        try {
            String name = "exiting-" + System.nanoTime();
            try (Child target = Child.start(dir, List.of("-Dtslab.statsFile.intervalMs=10"), "target", name, "500")) {
                target.await("READY ");
                long pid = target.pid();
                awaitRead(pid, c -> c.allocator(name).isPresent(), name);
                assertFalse(Files.exists(dead), "the new writer removed the dead JVM's file");

                int[] whole = {0};
                int[] absent = {0};
                List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
                Thread reader = Thread.ofPlatform().start(() -> {
                    long deadline = System.nanoTime() + WAIT_NANOS;
                    while (absent[0] < 20 && System.nanoTime() < deadline) {
                        try {
                            StatsFileContents c = StatsFile.read(pid);
                            assertEquals(List.of(name), c.allocatorNames());
                            whole[0]++;
                        } catch (StatsFileException e) {
                            if (e.problem() != Problem.NO_FILE && e.problem() != Problem.PROCESS_GONE) {
                                failures.add(e);
                                return;
                            }
                            absent[0]++;
                        } catch (Throwable t) {
                            failures.add(t);
                            return;
                        }
                    }
                });
                Thread.sleep(300);
                target.process().getOutputStream().close(); // the child exits when its stdin closes
                reader.join(WAIT_NANOS / 1_000_000 + 5_000);
                assertTrue(failures.isEmpty(), () -> "a read failed: " + failures);
                assertEquals(20, absent[0], "the file went away within the bound");
                assertTrue(target.process().waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, target.process().exitValue());
                assertFalse(Files.exists(statsDir.resolve(Long.toString(pid))), "the shutdown hook removed the file");
                assertTrue(whole[0] > 0, "reads: " + whole[0] + " whole, " + absent[0] + " absent");
            }
        } finally {
            Files.deleteIfExists(dead);
        }
    }

    @Test
    void anUnwritableStatsDirectoryDisablesPublishingWithOneWarningAndAllocationGoesOn() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        try (Child child = Child.start(dir, List.of("-D" + StatsFileDirectory.DIRECTORY_PROPERTY + "="
                + notADirectory.resolve("stats")), "allocate", "3")) {
            assertEquals("750", child.await("OK "));
            assertTrue(child.process().waitFor(CHILD_START_SECONDS, TimeUnit.SECONDS));
            String stderr = Files.readString(child.stderr());
            assertEquals(0, child.process().exitValue(), stderr);
            long warnings = stderr.lines().filter(l -> l.contains("stats file publishing disabled")).count();
            assertEquals(1, warnings, stderr);
            assertTrue(stderr.contains("allocators are unaffected") && stderr.contains(notADirectory + " is not a directory"),
                    stderr);
        }
    }
}
