package io.tslab.stats;

import io.tslab.internal.SnapshotJson;

import java.util.List;

/**
 * An immutable view of an allocator at one instant; one type feeds every output (JSON, stats file,
 * JMX, JFR, Prometheus, the CLI), so they never disagree.
 *
 * @param schemaVersion   version of the JSON layout ({@link #SCHEMA_VERSION})
 * @param timestampNs     wall-clock time of the snapshot, nanoseconds since the Unix epoch
 * @param pid             the process
 * @param allocator       the allocator's name
 * @param pageSize        the OS page size
 * @param slabSize        bytes per slab
 * @param epochCount      slots in the epoch ring
 * @param version         version of the statistics the allocator keeps ({@link #STATS_VERSION})
 * @param countersEnabled whether per-operation counters run ({@code -Dtslab.counters=false} turns them off)
 * @param leakDetection   whether domain scopes record where they were entered
 */
public record AllocatorSnapshot(
        int schemaVersion,
        long timestampNs,
        long pid,
        String allocator,
        long pageSize,
        int slabSize,
        int epochCount,
        int version,
        boolean countersEnabled,
        boolean leakDetection,
        GlobalStats global,
        List<ClassStats> classes,
        List<EpochStats> epochs,
        List<ClassEpochStats> classEpochs,
        LastEpochClose lastEpochClose) {

    /** The JSON layout version. Adding fields keeps it; removing or renaming one bumps it. */
    public static final int SCHEMA_VERSION = 1;
    /** The statistics version. */
    public static final int STATS_VERSION = 1;

    public AllocatorSnapshot {
        classes = List.copyOf(classes);
        epochs = List.copyOf(epochs);
        classEpochs = List.copyOf(classEpochs);
    }

    /**
     * The snapshot as a JSON document: metadata and global fields at the top level, then arrays
     * {@code classes}, {@code epochs}, {@code class_epochs} and the object {@code last_epoch_close};
     * names are the snake_case of the record components. Validated by
     * {@code schemas/tslab-snapshot.schema.json}.
     */
    public String toJson() {
        return SnapshotJson.write(this);
    }

    /**
     * Reads a document written by {@link #toJson()} back into a snapshot; {@code
     * fromJson(s.toJson()).toJson()} equals {@code s.toJson()}. Strict: the syntax is RFC 8259, every
     * field must be present with a value of its type, and {@code schema_version} must be {@link
     * #SCHEMA_VERSION}; fields this version does not know are ignored. Nesting, number sizes and
     * array lengths are bounded, so a damaged or hostile document fails fast instead of exhausting
     * memory.
     *
     * @throws IllegalArgumentException naming the field and the position of the first problem
     */
    public static AllocatorSnapshot fromJson(String json) {
        return io.tslab.internal.SnapshotJsonReader.read(json);
    }

    /** The statistics of class {@code classIndex}. */
    public ClassStats classStats(int classIndex) {
        return classes.get(classIndex);
    }

    /** The statistics of ring slot {@code epoch}. */
    public EpochStats epochStats(int epoch) {
        return epochs.get(epoch);
    }
}
