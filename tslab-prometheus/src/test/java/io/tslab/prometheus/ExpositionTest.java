package io.tslab.prometheus;

import io.tslab.EpochState;
import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The exposition of a real workload, parsed back with an independent reader and compared with the
 * snapshot field by field. The expected mapping below is written out by hand, apart from the
 * catalogue, so that a wrong extractor in the catalogue fails here.
 */
class ExpositionTest {
    private static final double NS = 1e9;

    private static final Map<String, ToDoubleFunction<AllocatorSnapshot>> GLOBAL = new LinkedHashMap<>();
    private static final Map<String, ToDoubleFunction<ClassStats>> CLASS = new LinkedHashMap<>();
    private static final Map<String, ToDoubleFunction<EpochStats>> EPOCH = new LinkedHashMap<>();
    private static final Map<String, ToDoubleFunction<ClassEpochStats>> CLASS_EPOCH = new LinkedHashMap<>();

    static {
        GLOBAL.put("temporal_slab_snapshot_timestamp_seconds", s -> s.timestampNs() / NS);
        GLOBAL.put("temporal_slab_page_size_bytes", AllocatorSnapshot::pageSize);
        GLOBAL.put("temporal_slab_slab_size_bytes", AllocatorSnapshot::slabSize);
        GLOBAL.put("temporal_slab_epoch_ring_slots", AllocatorSnapshot::epochCount);
        global("temporal_slab_current_epoch", GlobalStats::currentEpoch);
        global("temporal_slab_current_era", GlobalStats::currentEra);
        global("temporal_slab_active_epochs", GlobalStats::activeEpochCount);
        global("temporal_slab_closing_epochs", GlobalStats::closingEpochCount);
        global("temporal_slab_mapped_bytes", GlobalStats::mappedBytes);
        global("temporal_slab_committed_bytes", GlobalStats::committedBytes);
        global("temporal_slab_resident_bytes", GlobalStats::residentBytes);
        global("temporal_slab_rss_bytes", GlobalStats::rssBytesCurrent);
        global("temporal_slab_estimated_slab_rss_bytes", GlobalStats::estimatedSlabRssBytes);
        global("temporal_slab_live_objects", GlobalStats::liveObjects);
        global("temporal_slab_live_bytes", GlobalStats::liveBytes);
        global("temporal_slab_slabs_allocated_total", GlobalStats::totalSlabsAllocated);
        global("temporal_slab_slabs_recycled_total", GlobalStats::totalSlabsRecycled);
        global("temporal_slab_net_slabs", GlobalStats::netSlabs);
        global("temporal_slab_pooled_slabs", GlobalStats::pooledSlabs);
        global("temporal_slab_allocations_total", GlobalStats::totalAllocations);
        global("temporal_slab_frees_total", GlobalStats::totalFrees);
        global("temporal_slab_slow_path_hits_total", GlobalStats::totalSlowPathHits);
        global("temporal_slab_slow_cache_miss_total", GlobalStats::totalSlowCacheMiss);
        global("temporal_slab_slow_epoch_closed_total", GlobalStats::totalSlowEpochClosed);
        global("temporal_slab_cache_overflows_total", GlobalStats::totalCacheOverflows);
        global("temporal_slab_madvise_calls_total", GlobalStats::totalMadviseCalls);
        global("temporal_slab_madvise_bytes_total", GlobalStats::totalMadviseBytes);
        global("temporal_slab_madvise_failures_total", GlobalStats::totalMadviseFailures);
        global("temporal_slab_refcount_underflows_total", GlobalStats::totalRefcountUnderflows);
        global("temporal_slab_epoch_close_calls_total", GlobalStats::totalEpochCloseCalls);
        global("temporal_slab_bitmap_alloc_cas_retries_total", GlobalStats::totalBitmapAllocCasRetries);
        global("temporal_slab_bitmap_free_cas_retries_total", GlobalStats::totalBitmapFreeCasRetries);
        global("temporal_slab_bitmap_alloc_attempts_total", GlobalStats::totalBitmapAllocAttempts);
        global("temporal_slab_bitmap_free_attempts_total", GlobalStats::totalBitmapFreeAttempts);
        global("temporal_slab_lock_fast_acquire_total", GlobalStats::totalLockFastAcquire);
        global("temporal_slab_lock_contended_total", GlobalStats::totalLockContended);
        last("temporal_slab_last_epoch_close_timestamp_seconds", c -> c.timestampNs() / NS);
        last("temporal_slab_last_epoch_close_epoch", LastEpochClose::epochId);
        last("temporal_slab_last_epoch_close_era", LastEpochClose::epochEra);
        last("temporal_slab_last_epoch_close_scanned_slabs", LastEpochClose::scannedSlabs);
        last("temporal_slab_last_epoch_close_recycled_slabs", LastEpochClose::recycledSlabs);
        last("temporal_slab_last_epoch_close_rss_before_bytes", LastEpochClose::rssBefore);
        last("temporal_slab_last_epoch_close_rss_after_bytes", LastEpochClose::rssAfter);
        last("temporal_slab_last_epoch_close_resident_before_bytes", LastEpochClose::residentBefore);
        last("temporal_slab_last_epoch_close_resident_after_bytes", LastEpochClose::residentAfter);
        last("temporal_slab_last_epoch_close_madvise_bytes", LastEpochClose::madviseBytes);
        last("temporal_slab_last_epoch_close_duration_seconds", c -> c.durationNs() / NS);

        CLASS.put("temporal_slab_class_slots_per_slab", ClassStats::slotsPerSlab);
        CLASS.put("temporal_slab_class_slow_path_hits_total", ClassStats::slowPathHits);
        CLASS.put("temporal_slab_class_new_slabs_total", ClassStats::newSlabCount);
        CLASS.put("temporal_slab_class_list_move_partial_to_full_total", ClassStats::listMovePartialToFull);
        CLASS.put("temporal_slab_class_list_move_full_to_partial_total", ClassStats::listMoveFullToPartial);
        CLASS.put("temporal_slab_class_current_partial_null_total", ClassStats::currentPartialNull);
        CLASS.put("temporal_slab_class_current_partial_full_total", ClassStats::currentPartialFull);
        CLASS.put("temporal_slab_class_empty_slab_recycled_total", ClassStats::emptySlabRecycled);
        CLASS.put("temporal_slab_class_empty_slab_overflowed_total", ClassStats::emptySlabOverflowed);
        CLASS.put("temporal_slab_class_slow_path_cache_miss_total", ClassStats::slowPathCacheMiss);
        CLASS.put("temporal_slab_class_slow_path_epoch_closed_total", ClassStats::slowPathEpochClosed);
        CLASS.put("temporal_slab_class_madvise_calls_total", ClassStats::madviseCalls);
        CLASS.put("temporal_slab_class_madvise_bytes_total", ClassStats::madviseBytes);
        CLASS.put("temporal_slab_class_madvise_failures_total", ClassStats::madviseFailures);
        CLASS.put("temporal_slab_class_epoch_close_calls_total", ClassStats::epochCloseCalls);
        CLASS.put("temporal_slab_class_epoch_close_scanned_slabs_total", ClassStats::epochCloseScannedSlabs);
        CLASS.put("temporal_slab_class_epoch_close_recycled_slabs_total", ClassStats::epochCloseRecycledSlabs);
        CLASS.put("temporal_slab_class_epoch_close_seconds_total", c -> c.epochCloseTotalNs() / NS);
        CLASS.put("temporal_slab_class_bitmap_alloc_cas_retries_total", ClassStats::bitmapAllocCasRetries);
        CLASS.put("temporal_slab_class_bitmap_free_cas_retries_total", ClassStats::bitmapFreeCasRetries);
        CLASS.put("temporal_slab_class_bitmap_alloc_attempts_total", ClassStats::bitmapAllocAttempts);
        CLASS.put("temporal_slab_class_bitmap_free_attempts_total", ClassStats::bitmapFreeAttempts);
        CLASS.put("temporal_slab_class_lock_fast_acquire_total", ClassStats::lockFastAcquire);
        CLASS.put("temporal_slab_class_lock_contended_total", ClassStats::lockContended);
        CLASS.put("temporal_slab_class_alloc_cas_retries_per_attempt", ClassStats::avgAllocCasRetriesPerAttempt);
        CLASS.put("temporal_slab_class_free_cas_retries_per_attempt", ClassStats::avgFreeCasRetriesPerAttempt);
        CLASS.put("temporal_slab_class_lock_contention_ratio", ClassStats::lockContentionRate);
        CLASS.put("temporal_slab_class_cache_size", ClassStats::cacheSize);
        CLASS.put("temporal_slab_class_cache_capacity", ClassStats::cacheCapacity);
        CLASS.put("temporal_slab_class_cache_overflow_len", ClassStats::cacheOverflowLen);
        CLASS.put("temporal_slab_class_partial_slabs", ClassStats::totalPartialSlabs);
        CLASS.put("temporal_slab_class_full_slabs", ClassStats::totalFullSlabs);
        CLASS.put("temporal_slab_class_draining_slabs", ClassStats::totalDrainingSlabs);
        CLASS.put("temporal_slab_class_live_objects", ClassStats::liveObjects);
        CLASS.put("temporal_slab_class_live_bytes", ClassStats::liveBytes);
        CLASS.put("temporal_slab_class_recycle_ratio", c -> c.recycleRatePct() / 100);
        CLASS.put("temporal_slab_class_net_slabs", ClassStats::netSlabs);
        CLASS.put("temporal_slab_class_estimated_rss_bytes", ClassStats::estimatedRssBytes);

        EPOCH.put("temporal_slab_epoch_era", EpochStats::epochEra);
        EPOCH.put("temporal_slab_epoch_open_since_timestamp_seconds", e -> e.openSinceNs() / NS);
        EPOCH.put("temporal_slab_epoch_age_seconds", EpochStats::ageSec);
        EPOCH.put("temporal_slab_epoch_live_objects", EpochStats::allocCount);
        EPOCH.put("temporal_slab_epoch_live_bytes", EpochStats::liveBytes);
        EPOCH.put("temporal_slab_epoch_refcount", EpochStats::refcount);
        EPOCH.put("temporal_slab_epoch_partial_slabs", EpochStats::partialSlabCount);
        EPOCH.put("temporal_slab_epoch_full_slabs", EpochStats::fullSlabCount);
        EPOCH.put("temporal_slab_epoch_draining_slabs", EpochStats::drainingSlabCount);
        EPOCH.put("temporal_slab_epoch_estimated_rss_bytes", EpochStats::estimatedRssBytes);
        EPOCH.put("temporal_slab_epoch_empty_partial_slabs", EpochStats::emptyPartialCount);
        EPOCH.put("temporal_slab_epoch_reclaimable_slabs", EpochStats::reclaimableSlabCount);
        EPOCH.put("temporal_slab_epoch_reclaimable_bytes", EpochStats::reclaimableBytes);
        EPOCH.put("temporal_slab_epoch_older_eras_slabs", EpochStats::olderErasSlabCount);
        EPOCH.put("temporal_slab_epoch_older_eras_live_objects", EpochStats::olderErasLiveObjects);
        EPOCH.put("temporal_slab_epoch_closes", EpochStats::closeCount);
        EPOCH.put("temporal_slab_epoch_close_rss_before_bytes", EpochStats::rssBeforeClose);
        EPOCH.put("temporal_slab_epoch_close_rss_after_bytes", EpochStats::rssAfterClose);
        EPOCH.put("temporal_slab_epoch_close_resident_before_bytes", EpochStats::residentBeforeClose);
        EPOCH.put("temporal_slab_epoch_close_resident_after_bytes", EpochStats::residentAfterClose);
        EPOCH.put("temporal_slab_epoch_close_madvise_bytes", EpochStats::madviseBytesAtClose);
        EPOCH.put("temporal_slab_epoch_leak_sites", e -> e.leakSites().size());

        CLASS_EPOCH.put("temporal_slab_epoch_class_live_objects", ClassEpochStats::liveObjects);
        CLASS_EPOCH.put("temporal_slab_epoch_class_partial_slabs", ClassEpochStats::partialSlabCount);
        CLASS_EPOCH.put("temporal_slab_epoch_class_full_slabs", ClassEpochStats::fullSlabCount);
        CLASS_EPOCH.put("temporal_slab_epoch_class_draining_slabs", ClassEpochStats::drainingSlabCount);
        CLASS_EPOCH.put("temporal_slab_epoch_class_empty_slabs", ClassEpochStats::emptySlabCount);
        CLASS_EPOCH.put("temporal_slab_epoch_class_eras_present", ce -> ce.erasPresent().size());
        CLASS_EPOCH.put("temporal_slab_epoch_class_oldest_era", ce -> ce.erasPresent().getFirst());
    }

