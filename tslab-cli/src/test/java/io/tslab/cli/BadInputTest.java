package io.tslab.cli;

import io.tslab.SlabAllocator;
import io.tslab.stats.StatsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input for every command: one line on stderr starting "tslab: ", exit 2, no stack trace
 * (see {@link Cli.Result#badInput()}), and the line says what is wrong.
 */
class BadInputTest {
    @TempDir
    static Path dir;

    static Path valid;
    static Path missing;
    static Path notJson;
    static Path truncated;
    static Path empty;
    static Path wrongSchema;
    static Path noSchema;
    static Path missingField;
    static Path notAnObject;
    static Path duplicateKey;
    static long deadPid;
    /** A live process of this user that publishes nothing: the build tool that forked this JVM. */
    static long quietPid;
    static int closedPort;

    @BeforeAll
    static void files() throws IOException {
        String json;
        try (SlabAllocator a = SlabAllocator.builder().name("bad-input").reserveBytes(16L << 20)
                .publishStatsFile(false).registerMXBean(false).build()) {
            for (int i = 0; i < 100; i++) {
                a.alloc(64);
            }
            json = a.snapshot().toJson();
        }
        valid = write("valid.json", json);
        missing = dir.resolve("missing.json");
        notJson = write("not-json.json", "hello, world\n");
        truncated = write("truncated.json", json.substring(0, json.length() / 2));
        empty = write("empty.json", "");
        assertTrue(json.contains("\"schema_version\": 1,"), json);
        wrongSchema = write("v99.json", json.replace("\"schema_version\": 1,", "\"schema_version\": 99,"));
        noSchema = write("no-schema.json", "{\"hello\": 1}");
        assertTrue(json.contains("\n  \"live_objects\": 100,\n"), json);
        missingField = write("missing-field.json", json.replace("\n  \"live_objects\": 100,\n", "\n"));
        notAnObject = write("number.json", "42");
        duplicateKey = write("duplicate-key.json", "{\"allocators\": [" + json + "], \"allocators\": []}");
        deadPid = Cli.deadPid();
        quietPid = ProcessHandle.current().parent().orElseThrow().pid();
        closedPort = Cli.closedPort();
    }

    private static Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    /** Commands that read one target, as the words before the target options. */
    static final List<List<String>> TARGET_COMMANDS = List.of(
            List.of("stats"), List.of("stats", "--json"), List.of("stats", "--doctor"), List.of("top"),
            List.of("top", "--epochs"), List.of("export", "prometheus"), List.of("watch", "--count", "1"));

    static Stream<Arguments> badTargets() {
        String url = "http://127.0.0.1:" + closedPort;
        List<Arguments> cases = new ArrayList<>();
        for (List<String> command : TARGET_COMMANDS) {
            boolean watch = command.getFirst().equals("watch");
            String fileProblem = watch ? "tslab: watch needs a live target: a PID or --url (a file does not change)" : null;
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: file " + missing + ": no such file", "--file", missing.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: file " + notJson + ": not JSON (", "--file", notJson.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: file " + truncated + ": not JSON (", "--file", truncated.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: file " + empty + ": empty input (expected a snapshot JSON document)",
                    "--file", empty.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem
                    : "tslab: file " + wrongSchema + ": schema_version 99 (expected 1); use a tslab of the matching version",
                    "--file", wrongSchema.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem
                    : "tslab: file " + noSchema + ": no schema_version (expected a temporal-slab snapshot)", "--file", noSchema.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: file " + missingField + ": ", "--file", missingField.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: file " + duplicateKey + ": not JSON (Duplicate field 'allocators')",
                    "--file", duplicateKey.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem
                    : "tslab: file " + notAnObject + ": expected a snapshot JSON object, found NUMBER", "--file", notAnObject.toString()));
            cases.add(c(command, "tslab: pid " + deadPid + ": no such process (it exited, or never ran)", Long.toString(deadPid)));
            cases.add(c(command, "tslab: pid: 0 (expected: a positive process id)", "0"));
            cases.add(c(command, "tslab: pid " + quietPid + " publishes no allocator stats (no file in " + StatsFile.directory() + ")",
                    Long.toString(quietPid)));
            cases.add(c(command, "tslab: " + url + "/stats.json: connection refused (is tslab serve running?)", "--url", url));
            cases.add(c(command, "tslab: --url ftp://example.org/x: not an http(s) URL", "--url", "ftp://example.org/x"));
            // conflicting targets (watch refuses any --file first)
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: give one target: a PID, --file or --url (got 2)",
                    "1", "--file", valid.toString()));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: give one target: a PID, --file or --url (got 2)",
                    "--file", valid.toString(), "--url", url));
            cases.add(c(command, fileProblem != null ? fileProblem : "tslab: give one target: a PID, --file or --url (got 3)",
                    "1", "--file", valid.toString(), "--url", url));
            cases.add(c(command, "tslab: give one target: a PID, --file or --url (got 2)", "1", "--url", url));
        }
        return cases.stream();
    }

    private static Arguments c(List<String> command, String expected, String... target) {
        List<String> args = new ArrayList<>(command);
        args.addAll(List.of(target));
        return Arguments.of(String.join(" ", args), expected, args.toArray(String[]::new));
    }

    @ParameterizedTest(name = "tslab {0}")
    @MethodSource("badTargets")
    void badTarget(String name, String expected, String[] args) {
        String line = Cli.run(args).badInput();
        assertTrue(line.startsWith(expected), () -> "expected: " + expected + "\n  actual: " + line);
    }

    static Stream<Arguments> badOptions() {
        String v = valid.toString();
        return Stream.of(
                Arguments.of("tslab: --by: unknown class metric 'nope' (expected one of: slow_path_hits, new_slab_count, madvise_bytes,",
                        new String[] {"top", "--file", v, "--by", "nope"}),
                Arguments.of("tslab: --by: unknown epoch metric 'slow_path_hits' (expected one of: rss, age, refcount, reclaimable, live, live_bytes, older)",
                        new String[] {"top", "--file", v, "--epochs", "--by", "slow_path_hits"}),
                Arguments.of("tslab: --n: 0 (expected: at least 1)", new String[] {"top", "--file", v, "--n", "0"}),
                Arguments.of("tslab: --interval: 10ms (expected: at least 100ms)", new String[] {"top", "--file", v, "--interval", "10ms"}),
                Arguments.of("tslab: --window needs a live target: a PID or --url (a file does not change)",
                        new String[] {"top", "--file", v, "--window", "5s"}),
                Arguments.of("tslab: watch needs a live target: a PID or --url (a file does not change)", new String[] {"watch", "--file", v}),
                Arguments.of("tslab: --interval: 1ms (expected: at least 10ms)", new String[] {"watch", "1", "--interval", "1ms"}),
                Arguments.of("tslab: --count: -1 (expected: 0 or more)", new String[] {"watch", "1", "--count", "-1"}),
                Arguments.of("tslab: --json and --doctor do not go together", new String[] {"stats", "--file", v, "--json", "--doctor"}),
                Arguments.of("tslab: file " + v + ": no allocator named 'nope' (it has: bad-input)",
                        new String[] {"stats", "--file", v, "-a", "nope"}),
                Arguments.of("tslab: --label-limit: -1 (expected: 0..100000)",
                        new String[] {"export", "prometheus", "--file", v, "--label-limit", "-1"}),
                Arguments.of("tslab: --port: -1 (expected: 0..65535)", new String[] {"serve", "--port", "-1"}),
                Arguments.of("tslab: pid " + deadPid + ": no such process (it exited, or never ran)",
                        new String[] {"serve", "--port", "0", Long.toString(deadPid)}),
                Arguments.of("tslab: file " + missing + ": no such file", new String[] {"serve", "--port", "0", "--file", missing.toString()}),
                Arguments.of("tslab: file " + wrongSchema + ": schema_version 99 (expected 1)",
                        new String[] {"serve", "--port", "0", "--file", wrongSchema.toString()}),
                Arguments.of("tslab: file " + missing + ": no such file", new String[] {"diff", missing.toString(), v}),
                Arguments.of("tslab: file " + notJson + ": not JSON (", new String[] {"diff", v, notJson.toString()}),
                Arguments.of("tslab: file " + wrongSchema + ": schema_version 99 (expected 1)", new String[] {"diff", v, wrongSchema.toString()}));
    }

    @ParameterizedTest(name = "tslab {1}")
    @MethodSource("badOptions")
    void badOption(String expected, String[] args) {
        // bounded: a serve that wrongly accepts its input would serve forever
        String line = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Cli.run(args).badInput());
        assertTrue(line.startsWith(expected), () -> "expected: " + expected + "\n  actual: " + line);
    }

    static Stream<Arguments> unparsable() {
        return Stream.of(
                Arguments.of("tslab", "tslab: Unmatched argument at index 0: 'nope'", new String[] {"nope"}),
                Arguments.of("tslab stats", "tslab: Unknown option: '--bogus'", new String[] {"stats", "--bogus"}),
                Arguments.of("tslab stats", "tslab: Invalid value for positional parameter at index 0 (PID): 'abc' is not a long",
                        new String[] {"stats", "abc"}),
                Arguments.of("tslab watch", "tslab: Invalid value for option '--interval': 'soon' is not a duration",
                        new String[] {"watch", "--interval", "soon"}),
                Arguments.of("tslab top", "tslab: Missing required parameter for option '--by' (METRIC)", new String[] {"top", "--by"}),
                Arguments.of("tslab diff", "tslab: Missing required parameter", new String[] {"diff"}),
                Arguments.of("tslab export", "tslab: Unmatched argument at index 1: 'graphite'", new String[] {"export", "graphite"}),
                Arguments.of("tslab list", "tslab: Unmatched argument at index 1: '42'", new String[] {"list", "42"}),
                Arguments.of("tslab serve", "tslab: Invalid value for option '--port': 'http' is not an int",
                        new String[] {"serve", "--port", "http"}));
    }

    /** What picocli rejects while parsing: the reason and a pointer to --help, on one line. */
    @ParameterizedTest(name = "tslab {2}")
    @MethodSource("unparsable")
    void unparsableCommandLine(String command, String expected, String[] args) {
        Cli.Result r = Cli.run(args);
        assertEquals(2, r.exit(), r::describe);
        assertEquals(1, r.errLines().size(), r::describe);
        assertTrue(r.errLines().get(0).startsWith(expected), r::describe);
        assertTrue(r.errLines().get(0).endsWith(" (try '" + command + " --help')"), r::describe);
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r::describe);
        assertEquals("", r.out(), r::describe);
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli.Result r = Cli.run("--verbose", "stats", "--file", missing.toString());
        assertEquals(2, r.exit(), r::describe);
        assertEquals("tslab: file " + missing + ": no such file", r.errLines().getFirst());
        assertTrue(r.err().contains("\tat io.tslab.cli."), r::describe);
        Cli.Result sub = Cli.run("stats", "--verbose", "--file", missing.toString());
        assertEquals(2, sub.exit(), sub::describe);
        assertTrue(sub.errLines().size() > 1, "--verbose after the subcommand too\n" + sub.describe());
    }

    @Test
    void aRealProcessExitsWithTwo() throws Exception {
        List<String> command = TestTarget.javaCommand();
        command.addAll(List.of(Tslab.class.getName(), "stats", "--file", missing.toString()));
        Process p = new ProcessBuilder(command).start();
        try {
            assertTrue(p.waitFor(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS), "tslab stats did not finish");
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, p.exitValue(), err);
            assertEquals("tslab: file " + missing + ": no such file\n", err);
            assertEquals("", out);
        } finally {
            p.destroyForcibly();
        }
    }
}
