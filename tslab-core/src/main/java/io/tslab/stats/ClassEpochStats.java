package io.tslab.stats;

import java.util.List;

/**
 * One size class in one ring slot (JSON array {@code class_epochs}); only pairs holding slabs are
 * listed. {@code erasPresent} lists the eras of those slabs, oldest first: more than one means slabs
 * of a closed era are still draining after the ring came back to the slot.
 */
public record ClassEpochStats(
        int classIndex,
        int objectSize,
        int epochId,
        long epochEra,
        long liveObjects,
        long partialSlabCount,
        long fullSlabCount,
        long drainingSlabCount,
        long emptySlabCount,
        List<Long> erasPresent) {

    public ClassEpochStats {
        erasPresent = List.copyOf(erasPresent);
    }
}
