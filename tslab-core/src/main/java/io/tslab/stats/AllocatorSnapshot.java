package io.tslab.stats;

/**
 * An immutable view of an allocator at one instant: metadata and {@link GlobalStats}.
 *
 * @param schemaVersion version of the snapshot layout
 * @param timestampNs   wall-clock time of the snapshot, nanoseconds since the epoch
 * @param pid           the process
 * @param allocator     the allocator's name
 * @param pageSize      the OS page size
 * @param slabSize      bytes per slab
 * @param epochCount    slots in the epoch ring
 * @param global        allocator-wide figures
 */
public record AllocatorSnapshot(
        int schemaVersion,
        long timestampNs,
        long pid,
        String allocator,
        long pageSize,
        int slabSize,
        int epochCount,
        GlobalStats global) {

    /** The current snapshot layout version. */
    public static final int SCHEMA_VERSION = 1;
}
