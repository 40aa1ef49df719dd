package io.tslab.micrometer;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The snapshot all meters of one allocator read: refreshed at most once per {@code maxAgeNanos}.
 * Once the allocator is closed the last snapshot stays (counters keep their final values).
 *
 * <p>Thread safety: every field but the finals is guarded by this object's monitor; a registry
 * reading meters from several threads at once waits at most for one snapshot.
 */
final class SnapshotCache {
    private final SlabAllocator allocator;
    private final long maxAgeNanos;
    private final LongSupplier nanoClock;

    private AllocatorSnapshot snapshot;
    private long takenAtNanos;
    private long snapshotsTaken;

    SnapshotCache(SlabAllocator allocator, long maxAgeNanos, LongSupplier nanoClock) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.maxAgeNanos = maxAgeNanos;
        this.nanoClock = nanoClock;
    }

    /** The cached snapshot, first refreshed when older than the maximum age; null only if none could ever be taken. */
    synchronized AllocatorSnapshot get() {
        long now = nanoClock.getAsLong();
        if (snapshot == null || now - takenAtNanos >= maxAgeNanos) {
            try {
                snapshot = allocator.snapshot();
                takenAtNanos = now;
                snapshotsTaken++;
            } catch (IllegalStateException closed) {
                // the allocator was closed: keep reporting the last snapshot
            }
        }
        return snapshot;
    }

    synchronized long snapshotsTaken() {
        return snapshotsTaken;
    }

    SlabAllocator allocator() {
        return allocator;
    }
}
