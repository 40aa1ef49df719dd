package io.tslab.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident set, read from the kernel ({@code /proc/self/status}, {@code VmRSS}). */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** Resident bytes of this process now, or -1 where {@code /proc} is not available. */
    public static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024L; // the kernel always reports kB here
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
