package io.tslab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;

/** The {@code tslab} command: entry point and subcommand registry. */
@Command(name = "tslab",
        mixinStandardHelpOptions = true,
        versionProvider = Tslab.Version.class,
        description = "Inspect and exercise temporal-slab allocators.",
        subcommands = {ListCommand.class, StatsCommand.class, WatchCommand.class, TopCommand.class, ExportCommand.class, ServeCommand.class, DiffCommand.class, DemoCommand.class, picocli.AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class})
public final class Tslab {
    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    /** Exit code for bad input (missing file, bad option, dead target). */
    public static final int EXIT_BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (no {@code System.exit}); for tests. */
    public static int run(String... args) {
        Locale.setDefault(Locale.ROOT);
        CommandLine cli = new CommandLine(new Tslab());
        shareVersion(cli);
        cli.setParameterExceptionHandler((ex, ignored) -> {
            ex.getCommandLine().getErr().println("tslab: " + oneLine(ex.getMessage()) + " (try '"
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            java.io.PrintWriter err = commandLine.getErr();
            if (ex instanceof CliException ce) {
                err.println("tslab: " + oneLine(ce.getMessage()));
                if (verbose) {
                    ce.printStackTrace(err);
                }
                err.flush();
                return ce.exitCode;
            }
            if (ex instanceof CommandLine.ParameterException pe) {
                err.println("tslab: " + oneLine(pe.getMessage()));
                err.flush();
                return EXIT_BAD_INPUT;
            }
            err.println("tslab: internal error: " + ex + (verbose ? "" : " (--verbose shows the stack trace)"));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** {@code message} on one line: control characters (a newline in an argument echoed back) escaped. */
    static String oneLine(String message) {
        if (message == null || message.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
            return message;
        }
        StringBuilder b = new StringBuilder(message.length() + 8);
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /** Gives every subcommand the version of the tool, so that {@code tslab stats --version} prints it too. */
    private static void shareVersion(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            sub.getCommandSpec().versionProvider(new Version());
            shareVersion(sub);
        }
    }

    /** Reads the version stamped into the jar at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties properties = new Properties();
            try (InputStream in = Tslab.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new String[] {"tslab " + properties.getProperty("version", "unknown")
                    + " (Java " + Runtime.version() + ")"};
        }
    }
}
