package io.tslab.micrometer;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one allocator. Names are the Prometheus family names of {@code tslab-prometheus}
 * (see {@code docs/metrics.md}) without {@code _total}; {@link Spec#meterName()} turns them into
 * Micrometer's dotted form.
 */
final class Meters {
    private Meters() {
    }

    private static final double NANOS_PER_SECOND = 1e9;
    private static final Set<String> UNITS = Set.of("bytes", "seconds", "ratio", "objects", "slabs");

    /**
     * One meter (or one per class or slot).
     *
     * @param name        the Prometheus family name without {@code _total}
     * @param counter     a {@code FunctionCounter} (monotonic) rather than a {@code Gauge}
     * @param description what the value means
     * @param value       reads the value
     */
    record Spec<T>(String name, boolean counter, String description, ToDoubleFunction<T> value) {

        /** {@code temporal_slab_live_bytes} becomes {@code temporal.slab.live.bytes}. */
        String meterName() {
            return name.replace('_', '.');
        }

        /** The base unit when the name ends with one ({@code bytes}, {@code seconds}, ...), else null. */
        String baseUnit() {
            String last = name.substring(name.lastIndexOf('_') + 1);
            return UNITS.contains(last) ? last : null;
        }
    }

    private static Spec<AllocatorSnapshot> counter(String name, String description, ToDoubleFunction<GlobalStats> value) {
        return new Spec<>(name, true, description, s -> value.applyAsDouble(s.global()));
    }

    private static Spec<AllocatorSnapshot> gauge(String name, String description, ToDoubleFunction<GlobalStats> value) {
        return new Spec<>(name, false, description, s -> value.applyAsDouble(s.global()));
    }

    private static Spec<AllocatorSnapshot> lastClose(String name, String description, ToDoubleFunction<LastEpochClose> value) {
        return new Spec<>(name, false, description, s -> value.applyAsDouble(s.lastEpochClose()));
    }

    /** One meter per allocator, tag {@code allocator}. */
    static final List<Spec<AllocatorSnapshot>> GLOBAL = List.of(
            new Spec<>("temporal_slab_snapshot_timestamp_seconds", false,
                    "Wall-clock time the snapshot was taken, seconds since the Unix epoch.", s -> s.timestampNs() / NANOS_PER_SECOND),
            new Spec<>("temporal_slab_page_size_bytes", false, "Operating system page size.", AllocatorSnapshot::pageSize),
            new Spec<>("temporal_slab_slab_size_bytes", false, "Bytes per slab.", AllocatorSnapshot::slabSize),
            new Spec<>("temporal_slab_epoch_ring_slots", false, "Slots in the epoch ring.", AllocatorSnapshot::epochCount),
            gauge("temporal_slab_current_epoch", "Ring slot that new allocations go to.", GlobalStats::currentEpoch),
            gauge("temporal_slab_current_era", "Era of the current slot.", GlobalStats::currentEra),
            gauge("temporal_slab_active_epochs", "Slots accepting allocations.", GlobalStats::activeEpochCount),
            gauge("temporal_slab_closing_epochs", "Slots refusing allocations (CLOSING).", GlobalStats::closingEpochCount),
            gauge("temporal_slab_mapped_bytes", "Virtual reservation.", GlobalStats::mappedBytes),
            gauge("temporal_slab_committed_bytes", "Bytes of the reservation ever handed out as slabs.", GlobalStats::committedBytes),
            gauge("temporal_slab_resident_bytes", "Bytes of the used range resident in RAM (mincore).", GlobalStats::residentBytes),
            gauge("temporal_slab_rss_bytes", "Resident set size of the whole process.", GlobalStats::rssBytesCurrent),
            gauge("temporal_slab_estimated_slab_rss_bytes", "Slabs in service times the slab size (estimate).",
                    GlobalStats::estimatedSlabRssBytes),
            gauge("temporal_slab_live_objects", "Objects allocated and not yet freed.", GlobalStats::liveObjects),
            gauge("temporal_slab_live_bytes", "Bytes of the live objects, at their size class.", GlobalStats::liveBytes),
            counter("temporal_slab_slabs_allocated", "Slabs put into service.", GlobalStats::totalSlabsAllocated),
            counter("temporal_slab_slabs_recycled", "Slabs taken out of service, pages released.", GlobalStats::totalSlabsRecycled),
            gauge("temporal_slab_net_slabs", "Slabs in service now.", GlobalStats::netSlabs),
            gauge("temporal_slab_pooled_slabs", "Recycled slabs waiting in the pool.", GlobalStats::pooledSlabs),
            counter("temporal_slab_allocations", "Successful allocations.", GlobalStats::totalAllocations),
            counter("temporal_slab_frees", "Successful frees.", GlobalStats::totalFrees),
            counter("temporal_slab_slow_path_hits", "Allocations that left the lock-free fast path.", GlobalStats::totalSlowPathHits),
            counter("temporal_slab_slow_cache_miss", "Slow paths that needed a slab from the pool or fresh memory.",
                    GlobalStats::totalSlowCacheMiss),
            counter("temporal_slab_slow_epoch_closed", "Slow paths refused because the epoch was CLOSING.",
                    GlobalStats::totalSlowEpochClosed),
            counter("temporal_slab_cache_overflows", "Empty slabs recycled because their class cache was full.",
                    GlobalStats::totalCacheOverflows),
            counter("temporal_slab_madvise_calls", "madvise calls that released pages.", GlobalStats::totalMadviseCalls),
            counter("temporal_slab_madvise_bytes", "Bytes released with madvise.", GlobalStats::totalMadviseBytes),
            counter("temporal_slab_madvise_failures", "Failed madvise calls.", GlobalStats::totalMadviseFailures),
            counter("temporal_slab_refcount_underflows", "decEpochRefcount calls at refcount 0.", GlobalStats::totalRefcountUnderflows),
            counter("temporal_slab_epoch_close_calls", "closeEpoch calls.", GlobalStats::totalEpochCloseCalls),
            counter("temporal_slab_bitmap_alloc_cas_retries", "Slot claims lost to another thread and retried.",
                    GlobalStats::totalBitmapAllocCasRetries),
            counter("temporal_slab_bitmap_free_cas_retries", "Always 0.", GlobalStats::totalBitmapFreeCasRetries),
            counter("temporal_slab_bitmap_alloc_attempts", "Slot claims.", GlobalStats::totalBitmapAllocAttempts),
            counter("temporal_slab_bitmap_free_attempts", "Slot releases.", GlobalStats::totalBitmapFreeAttempts),
            counter("temporal_slab_lock_fast_acquire", "Slow-path lock acquisitions that found the lock free.",
                    GlobalStats::totalLockFastAcquire),
            counter("temporal_slab_lock_contended", "Slow-path lock acquisitions that had to wait.", GlobalStats::totalLockContended),
            lastClose("temporal_slab_last_epoch_close_timestamp_seconds", "Wall-clock time of the most recent close (0 before).",
                    c -> c.timestampNs() / NANOS_PER_SECOND),
            lastClose("temporal_slab_last_epoch_close_epoch", "Ring slot of the most recent close (-1 before).", LastEpochClose::epochId),
            lastClose("temporal_slab_last_epoch_close_era", "Era of the most recent close.", LastEpochClose::epochEra),
            lastClose("temporal_slab_last_epoch_close_scanned_slabs", "Slabs the most recent close looked at.",
                    LastEpochClose::scannedSlabs),
            lastClose("temporal_slab_last_epoch_close_recycled_slabs", "Slabs the most recent close recycled.",
                    LastEpochClose::recycledSlabs),
            lastClose("temporal_slab_last_epoch_close_rss_before_bytes", "Process RSS before the most recent close (heuristic).",
                    LastEpochClose::rssBefore),
            lastClose("temporal_slab_last_epoch_close_rss_after_bytes", "Process RSS after the most recent close (heuristic).",
                    LastEpochClose::rssAfter),
            lastClose("temporal_slab_last_epoch_close_resident_before_bytes",
                    "Resident bytes of the recycled slabs before their madvise (mincore).", LastEpochClose::residentBefore),
            lastClose("temporal_slab_last_epoch_close_resident_after_bytes",
                    "Resident bytes of the recycled slabs after their madvise (mincore).", LastEpochClose::residentAfter),
            lastClose("temporal_slab_last_epoch_close_madvise_bytes", "Bytes the most recent close released.",
                    LastEpochClose::madviseBytes),
            lastClose("temporal_slab_last_epoch_close_duration_seconds", "How long the most recent close took.",
                    c -> c.durationNs() / NANOS_PER_SECOND));

    /** Counters with a {@code reason} tag, one meter per reason present in the first snapshot. */
    static final String ALLOC_REFUSED = "temporal_slab_alloc_refused";
    static final String INVALID_FREES = "temporal_slab_invalid_frees";

    /** One meter per size class, tags {@code allocator}, {@code class}, {@code object_size}. */
    static final List<Spec<ClassStats>> CLASS = List.of(
            new Spec<>("temporal_slab_class_slots_per_slab", false, "Objects of the class per slab.", ClassStats::slotsPerSlab),
            new Spec<>("temporal_slab_class_slow_path_hits", true, "Allocations of the class that took the slow path.",
                    ClassStats::slowPathHits),
            new Spec<>("temporal_slab_class_new_slabs", true, "Slabs put into service for the class.", ClassStats::newSlabCount),
            new Spec<>("temporal_slab_class_list_move_partial_to_full", true, "Slabs parked on the full list.",
                    ClassStats::listMovePartialToFull),
            new Spec<>("temporal_slab_class_list_move_full_to_partial", true, "Full slabs brought back by a free.",
                    ClassStats::listMoveFullToPartial),
            new Spec<>("temporal_slab_class_current_partial_null", true, "Fast paths that found no current slab.",
                    ClassStats::currentPartialNull),
            new Spec<>("temporal_slab_class_current_partial_full", true, "Fast paths whose current slab was full.",
                    ClassStats::currentPartialFull),
            new Spec<>("temporal_slab_class_empty_slab_recycled", true, "Slabs of the class taken out of service.",
                    ClassStats::emptySlabRecycled),
            new Spec<>("temporal_slab_class_empty_slab_overflowed", true, "Empty slabs recycled because the cache was full.",
                    ClassStats::emptySlabOverflowed),
            new Spec<>("temporal_slab_class_slow_path_cache_miss", true, "Slow paths that needed a new slab.",
                    ClassStats::slowPathCacheMiss),
            new Spec<>("temporal_slab_class_slow_path_epoch_closed", true, "Allocations refused because the epoch was CLOSING.",
                    ClassStats::slowPathEpochClosed),
            new Spec<>("temporal_slab_class_madvise_calls", true, "madvise calls for the class's slabs.", ClassStats::madviseCalls),
            new Spec<>("temporal_slab_class_madvise_bytes", true, "Bytes of the class's slabs released.", ClassStats::madviseBytes),
            new Spec<>("temporal_slab_class_madvise_failures", true, "Failed madvise calls for the class's slabs.",
                    ClassStats::madviseFailures),
            new Spec<>("temporal_slab_class_epoch_close_calls", true, "closeEpoch calls that scanned slabs of the class.",
                    ClassStats::epochCloseCalls),
            new Spec<>("temporal_slab_class_epoch_close_scanned_slabs", true, "Slabs of the class that closes looked at.",
                    ClassStats::epochCloseScannedSlabs),
            new Spec<>("temporal_slab_class_epoch_close_recycled_slabs", true, "Slabs of the class that closes recycled.",
                    ClassStats::epochCloseRecycledSlabs),
            new Spec<>("temporal_slab_class_epoch_close_seconds", true, "Time closes spent on the class.",
                    c -> c.epochCloseTotalNs() / NANOS_PER_SECOND),
            new Spec<>("temporal_slab_class_bitmap_alloc_cas_retries", true, "Slot claims of the class lost and retried.",
                    ClassStats::bitmapAllocCasRetries),
            new Spec<>("temporal_slab_class_bitmap_free_cas_retries", true, "Always 0.", ClassStats::bitmapFreeCasRetries),
            new Spec<>("temporal_slab_class_bitmap_alloc_attempts", true, "Slot claims of the class.", ClassStats::bitmapAllocAttempts),
            new Spec<>("temporal_slab_class_bitmap_free_attempts", true, "Slot releases of the class.", ClassStats::bitmapFreeAttempts),
            new Spec<>("temporal_slab_class_lock_fast_acquire", true, "Bin-lock acquisitions that found it free.",
                    ClassStats::lockFastAcquire),
            new Spec<>("temporal_slab_class_lock_contended", true, "Bin-lock acquisitions that had to wait.", ClassStats::lockContended),
            new Spec<>("temporal_slab_class_alloc_cas_retries_per_attempt", false, "Slot-claim retries per attempt since start.",
                    ClassStats::avgAllocCasRetriesPerAttempt),
            new Spec<>("temporal_slab_class_free_cas_retries_per_attempt", false, "Always 0.", ClassStats::avgFreeCasRetriesPerAttempt),
            new Spec<>("temporal_slab_class_lock_contention_ratio", false, "Contended over all bin-lock acquisitions since start.",
                    ClassStats::lockContentionRate),
            new Spec<>("temporal_slab_class_cache_size", false, "Empty slabs kept for reuse.", ClassStats::cacheSize),
            new Spec<>("temporal_slab_class_cache_capacity", false, "Bound on cache_size.", ClassStats::cacheCapacity),
            new Spec<>("temporal_slab_class_cache_overflow_len", false, "Empty slabs above the capacity not yet recycled.",
                    ClassStats::cacheOverflowLen),
            new Spec<>("temporal_slab_class_partial_slabs", false, "Slabs on the partial list.", ClassStats::totalPartialSlabs),
            new Spec<>("temporal_slab_class_full_slabs", false, "Slabs on the full list.", ClassStats::totalFullSlabs),
            new Spec<>("temporal_slab_class_draining_slabs", false, "Slabs of closed eras still holding objects.",
                    ClassStats::totalDrainingSlabs),
            new Spec<>("temporal_slab_class_live_objects", false, "Live objects of the class.", ClassStats::liveObjects),
            new Spec<>("temporal_slab_class_live_bytes", false, "Bytes of the class's live objects.", ClassStats::liveBytes),
            new Spec<>("temporal_slab_class_recycle_ratio", false, "Recycled over new slabs since start, 0..1.",
                    c -> c.recycleRatePct() / 100.0),
            new Spec<>("temporal_slab_class_net_slabs", false, "Slabs of the class in service.", ClassStats::netSlabs),
            new Spec<>("temporal_slab_class_estimated_rss_bytes", false, "Slabs of the class times the slab size (estimate).",
                    ClassStats::estimatedRssBytes));

    /** A gauge per ring slot and state, 1 for the slot's state; tags {@code allocator}, {@code epoch}, {@code state}. */
    static final String EPOCH_STATE = "temporal_slab_epoch_state";

    /** One meter per ring slot, tags {@code allocator}, {@code epoch}. */
    static final List<Spec<EpochStats>> EPOCH = List.of(
            new Spec<>("temporal_slab_epoch_era", false, "Era of the slot (0 = never activated).", EpochStats::epochEra),
            new Spec<>("temporal_slab_epoch_open_since_timestamp_seconds", false, "Wall-clock time the era was activated.",
                    e -> e.openSinceNs() / NANOS_PER_SECOND),
            new Spec<>("temporal_slab_epoch_age_seconds", false, "Seconds since the era was activated.", EpochStats::ageSec),
            new Spec<>("temporal_slab_epoch_live_objects", false, "Live objects of the era.", EpochStats::allocCount),
            new Spec<>("temporal_slab_epoch_live_bytes", false, "Bytes of the era's live objects.", EpochStats::liveBytes),
            new Spec<>("temporal_slab_epoch_refcount", false, "Open domain scopes and manual references of the era.",
                    EpochStats::refcount),
            new Spec<>("temporal_slab_epoch_partial_slabs", false, "Slabs of the era on partial lists.", EpochStats::partialSlabCount),
            new Spec<>("temporal_slab_epoch_full_slabs", false, "Slabs of the era on full lists.", EpochStats::fullSlabCount),
            new Spec<>("temporal_slab_epoch_draining_slabs", false, "Slabs of the closed era still holding objects.",
                    EpochStats::drainingSlabCount),
            new Spec<>("temporal_slab_epoch_estimated_rss_bytes", false, "Memory the era holds (estimate).",
                    EpochStats::estimatedRssBytes),
            new Spec<>("temporal_slab_epoch_empty_partial_slabs", false, "Slabs of the era with no live object.",
                    EpochStats::emptyPartialCount),
            new Spec<>("temporal_slab_epoch_reclaimable_slabs", false, "Slabs closeEpoch would release now.",
                    EpochStats::reclaimableSlabCount),
            new Spec<>("temporal_slab_epoch_reclaimable_bytes", false, "Bytes closeEpoch would release now.",
                    EpochStats::reclaimableBytes),
            new Spec<>("temporal_slab_epoch_older_eras_slabs", false, "Slabs the slot holds from earlier eras.",
                    EpochStats::olderErasSlabCount),
            new Spec<>("temporal_slab_epoch_older_eras_live_objects", false, "Live objects the slot holds from earlier eras.",
                    EpochStats::olderErasLiveObjects),
            new Spec<>("temporal_slab_epoch_closes", false, "closeEpoch calls on the slot's current era.", EpochStats::closeCount),
            new Spec<>("temporal_slab_epoch_close_rss_before_bytes", false, "Process RSS before the era's last close (heuristic).",
                    EpochStats::rssBeforeClose),
            new Spec<>("temporal_slab_epoch_close_rss_after_bytes", false, "Process RSS after the era's last close (heuristic).",
                    EpochStats::rssAfterClose),
            new Spec<>("temporal_slab_epoch_close_resident_before_bytes", false,
                    "Resident bytes of the slabs the last close recycled, before madvise (mincore).", EpochStats::residentBeforeClose),
            new Spec<>("temporal_slab_epoch_close_resident_after_bytes", false,
                    "Resident bytes of those slabs after madvise (mincore).", EpochStats::residentAfterClose),
            new Spec<>("temporal_slab_epoch_close_madvise_bytes", false, "Bytes the era's last close released.",
                    EpochStats::madviseBytesAtClose),
            new Spec<>("temporal_slab_epoch_leak_sites", false, "Places where the era's open scopes were entered.",
                    e -> e.leakSites().size()));
}
