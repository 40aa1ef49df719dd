package io.tslab.stats;

import io.tslab.EpochState;

import java.util.List;

/**
 * One ring slot (JSON array {@code epochs}), in its latest era ({@code epochEra}). Slabs the slot
 * still holds from earlier, closed eras are counted apart ({@code olderEras*}), so the same slot in
 * two eras is never mixed up.
 *
 * @param openSinceNs wall-clock nanoseconds (since the Unix epoch) when the era was activated; 0 if never
 * @param ageSec      seconds since then (monotonic clock); 0 if never activated
 * @param allocCount  live objects of the era (exact), not the refcount
 * @param refcount    open domain scopes of the era
 * @param emptyPartialCount slabs of the era whose every slot is free, maintained in O(1)
 * @param leakSites   where the still-open scopes were entered, with counts; empty unless leak
 *                    detection is on
 */
public record EpochStats(
        int epochId,
        long epochEra,
        EpochState state,
        long openSinceNs,
        double ageSec,
        long allocCount,
        long liveBytes,
        long refcount,
        String label,
        long partialSlabCount,
        long fullSlabCount,
        long drainingSlabCount,
        long estimatedRssBytes,
        long emptyPartialCount,
        long reclaimableSlabCount,
        long reclaimableBytes,
        long olderErasSlabCount,
        long olderErasLiveObjects,
        long closeCount,
        long rssBeforeClose,
        long rssAfterClose,
        long residentBeforeClose,
        long residentAfterClose,
        long madviseBytesAtClose,
        List<String> leakSites) {

    public EpochStats {
        leakSites = List.copyOf(leakSites);
    }
}
