package io.tslab.stats;

import java.util.Map;

/**
 * Allocator-wide figures. In JSON they sit at the top level of the snapshot document, under the
 * snake_case of each component name ({@code liveObjects} → {@code live_objects}); {@code
 * docs/stats-reference.md} explains each one. Counts of objects and slabs are exact when no thread
 * mutates the allocator while the snapshot is taken; {@code estimated_*} values are estimates;
 * {@code rss_bytes_current} is the whole process.
 */
public record GlobalStats(
        int currentEpoch,
        long currentEra,
        int activeEpochCount,
        int closingEpochCount,
        long totalSlabsAllocated,
        long totalSlabsRecycled,
        long netSlabs,
        long pooledSlabs,
        long mappedBytes,
        long committedBytes,
        long residentBytes,
        long rssBytesCurrent,
        long estimatedSlabRssBytes,
        long liveObjects,
        long liveBytes,
        long totalAllocations,
        long totalFrees,
        long totalSlowPathHits,
        long totalSlowCacheMiss,
        long totalSlowEpochClosed,
        long totalCacheOverflows,
        long totalMadviseCalls,
        long totalMadviseBytes,
        long totalMadviseFailures,
        long totalAllocRefused,
        long allocRefusedEpochClosed,
        long allocRefusedReservationExhausted,
        long totalInvalidFrees,
        Map<String, Long> invalidFreesByReason,
        long totalRefcountUnderflows,
        long totalEpochCloseCalls,
        long totalBitmapAllocCasRetries,
        long totalBitmapFreeCasRetries,
        long totalBitmapAllocAttempts,
        long totalBitmapFreeAttempts,
        long totalLockFastAcquire,
        long totalLockContended) {

    public GlobalStats {
        invalidFreesByReason = Snapshots.orderedCopy(invalidFreesByReason);
    }

    /** The refused allocations by reason: {@code epoch_closed}, {@code reservation_exhausted}. */
    public Map<String, Long> allocRefusedByReason() {
        return Snapshots.orderedCopy(java.util.Map.of("epoch_closed", allocRefusedEpochClosed,
                "reservation_exhausted", allocRefusedReservationExhausted));
    }
}
