package io.tslab.internal;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per-class counters of rare events (slow paths, slab moves, recycling, madvise, closes, lock
 * probes): plain atomic adds, off the fast path.
 */
final class ClassCounters {
    static final int SLOW_PATH_HITS = 0;
    static final int NEW_SLABS = 1;
    static final int PARTIAL_TO_FULL = 2;
    static final int FULL_TO_PARTIAL = 3;
    static final int CURRENT_NULL = 4;
    static final int CURRENT_FULL = 5;
    static final int RECYCLED = 6;
    static final int OVERFLOWED = 7;
    static final int SLOW_CACHE_MISS = 8;
    static final int SLOW_EPOCH_CLOSED = 9;
    static final int MADVISE_CALLS = 10;
    static final int MADVISE_BYTES = 11;
    static final int MADVISE_FAILURES = 12;
    static final int CLOSE_CALLS = 13;
    static final int CLOSE_SCANNED = 14;
    static final int CLOSE_RECYCLED = 15;
    static final int CLOSE_NANOS = 16;
    static final int LOCK_FAST = 17;
    static final int LOCK_CONTENDED = 18;
    private static final int COUNT = 19;

    private final AtomicLongArray values = new AtomicLongArray(COUNT * SizeClasses.COUNT);

    void increment(int counter, int sizeClass) {
        values.getAndIncrement(counter * SizeClasses.COUNT + sizeClass);
    }

    void add(int counter, int sizeClass, long delta) {
        values.getAndAdd(counter * SizeClasses.COUNT + sizeClass, delta);
    }

    long get(int counter, int sizeClass) {
        return values.get(counter * SizeClasses.COUNT + sizeClass);
    }

    long total(int counter) {
        long sum = 0;
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            sum += get(counter, c);
        }
        return sum;
    }
}
