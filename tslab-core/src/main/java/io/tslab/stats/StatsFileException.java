package io.tslab.stats;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A stats file that cannot be read, with a message naming the file and the problem: {@code
 * "stats file /dev/shm/tslab-alice/4242: bad magic 0x2020202020202020 (expected 0x46532d42414c5354,
 * \"TSLAB-SF\"): not a tslab stats file"}. Readers never fail any other way on bad input: a
 * truncated, corrupt, foreign or concurrently replaced file always ends here (or reads correctly).
 */
public final class StatsFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, for callers that act on it (the CLI maps each to one line and exit code 2). */
    public enum Problem {
        /** There is no stats file for the pid (the JVM publishes none, or runs as another user). */
        NO_FILE,
        /** The process that wrote the file is gone, or its pid now belongs to another process. */
        PROCESS_GONE,
        /** The file is shorter than its header says. */
        TRUNCATED,
        /** The file does not start with the stats file magic: it is not a tslab stats file. */
        FOREIGN,
        /** The file's format version is one this reader does not know. */
        UNSUPPORTED_VERSION,
        /** A header field or the payload is invalid. */
        CORRUPT,
        /** The writer kept changing the file during every attempt to copy it. */
        BUSY,
        /** The operating system refused to read the file or directory. */
        IO
    }

    private final Problem problem;
    private final transient Path file;

    public StatsFileException(Problem problem, Path file, String detail) {
        this(problem, file, detail, null);
    }

    public StatsFileException(Problem problem, Path file, String detail, Throwable cause) {
        super("stats file " + file + ": " + detail, cause);
        this.problem = Objects.requireNonNull(problem, "problem");
        this.file = file;
    }

    public Problem problem() {
        return problem;
    }

    /** The file (or directory) concerned. */
    public Path file() {
        return file;
    }
}
