package io.tslab.internal;

import io.tslab.EpochState;
import io.tslab.internal.os.OsMemory;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an {@link AllocatorSnapshot}: copies the epoch metadata under the ring lock (which only
 * advances and closes take), then walks every bin's slabs under that bin's lock: the owner gives the
 * era, the occupancy word's popcount gives live objects, the list gives partial / full / draining,
 * the slot stamps give allocations and frees. Counters are read last. Exact when no thread mutates
 * the allocator meanwhile; under mutation every counter still only grows between snapshots.
 */
final class SnapshotBuilder {
    private final SlabEngine engine;
    private final int epochs;

    // Per (class, epoch), latest era of the slot.
    private final long[][] live;
    private final long[][] partial;
    private final long[][] full;
    private final long[][] draining;
    private final long[][] empty;
    /** The O(1) empty-slab count of the bin (the counted ones plus its empty current slabs). */
    private final long[][] kept;
    // Per (class, epoch), slabs of earlier eras (all draining).
    private final long[][] olderSlabs;
    private final long[][] olderLive;
    /** Per (class, epoch): the distinct eras of its slabs (few: the latest and any still draining). */
    private final long[][] eras;
    private final int[] eraCounts;
    /** Per class: allocations [0] and frees [1], from the slot stamps. */
    private final long[][] allocsAndFrees = new long[SizeClasses.COUNT][2];

    SnapshotBuilder(SlabEngine engine) {
        this.engine = engine;
        this.epochs = engine.epochCount;
        live = new long[SizeClasses.COUNT][epochs];
        partial = new long[SizeClasses.COUNT][epochs];
        full = new long[SizeClasses.COUNT][epochs];
        draining = new long[SizeClasses.COUNT][epochs];
        empty = new long[SizeClasses.COUNT][epochs];
        kept = new long[SizeClasses.COUNT][epochs];
        olderSlabs = new long[SizeClasses.COUNT][epochs];
        olderLive = new long[SizeClasses.COUNT][epochs];
        eras = new long[SizeClasses.COUNT * epochs][];
        eraCounts = new int[SizeClasses.COUNT * epochs];
        for (int i = 0; i < SizeClasses.COUNT * epochs; i++) {
            eras[i] = new long[2];
        }
    }

    AllocatorSnapshot build() {
        Instant now = Instant.now();
        long nowNanos = System.nanoTime();
        long[] epochWords = new long[epochs];
        long[] openSinceWall = new long[epochs];
        long[] openSinceMono = new long[epochs];
        long[][] close = new long[epochs][6];
        int current;
        engine.ringLock.lock();
        try {
            current = engine.currentEpoch();
            for (int e = 0; e < epochs; e++) {
                epochWords[e] = engine.lvEpochWord(e);
                openSinceWall[e] = engine.meta.openSinceWallNanos(e);
                openSinceMono[e] = engine.openSinceNanos[e];
                for (int f = 0; f < 6; f++) {
                    close[e][f] = engine.meta.closeFigure(e, f);
                }
            }
        } finally {
            engine.ringLock.unlock();
        }
        walkBins(epochWords);

        long residentBytes = engine.residentBytes();
        List<ClassStats> classes = classStats(epochWords);
        List<EpochStats> epochStats = epochStats(epochWords, openSinceWall, openSinceMono, close, nowNanos);
        List<ClassEpochStats> classEpochs = classEpochStats(epochWords);
        GlobalStats global = globalStats(current, epochWords, classes, residentBytes);
        LastEpochClose last = engine.meta.lastClose();
        return new AllocatorSnapshot(AllocatorSnapshot.SCHEMA_VERSION,
                now.getEpochSecond() * 1_000_000_000L + now.getNano(), ProcessHandle.current().pid(),
                engine.name, engine.pageSize, SizeClasses.SLAB_SIZE, epochs, AllocatorSnapshot.STATS_VERSION,
                StripedCounters.ENABLED, engine.meta.leakDetection, global, classes, epochStats, classEpochs, last);
    }

