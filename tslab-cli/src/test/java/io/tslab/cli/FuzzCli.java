package io.tslab.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code tslab} in this JVM for the fuzz tests, one vector at a time, on a worker thread with a
 * time bound, with standard input, output and error replaced, and judges the outcome against the
 * CLI's contract:
 * <ul>
 *   <li>{@link Tslab#run} returns (no exception or error escapes it) within the bound;</li>
 *   <li>the exit code is 0, 1 or 2;</li>
 *   <li>stderr never says "internal error" (an exception no command expected: a bug);</li>
 *   <li>on exit 2 (bad input), stderr is exactly one line, starting {@code tslab: }, with no stack
 *       trace or exception class name, unless {@code --verbose} asked for stack traces.</li>
 * </ul>
 */
final class FuzzCli {
    private FuzzCli() {
    }

    static final long BOUND_SECONDS = 20;
    private static final ExecutorService RUNNER = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("fuzz-cli-runner").daemon().factory());

    /** What a run did; {@code broken} says how it broke the contract (null: it did not). */
    record Outcome(List<String> args, int exit, String out, String err, long nanos, String broken) {
        boolean hung() {
            return broken != null && broken.startsWith("did not end");
        }

        String describe() {
            return "tslab " + render(args) + "\n-- exit " + exit + " after " + nanos / 1_000_000 + " ms\n-- stderr:\n"
                    + abbreviate(err) + "\n-- stdout:\n" + abbreviate(out);
        }
    }

    static String render(List<String> args) {
        List<String> shown = new ArrayList<>();
        for (String a : args) {
            shown.add(a.isEmpty() || a.chars().anyMatch(c -> c <= ' ' || c == '\'' || c == '"' || c > 126)
                    ? "'" + abbreviate(a).replace("\n", "\\n").replace("\t", "\\t").replace("\u0000", "\\0") + "'" : abbreviate(a));
        }
        return String.join(" ", shown);
    }

    private static String abbreviate(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 2000) + "... (" + s.length() + " chars)";
    }

    /** Runs {@code args} with {@code stdin} as standard input, and judges the outcome. */
    static Outcome run(List<String> args, byte[] stdin) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        Locale locale = Locale.getDefault();
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        long start = System.nanoTime();
        int exit = -1;
        String broken = null;
        try {
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin));
            Future<Integer> f = RUNNER.submit(() -> Tslab.run(args.toArray(new String[0])));
            try {
                exit = f.get(BOUND_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                broken = "did not end within " + BOUND_SECONDS + " s";
            } catch (ExecutionException e) {
                broken = e.getCause() + " escaped Tslab.run";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
            Locale.setDefault(locale);
        }
        Outcome o = new Outcome(args, exit, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8),
                System.nanoTime() - start, broken);
        return broken != null ? o : new Outcome(o.args(), o.exit(), o.out(), o.err(), o.nanos(), brokenContract(o));
    }

    /** Collects the contract breaks of many runs, one example per kind of break. */
    static final class Findings {
        private final java.util.Map<String, Outcome> first = new java.util.LinkedHashMap<>();
        private final java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();

        void add(Outcome o) {
            if (o.broken() == null) {
                return;
            }
            String firstLine = o.err().lines().findFirst().orElse("");
            String key = o.broken() + " | " + firstLine.replaceAll("[0-9]+", "N").replaceAll("'[^']*'", "'…'")
                    .replaceAll("/[^ :]*", "/…");
            first.putIfAbsent(key, o);
            counts.merge(key, 1, Integer::sum);
        }

        int total() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }

        String report() {
            StringBuilder b = new StringBuilder(total() + " command lines broke the contract, " + first.size()
                    + " kinds:");
            first.forEach((k, o) -> b.append("\n\n[").append(counts.get(k)).append("x] ").append(o.broken()).append('\n')
                    .append(o.describe()));
            return b.toString();
        }
    }

    /** Why {@code o} breaks the contract, or null. */
    static String brokenContract(Outcome o) {
        if (o.exit() < 0 || o.exit() > 2) {
            return "exit code " + o.exit() + " (expected: 0, 1 or 2)";
        }
        if (o.err().contains("internal error")) {
            return "an internal error: an exception no command expected";
        }
        boolean verbose = o.args().contains("--verbose");
        if (o.exit() == 2 && !verbose) {
            List<String> lines = Arrays.asList(o.err().split("\n", -1));
            if (!lines.isEmpty() && lines.getLast().isEmpty()) {
                lines = lines.subList(0, lines.size() - 1);
            }
            if (lines.size() != 1) {
                return "exit 2 with " + lines.size() + " lines on stderr (expected: one)";
            }
            if (!lines.getFirst().startsWith("tslab: ")) {
                return "exit 2 without a 'tslab: ' message";
            }
            if (o.err().contains("Exception") || o.err().contains("\tat ")) {
                return "exit 2 with a stack trace or exception name";
            }
        }
        return null;
    }
}
