package io.tslab.stats;

import io.tslab.internal.statsfile.StatsFileDecoder;
import io.tslab.internal.statsfile.StatsFileDirectory;
import io.tslab.internal.statsfile.StatsFileLayout;
import io.tslab.stats.StatsFileException.Problem;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Reads the statistics other JVMs (or this one) publish, the {@code jstat} way: no port, no attach,
 * no cooperation from the target, and it works while the target is paused ({@code SIGSTOP}).
 *
 * <p>Every JVM with an open allocator (unless it runs with {@code -Dtslab.statsFile=false}, or the
 * allocator was built with {@code publishStatsFile(false)}) keeps one file, {@code
 * <directory>/<pid>}, where {@link #directory()} is {@code /dev/shm/tslab-<user>} (or {@code
 * <java.io.tmpdir>/tslab-<user>} where there is no {@code /dev/shm}; {@code -Dtslab.statsFile.dir}
 * overrides both). The file is mode 0600 in a 0700 directory: only the same user reads it. A daemon
 * thread rewrites it every second ({@code -Dtslab.statsFile.intervalMs}); its heartbeat says when,
 * so a reader can tell a live target from a stuck or paused one ({@link StatsFileContents#stale()}).
 *
 * <pre>{@code
 * for (StatsFilePublisher p : StatsFile.list()) {
 *     System.out.println(p.pid() + " " + p.allocators() + " heartbeat " + p.heartbeatAge().toMillis() + " ms ago");
 * }
 * StatsFileContents c = StatsFile.read(4242);
 * AllocatorSnapshot sessions = c.allocator("sessions").orElseThrow();
 * }</pre>
 *
 * <p>Readers trust nothing in the file: header fields are checked against the file's size and fixed
 * bounds before anything is allocated, the payload is copied under a sequence check (a read never
 * mixes two publications) and parsed strictly. A truncated, corrupt, foreign or unsupported file
 * gives a {@link StatsFileException} naming the problem; nothing else is thrown for bad input. Files
 * of processes that are gone (killed without a chance to clean up) are ignored, and removed by the
 * next JVM that publishes in the same directory. The format (version 1, little-endian): a 128-byte
 * header (magic {@code "TSLAB-SF"}, format version, header size, pid, JVM start, sequence word,
 * heartbeat, payload offset and length, slot capacity, allocator count, publish interval), then two
 * payload slots, one of which holds the UTF-8 JSON {@code {"allocators": [<snapshot>, ...]}}, each
 * snapshot as {@link AllocatorSnapshot#toJson()} writes it.
 */
public final class StatsFile {
    private StatsFile() {
    }

    /** The stats directory of this user: {@code /dev/shm/tslab-<user>} unless overridden. */
    public static Path directory() {
        return StatsFileDirectory.defaultDirectory();
    }

    /** The live JVMs that publish in {@link #directory()}, by pid. */
    public static List<StatsFilePublisher> list() {
        return list(directory());
    }

    /**
     * The live JVMs that publish in {@code directory}, by pid. A file that cannot be read is listed
     * with its {@link StatsFilePublisher#problem() problem}; files of dead processes, and a missing
     * directory, give nothing.
     *
     * @throws StatsFileException if the directory exists but cannot be listed
     */
    public static List<StatsFilePublisher> list(Path directory) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path f : stream) {
                if (StatsFileLayout.pidOf(f.getFileName().toString()) > 0) {
                    files.add(f);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new StatsFileException(Problem.IO, directory, "cannot list the stats directory: " + e, e);
        }
        files.sort(Comparator.comparingLong(f -> StatsFileLayout.pidOf(f.getFileName().toString())));
        List<StatsFilePublisher> result = new ArrayList<>(files.size());
        for (Path f : files) {
            long pid = StatsFileLayout.pidOf(f.getFileName().toString());
            if (!StatsFileDirectory.isAlive(pid, 0)) {
                continue;
            }
            try {
                StatsFileContents c = StatsFileDecoder.read(f, pid);
                if (!StatsFileDirectory.isAlive(pid, c.jvmStart().map(Instant::toEpochMilli).orElse(0L))) {
                    continue; // the pid was reused by another process
                }
                result.add(new StatsFilePublisher(pid, f, StatsFileDirectory.command(pid), c.heartbeat(),
                        c.heartbeatAge(), c.publishInterval(), c.allocatorNames(), Optional.empty()));
            } catch (StatsFileException e) {
                if (e.problem() == Problem.NO_FILE || !StatsFileDirectory.isAlive(pid, 0)) {
                    continue; // the writer exited while we read
                }
                result.add(new StatsFilePublisher(pid, f, StatsFileDirectory.command(pid), Instant.EPOCH,
                        Duration.ZERO, Duration.ZERO, List.of(), Optional.of(e.getMessage())));
            }
        }
        return List.copyOf(result);
    }

    /**
     * The allocators process {@code pid} publishes in {@link #directory()}.
     *
     * @throws StatsFileException {@link Problem#PROCESS_GONE} if the process is not running (or the
     *                            pid now belongs to another process), {@link Problem#NO_FILE} if it
     *                            runs but publishes nothing, else naming what is wrong with the file
     */
    public static StatsFileContents read(long pid) {
        return read(directory(), pid);
    }

    /** The allocators process {@code pid} publishes in {@code directory}; see {@link #read(long)}. */
    public static StatsFileContents read(Path directory, long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid: " + pid + " (expected: a positive process id)");
        }
        Path file = directory.resolve(StatsFileLayout.fileName(pid));
        StatsFileContents c;
        try {
            c = StatsFileDecoder.read(file, pid);
        } catch (StatsFileException e) {
            if (!StatsFileDirectory.isAlive(pid, 0)) {
                throw gone(file, pid, e.problem() == Problem.NO_FILE ? "" : "; its file is left over and ignored");
            }
            if (e.problem() == Problem.NO_FILE) {
                throw new StatsFileException(Problem.NO_FILE, file, "no such file: process " + pid
                        + " publishes no allocator here (none open, -Dtslab.statsFile=false, another user,"
                        + " or another stats directory)");
            }
            throw e;
        }
        long start = c.jvmStart().map(Instant::toEpochMilli).orElse(0L);
        if (!StatsFileDirectory.isAlive(pid, start)) {
            throw gone(file, pid, StatsFileDirectory.isAlive(pid, 0)
                    ? "; the pid now belongs to a process that started later, the file is left over and ignored"
                    : "; its file is left over and ignored");
        }
        return c;
    }

    /**
     * Reads one stats file, whoever wrote it and whether or not that process still runs (for
     * diagnostics and tests; {@link #read(long)} is the normal way).
     *
     * @throws StatsFileException naming what is wrong with the file
     */
    public static StatsFileContents readFile(Path file) {
        return StatsFileDecoder.read(file, -1);
    }

    private static StatsFileException gone(Path file, long pid, String detail) {
        return new StatsFileException(Problem.PROCESS_GONE, file, "process " + pid + " is not running" + detail);
    }
}
