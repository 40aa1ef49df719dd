package io.tslab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The full-screen {@code tslab top} in a real terminal: tmux runs it (a private tmux server, its
 * own socket), the test sends keys, captures the pane and asserts on the screen.
 */
class TopTerminalTest {
    private static final Path TMUX = Path.of("/usr/bin/tmux");

    private final String socket = "tslab-test-" + UUID.randomUUID();
    private final String session = "top";

    @Test
    void fullScreenTopFollowsKeysAndResizes(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(TMUX), "tmux is not installed");
        try (TestTarget target = TestTarget.start("--leak", "screen")) {
            Path exitFile = dir.resolve("exit-code");
            Path script = dir.resolve("top.sh");
            List<String> java = TestTarget.javaCommand();
            java.addAll(List.of(Tslab.class.getName(), "top", Long.toString(target.pid()), "--interval", "200ms"));
            Files.writeString(script, String.join(" ", java.stream().map(TopTerminalTest::quote).toList())
                    + " 2> " + quote(dir.resolve("stderr").toString()) + "\necho $? > " + quote(exitFile.toString()) + "\n");
            try {
                tmux("-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", "sh " + quote(script.toString()));

                String screen = awaitScreen("the class view", s -> s.contains("classes by slow_path_hits (cumulative)")
                        && s.contains("q quit  c classes  e epochs  s sort: next metric  r rate per second"));
                assertTrue(screen.lines().findFirst().orElse("").startsWith("tslab top - "), screen);
                assertTrue(screen.contains("allocator screen (pid " + target.pid() + ")"), screen);
                assertTrue(screen.lines().anyMatch(l -> l.matches("2\\s+128\\s+1000\\s+.*")), "class 2 row\n" + screen);

                tmux("send-keys", "-t", session, "e");
                screen = awaitScreen("the epoch view", s -> s.contains("epochs by rss (cumulative)"));
                assertTrue(screen.lines().anyMatch(l -> l.matches("\\d+\\s+\\d+\\s+CLOSING\\s+\\S+\\s+leaky-batch\\s+1\\s+200\\s+.*")),
                        "the leaked epoch\n" + screen);
                assertTrue(screen.contains(" requests "), screen);

                tmux("send-keys", "-t", session, "s");
                awaitScreen("epochs sorted by age", s -> s.contains("epochs by age (cumulative)"));

                tmux("send-keys", "-t", session, "c");
                awaitScreen("back to classes", s -> s.contains("classes by slow_path_hits"));
                tmux("send-keys", "-t", session, "s");
                awaitScreen("classes sorted by new slabs", s -> s.contains("classes by new_slab_count"));

                tmux("send-keys", "-t", session, "r");
                screen = awaitScreen("rates", s -> s.contains("classes by new_slab_count per second over 5s")
                        && s.contains("r cumulative"));
                assertTrue(screen.contains("new_slab_count/s"), screen);

                tmux("resize-window", "-t", session, "-x", "70", "-y", "12");
                screen = awaitJoined("a screen that fits 70x12", s -> {
                    List<String> lines = s.lines().toList();
                    return !lines.isEmpty() && lines.getFirst().startsWith("tslab top - ")
                            && lines.stream().allMatch(l -> l.length() <= 70)
                            && lines.stream().anyMatch(l -> l.startsWith("q quit"));
                });
                List<String> lines = screen.lines().toList();
                assertTrue(lines.size() <= 12, screen);
                assertEquals(70, lines.getFirst().length(), "the header is cut at the width\n" + screen);
                assertTrue(lines.get(1).startsWith("epoch "), "no wrapped continuation\n" + screen);

                tmux("send-keys", "-t", session, "q");
                awaitFile(exitFile);
                assertEquals("0", Files.readString(exitFile).strip(), () -> "exit code; stderr: " + read(dir.resolve("stderr")));
                assertEquals("", read(dir.resolve("stderr")));
            } finally {
                runTmux(true, "kill-server");
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private String awaitScreen(String what, Predicate<String> condition) {
        return await(what, condition, false);
    }

    private String awaitJoined(String what, Predicate<String> condition) {
        return await(what, condition, true);
    }

    /** Captures the pane (joining wrapped lines if asked) until {@code condition} holds; bounded. */
    private String await(String what, Predicate<String> condition, boolean joined) {
        long deadline = System.nanoTime() + TestTarget.WAIT.toNanos();
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = joined ? tmux("capture-pane", "-p", "-J", "-t", session) : tmux("capture-pane", "-p", "-t", session);
            if (condition.test(screen)) {
                return screen;
            }
            sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what + "; the screen:\n" + screen);
    }

    private static void awaitFile(Path file) throws IOException {
        long deadline = System.nanoTime() + TestTarget.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && !Files.readString(file).isBlank()) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError("top did not exit after q");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String tmux(String... args) {
        return runTmux(false, args);
    }

    private String runTmux(boolean mayFail, String... args) {
        List<String> command = new ArrayList<>(List.of(TMUX.toString(), "-L", socket));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("tmux " + String.join(" ", args) + " hangs");
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.exitValue() != 0 && !mayFail) {
                    throw new AssertionError("tmux " + String.join(" ", args) + " failed: " + out);
                }
                return out;
            } finally {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