    /**
     * Walks each bin's lists under the bin's lock: the lists hold every slab in service, each in
     * exactly one bin, and recycling (which folds a slab's counts into its bin) takes the same lock,
     * so every allocation and free is counted exactly once, whatever runs meanwhile. The lock is
     * held only while that bin's slabs are read; the allocation fast path never takes it.
     */
    private void walkBins(long[] epochWords) {
        SlabTable table = engine.table;
        for (Bin bin : engine.bins) {
            int c = bin.sizeClass;
            int e = bin.epoch;
            long mask = SizeClasses.fullMask(c);
            int slots = SizeClasses.slots(c);
            long latestEra = epochWords[e] >>> 1;
            int pair = c * epochs + e;
            long lastEra = -1;
            bin.lock.lock();
            try {
                allocsAndFrees[c][0] += bin.retiredCounts[0];
                allocsAndFrees[c][1] += bin.retiredCounts[1];
                kept[c][e] = engine.keptEmptySlabs(bin);
                for (byte list = SlabTable.LIST_PARTIAL; list <= SlabTable.LIST_DRAINING; list++) {
                    for (int slab = bin.head(list); slab != SlabTable.NIL; slab = table.next(slab)) {
                        table.addCounts(slab, slots, allocsAndFrees[c]);
                        long era = SlabTable.ownerEra(table.laOwner(slab));
                        int objects = Long.bitCount(table.lvWord(slab) & mask);
                        if (era != lastEra) {
                            addEra(pair, era);
                            lastEra = era;
                        }
                        if (era >= latestEra) {
                            live[c][e] += objects;
                            switch (list) {
                                case SlabTable.LIST_FULL -> full[c][e]++;
                                case SlabTable.LIST_DRAINING -> draining[c][e]++;
                                default -> partial[c][e]++;
                            }
                            if (objects == 0) {
                                empty[c][e]++;
                            }
                        } else {
                            olderSlabs[c][e]++;
                            olderLive[c][e] += objects;
                        }
                    }
                }
            } finally {
                bin.lock.unlock();
            }
        }
    }

    private void addEra(int pair, long era) {
        long[] known = eras[pair];
        int n = eraCounts[pair];
        for (int i = 0; i < n; i++) {
            if (known[i] == era) {
                return;
            }
        }
        if (n == known.length) {
            eras[pair] = known = java.util.Arrays.copyOf(known, n * 2);
        }
        known[n] = era;
        eraCounts[pair] = n + 1;
    }

    private static long sum(long[] row) {
        long total = 0;
        for (long v : row) {
            total += v;
        }
        return total;
    }