    private static void global(String name, ToDoubleFunction<GlobalStats> f) {
        GLOBAL.put(name, s -> f.applyAsDouble(s.global()));
    }

    private static void last(String name, ToDoubleFunction<LastEpochClose> f) {
        GLOBAL.put(name, s -> f.applyAsDouble(s.lastEpochClose()));
    }

    /** Families checked by the special cases below rather than by the tables. */
    private static final Set<String> SPECIAL = Set.of("temporal_slab_info", "temporal_slab_alloc_refused_total",
            "temporal_slab_invalid_frees_total", "temporal_slab_epoch_state", "temporal_slab_label_limit",
            "temporal_slab_label_values", "temporal_slab_label_overflow_total");

    @Test
    void everyValueMatchesTheSnapshot() {
        AllocatorSnapshot s;
        try (SlabAllocator a = Workloads.quietBuilder("parsed").leakDetection(true).build()) {
            s = Workloads.runLabelledWorkload(a);
        }
        ParsedExposition p = ParsedExposition.parse(PrometheusText.toText(List.of(s), Map.of("pid", "7")));

        Set<String> covered = new TreeSet<>(SPECIAL);
        Map<String, String> allocator = Map.of("allocator", "parsed", "pid", "7");
        GLOBAL.forEach((name, f) -> {
            covered.add(name);
            assertEquals(f.applyAsDouble(s), p.value(name, allocator), name);
            assertEquals(1, p.series(name).size(), name);
        });
        CLASS.forEach((name, f) -> {
            covered.add(name);
            assertEquals(8, p.series(name).size(), name);
            for (ClassStats c : s.classes()) {
                Map<String, String> labels = Map.of("allocator", "parsed", "pid", "7",
                        "class", Integer.toString(c.classIndex()), "object_size", Integer.toString(c.objectSize()));
                assertEquals(f.applyAsDouble(c), p.value(name, labels), name + labels);
            }
        });
        EPOCH.forEach((name, f) -> {
            covered.add(name);
            assertEquals(s.epochCount(), p.series(name).size(), name);
            for (EpochStats e : s.epochs()) {
                Map<String, String> labels = Map.of("allocator", "parsed", "pid", "7",
                        "epoch", Integer.toString(e.epochId()), "label", e.label());
                assertEquals(f.applyAsDouble(e), p.value(name, labels), name + labels);
            }
        });
        CLASS_EPOCH.forEach((name, f) -> {
            covered.add(name);
            assertEquals(s.classEpochs().size(), p.series(name).size(), name);
            for (ClassEpochStats ce : s.classEpochs()) {
                Map<String, String> labels = Map.of("allocator", "parsed", "pid", "7",
                        "class", Integer.toString(ce.classIndex()), "object_size", Integer.toString(ce.objectSize()),
                        "epoch", Integer.toString(ce.epochId()), "label", s.epochStats(ce.epochId()).label());
                assertEquals(f.applyAsDouble(ce), p.value(name, labels), name + labels);
            }
        });

        // by reason: every reason, and they add up to the totals
        double refused = 0;
        for (Map.Entry<String, Long> r : s.global().allocRefusedByReason().entrySet()) {
            double v = p.value("temporal_slab_alloc_refused_total", Map.of("reason", r.getKey()));
            assertEquals((double) r.getValue(), v, r.getKey());
            refused += v;
        }
        assertEquals(s.global().totalAllocRefused(), refused);
        assertEquals(2, p.series("temporal_slab_alloc_refused_total").size());
        double invalid = 0;
        for (Map.Entry<String, Long> r : s.global().invalidFreesByReason().entrySet()) {
            invalid += p.value("temporal_slab_invalid_frees_total", Map.of("reason", r.getKey()));
        }
        assertEquals(s.global().totalInvalidFrees(), invalid);
        assertEquals(s.global().invalidFreesByReason().size(), p.series("temporal_slab_invalid_frees_total").size());

        // state: one 1 and one 0 per slot
        for (EpochStats e : s.epochs()) {
            for (EpochState st : EpochState.values()) {
                assertEquals(e.state() == st ? 1.0 : 0.0, p.value("temporal_slab_epoch_state",
                        Map.of("epoch", Integer.toString(e.epochId()), "state", st.name())));
            }
        }
        Map<String, String> info = new HashMap<>(allocator);
        info.putAll(Map.of("schema_version", "1", "stats_version", "1", "counters_enabled", "true", "leak_detection", "true"));
        assertEquals(1.0, p.value("temporal_slab_info", info));
        assertEquals(64.0, p.value("temporal_slab_label_limit", allocator));
        assertEquals(2.0, p.value("temporal_slab_label_values", allocator), "two labelled epochs");
        assertEquals(0.0, p.value("temporal_slab_label_overflow_total", allocator));

        assertEquals(new TreeSet<>(p.type.keySet()), covered, "every exposed family is checked");
    }

