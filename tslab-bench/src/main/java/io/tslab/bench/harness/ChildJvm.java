package io.tslab.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one measurement in a fresh JVM (same {@code java}, same class path), so that contenders do
 * not share JIT profiles, heap state or native heaps. The child's standard error is passed through;
 * its standard output is returned.
 */
final class ChildJvm {
    private ChildJvm() {
    }

    /** Options of every child JVM: native access, a fixed pre-touched heap, Netty's leak detector off. */
    static final List<String> OPTIONS = List.of(
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Dio.netty.leakDetection.level=disabled",
            "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
            "-XX:+UseG1GC");

    static String run(Class<?> main, List<String> args) {
        try {
            Process process = start(main, List.of(), args);
            process.getOutputStream().close();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            int exit = process.waitFor();
            if (exit != 0) {
                throw new IllegalStateException("child JVM " + String.join(" ", args) + " exited with " + exit
                        + "; output: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start child JVM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a child JVM", e);
        }
    }

    /**
     * Starts {@code main} in a child JVM with {@link #OPTIONS} and then {@code options}, its standard
     * input and output connected to the returned process, its standard error passed through.
     */
    static Process start(Class<?> main, List<String> options, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(OPTIONS);
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The text after {@code prefix} on the first output line starting with it. */
    static String line(String output, String prefix) {
        for (String line : output.split("\n")) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
        throw new IllegalStateException("child output has no '" + prefix + "' line: " + output);
    }
}
