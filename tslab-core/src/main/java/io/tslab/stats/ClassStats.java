package io.tslab.stats;

/**
 * Figures of one size class (JSON array {@code classes}). Counters are monotonic; the last group
 * (slab counts, live objects) is the state at snapshot time.
 */
public record ClassStats(
        int classIndex,
        int objectSize,
        int slotsPerSlab,
        long slowPathHits,
        long newSlabCount,
        long listMovePartialToFull,
        long listMoveFullToPartial,
        long currentPartialNull,
        long currentPartialFull,
        long emptySlabRecycled,
        long emptySlabOverflowed,
        long slowPathCacheMiss,
        long slowPathEpochClosed,
        long madviseCalls,
        long madviseBytes,
        long madviseFailures,
        long epochCloseCalls,
        long epochCloseScannedSlabs,
        long epochCloseRecycledSlabs,
        long epochCloseTotalNs,
        long bitmapAllocCasRetries,
        long bitmapFreeCasRetries,
        long bitmapAllocAttempts,
        long bitmapFreeAttempts,
        long lockFastAcquire,
        long lockContended,
        double avgAllocCasRetriesPerAttempt,
        double avgFreeCasRetriesPerAttempt,
        double lockContentionRate,
        long cacheSize,
        int cacheCapacity,
        long cacheOverflowLen,
        long totalPartialSlabs,
        long totalFullSlabs,
        long totalDrainingSlabs,
        long liveObjects,
        long liveBytes,
        double recycleRatePct,
        long netSlabs,
        long estimatedRssBytes) {
}
