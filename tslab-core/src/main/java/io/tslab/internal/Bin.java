package io.tslab.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slabs of one size class in one epoch slot of the ring.
 *
 * <p>Allocation works lock-free on the published {@linkplain #lvCurrent current slab}; everything
 * else is done under {@link #lock}, which is taken only on slow paths (the current slab is full, a
 * full slab got a free slot, a slab became empty, a close or an activation sweeps the bin).
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
    private static final VarHandle CURRENT;
    private static final VarHandle EMPTY;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CURRENT = lookup.findVarHandle(Bin.class, "current", int.class);
            EMPTY = lookup.findVarHandle(Bin.class, "emptySlabs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int sizeClass;
    final int epoch;
    final ReentrantLock lock = new ReentrantLock();
    private final SlabTable table;

    @SuppressWarnings("unused") // accessed through CURRENT
    private int current = SlabTable.NIL;
    /** In-service slabs of this bin whose occupancy word is 0; moved by the thread that saw the word change. */
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
    }

    int lvCurrent() {
        return (int) CURRENT.getVolatile(this);
    }

    void svCurrent(int slab) {
        CURRENT.setVolatile(this, slab);
    }

    int lvEmptySlabs() {
        return (int) EMPTY.getVolatile(this);
    }

    void addEmptySlabs(int delta) {
        EMPTY.getAndAdd(this, delta);
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
