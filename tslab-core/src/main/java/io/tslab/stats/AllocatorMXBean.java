package io.tslab.stats;

import java.util.List;

/**
 * The management interface of one open allocator, registered in the platform MBean server as
 * {@code io.tslab:type=Allocator,name=<quoted name>} (see {@link javax.management.ObjectName#quote})
 * while the allocator is open, and unregistered by its {@code close()}. When that name is already
 * taken (two allocators called {@code "default"}), the later one gets the first free
 * {@code ,id=2}, {@code ,id=3}, ...: {@code io.tslab:type=Allocator,name="default",id=2}. Query
 * {@code io.tslab:type=Allocator,*} to find them all. {@code -Dtslab.jmx=false} or the builder's
 * {@code registerMXBean(false)} turns registration off.
 *
 * <p>The getters follow the MXBean naming rules (JMX requires them); they are JMX attributes, not a
 * Java API. Every read takes a fresh {@link AllocatorSnapshot}, so two attributes read one after
 * the other may come from different instants; {@link #snapshotJson()} returns one consistent whole.
 * Records are mapped to open types: {@code CompositeData} whose item names are the record
 * component names, lists to arrays, {@code Map<String, Long>} to {@code TabularData}, enums to
 * their names. A JMX client that has this interface can read them back as records through {@link
 * javax.management.JMX#newMXBeanProxy}.
 */
public interface AllocatorMXBean {
    /** The allocator's name, as given to its builder. */
    String getName();

    /** Live objects now (exact when no thread mutates the allocator meanwhile). */
    long getLiveObjects();

    /** Bytes of the live objects, counted at their class size. */
    long getLiveBytes();

    /** Bytes of the used part of the reservation that are resident in RAM, from {@code mincore}. */
    long getResidentBytes();

    /** Slabs in service: allocated minus recycled. */
    long getNetSlabs();

    /** The current ring slot, 0..epochs-1. */
    int getCurrentEpoch();

    /** The era of the current ring slot. */
    long getCurrentEra();

    /** Allocator-wide figures. */
    GlobalStats getGlobal();

    /** One entry per size class, in class order. */
    List<ClassStats> getClasses();

    /** One entry per ring slot, in slot order. */
    List<EpochStats> getEpochs();

    /** One entry per (class, slot) pair that holds slabs. */
    List<ClassEpochStats> getClassEpochs();

    /** The most recent epoch close ({@code epochId} -1 before the first). */
    LastEpochClose getLastEpochClose();

    /** The whole snapshot as the JSON document of {@link AllocatorSnapshot#toJson()}. */
    String snapshotJson();
}
