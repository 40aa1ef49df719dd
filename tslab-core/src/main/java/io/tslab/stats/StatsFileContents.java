package io.tslab.stats;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One consistent read of a JVM's stats file: the snapshots of every allocator it publishes, as of
 * its last heartbeat.
 *
 * @param file            the file read
 * @param pid             the publishing process
 * @param jvmStart        when that process started, if the writer knew
 * @param sequence        the publication's sequence number (even, increasing for the life of the
 *                        JVM); two reads with the same sequence saw the same publication
 * @param heartbeat       wall-clock time of the publication
 * @param heartbeatAge    how long ago that was, when this was read (zero if the clocks disagree);
 *                        grows while the target is paused or stuck
 * @param publishInterval how often the target publishes
 * @param allocators      the snapshots, in the order the allocators were opened
 */
public record StatsFileContents(
        Path file,
        long pid,
        Optional<Instant> jvmStart,
        long sequence,
        Instant heartbeat,
        Duration heartbeatAge,
        Duration publishInterval,
        List<AllocatorSnapshot> allocators) {

    public StatsFileContents {
        allocators = List.copyOf(allocators);
    }

    /** The snapshot of the allocator named {@code name}, if this JVM publishes one by that name. */
    public Optional<AllocatorSnapshot> allocator(String name) {
        return allocators.stream().filter(s -> s.allocator().equals(name)).findFirst();
    }

    /** The allocators' names, in order. */
    public List<String> allocatorNames() {
        return allocators.stream().map(AllocatorSnapshot::allocator).toList();
    }

    /** Whether the heartbeat is older than three publish intervals: the target is paused or stuck. */
    public boolean stale() {
        return heartbeatAge.compareTo(publishInterval.multipliedBy(3)) > 0;
    }
}