    private List<ClassStats> classStats(long[] epochWords) {
        ClassCounters k = engine.counters;
        StripedCounters ops = engine.ops;
        List<ClassStats> list = new ArrayList<>(SizeClasses.COUNT);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            long slabs = sum(partial[c]) + sum(full[c]) + sum(draining[c]) + sum(olderSlabs[c]);
            long objects = sum(live[c]) + sum(olderLive[c]);
            long cacheSize = 0;
            for (int e = 0; e < epochs; e++) {
                if ((epochWords[e] & 1) == 0) {
                    cacheSize += kept[c][e];
                }
            }
            long allocRetries = ops.sum(StripedCounters.ALLOC_CAS_RETRIES, c);
            long allocs = allocsAndFrees[c][0];
            long frees = allocsAndFrees[c][1];
            long lockFast = k.get(ClassCounters.LOCK_FAST, c);
            long lockContended = k.get(ClassCounters.LOCK_CONTENDED, c);
            long newSlabs = k.get(ClassCounters.NEW_SLABS, c);
            long recycled = k.get(ClassCounters.RECYCLED, c);
            list.add(new ClassStats(c, SizeClasses.size(c), SizeClasses.slots(c),
                    k.get(ClassCounters.SLOW_PATH_HITS, c), newSlabs,
                    k.get(ClassCounters.PARTIAL_TO_FULL, c), k.get(ClassCounters.FULL_TO_PARTIAL, c),
                    k.get(ClassCounters.CURRENT_NULL, c), k.get(ClassCounters.CURRENT_FULL, c),
                    recycled, k.get(ClassCounters.OVERFLOWED, c),
                    k.get(ClassCounters.SLOW_CACHE_MISS, c), k.get(ClassCounters.SLOW_EPOCH_CLOSED, c),
                    k.get(ClassCounters.MADVISE_CALLS, c), k.get(ClassCounters.MADVISE_BYTES, c),
                    k.get(ClassCounters.MADVISE_FAILURES, c),
                    k.get(ClassCounters.CLOSE_CALLS, c), k.get(ClassCounters.CLOSE_SCANNED, c),
                    k.get(ClassCounters.CLOSE_RECYCLED, c), k.get(ClassCounters.CLOSE_NANOS, c),
                    allocRetries, 0, allocs, frees, lockFast, lockContended,
                    ratio(allocRetries, allocs), 0.0, ratio(lockContended, lockFast + lockContended),
                    cacheSize, engine.cacheCapacity, Math.max(0, cacheSize - engine.cacheCapacity),
                    sum(partial[c]), sum(full[c]), sum(draining[c]) + sum(olderSlabs[c]),
                    objects, objects * SizeClasses.size(c),
                    100.0 * ratio(recycled, newSlabs), slabs, slabs * SizeClasses.SLAB_SIZE));
        }
        return list;
    }

    private List<EpochStats> epochStats(long[] epochWords, long[] openSinceWall, long[] openSinceMono,
                                        long[][] close, long nowNanos) {
        List<EpochStats> list = new ArrayList<>(epochs);
        for (int e = 0; e < epochs; e++) {
            long era = epochWords[e] >>> 1;
            long objects = 0;
            long bytes = 0;
            long p = 0;
            long f = 0;
            long d = 0;
            long emptyPartial = 0;
            long older = 0;
            long olderObjects = 0;
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                objects += live[c][e];
                bytes += live[c][e] * SizeClasses.size(c);
                p += partial[c][e];
                f += full[c][e];
                d += draining[c][e];
                emptyPartial += kept[c][e];
                older += olderSlabs[c][e];
                olderObjects += olderLive[c][e];
            }
            double age = era == 0 ? 0.0 : Math.max(0, nowNanos - openSinceMono[e]) / 1e9;
            list.add(new EpochStats(e, era, (epochWords[e] & 1) == 0 ? EpochState.ACTIVE : EpochState.CLOSING,
                    era == 0 ? 0 : openSinceWall[e], age, objects, bytes, engine.meta.refcount(e),
                    engine.meta.label(e), p, f, d, (p + f + d) * SizeClasses.SLAB_SIZE,
                    emptyPartial, emptyPartial, emptyPartial * SizeClasses.SLAB_SIZE, older, olderObjects,
                    close[e][EpochMetadata.CLOSE_COUNT], close[e][EpochMetadata.RSS_BEFORE],
                    close[e][EpochMetadata.RSS_AFTER], close[e][EpochMetadata.RESIDENT_BEFORE],
                    close[e][EpochMetadata.RESIDENT_AFTER], close[e][EpochMetadata.MADVISE_BYTES],
                    engine.meta.leakSites(e, era)));
        }
        return list;
    }

    private List<ClassEpochStats> classEpochStats(long[] epochWords) {
        List<ClassEpochStats> list = new ArrayList<>();
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            for (int e = 0; e < epochs; e++) {
                int pair = c * epochs + e;
                if (eraCounts[pair] == 0) {
                    continue;
                }
                long[] sorted = java.util.Arrays.copyOf(eras[pair], eraCounts[pair]);
                java.util.Arrays.sort(sorted);
                List<Long> present = new ArrayList<>(sorted.length);
                for (long era : sorted) {
                    present.add(era);
                }
                list.add(new ClassEpochStats(c, SizeClasses.size(c), e, epochWords[e] >>> 1,
                        live[c][e] + olderLive[c][e], partial[c][e], full[c][e],
                        draining[c][e] + olderSlabs[c][e], empty[c][e], present));
            }
        }
        return list;
    }

    private GlobalStats globalStats(int current, long[] epochWords, List<ClassStats> classes, long residentBytes) {
        int closing = 0;
        for (long w : epochWords) {
            closing += (int) (w & 1);
        }
        long allocated = 0;
        long recycled = 0;
        long netSlabs = 0;
        long liveObjects = 0;
        long liveBytes = 0;
        long allocs = 0;
        long frees = 0;
        long allocRetries = 0;
        long lockFast = engine.pool.lockFastAcquires.get();
        long lockContended = engine.pool.lockContended.get();
        for (ClassStats s : classes) {
            allocated += s.newSlabCount();
            recycled += s.emptySlabRecycled();
            netSlabs += s.netSlabs();
            liveObjects += s.liveObjects();
            liveBytes += s.liveBytes();
            allocs += s.bitmapAllocAttempts();
            frees += s.bitmapFreeAttempts();
            allocRetries += s.bitmapAllocCasRetries();
            lockFast += s.lockFastAcquire();
            lockContended += s.lockContended();
        }
        ClassCounters k = engine.counters;
        Map<String, Long> invalid = new LinkedHashMap<>();
        long invalidTotal = 0;
        for (int r = 0; r < SlabEngine.REJECTION_REASONS.size(); r++) {
            long n = engine.rejections.get(r);
            invalid.put(SlabEngine.REJECTION_REASONS.get(r), n);
            invalidTotal += n;
        }
        long refusedClosed = engine.refusals.get(SlabEngine.REFUSED_EPOCH_CLOSED);
        long refusedExhausted = engine.refusals.get(SlabEngine.REFUSED_RESERVATION_EXHAUSTED);
        return new GlobalStats(current, epochWords[current] >>> 1, epochs - closing, closing,
                allocated, recycled, netSlabs, engine.pool.pooled(), engine.reservedBytes,
                (long) engine.pool.laCreated() * SizeClasses.SLAB_SIZE, residentBytes,
                OsMemory.processRssBytes(), netSlabs * SizeClasses.SLAB_SIZE, liveObjects, liveBytes,
                allocs, frees, k.total(ClassCounters.SLOW_PATH_HITS), k.total(ClassCounters.SLOW_CACHE_MISS),
                k.total(ClassCounters.SLOW_EPOCH_CLOSED), k.total(ClassCounters.OVERFLOWED),
                k.total(ClassCounters.MADVISE_CALLS), k.total(ClassCounters.MADVISE_BYTES),
                k.total(ClassCounters.MADVISE_FAILURES), refusedClosed + refusedExhausted, refusedClosed,
                refusedExhausted, invalidTotal, invalid, engine.meta.refcountUnderflows(),
                engine.meta.closeCalls(), allocRetries, 0, allocs, frees, lockFast, lockContended);
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0.0 : (double) numerator / denominator;
    }
}
