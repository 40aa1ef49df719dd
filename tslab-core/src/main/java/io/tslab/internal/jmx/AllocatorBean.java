package io.tslab.internal.jmx;

import io.tslab.internal.LiveAllocators;
import io.tslab.stats.AllocatorMXBean;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.StandardMBean;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The MXBean of one allocator: every attribute is read from a fresh snapshot. A {@link
 * StandardMBean} only so that jconsole and VisualVM show a description next to each attribute.
 *
 * <p>Reads run on JMX threads the application does not control, so they must never overlap the
 * allocator's unmapping (an FFM downcall such as {@code mincore} in flight keeps the mapping's arena
 * acquired, and closing it then fails). Each read holds the read side of {@link #lifecycle};
 * {@link #retire()}, called by the allocator's {@code close()} before it unmaps, takes the write side,
 * so it returns only when no read is in flight, and every later read fails.
 */
final class AllocatorBean extends StandardMBean implements AllocatorMXBean {
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("Name", "The allocator's name"),
            Map.entry("LiveObjects", "Live objects now"),
            Map.entry("LiveBytes", "Bytes of the live objects, at their class size"),
            Map.entry("ResidentBytes", "Bytes of the used reservation resident in RAM (mincore: a fact)"),
            Map.entry("NetSlabs", "Slabs in service: allocated minus recycled"),
            Map.entry("CurrentEpoch", "The current ring slot"),
            Map.entry("CurrentEra", "The era of the current ring slot"),
            Map.entry("Global", "Allocator-wide figures (GlobalStats)"),
            Map.entry("Classes", "Per size class figures (ClassStats), in class order"),
            Map.entry("Epochs", "Per ring slot figures (EpochStats), in slot order"),
            Map.entry("ClassEpochs", "Per (class, slot) figures of the pairs holding slabs (ClassEpochStats)"),
            Map.entry("LastEpochClose", "The most recent epoch close; epochId -1 before the first"),
            Map.entry("snapshotJson", "The whole snapshot as one JSON document (one consistent instant)"));

    private final LiveAllocators.Entry allocator;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    // Guarded by lifecycle.
    private boolean retired;

    AllocatorBean(LiveAllocators.Entry allocator) {
        super(AllocatorMXBean.class, true);
        this.allocator = allocator;
    }

    @Override
    public String getName() {
        return allocator.name();
    }

    @Override
    public long getLiveObjects() {
        return global().liveObjects();
    }

    @Override
    public long getLiveBytes() {
        return global().liveBytes();
    }

    @Override
    public long getResidentBytes() {
        return global().residentBytes();
    }

    @Override
    public long getNetSlabs() {
        return global().netSlabs();
    }

    @Override
    public int getCurrentEpoch() {
        return global().currentEpoch();
    }

    @Override
    public long getCurrentEra() {
        return global().currentEra();
    }

    @Override
    public GlobalStats getGlobal() {
        return global();
    }

    @Override
    public List<ClassStats> getClasses() {
        return snapshot().classes();
    }

    @Override
    public List<EpochStats> getEpochs() {
        return snapshot().epochs();
    }

    @Override
    public List<ClassEpochStats> getClassEpochs() {
        return snapshot().classEpochs();
    }

    @Override
    public LastEpochClose getLastEpochClose() {
        return snapshot().lastEpochClose();
    }

    @Override
    public String snapshotJson() {
        return snapshot().toJson();
    }

    private GlobalStats global() {
        return snapshot().global();
    }

    private AllocatorSnapshot snapshot() {
        lifecycle.readLock().lock();
        try {
            if (retired) {
                throw new IllegalStateException("allocator '" + allocator.name() + "' is closed");
            }
            return allocator.snapshot();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Waits for the reads in flight to finish; every later read throws {@link IllegalStateException}. */
    void retire() {
        lifecycle.writeLock().lock();
        try {
            retired = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        return "temporal-slab allocator '" + allocator.name() + "'";
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        return DESCRIPTIONS.getOrDefault(info.getName(), info.getDescription());
    }

    @Override
    protected String getDescription(MBeanOperationInfo info) {
        return DESCRIPTIONS.getOrDefault(info.getName(), info.getDescription());
    }
}
