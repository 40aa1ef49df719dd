package io.tslab.stats;

/**
 * The most recent {@code closeEpoch} (JSON object {@code last_epoch_close}); {@code epochId} is -1
 * before the first. {@code residentBefore}/{@code residentAfter} are facts about the slabs the close
 * recycled ({@code mincore}); {@code rssBefore}/{@code rssAfter} are the whole process's RSS, a
 * heuristic (other threads allocate too).
 */
public record LastEpochClose(
        long timestampNs,
        int epochId,
        long epochEra,
        long scannedSlabs,
        long recycledSlabs,
        long rssBefore,
        long rssAfter,
        long residentBefore,
        long residentAfter,
        long madviseBytes,
        long durationNs) {

    /** Before any close. */
    public static final LastEpochClose NONE = new LastEpochClose(0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
