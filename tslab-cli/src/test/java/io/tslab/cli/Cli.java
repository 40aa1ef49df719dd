package io.tslab.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs {@code tslab} in this JVM ({@link Tslab#run}) with standard streams captured. */
final class Cli {
    private Cli() {
    }

    record Result(String[] args, int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        List<String> outLines() {
            return out.lines().toList();
        }

        /** What to show when an assertion fails. */
        String describe() {
            return "tslab " + String.join(" ", args) + "\n-- exit " + exit + "\n-- stdout:\n" + out + "\n-- stderr:\n" + err;
        }

        /** Exit 0, nothing on stderr. */
        Result ok() {
            assertEquals(0, exit, this::describe);
            assertEquals("", err, this::describe);
            return this;
        }

        /**
         * The bad-input contract: exit 2, exactly one line on stderr, starting "tslab: ", no stack
         * trace and no exception class name, nothing on stdout.
         */
        String badInput() {
            assertEquals(2, exit, this::describe);
            assertEquals(1, errLines().size(), () -> "expected exactly one line on stderr\n" + describe());
            String line = errLines().getFirst();
            assertTrue(line.startsWith("tslab: "), this::describe);
            assertTrue(line.length() > "tslab: ".length() + 10, () -> "not a clear message\n" + describe());
            assertFalse(err.contains("Exception"), this::describe);
            assertFalse(err.contains("\tat "), this::describe);
            assertEquals("", out, this::describe);
            return line;
        }
    }

    static Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs with {@code input} as standard input (null: leave it alone). One at a time: the streams are global. */
    static Result runWithInput(String input, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        Locale locale = Locale.getDefault();
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            if (input != null) {
                System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            }
            int exit = Tslab.run(args);
            System.out.flush();
            System.err.flush();
            return new Result(args, exit, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
            Locale.setDefault(locale); // Tslab.run sets Locale.ROOT for the whole JVM
        }
    }

    /** A pid no process has: that of a process that ran and finished. */
    static long deadPid() {
        try {
            Process p = new ProcessBuilder("true").start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("'true' did not finish");
            }
            long pid = p.pid();
            assertTrue(ProcessHandle.of(pid).isEmpty(), "pid " + pid + " was reused already");
            return pid;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A loopback port nothing listens on (bound, then closed). */
    static int closedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