    @Test
    void namesTypesAndLabelsFollowTheConventions() {
        ParsedExposition p = ParsedExposition.parse(GoldenExpositionTest.goldenExposition());
        p.type.forEach((name, type) -> {
            assertTrue(name.startsWith("temporal_slab_"), name);
            assertEquals(name.endsWith("_total"), type.equals("counter"), name + " " + type);
            assertTrue(type.equals("counter") || type.equals("gauge"), type);
            assertTrue(p.help.containsKey(name), "HELP for " + name);
            assertTrue(!name.matches(".*_(ns|ms|us|nanoseconds|milliseconds|kb|mb|percent|pct)(_total)?$"), name);
        });
        for (ParsedExposition.Series s : p.series) {
            Set<String> labels = new TreeSet<>(s.labels().keySet());
            labels.remove("pid");
            String n = s.name();
            if (n.startsWith("temporal_slab_epoch_class_")) {
                assertEquals(Set.of("allocator", "class", "object_size", "epoch", "label"), labels, n);
            } else if (n.startsWith("temporal_slab_class_")) {
                assertEquals(Set.of("allocator", "class", "object_size"), labels, n);
            } else if (n.startsWith("temporal_slab_epoch_") && !n.equals("temporal_slab_epoch_ring_slots")
                    && !n.equals("temporal_slab_epoch_close_calls_total")) {
                Set<String> expected = new TreeSet<>(Set.of("allocator", "epoch", "label"));
                if (n.equals("temporal_slab_epoch_state")) {
                    expected.add("state");
                }
                assertEquals(expected, labels, n);
            } else {
                assertTrue(labels.contains("allocator"), n);
                assertTrue(!labels.contains("epoch") && !labels.contains("era"), n);
            }
            assertTrue(!labels.contains("era"), "the era is never a label: " + n);
        }
    }

