package io.tslab.prometheus;

import io.tslab.EpochState;
import io.tslab.prometheus.MetricFamily.Kind;
import io.tslab.prometheus.MetricFamily.Scope;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The catalogue: every metric family, in documentation order, grouped as {@code docs/metrics.md}
 * shows them. This is the only place that names a metric. Names follow the JSON field names of
 * {@code docs/stats-reference.md} ({@code total_slow_path_hits} becomes
 * {@code temporal_slab_slow_path_hits_total}), with the base unit at the end.
 */
final class Families {
    private Families() {
    }

    private static final double NANOS_PER_SECOND = 1e9;

    /** A documentation section. */
    record Group(String title, String description, List<MetricFamily> families) {
        Group {
            families = List.copyOf(families);
        }
    }

    static final List<Group> GROUPS = List.of(
            new Group("Allocator", "One series per allocator (and target); metadata and the epoch ring's shape.", List.of(
                    info(),
                    global(Kind.GAUGE, "temporal_slab_snapshot_timestamp_seconds",
                            "Wall-clock time the snapshot was taken, seconds since the Unix epoch.",
                            "time() - temporal_slab_snapshot_timestamp_seconds > 60",
                            s -> s.timestampNs() / NANOS_PER_SECOND),
                    global(Kind.GAUGE, "temporal_slab_page_size_bytes",
                            "Operating system page size, read at run time.",
                            "temporal_slab_page_size_bytes > 4096",
                            s -> s.pageSize()),
                    global(Kind.GAUGE, "temporal_slab_slab_size_bytes",
                            "Bytes per slab.",
                            "temporal_slab_net_slabs * temporal_slab_slab_size_bytes",
                            s -> s.slabSize()),
                    global(Kind.GAUGE, "temporal_slab_epoch_ring_slots",
                            "Slots in the epoch ring (builder epochs).",
                            "count without (epoch, label) (temporal_slab_epoch_estimated_rss_bytes > 0)"
                                    + " / temporal_slab_epoch_ring_slots",
                            s -> s.epochCount()),
                    global(Kind.GAUGE, "temporal_slab_current_epoch",
                            "Ring slot that new allocations go to, 0..ring_slots-1.",
                            "changes(temporal_slab_current_epoch[5m])",
                            s -> s.global().currentEpoch()),
                    global(Kind.GAUGE, "temporal_slab_current_era",
                            "Era of the current slot; grows by one per advanceEpoch.",
                            "delta(temporal_slab_current_era[1h])",
                            s -> s.global().currentEra()),
                    global(Kind.GAUGE, "temporal_slab_active_epochs",
                            "Slots accepting allocations: 1, or 0 after closeEpoch of the current epoch until the next advance.",
                            "temporal_slab_active_epochs == 0",
                            s -> s.global().activeEpochCount()),
                    global(Kind.GAUGE, "temporal_slab_closing_epochs",
                            "Slots refusing allocations (CLOSING), slots the ring has not reached yet included.",
                            "temporal_slab_closing_epochs / temporal_slab_epoch_ring_slots",
                            s -> s.global().closingEpochCount()))),

            new Group("Memory", "Where the allocator's memory is, from the reservation down to the pages the kernel"
                    + " holds. `resident` is measured with `mincore` (a fact); `rss` is the whole process"
                    + " (a heuristic for this allocator); `estimated` is a model.", List.of(
                    global(Kind.GAUGE, "temporal_slab_mapped_bytes",
                            "Virtual reservation (reserveBytes rounded to pages); costs no RAM by itself.",
                            "temporal_slab_committed_bytes / temporal_slab_mapped_bytes > 0.9",
                            s -> s.global().mappedBytes()),
                    global(Kind.GAUGE, "temporal_slab_committed_bytes",
                            "Bytes of the reservation ever handed out as slabs (high-water mark).",
                            "predict_linear(temporal_slab_committed_bytes[1h], 4 * 3600) > temporal_slab_mapped_bytes",
                            s -> s.global().committedBytes()),
                    global(Kind.GAUGE, "temporal_slab_resident_bytes",
                            "Bytes of the used range resident in RAM now, measured with mincore: the allocator's true footprint.",
                            "temporal_slab_resident_bytes / temporal_slab_estimated_slab_rss_bytes",
                            s -> s.global().residentBytes()),
                    global(Kind.GAUGE, "temporal_slab_rss_bytes",
                            "Resident set size of the whole process (/proc/self/statm), not only this allocator.",
                            "temporal_slab_rss_bytes - temporal_slab_estimated_slab_rss_bytes",
                            s -> s.global().rssBytesCurrent()),
                    global(Kind.GAUGE, "temporal_slab_estimated_slab_rss_bytes",
                            "Slabs in service times the slab size: what they would cost if every page were touched (estimate).",
                            "temporal_slab_estimated_slab_rss_bytes - temporal_slab_resident_bytes",
                            s -> s.global().estimatedSlabRssBytes()),
                    global(Kind.GAUGE, "temporal_slab_live_objects",
                            "Objects allocated and not yet freed.",
                            "sum by (allocator) (temporal_slab_live_objects)",
                            s -> s.global().liveObjects()),
                    global(Kind.GAUGE, "temporal_slab_live_bytes",
                            "Bytes of the live objects, counted at their size class.",
                            "1 - temporal_slab_live_bytes / clamp_min(temporal_slab_estimated_slab_rss_bytes, 1)",
                            s -> s.global().liveBytes()))),

            new Group("Slabs", "Slabs are 4 KiB pages carved from the reservation; a slab is in service while a size"
                    + " class uses it, and recycled (pages released, back to the pool) when it is empty.", List.of(
                    global(Kind.COUNTER, "temporal_slab_slabs_allocated",
                            "Slabs put into service, from the pool or fresh memory.",
                            "rate(temporal_slab_slabs_allocated_total[5m])",
                            s -> s.global().totalSlabsAllocated()),
                    global(Kind.COUNTER, "temporal_slab_slabs_recycled",
                            "Slabs taken out of service: pages released, slab back in the pool.",
                            "rate(temporal_slab_slabs_allocated_total[5m]) - rate(temporal_slab_slabs_recycled_total[5m])",
                            s -> s.global().totalSlabsRecycled()),
                    global(Kind.GAUGE, "temporal_slab_net_slabs",
                            "Slabs in service now (allocated minus recycled, counted by walking the slabs).",
                            "deriv(temporal_slab_net_slabs[30m]) > 0",
                            s -> s.global().netSlabs()),
                    global(Kind.GAUGE, "temporal_slab_pooled_slabs",
                            "Recycled slabs waiting in the pool for reuse by any class.",
                            "temporal_slab_pooled_slabs * temporal_slab_slab_size_bytes",
                            s -> s.global().pooledSlabs()))),

            new Group("Operations", "Allocation, free, slow-path, reclamation and error counters, summed over the"
                    + " size classes.", List.of(
                    global(Kind.COUNTER, "temporal_slab_allocations",
                            "Successful allocations (counted by the slot stamps, always exact).",
                            "sum by (allocator) (rate(temporal_slab_allocations_total[1m]))",
                            s -> s.global().totalAllocations()),
                    global(Kind.COUNTER, "temporal_slab_frees",
                            "Successful frees (counted by the slot stamps, always exact).",
                            "rate(temporal_slab_allocations_total[5m]) - rate(temporal_slab_frees_total[5m])",
                            s -> s.global().totalFrees()),
                    global(Kind.COUNTER, "temporal_slab_slow_path_hits",
                            "Allocations that left the lock-free fast path.",
                            "rate(temporal_slab_slow_path_hits_total[5m]) / clamp_min(rate(temporal_slab_allocations_total[5m]), 0.0001)",
                            s -> s.global().totalSlowPathHits()),
                    global(Kind.COUNTER, "temporal_slab_slow_cache_miss",
                            "Slow paths that needed a slab from the pool or fresh memory.",
                            "rate(temporal_slab_slow_cache_miss_total[5m]) / clamp_min(rate(temporal_slab_slow_path_hits_total[5m]), 0.0001)",
                            s -> s.global().totalSlowCacheMiss()),
                    global(Kind.COUNTER, "temporal_slab_slow_epoch_closed",
                            "Slow paths refused because the epoch was CLOSING.",
                            "increase(temporal_slab_slow_epoch_closed_total[10m]) > 0",
                            s -> s.global().totalSlowEpochClosed()),
                    global(Kind.COUNTER, "temporal_slab_cache_overflows",
                            "Empty slabs of ACTIVE epochs recycled because their class already kept cache_capacity empty slabs.",
                            "rate(temporal_slab_cache_overflows_total[5m])",
                            s -> s.global().totalCacheOverflows()),
                    global(Kind.COUNTER, "temporal_slab_madvise_calls",
                            "madvise calls that released pages (one per run of adjacent slabs).",
                            "rate(temporal_slab_madvise_calls_total[5m])",
                            s -> s.global().totalMadviseCalls()),
                    global(Kind.COUNTER, "temporal_slab_madvise_bytes",
                            "Bytes released to the operating system with madvise.",
                            "rate(temporal_slab_madvise_bytes_total[5m])",
                            s -> s.global().totalMadviseBytes()),
                    global(Kind.COUNTER, "temporal_slab_madvise_failures",
                            "Failed madvise calls; their pages stay resident and the allocator keeps working.",
                            "increase(temporal_slab_madvise_failures_total[15m]) > 0",
                            s -> s.global().totalMadviseFailures()),
                    new MetricFamily("temporal_slab_alloc_refused", Kind.COUNTER,
                            "Allocations that returned 0, by reason: epoch_closed (the epoch was CLOSING) or reservation_exhausted (no slab left).",
                            Scope.ALLOCATOR, List.of("reason"),
                            "sum by (allocator, reason) (rate(temporal_slab_alloc_refused_total[5m]))",
                            (view, sink) -> byReason(view, view.snapshot().global().allocRefusedByReason(), sink)),
                    new MetricFamily("temporal_slab_invalid_frees", Kind.COUNTER,
                            "Frees that returned false, by reason; state was not changed. Nonzero means an application bug.",
                            Scope.ALLOCATOR, List.of("reason"),
                            "sum by (allocator, reason) (increase(temporal_slab_invalid_frees_total[1h])) > 0",
                            (view, sink) -> byReason(view, view.snapshot().global().invalidFreesByReason(), sink)),
                    global(Kind.COUNTER, "temporal_slab_refcount_underflows",
                            "decEpochRefcount calls at refcount 0 (ignored): unbalanced manual refcounting.",
                            "increase(temporal_slab_refcount_underflows_total[1h]) > 0",
                            s -> s.global().totalRefcountUnderflows()),
                    global(Kind.COUNTER, "temporal_slab_epoch_close_calls",
                            "closeEpoch calls, auto-closes of domains included.",
                            "rate(temporal_slab_epoch_close_calls_total[5m])",
                            s -> s.global().totalEpochCloseCalls()))),

            new Group("Contention", "Lock-free slot claims and the slow path's locks. The CAS-retry counts read 0"
                    + " while per-operation counters are off (`temporal_slab_info{counters_enabled=\"false\"}`).", List.of(
                    global(Kind.COUNTER, "temporal_slab_bitmap_alloc_cas_retries",
                            "Slot claims lost to another thread and retried.",
                            "rate(temporal_slab_bitmap_alloc_cas_retries_total[5m]) / clamp_min(rate(temporal_slab_bitmap_alloc_attempts_total[5m]), 0.0001)",
                            s -> s.global().totalBitmapAllocCasRetries()),
                    global(Kind.COUNTER, "temporal_slab_bitmap_free_cas_retries",
                            "Always 0: a free clears its bit with one atomic add.",
                            "rate(temporal_slab_bitmap_free_cas_retries_total[5m]) > 0",
                            s -> s.global().totalBitmapFreeCasRetries()),
                    global(Kind.COUNTER, "temporal_slab_bitmap_alloc_attempts",
                            "Slot claims (one per allocation).",
                            "rate(temporal_slab_bitmap_alloc_attempts_total[5m])",
                            s -> s.global().totalBitmapAllocAttempts()),
                    global(Kind.COUNTER, "temporal_slab_bitmap_free_attempts",
                            "Slot releases (one per free).",
                            "rate(temporal_slab_bitmap_free_attempts_total[5m])",
                            s -> s.global().totalBitmapFreeAttempts()),
                    global(Kind.COUNTER, "temporal_slab_lock_fast_acquire",
                            "Slow-path lock acquisitions (bin and pool locks) that found the lock free.",
                            "rate(temporal_slab_lock_fast_acquire_total[5m]) + rate(temporal_slab_lock_contended_total[5m])",
                            s -> s.global().totalLockFastAcquire()),
                    global(Kind.COUNTER, "temporal_slab_lock_contended",
                            "Slow-path lock acquisitions (bin and pool locks) that had to wait.",
                            "rate(temporal_slab_lock_contended_total[5m]) / clamp_min(rate(temporal_slab_lock_fast_acquire_total[5m])"
                                    + " + rate(temporal_slab_lock_contended_total[5m]), 0.0001)",
                            s -> s.global().totalLockContended()))),

            new Group("Last epoch close", "The most recent `closeEpoch` of the allocator. `rss_*` is the whole process"
                    + " (a heuristic: other threads allocate too); `resident_*` is measured with `mincore` on the slabs"
                    + " the close recycled (a fact).", List.of(
                    lastClose("temporal_slab_last_epoch_close_timestamp_seconds",
                            "Wall-clock time of the most recent closeEpoch, seconds since the Unix epoch (0 before the first).",
                            "time() - temporal_slab_last_epoch_close_timestamp_seconds > 600",
                            c -> c.timestampNs() / NANOS_PER_SECOND),
                    lastClose("temporal_slab_last_epoch_close_epoch",
                            "Ring slot of the most recent close (-1 before the first).",
                            "temporal_slab_last_epoch_close_epoch",
                            c -> c.epochId()),
                    lastClose("temporal_slab_last_epoch_close_era",
                            "Era the most recent close applied to.",
                            "temporal_slab_current_era - temporal_slab_last_epoch_close_era",
                            c -> c.epochEra()),
                    lastClose("temporal_slab_last_epoch_close_scanned_slabs",
                            "Slabs the most recent close looked at.",
                            "temporal_slab_last_epoch_close_scanned_slabs",
                            c -> c.scannedSlabs()),
                    lastClose("temporal_slab_last_epoch_close_recycled_slabs",
                            "Slabs the most recent close recycled; the rest still hold objects and drain.",
                            "temporal_slab_last_epoch_close_recycled_slabs / clamp_min(temporal_slab_last_epoch_close_scanned_slabs, 1)",
                            c -> c.recycledSlabs()),
                    lastClose("temporal_slab_last_epoch_close_rss_before_bytes",
                            "Process RSS just before the most recent close (heuristic).",
                            "temporal_slab_last_epoch_close_rss_before_bytes - temporal_slab_last_epoch_close_rss_after_bytes",
                            c -> c.rssBefore()),
                    lastClose("temporal_slab_last_epoch_close_rss_after_bytes",
                            "Process RSS just after the most recent close (heuristic).",
                            "(temporal_slab_last_epoch_close_rss_before_bytes - temporal_slab_last_epoch_close_rss_after_bytes)"
                                    + " / clamp_min(temporal_slab_last_epoch_close_madvise_bytes, 1)",
                            c -> c.rssAfter()),
                    lastClose("temporal_slab_last_epoch_close_resident_before_bytes",
                            "Resident bytes (mincore) of the slabs the most recent close recycled, just before their madvise.",
                            "temporal_slab_last_epoch_close_resident_before_bytes - temporal_slab_last_epoch_close_resident_after_bytes",
                            c -> c.residentBefore()),
                    lastClose("temporal_slab_last_epoch_close_resident_after_bytes",
                            "Resident bytes (mincore) of those slabs just after their madvise; about 0 when the kernel took the pages back.",
                            "temporal_slab_last_epoch_close_resident_after_bytes / clamp_min(temporal_slab_last_epoch_close_resident_before_bytes, 1) > 0.5",
                            c -> c.residentAfter()),
                    lastClose("temporal_slab_last_epoch_close_madvise_bytes",
                            "Bytes the most recent close released with madvise.",
                            "temporal_slab_last_epoch_close_madvise_bytes",
                            c -> c.madviseBytes()),
                    lastClose("temporal_slab_last_epoch_close_duration_seconds",
                            "How long the most recent close took, madvise and mincore included.",
                            "max by (allocator) (temporal_slab_last_epoch_close_duration_seconds)",
                            c -> c.durationNs() / NANOS_PER_SECOND))),

            new Group("Per size class", "Labels `{allocator, class, object_size}`: `class` is the class index 0..7,"
                    + " `object_size` its size in bytes (64, 96, 128, 192, 256, 384, 512, 768). Eight series per"
                    + " allocator and family.", List.of(
                    perClass(Kind.GAUGE, "temporal_slab_class_slots_per_slab",
                            "Objects of the class that fit in one slab.",
                            "temporal_slab_class_live_objects / clamp_min(temporal_slab_class_net_slabs * temporal_slab_class_slots_per_slab, 1)",
                            c -> c.slotsPerSlab()),
                    perClass(Kind.COUNTER, "temporal_slab_class_slow_path_hits",
                            "Allocations of the class that took the slow path (once per allocation).",
                            "topk(3, rate(temporal_slab_class_slow_path_hits_total[5m]))",
                            c -> c.slowPathHits()),
                    perClass(Kind.COUNTER, "temporal_slab_class_new_slabs",
                            "Slabs put into service for the class.",
                            "1 - rate(temporal_slab_class_new_slabs_total[5m]) / clamp_min(rate(temporal_slab_class_slow_path_hits_total[5m]), 0.0001)",
                            c -> c.newSlabCount()),
                    perClass(Kind.COUNTER, "temporal_slab_class_list_move_partial_to_full",
                            "Slabs of the class parked on the full list.",
                            "rate(temporal_slab_class_list_move_partial_to_full_total[5m])",
                            c -> c.listMovePartialToFull()),
                    perClass(Kind.COUNTER, "temporal_slab_class_list_move_full_to_partial",
                            "Full slabs of the class brought back to the partial list by a free.",
                            "rate(temporal_slab_class_list_move_full_to_partial_total[5m])",
                            c -> c.listMoveFullToPartial()),
                    perClass(Kind.COUNTER, "temporal_slab_class_current_partial_null",
                            "Fast paths that found no current slab (first allocation of the epoch, or after a recycle).",
                            "rate(temporal_slab_class_current_partial_null_total[5m]) / clamp_min(rate(temporal_slab_class_slow_path_hits_total[5m]), 0.0001)",
                            c -> c.currentPartialNull()),
                    perClass(Kind.COUNTER, "temporal_slab_class_current_partial_full",
                            "Fast paths whose current slab was full (normal churn at slab boundaries).",
                            "rate(temporal_slab_class_current_partial_full_total[5m]) / clamp_min(rate(temporal_slab_class_slow_path_hits_total[5m]), 0.0001)",
                            c -> c.currentPartialFull()),
                    perClass(Kind.COUNTER, "temporal_slab_class_empty_slab_recycled",
                            "Slabs of the class taken out of service (pages released, slab to the pool).",
                            "rate(temporal_slab_class_empty_slab_recycled_total[5m])",
                            c -> c.emptySlabRecycled()),
                    perClass(Kind.COUNTER, "temporal_slab_class_empty_slab_overflowed",
                            "Of those, recycled from an ACTIVE epoch because the class already kept cache_capacity empty slabs.",
                            "rate(temporal_slab_class_empty_slab_overflowed_total[5m]) > 0",
                            c -> c.emptySlabOverflowed()),
                    perClass(Kind.COUNTER, "temporal_slab_class_slow_path_cache_miss",
                            "Slow paths of the class that needed a new slab; high against slow_path_hits under churn: raise cacheCapacity.",
                            "rate(temporal_slab_class_slow_path_cache_miss_total[5m]) / clamp_min(rate(temporal_slab_class_slow_path_hits_total[5m]), 0.0001)",
                            c -> c.slowPathCacheMiss()),
                    perClass(Kind.COUNTER, "temporal_slab_class_slow_path_epoch_closed",
                            "Allocations of the class refused because the epoch was CLOSING.",
                            "sum by (allocator) (increase(temporal_slab_class_slow_path_epoch_closed_total[10m])) > 0",
                            c -> c.slowPathEpochClosed()),
                    perClass(Kind.COUNTER, "temporal_slab_class_madvise_calls",
                            "madvise calls releasing the class's recycled slabs.",
                            "rate(temporal_slab_class_madvise_calls_total[5m])",
                            c -> c.madviseCalls()),
                    perClass(Kind.COUNTER, "temporal_slab_class_madvise_bytes",
                            "Bytes of the class's recycled slabs released with madvise.",
                            "topk(3, rate(temporal_slab_class_madvise_bytes_total[5m]))",
                            c -> c.madviseBytes()),
                    perClass(Kind.COUNTER, "temporal_slab_class_madvise_failures",
                            "Failed madvise calls for the class's slabs.",
                            "increase(temporal_slab_class_madvise_failures_total[15m]) > 0",
                            c -> c.madviseFailures()),
                    perClass(Kind.COUNTER, "temporal_slab_class_epoch_close_calls",
                            "closeEpoch calls that scanned slabs of the class (classes with nothing to scan are not counted).",
                            "sum by (allocator) (rate(temporal_slab_class_epoch_close_calls_total[5m]))",
                            c -> c.epochCloseCalls()),
                    perClass(Kind.COUNTER, "temporal_slab_class_epoch_close_scanned_slabs",
                            "Slabs of the class that closes looked at.",
                            "rate(temporal_slab_class_epoch_close_scanned_slabs_total[5m])",
                            c -> c.epochCloseScannedSlabs()),
                    perClass(Kind.COUNTER, "temporal_slab_class_epoch_close_recycled_slabs",
                            "Slabs of the class that closes recycled; yield is recycled over scanned.",
                            "sum by (allocator) (rate(temporal_slab_class_epoch_close_recycled_slabs_total[15m]))"
                                    + " / clamp_min(sum by (allocator) (rate(temporal_slab_class_epoch_close_scanned_slabs_total[15m])), 0.0001)",
                            c -> c.epochCloseRecycledSlabs()),
                    perClass(Kind.COUNTER, "temporal_slab_class_epoch_close_seconds",
                            "Time closes spent on the class, madvise and mincore included.",
                            "sum without (class, object_size) (rate(temporal_slab_class_epoch_close_seconds_total[5m]))"
                                    + " / clamp_min(rate(temporal_slab_epoch_close_calls_total[5m]), 0.0001)",
                            c -> c.epochCloseTotalNs() / NANOS_PER_SECOND),
                    perClass(Kind.COUNTER, "temporal_slab_class_bitmap_alloc_cas_retries",
                            "Slot claims of the class lost to another thread and retried.",
                            "rate(temporal_slab_class_bitmap_alloc_cas_retries_total[5m]) / clamp_min(rate(temporal_slab_class_bitmap_alloc_attempts_total[5m]), 0.0001) > 0.05",
                            c -> c.bitmapAllocCasRetries()),
                    perClass(Kind.COUNTER, "temporal_slab_class_bitmap_free_cas_retries",
                            "Always 0: a free clears its bit with one atomic add.",
                            "rate(temporal_slab_class_bitmap_free_cas_retries_total[5m])",
                            c -> c.bitmapFreeCasRetries()),
                    perClass(Kind.COUNTER, "temporal_slab_class_bitmap_alloc_attempts",
                            "Slot claims of the class (one per allocation).",
                            "sum by (allocator, object_size) (rate(temporal_slab_class_bitmap_alloc_attempts_total[1m]))",
                            c -> c.bitmapAllocAttempts()),
                    perClass(Kind.COUNTER, "temporal_slab_class_bitmap_free_attempts",
                            "Slot releases of the class (one per free).",
                            "rate(temporal_slab_class_bitmap_free_attempts_total[1m])",
                            c -> c.bitmapFreeAttempts()),
                    perClass(Kind.COUNTER, "temporal_slab_class_lock_fast_acquire",
                            "Acquisitions of the class's bin lock that found it free.",
                            "rate(temporal_slab_class_lock_fast_acquire_total[5m]) + rate(temporal_slab_class_lock_contended_total[5m])",
                            c -> c.lockFastAcquire()),
                    perClass(Kind.COUNTER, "temporal_slab_class_lock_contended",
                            "Acquisitions of the class's bin lock that had to wait.",
                            "rate(temporal_slab_class_lock_contended_total[5m]) / clamp_min(rate(temporal_slab_class_lock_fast_acquire_total[5m])"
                                    + " + rate(temporal_slab_class_lock_contended_total[5m]), 0.0001) > 0.2",
                            c -> c.lockContended()),
                    perClass(Kind.GAUGE, "temporal_slab_class_alloc_cas_retries_per_attempt",
                            "Slot-claim retries per attempt since the allocator started (0 without attempts).",
                            "temporal_slab_class_alloc_cas_retries_per_attempt > 0.05",
                            c -> c.avgAllocCasRetriesPerAttempt()),
                    perClass(Kind.GAUGE, "temporal_slab_class_free_cas_retries_per_attempt",
                            "Always 0, as bitmap_free_cas_retries.",
                            "temporal_slab_class_free_cas_retries_per_attempt",
                            c -> c.avgFreeCasRetriesPerAttempt()),
                    perClass(Kind.GAUGE, "temporal_slab_class_lock_contention_ratio",
                            "Contended over all bin-lock acquisitions since the allocator started, 0..1.",
                            "temporal_slab_class_lock_contention_ratio > 0.2",
                            c -> c.lockContentionRate()),
                    perClass(Kind.GAUGE, "temporal_slab_class_cache_size",
                            "Empty slabs of the class kept resident for reuse in ACTIVE epochs.",
                            "temporal_slab_class_cache_size / clamp_min(temporal_slab_class_cache_capacity, 1)",
                            c -> c.cacheSize()),
                    perClass(Kind.GAUGE, "temporal_slab_class_cache_capacity",
                            "The bound on cache_size (builder cacheCapacity).",
                            "temporal_slab_class_cache_capacity - temporal_slab_class_cache_size",
                            c -> c.cacheCapacity()),
                    perClass(Kind.GAUGE, "temporal_slab_class_cache_overflow_len",
                            "Empty slabs above the capacity not yet recycled: 0 except for an instant.",
                            "max_over_time(temporal_slab_class_cache_overflow_len[10m]) > 0",
                            c -> c.cacheOverflowLen()),
                    perClass(Kind.GAUGE, "temporal_slab_class_partial_slabs",
                            "In-service slabs of the slots' latest eras on the partial list.",
                            "sum by (allocator, class, object_size) (temporal_slab_class_partial_slabs + temporal_slab_class_full_slabs)",
                            c -> c.totalPartialSlabs()),
                    perClass(Kind.GAUGE, "temporal_slab_class_full_slabs",
                            "In-service slabs of the slots' latest eras on the full list.",
                            "temporal_slab_class_full_slabs / clamp_min(temporal_slab_class_net_slabs, 1)",
                            c -> c.totalFullSlabs()),
                    perClass(Kind.GAUGE, "temporal_slab_class_draining_slabs",
                            "In-service slabs of closed eras still holding objects; each is recycled when its last object is freed.",
                            "temporal_slab_class_draining_slabs > 0",
                            c -> c.totalDrainingSlabs()),
                    perClass(Kind.GAUGE, "temporal_slab_class_live_objects",
                            "Live objects of the class.",
                            "topk(3, temporal_slab_class_live_objects)",
                            c -> c.liveObjects()),
                    perClass(Kind.GAUGE, "temporal_slab_class_live_bytes",
                            "Bytes of the class's live objects.",
                            "1 - temporal_slab_class_live_bytes / clamp_min(temporal_slab_class_estimated_rss_bytes, 1)",
                            c -> c.liveBytes()),
                    perClass(Kind.GAUGE, "temporal_slab_class_recycle_ratio",
                            "Recycled over new slabs of the class since the allocator started, 0..1 (the share of slabs that came back).",
                            "temporal_slab_class_recycle_ratio < 0.5",
                            c -> c.recycleRatePct() / 100.0),
                    perClass(Kind.GAUGE, "temporal_slab_class_net_slabs",
                            "Slabs of the class in service now.",
                            "sort_desc(temporal_slab_class_net_slabs)",
                            c -> c.netSlabs()),
                    perClass(Kind.GAUGE, "temporal_slab_class_estimated_rss_bytes",
                            "Slabs of the class in service times the slab size (estimate).",
                            "topk(3, temporal_slab_class_estimated_rss_bytes)",
                            c -> c.estimatedRssBytes()))),

            new Group("Per epoch", "Labels `{allocator, epoch, label}`: one series per ring slot, about the slot's"
                    + " latest era. `epoch` is the slot (0..ring_slots-1), `label` what the application called the era"
                    + " (`setEpochLabel` or the first domain's label; empty when none; `other` over the cardinality"
                    + " cap). The era itself is the value of `temporal_slab_epoch_era`, never a label: it grows without"
                    + " bound. Series of one slot share their labels, so expressions combine them without `on(...)`.",
                    List.of(
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_era",
                            "Era of the slot: the global activation count stamped when the ring last made it current (0 = never).",
                            "temporal_slab_current_era - ignoring (epoch, label) group_right temporal_slab_epoch_era",
                            e -> e.epochEra()),
                    new MetricFamily("temporal_slab_epoch_state", Kind.GAUGE,
                            "1 for the slot's state (state=\"ACTIVE\" or \"CLOSING\"), 0 for the other.",
                            Scope.EPOCH, List.of("state"),
                            "temporal_slab_epoch_age_seconds and ignoring (state) (temporal_slab_epoch_state{state=\"ACTIVE\"} == 1)",
                            Families::epochState),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_open_since_timestamp_seconds",
                            "Wall-clock time the era was activated, seconds since the Unix epoch (0 = never).",
                            "time() - temporal_slab_epoch_open_since_timestamp_seconds",
                            e -> e.openSinceNs() / NANOS_PER_SECOND),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_age_seconds",
                            "Seconds since the era was activated (monotonic clock; 0 = never).",
                            "topk(5, temporal_slab_epoch_age_seconds)",
                            EpochStats::ageSec),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_live_objects",
                            "Live objects of the era (JSON alloc_count), exact; not the refcount.",
                            "sum by (allocator, label) (temporal_slab_epoch_live_objects)",
                            e -> e.allocCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_live_bytes",
                            "Bytes of the era's live objects.",
                            "sum by (label) (temporal_slab_epoch_live_bytes)",
                            e -> e.liveBytes()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_refcount",
                            "Open domain scopes plus manual incEpochRefcount of the era; above 0 on an old epoch means someone did not leave.",
                            "(temporal_slab_epoch_age_seconds > 300) and (temporal_slab_epoch_refcount > 0)",
                            e -> e.refcount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_partial_slabs",
                            "Slabs of the era on partial lists.",
                            "temporal_slab_epoch_partial_slabs + temporal_slab_epoch_full_slabs",
                            e -> e.partialSlabCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_full_slabs",
                            "Slabs of the era on full lists.",
                            "temporal_slab_epoch_full_slabs",
                            e -> e.fullSlabCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_draining_slabs",
                            "Slabs of the era still holding objects after it was closed.",
                            "temporal_slab_epoch_draining_slabs > 0 and temporal_slab_epoch_age_seconds > 600",
                            e -> e.drainingSlabCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_estimated_rss_bytes",
                            "Slabs of the era times the slab size: memory this epoch holds (estimate).",
                            "sum by (label) (temporal_slab_epoch_estimated_rss_bytes)",
                            e -> e.estimatedRssBytes()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_empty_partial_slabs",
                            "Slabs of the era with no live object (kept in O(1)).",
                            "temporal_slab_epoch_empty_partial_slabs",
                            e -> e.emptyPartialCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_reclaimable_slabs",
                            "Slabs closeEpoch would release now.",
                            "topk(5, temporal_slab_epoch_reclaimable_slabs)",
                            e -> e.reclaimableSlabCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_reclaimable_bytes",
                            "Bytes closeEpoch would release now.",
                            "sum by (allocator) (temporal_slab_epoch_reclaimable_bytes)",
                            e -> e.reclaimableBytes()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_older_eras_slabs",
                            "Slabs the slot still holds from earlier, closed eras (objects that outlived a full turn of the ring).",
                            "temporal_slab_epoch_older_eras_slabs > 0",
                            e -> e.olderErasSlabCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_older_eras_live_objects",
                            "Live objects the slot still holds from earlier, closed eras.",
                            "sum by (allocator) (temporal_slab_epoch_older_eras_live_objects)",
                            e -> e.olderErasLiveObjects()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_closes",
                            "closeEpoch calls on the slot's current era (starts at 0 with each era).",
                            "temporal_slab_epoch_closes > 1",
                            e -> e.closeCount()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_close_rss_before_bytes",
                            "Process RSS just before the era's last close (0 = not closed); a heuristic, other threads allocate too.",
                            "temporal_slab_epoch_close_rss_before_bytes - temporal_slab_epoch_close_rss_after_bytes",
                            e -> e.rssBeforeClose()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_close_rss_after_bytes",
                            "Process RSS just after the era's last close (0 = not closed); a heuristic.",
                            "(temporal_slab_epoch_close_rss_before_bytes - temporal_slab_epoch_close_rss_after_bytes)"
                                    + " / clamp_min(temporal_slab_epoch_close_madvise_bytes, 1)",
                            e -> e.rssAfterClose()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_close_resident_before_bytes",
                            "Resident bytes (mincore) of the slabs the era's last close recycled, just before their madvise.",
                            "temporal_slab_epoch_close_resident_before_bytes - temporal_slab_epoch_close_resident_after_bytes",
                            e -> e.residentBeforeClose()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_close_resident_after_bytes",
                            "Resident bytes (mincore) of those slabs just after their madvise; about 0 when the kernel took the pages back.",
                            "1 - temporal_slab_epoch_close_resident_after_bytes / clamp_min(temporal_slab_epoch_close_resident_before_bytes, 1)",
                            e -> e.residentAfterClose()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_close_madvise_bytes",
                            "Bytes the era's last close released with madvise.",
                            "sum by (allocator) (temporal_slab_epoch_close_madvise_bytes)",
                            e -> e.madviseBytesAtClose()),
                    perEpoch(Kind.GAUGE, "temporal_slab_epoch_leak_sites",
                            "Distinct places where the era's still-open scopes were entered (0 unless leak detection is on).",
                            "temporal_slab_epoch_leak_sites > 0",
                            e -> e.leakSites().size()))),

            new Group("Per epoch and size class", "Labels `{allocator, epoch, label, class, object_size}`: the epochs' slabs"
                    + " by size class (JSON `class_epochs`); only (slot, class) pairs holding slabs have series.", List.of(
                    perClassEpoch("temporal_slab_epoch_class_live_objects",
                            "Live objects of the class in the slot, all eras.",
                            "sum by (allocator, label, object_size) (temporal_slab_epoch_class_live_objects)",
                            ce -> ce.liveObjects()),
                    perClassEpoch("temporal_slab_epoch_class_partial_slabs",
                            "Latest-era slabs of the pair on the partial list.",
                            "temporal_slab_epoch_class_partial_slabs",
                            ce -> ce.partialSlabCount()),
                    perClassEpoch("temporal_slab_epoch_class_full_slabs",
                            "Latest-era slabs of the pair on the full list.",
                            "temporal_slab_epoch_class_full_slabs",
                            ce -> ce.fullSlabCount()),
                    perClassEpoch("temporal_slab_epoch_class_draining_slabs",
                            "Slabs of the pair from closed eras (latest or older) still holding objects.",
                            "sum by (allocator, object_size) (temporal_slab_epoch_class_draining_slabs)",
                            ce -> ce.drainingSlabCount()),
                    perClassEpoch("temporal_slab_epoch_class_empty_slabs",
                            "Latest-era slabs of the pair with no live object.",
                            "temporal_slab_epoch_class_empty_slabs",
                            ce -> ce.emptySlabCount()),
                    perClassEpoch("temporal_slab_epoch_class_eras_present",
                            "Distinct eras among the pair's slabs; more than one means a closed era still drains after the ring came back.",
                            "temporal_slab_epoch_class_eras_present > 1",
                            ce -> ce.erasPresent().size()),
                    perClassEpoch("temporal_slab_epoch_class_oldest_era",
                            "Oldest era among the pair's slabs (0 when it holds none).",
                            "temporal_slab_current_era - ignoring (class, object_size, epoch, label) group_right temporal_slab_epoch_class_oldest_era",
                            ce -> ce.erasPresent().isEmpty() ? 0 : ce.erasPresent().getFirst()))),

            new Group("Exporter", "About this exposition itself: the cap on distinct epoch labels per allocator.", List.of(
                    new MetricFamily("temporal_slab_label_limit", Kind.GAUGE,
                            "Distinct epoch labels exported per allocator before further ones become \"other\".",
                            Scope.ALLOCATOR, List.of(),
                            "temporal_slab_label_values / temporal_slab_label_limit > 0.9",
                            (view, sink) -> sink.add(view.labelLimit(), view.allocator())),
                    new MetricFamily("temporal_slab_label_values", Kind.GAUGE,
                            "Distinct epoch labels this exporter has admitted for the allocator.",
                            Scope.ALLOCATOR, List.of(),
                            "temporal_slab_label_values",
                            (view, sink) -> sink.add(view.labelValues(), view.allocator())),
                    new MetricFamily("temporal_slab_label_overflow", Kind.COUNTER,
                            "Epoch eras whose label was over the cap and exported as \"other\".",
                            Scope.ALLOCATOR, List.of(),
                            "increase(temporal_slab_label_overflow_total[1h]) > 0",
                            (view, sink) -> sink.add(view.labelOverflows(), view.allocator())))));

    /** Every family in documentation order. */
    static final List<MetricFamily> ALL = GROUPS.stream().flatMap(g -> g.families().stream()).toList();

    /** Every family in exposition order: by name, as client_java sorts them. */
    static final List<MetricFamily> SORTED = ALL.stream().sorted(Comparator.comparing(MetricFamily::name)).toList();

    static {
        Set<String> names = new HashSet<>();
        Set<String> exposed = new HashSet<>();
        for (MetricFamily f : ALL) {
            if (!names.add(f.name()) || !exposed.add(f.exposedName())) {
                throw new IllegalStateException("duplicate metric name: " + f.name());
            }
        }
    }

    /** Every label name some family uses; target labels must avoid them. */
    static Set<String> labelNamesInUse() {
        Set<String> names = new TreeSet<>();
        for (MetricFamily f : ALL) {
            names.addAll(f.labelNames());
        }
        return names;
    }

    // ---- family shapes ------------------------------------------------------------------------

    private static MetricFamily info() {
        return new MetricFamily("temporal_slab", Kind.INFO,
                "Allocator metadata as labels, value 1: snapshot schema and statistics versions, whether per-operation"
                        + " counters run, whether leak detection records where scopes were entered.",
                Scope.ALLOCATOR, List.of("schema_version", "stats_version", "counters_enabled", "leak_detection"),
                "temporal_slab_info{counters_enabled=\"false\"}",
                (view, sink) -> {
                    AllocatorSnapshot s = view.snapshot();
                    sink.add(1, view.allocator(), Integer.toString(s.schemaVersion()), Integer.toString(s.version()),
                            Boolean.toString(s.countersEnabled()), Boolean.toString(s.leakDetection()));
                });
    }

    private static MetricFamily global(Kind kind, String name, String help, String example,
                                       ToDoubleFunction<AllocatorSnapshot> value) {
        return new MetricFamily(name, kind, help, Scope.ALLOCATOR, List.of(), example,
                (view, sink) -> sink.add(value.applyAsDouble(view.snapshot()), view.allocator()));
    }

    private static MetricFamily lastClose(String name, String help, String example, ToDoubleFunction<LastEpochClose> value) {
        return global(Kind.GAUGE, name, help, example, s -> value.applyAsDouble(s.lastEpochClose()));
    }

    private static MetricFamily perClass(Kind kind, String name, String help, String example,
                                         ToDoubleFunction<ClassStats> value) {
        return new MetricFamily(name, kind, help, Scope.CLASS, List.of(), example, (view, sink) -> {
            for (ClassStats c : view.snapshot().classes()) {
                sink.add(value.applyAsDouble(c), view.allocator(), Integer.toString(c.classIndex()),
                        Integer.toString(c.objectSize()));
            }
        });
    }

    private static MetricFamily perEpoch(Kind kind, String name, String help, String example,
                                         ToDoubleFunction<EpochStats> value) {
        return new MetricFamily(name, kind, help, Scope.EPOCH, List.of(), example, (view, sink) -> {
            for (EpochStats e : view.snapshot().epochs()) {
                sink.add(value.applyAsDouble(e), view.allocator(), Integer.toString(e.epochId()),
                        view.epochLabel(e.epochId()));
            }
        });
    }

    private static MetricFamily perClassEpoch(String name, String help, String example,
                                              ToDoubleFunction<ClassEpochStats> value) {
        return new MetricFamily(name, Kind.GAUGE, help, Scope.CLASS_EPOCH, List.of(), example, (view, sink) -> {
            for (ClassEpochStats ce : view.snapshot().classEpochs()) {
                sink.add(value.applyAsDouble(ce), view.allocator(), Integer.toString(ce.classIndex()),
                        Integer.toString(ce.objectSize()), Integer.toString(ce.epochId()),
                        view.epochLabel(ce.epochId()));
            }
        });
    }

    private static void epochState(AllocatorView view, MetricFamily.Sink sink) {
        for (EpochStats e : view.snapshot().epochs()) {
            String epoch = Integer.toString(e.epochId());
            String label = view.epochLabel(e.epochId());
            for (EpochState state : EpochState.values()) {
                sink.add(e.state() == state ? 1 : 0, view.allocator(), epoch, label, state.name());
            }
        }
    }

    private static void byReason(AllocatorView view, Map<String, Long> counts, MetricFamily.Sink sink) {
        for (Map.Entry<String, Long> reason : counts.entrySet()) {
            sink.add(reason.getValue(), view.allocator(), reason.getKey());
        }
    }
}
