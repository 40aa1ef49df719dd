package io.tslab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --help} on every command, {@code --version}, {@code generate-completion}, {@code Locale.ROOT} output. */
class HelpAndVersionTest {
    private static final String VERSION = "tslab \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java 25[^)]*\\)";

    /** Every command of the tree, as the words that name it ("stats", "export prometheus", ...). */
    static Stream<String> commands() {
        List<String> names = new ArrayList<>();
        collect(new CommandLine(new Tslab()), "", names);
        return names.stream();
    }

    private static void collect(CommandLine cli, String prefix, List<String> names) {
        for (var e : cli.getSubcommands().entrySet()) {
            String name = (prefix + " " + e.getKey()).strip();
            names.add(name);
            collect(e.getValue(), name, names);
        }
    }

    @Test
    void theTreeHasEveryCommand() {
        assertEquals(List.of("list", "stats", "watch", "top", "export", "export prometheus", "serve", "diff", "demo",
                "generate-completion", "help"), commands().toList());
    }

    @ParameterizedTest(name = "tslab {0} --help")
    @MethodSource("commands")
    void helpOnEveryCommand(String command) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.add("--help");
        Cli.Result r = Cli.run(args.toArray(String[]::new)).ok();
        assertTrue(r.out().contains("Usage: tslab " + command + " "), r::describe);
        assertTrue(r.out().contains("-h, --help"), r::describe);
        if (!command.contains(" ") && !command.equals("help")) {
            // the same text through the help command (picocli's help takes one level of command)
            assertEquals(r.out(), Cli.run("help", command).ok().out());
        }
    }

    @Test
    void topLevelHelp() {
        Cli.Result r = Cli.run("--help").ok();
        assertTrue(r.out().startsWith("Usage: tslab [-hV] [--verbose] [COMMAND]"), r::describe);
        for (String command : List.of("list", "stats", "watch", "top", "export", "serve", "diff", "demo", "generate-completion")) {
            assertTrue(r.out().contains("\n  " + command + " "), command + "\n" + r.describe());
        }
        assertEquals(r.out(), Cli.run("help").ok().out());
        Cli.Result none = Cli.run();
        assertEquals(2, none.exit(), none::describe);
        assertEquals(List.of("tslab: Missing required subcommand (try 'tslab --help')"), none.errLines());
    }

    @Test
    void version() {
        for (String flag : List.of("--version", "-V")) {
            Cli.Result r = Cli.run(flag).ok();
            assertEquals(1, r.outLines().size(), r::describe);
            assertTrue(r.outLines().getFirst().matches(VERSION), r::describe);
        }
        for (String command : List.of("list", "stats", "watch", "top", "export", "serve", "diff", "demo")) {
            assertEquals(Cli.run("--version").out(), Cli.run(command, "--version").ok().out(), command + " --version");
        }
        assertEquals(Cli.run("--version").out(), Cli.run("export", "prometheus", "-V").ok().out());
    }

    @Test
    void completionScriptCompletesInBash(@TempDir Path dir) throws IOException, InterruptedException {
        Cli.Result r = Cli.run("generate-completion").ok();
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r::describe);
        assertTrue(r.out().contains("complete -F _complete_tslab "), r::describe);
        Path script = Files.writeString(dir.resolve("tslab_completion"), r.out());
        assertEquals(List.of("stats"), complete(script, "tslab", "st"));
        assertEquals(List.of("prometheus"), complete(script, "tslab", "export", ""));
        assertTrue(complete(script, "tslab", "top", "--").containsAll(List.of("--by", "--epochs", "--window", "--once", "--file", "--url")));
    }

    /** The words bash would offer for the last of {@code words}, using the generated script. */
    private static List<String> complete(Path script, String... words) throws IOException, InterruptedException {
        String array = String.join(" ", Stream.of(words).map(w -> "'" + w + "'").toList());
        String line = String.join(" ", words);
        String program = "source '" + script + "'; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE='" + line + "'; COMP_POINT=" + line.length()
                + "; _complete_tslab; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS), "bash did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            return out.lines().filter(l -> !l.isBlank()).map(String::strip).toList();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aRealProcessPrintsInLocaleRootWhateverTheUserLocale(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.json");
        try (var a = io.tslab.SlabAllocator.builder().name("locale").reserveBytes(16L << 20)
                .publishStatsFile(false).registerMXBean(false).build()) {
            for (int i = 0; i < 1500; i++) {
                a.alloc(96);
            }
            Files.writeString(file, a.snapshot().toJson());
        }
        List<String> command = TestTarget.javaCommand("-Duser.language=de", "-Duser.country=DE", "-Duser.region=DE");
        command.addAll(List.of(Tslab.class.getName(), "stats", "--file", file.toString()));
        Process p = new ProcessBuilder(command).start();
        try {
            assertTrue(p.waitFor(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS), "tslab stats did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), err);
            assertTrue(out.contains("live 1500 objects (140.6 KiB)"), out);
            assertTrue(out.matches("(?s).*process RSS \\d+\\.\\d MiB.*"), out);
            assertFalse(out.matches("(?s).*\\d,\\d.*"), "a decimal comma:\n" + out);
        } finally {
            p.destroyForcibly();
        }
    }
}
