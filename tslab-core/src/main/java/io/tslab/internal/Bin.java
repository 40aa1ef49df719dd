package io.tslab.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slabs of one size class in one epoch slot of the ring.
 *
 * <p>Allocation works lock-free on a published {@linkplain #lvCurrent current slab}; everything
 * else is done under {@link #lock}, which is taken only on slow paths (the current slab is full, a
 * full slab got a free slot, a slab became empty, a close or an activation sweeps the bin).
 *
 * <p>A bin has {@link #STRIPES} current slabs, one per stripe; a thread allocates from the current
 * slab of the stripe its id picks ({@link #stripe()}), so threads allocating in the same class
 * mostly work in different slabs and do not contend on one occupancy word. Stripes are shared
 * safely (claims are CASes), their number is bounded by the CPU count, never by the number of
 * (virtual) threads, and a stripe holds no slots of its own: an idle thread keeps nothing.
 *
 * <p>Lists (intrusive, links in {@link SlabTable}):
 * <ul>
 *   <li><b>partial</b>: slabs of the slot's latest era that may have free slots; the current slab
 *       is one of them;</li>
 *   <li><b>full</b>: slabs of the latest era seen full by an allocation;</li>
 *   <li><b>draining</b>: slabs of a closed era that still hold objects; each leaves the list when
 *       its last object is freed and the slab is recycled.</li>
 * </ul>
 * Lock order: ring lock, then a bin lock, then the pool lock; never the other way.
 */
final class Bin {
    /** Current slabs per bin: the CPU count times two, as a power of two, from 1 to 16. */
    static final int STRIPES = Math.min(16, Integer.highestOneBit(Math.max(1, 2 * Runtime.getRuntime().availableProcessors() - 1)) << 1);

    private static final VarHandle CURRENTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle EMPTY;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            EMPTY = lookup.findVarHandle(Bin.class, "emptySlabs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int sizeClass;
    final int epoch;
    final ReentrantLock lock = new ReentrantLock();
    private final SlabTable table;

    /** Per stripe, the current slab or {@link SlabTable#NIL}; written under the lock, read without it. */
    private final int[] currents = new int[STRIPES];
    /**
     * In-service slabs of this bin whose occupancy word is 0, <em>other than the current slab</em>,
     * i.e. the slabs whose empty mark ({@link SlabTable#lvEmptyMark}) is set. Changed only under
     * {@link #lock}; read without it. The current slab is left out so that an allocation and a free
     * that take it from empty to one object and back (the common pattern) touch no shared counter.
     */
    @SuppressWarnings("unused") // accessed through EMPTY
    private int emptySlabs;

    // Guarded by lock.
    /** Allocations [0] and frees [1] of the slabs this bin has taken out of service. */
    final long[] retiredCounts = new long[2];
    private final int[] heads = {SlabTable.NIL, SlabTable.NIL, SlabTable.NIL, SlabTable.NIL};
    private final int[] counts = new int[4];

    Bin(SlabTable table, int sizeClass, int epoch) {
        this.table = table;
        this.sizeClass = sizeClass;
        this.epoch = epoch;
        java.util.Arrays.fill(currents, SlabTable.NIL);
    }

    /** The calling thread's stripe. */
    static int stripe() {
        return stripe(Thread.currentThread());
    }

    /** The stripe of {@code thread}: its id modulo {@link #STRIPES}. */
    static int stripe(Thread thread) {
        return (int) thread.threadId() & (STRIPES - 1);
    }

    int lvCurrent(int stripe) {
        return (int) CURRENTS.getVolatile(currents, stripe);
    }

    /** Under the lock. */
    void svCurrent(int stripe, int slab) {
        assert lock.isHeldByCurrentThread();
        CURRENTS.setVolatile(currents, stripe, slab);
    }

    /** The stripe whose current slab {@code slab} is, or -1. A slab is current of at most one stripe. */
    int stripeOf(int slab) {
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            if (lvCurrent(stripe) == slab) {
                return stripe;
            }
        }
        return -1;
    }

    int lvEmptySlabs() {
        return (int) EMPTY.getVolatile(this);
    }

    /** Under the lock. */
    void addEmptySlabs(int delta) {
        assert lock.isHeldByCurrentThread();
        EMPTY.setVolatile(this, (int) EMPTY.get(this) + delta);
    }

    // ---- lists, under lock ----------------------------------------------------------------

    int head(byte list) {
        assert lock.isHeldByCurrentThread();
        return heads[list];
    }

    int count(byte list) {
        assert lock.isHeldByCurrentThread();
        return counts[list];
    }

    /** Puts {@code slab} (on no list) at the head of {@code list}. */
    void link(int slab, byte list) {
        assert lock.isHeldByCurrentThread();
        assert table.lvList(slab) == SlabTable.LIST_NONE;
        int head = heads[list];
        table.setPrev(slab, SlabTable.NIL);
        table.setNext(slab, head);
        if (head != SlabTable.NIL) {
            table.setPrev(head, slab);
        }
        heads[list] = slab;
        counts[list]++;
        table.svList(slab, list);
    }

    /** Takes {@code slab} off whatever list of this bin it is on. */
    void unlink(int slab) {
        assert lock.isHeldByCurrentThread();
        byte list = table.lvList(slab);
        assert list != SlabTable.LIST_NONE;
        int prev = table.prev(slab);
        int next = table.next(slab);
        if (prev != SlabTable.NIL) {
            table.setNext(prev, next);
        } else {
            heads[list] = next;
        }
        if (next != SlabTable.NIL) {
            table.setPrev(next, prev);
        }
        counts[list]--;
        table.svList(slab, SlabTable.LIST_NONE);
    }

    void move(int slab, byte list) {
        unlink(slab);
        link(slab, list);
    }
}
