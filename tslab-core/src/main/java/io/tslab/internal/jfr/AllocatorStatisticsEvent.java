package io.tslab.internal.jfr;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.GlobalStats;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

/**
 * One open allocator's global figures, once per period (1 s unless the recording says otherwise).
 * Field names are the {@link GlobalStats} component names; counters are totals since the allocator
 * was built, so JMC can chart their rate.
 */
@Name("io.tslab.AllocatorStatistics")
@Label("Allocator Statistics")
@Category("tslab")
@Description("Global figures of one temporal-slab allocator, sampled periodically")
@Period("1 s")
@StackTrace(false)
final class AllocatorStatisticsEvent extends Event {
    @Label("Allocator")
    String allocator;

    @Label("Current Epoch")
    @Description("The current ring slot")
    int currentEpoch;

    @Label("Current Era")
    long currentEra;

    @Label("Active Epochs")
    int activeEpochCount;

    @Label("Closing Epochs")
    int closingEpochCount;

    @Label("Live Objects")
    long liveObjects;

    @Label("Live Bytes")
    @DataAmount(DataAmount.BYTES)
    long liveBytes;

    @Label("Resident Bytes")
    @Description("Bytes of the used reservation resident in RAM, from mincore (a fact)")
    @DataAmount(DataAmount.BYTES)
    long residentBytes;

    @Label("Process RSS")
    @Description("Resident set size of the whole process")
    @DataAmount(DataAmount.BYTES)
    long rssBytesCurrent;

    @Label("Estimated Slab RSS")
    @Description("Slabs in service times slab size (an estimate)")
    @DataAmount(DataAmount.BYTES)
    long estimatedSlabRssBytes;

    @Label("Mapped Bytes")
    @Description("The virtual reservation")
    @DataAmount(DataAmount.BYTES)
    long mappedBytes;

    @Label("Committed Bytes")
    @Description("Bytes of the reservation ever touched")
    @DataAmount(DataAmount.BYTES)
    long committedBytes;

    @Label("Net Slabs")
    @Description("Slabs in service: allocated minus recycled")
    long netSlabs;

    @Label("Pooled Slabs")
    long pooledSlabs;

    @Label("Slabs Allocated")
    long totalSlabsAllocated;

    @Label("Slabs Recycled")
    long totalSlabsRecycled;

    @Label("Allocations")
    long totalAllocations;

    @Label("Frees")
    long totalFrees;

    @Label("Slow Path Hits")
    long totalSlowPathHits;

    @Label("Slow Path Cache Misses")
    long totalSlowCacheMiss;

    @Label("Slow Path Epoch Closed")
    long totalSlowEpochClosed;

    @Label("Cache Overflows")
    long totalCacheOverflows;

    @Label("madvise Calls")
    long totalMadviseCalls;

    @Label("madvise Bytes")
    @DataAmount(DataAmount.BYTES)
    long totalMadviseBytes;

    @Label("madvise Failures")
    long totalMadviseFailures;

    @Label("Allocations Refused")
    long totalAllocRefused;

    @Label("Invalid Frees")
    long totalInvalidFrees;

    @Label("Refcount Underflows")
    long totalRefcountUnderflows;

    @Label("Epoch Closes")
    long totalEpochCloseCalls;

    @Label("Lock Contended")
    long totalLockContended;

    static void emit(AllocatorSnapshot snapshot) {
        GlobalStats g = snapshot.global();
        AllocatorStatisticsEvent event = new AllocatorStatisticsEvent();
        event.allocator = snapshot.allocator();
        event.currentEpoch = g.currentEpoch();
        event.currentEra = g.currentEra();
        event.activeEpochCount = g.activeEpochCount();
        event.closingEpochCount = g.closingEpochCount();
        event.liveObjects = g.liveObjects();
        event.liveBytes = g.liveBytes();
        event.residentBytes = g.residentBytes();
        event.rssBytesCurrent = g.rssBytesCurrent();
        event.estimatedSlabRssBytes = g.estimatedSlabRssBytes();
        event.mappedBytes = g.mappedBytes();
        event.committedBytes = g.committedBytes();
        event.netSlabs = g.netSlabs();
        event.pooledSlabs = g.pooledSlabs();
        event.totalSlabsAllocated = g.totalSlabsAllocated();
        event.totalSlabsRecycled = g.totalSlabsRecycled();
        event.totalAllocations = g.totalAllocations();
        event.totalFrees = g.totalFrees();
        event.totalSlowPathHits = g.totalSlowPathHits();
        event.totalSlowCacheMiss = g.totalSlowCacheMiss();
        event.totalSlowEpochClosed = g.totalSlowEpochClosed();
        event.totalCacheOverflows = g.totalCacheOverflows();
        event.totalMadviseCalls = g.totalMadviseCalls();
        event.totalMadviseBytes = g.totalMadviseBytes();
        event.totalMadviseFailures = g.totalMadviseFailures();
        event.totalAllocRefused = g.totalAllocRefused();
        event.totalInvalidFrees = g.totalInvalidFrees();
        event.totalRefcountUnderflows = g.totalRefcountUnderflows();
        event.totalEpochCloseCalls = g.totalEpochCloseCalls();
        event.totalLockContended = g.totalLockContended();
        event.commit();
    }
}