    @Test
    void escapingOfLabelValuesAndHelpIsExact() throws Exception {
        StringBuilder out = new StringBuilder();
        TextFormat.appendEscapedLabelValue("a\\b\"c\nd\te é \u2028/", out);
        assertEquals("a\\\\b\\\"c\\nd\te é \u2028/", out.toString());
        out.setLength(0);
        TextFormat.appendEscapedHelp("a\\b\"c\nd", out);
        assertEquals("a\\\\b\"c\\nd", out.toString());
        assertEquals("1.0E20", TextFormat.formatValue(1e20));
        assertEquals("42.0", TextFormat.formatValue(42));
        assertEquals("+Inf", TextFormat.formatValue(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", TextFormat.formatValue(Double.NEGATIVE_INFINITY));
        assertEquals("NaN", TextFormat.formatValue(Double.NaN));

        AllocatorSnapshot s = ClientJavaParityTest.awkwardSnapshots().get(1);
        String text = PrometheusText.toText(List.of(s), Map.of("note", "x\\y\"z\nw"));
        assertTrue(text.contains("allocator=\"orders \\\"eu\\\" \\\\ west\""), "allocator escaped");
        assertTrue(text.contains("label=\"line1\\nline2 \\\"q\\\" \\\\ ünï 0\""), "epoch label escaped");
        assertTrue(text.contains("note=\"x\\\\y\\\"z\\nw\""), "target label escaped");
        ParsedExposition p = ParsedExposition.parse(text);
        for (ParsedExposition.Series era : p.series("temporal_slab_epoch_era")) {
            int epoch = Integer.parseInt(era.labels().get("epoch"));
            assertEquals(s.epochStats(epoch).label(), era.labels().get("label"), "label read back of epoch " + epoch);
            assertEquals("orders \"eu\" \\ west", era.labels().get("allocator"));
            assertEquals("x\\y\"z\nw", era.labels().get("note"));
        }
        for (String line : text.split("\n")) {
            if (line.indexOf('\r') >= 0) {
                fail("carriage return in " + line);
            }
        }
    }

    @Test
    void repeatedAllocatorNamesStayApart() {
        AllocatorSnapshot a;
        try (SlabAllocator x = Workloads.quietBuilder("default").build()) {
            a = x.snapshot();
        }
        ParsedExposition p = ParsedExposition.parse(PrometheusText.toText(List.of(a, a, a), Map.of()));
        assertEquals(List.of("default", "default#2", "default#3"), p.series("temporal_slab_live_bytes").stream()
                .map(x -> x.labels().get("allocator")).toList());
    }
}
