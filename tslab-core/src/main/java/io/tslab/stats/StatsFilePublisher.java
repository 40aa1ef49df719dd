package io.tslab.stats;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A live JVM that publishes allocator statistics, as {@link StatsFile#list()} finds it. Files of
 * processes that are gone are never listed.
 *
 * @param pid             the process
 * @param file            its stats file
 * @param command         its main class, {@code -jar} file or {@code -m} module, else its executable,
 *                        when the operating system tells
 * @param heartbeat       wall-clock time of its last publication ({@link Instant#EPOCH} if unreadable)
 * @param heartbeatAge    how long ago that was (zero if unreadable)
 * @param publishInterval how often it publishes (zero if unreadable)
 * @param allocators      the names of the allocators it publishes (empty if unreadable)
 * @param problem         why the file could not be read, if it could not; the other fields then
 *                        carry their defaults
 */
public record StatsFilePublisher(
        long pid,
        Path file,
        Optional<String> command,
        Instant heartbeat,
        Duration heartbeatAge,
        Duration publishInterval,
        List<String> allocators,
        Optional<String> problem) {

    public StatsFilePublisher {
        allocators = List.copyOf(allocators);
    }

    /** Whether the file was read (no {@link #problem()}). */
    public boolean readable() {
        return problem.isEmpty();
    }

    /** Whether the heartbeat is older than three publish intervals: the target is paused or stuck. */
    public boolean stale() {
        return readable() && heartbeatAge.compareTo(publishInterval.multipliedBy(3)) > 0;
    }
}
