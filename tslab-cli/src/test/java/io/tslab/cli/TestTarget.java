package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real target: a child JVM running {@link TargetApp}, publishing its stats file every 100 ms.
 * {@link #start} returns once the child has run its workload and its stats file shows the end of it;
 * {@link #close} kills it. Every wait is bounded.
 */
final class TestTarget implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path stderr;

    private TestTarget(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = Thread.ofPlatform().daemon().name("target-" + process.pid()).start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child was killed
            }
        });
        reader.setUncaughtExceptionHandler((t, e) -> { });
    }

    /** The java launcher of this JVM (JDK 25, whatever java is on the PATH). */
    static String java() {
        return ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command"));
    }

    /** java, native access, the test class path: the start of a command line running a class of these tests. */
    static List<String> javaCommand(String... jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xshare:auto");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(List.of(jvmOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    /** Starts {@link TargetApp} with these arguments and waits until it publishes. */
    static TestTarget start(String... args) {
        return start(List.of(), args);
    }

    /**
     * Starts {@link TargetApp} with these JVM options and arguments and waits until it publishes
     * (in {@link StatsFile#directory()} as this JVM sees it: a {@code -Dtslab.statsFile.dir} option
     * needs the same system property here).
     */
    static TestTarget start(List<String> jvmOptions, String... args) {
        List<String> command = javaCommand("-Dtslab.statsFile.intervalMs=100", "-Xmx64m");
        command.addAll(command.size() - 2, jvmOptions);
        command.add(TargetApp.class.getName());
        command.addAll(List.of(args));
        Path stderr;
        Process process;
        try {
            stderr = Files.createTempFile("tslab-target-", ".err");
            process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestTarget target = new TestTarget(process, stderr);
        try {
            target.expectLine("ready");
            await("the stats file of pid " + process.pid() + " to be listed",
                    () -> StatsFile.list().stream().anyMatch(p -> p.pid() == process.pid() && p.readable()));
            // a publication may have caught the workload half done: wait for two after "ready"
            target.awaitPublications(target.contents().sequence(), 2);
            return target;
        } catch (RuntimeException | Error e) {
            target.close();
            throw e;
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The child's current stats file. */
    StatsFileContents contents() {
        return StatsFile.read(pid());
    }

    /** The snapshot of the (first) allocator of the child, as its stats file has it now. */
    AllocatorSnapshot snapshot() {
        return contents().allocators().getFirst();
    }

    /** Runs a {@link TargetApp} command and waits until a publication made after it is in the stats file. */
    void command(String command) {
        long before = contents().sequence();
        try {
            stdin.write(command + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        expectLine("done " + command);
        // The publication running while the command ran may predate its end: wait for two more.
        awaitPublications(before, 2);
    }

    /** Waits until the stats file has been republished {@code count} times after sequence {@code before}. */
    void awaitPublications(long before, int count) {
        long[] seen = {before};
        int[] publications = {0};
        await(count + " publications of pid " + pid(), () -> {
            long now = contents().sequence();
            if (now != seen[0]) {
                seen[0] = now;
                publications[0]++;
            }
            return publications[0] >= count;
        });
    }

    /** Kills the child (SIGKILL) and waits until it is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("pid " + pid() + " did not die");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void expectLine(String expected) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (expected.equals(line)) {
                    return;
                }
                if (line == null && !process.isAlive()) {
                    throw new AssertionError("target exited with " + process.exitValue() + " before '" + expected
                            + "'; stderr: " + errors());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        throw new AssertionError("target did not print '" + expected + "' within " + WAIT + "; stderr: " + errors());
    }

    private String errors() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Polls {@code condition} every 20 ms until it holds, failing after {@link #WAIT}. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (StatsFileException e) {
                last = e;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out after " + WAIT + " waiting for " + what, last);
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(stderr);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
