package io.tslab.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counters of per-operation events that are not derived from slab state (CAS retries of slot
 * claims), per size class, striped so that threads
 * do not contend on one cache line: a thread adds to the stripe its id hashes to (virtual threads
 * share the same bounded set of stripes). Adds are atomic, so sums are exact, and every cell only
 * grows, so a sum read twice never decreases.
 *
 * <pre>
 *  stripe 0: [retries c0..c7][padding] | stripe 1: ...
 *             one 64-byte row per kind; a padding row keeps stripes off each other's lines
 * </pre>
 *
 * Allocations and frees are not counted here: the slot stamps count them (see {@link SlabTable}).
 * Turned off with {@code -Dtslab.counters=false} (read once, at class initialisation): the adds
 * then compile away, and the sums read 0.
 */
final class StripedCounters {
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("tslab.counters", "true"));

    static final int ALLOC_CAS_RETRIES = 0;
    private static final int KINDS = 1;
    private static final int ROW = 8; // longs per row = one class each
    private static final int STRIPE_LONGS = (KINDS + 1) * ROW;
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells;
    private final int stripeMask;

    StripedCounters() {
        int stripes = Integer.highestOneBit(Math.max(8, Math.min(64, Runtime.getRuntime().availableProcessors() * 4)));
        this.stripeMask = stripes - 1;
        this.cells = new long[stripes * STRIPE_LONGS + ROW]; // a leading row of padding, too
    }

    void increment(int kind, int sizeClass) {
        if (ENABLED) {
            CELLS.getAndAdd(cells, index(stripe(), kind, sizeClass), 1L);
        }
    }

    long sum(int kind, int sizeClass) {
        long total = 0;
        for (int s = 0; s <= stripeMask; s++) {
            total += (long) CELLS.getVolatile(cells, index(s, kind, sizeClass));
        }
        return total;
    }

    private int stripe() {
        long id = Thread.currentThread().threadId();
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> 40) & stripeMask;
    }

    private static int index(int stripe, int kind, int sizeClass) {
        return ROW + stripe * STRIPE_LONGS + kind * ROW + sizeClass;
    }
}
