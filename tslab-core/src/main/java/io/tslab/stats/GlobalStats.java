package io.tslab.stats;

import java.util.Map;

/**
 * Allocator-wide figures at the time of a snapshot. Live counts are exact (popcount of every
 * slab's occupancy word) when no thread mutates the allocator during the snapshot.
 *
 * @param currentEpoch          the current ring slot, 0..epochs-1
 * @param currentEra            the era of the current slot
 * @param activeEpochCount      slots that accept allocations (0 or 1)
 * @param closingEpochCount     slots that refuse allocations
 * @param totalSlabsAllocated   slabs ever put into service
 * @param totalSlabsRecycled    slabs ever taken out of service
 * @param netSlabs              slabs in service now (allocated − recycled, never negative)
 * @param mappedBytes           the reservation (virtual)
 * @param committedBytes        bytes of the reservation ever handed out as slabs
 * @param residentBytes         bytes of the used reservation resident in RAM now ({@code mincore})
 * @param liveObjects           objects allocated and not freed
 * @param liveBytes             live objects × their class size
 * @param totalMadviseCalls     {@code madvise} calls made
 * @param totalMadviseBytes     bytes advised successfully
 * @param totalMadviseFailures  {@code madvise} calls that failed
 * @param allocRefusedByReason  allocations that returned 0, by reason
 * @param invalidFreesByReason  frees that returned false, by reason
 */
public record GlobalStats(
        int currentEpoch,
        long currentEra,
        int activeEpochCount,
        int closingEpochCount,
        long totalSlabsAllocated,
        long totalSlabsRecycled,
        long netSlabs,
        long mappedBytes,
        long committedBytes,
        long residentBytes,
        long liveObjects,
        long liveBytes,
        long totalMadviseCalls,
        long totalMadviseBytes,
        long totalMadviseFailures,
        Map<String, Long> allocRefusedByReason,
        Map<String, Long> invalidFreesByReason) {

    public GlobalStats {
        allocRefusedByReason = Map.copyOf(allocRefusedByReason);
        invalidFreesByReason = Map.copyOf(invalidFreesByReason);
    }

    /** Allocations refused, all reasons. */
    public long totalAllocRefused() {
        return allocRefusedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Frees rejected, all reasons. */
    public long totalInvalidFrees() {
        return invalidFreesByReason.values().stream().mapToLong(Long::longValue).sum();
    }
}
