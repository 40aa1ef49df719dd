package io.tslab.internal;

import io.tslab.OsCallException;
import io.tslab.internal.os.OsMemory;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Slabs not in service: a stack of recycled slabs (usable by any class) in front of a bump index
 * into the untouched rest of the reservation.
 *
 * <p>A recycled slab's pages go back to the OS before it becomes reachable from the stack: a slab
 * must never be handed out while a {@code madvise(MADV_DONTNEED)} could still zero it. When the OS
 * page is larger than a slab, a page is released only once every slab on it is in the pool, and
 * that release happens under the pool lock for the same reason.
 */
final class SlabPool {
    private static final VarHandle CREATED;

    static {
        try {
            CREATED = MethodHandles.lookup().findVarHandle(SlabPool.class, "created", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SlabTable table;
    private final MemorySegment memory;
    private final int maxSlabs;
    private final int advice;
    private final int slabsPerPage;
    private final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock.
    private int[] stack = new int[64];
    private int size;
    private final int[] pooledPerPage;

    /** Slab ids below this have been handed out at least once; written under lock. */
    @SuppressWarnings("unused") // accessed through CREATED
    private int created;

    private final ClassCounters counters;
    final AtomicLong lockFastAcquires = new AtomicLong();
    final AtomicLong lockContended = new AtomicLong();

    /**
     * @param advice the {@code madvise} advice for recycled slabs, or 0 to keep their pages
     */
    SlabPool(SlabTable table, MemorySegment memory, int maxSlabs, int advice, long pageSize, ClassCounters counters) {
        this.table = table;
        this.counters = counters;
        this.memory = memory;
        this.maxSlabs = maxSlabs;
        this.advice = advice;
        this.slabsPerPage = (int) Math.max(1, pageSize / SizeClasses.SLAB_SIZE);
        this.pooledPerPage = slabsPerPage > 1 ? new int[(maxSlabs + slabsPerPage - 1) / slabsPerPage] : null;
    }

    /** Number of slab ids ever handed out: every valid slab id is below it. */
    int laCreated() {
        return (int) CREATED.getAcquire(this);
    }

    /** Slabs waiting in the pool. */
    int pooled() {
        lockCounted();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes a slab out of the pool, or a never-used one. Its occupancy word is {@link
     * SlabTable#SEALED}. Returns {@link SlabTable#NIL} when the reservation is exhausted.
     */
    int acquire() {
        lockCounted();
        try {
            if (size > 0) {
                int slab = stack[--size];
                if (pooledPerPage != null) {
                    pooledPerPage[slab / slabsPerPage]--;
                }
                return slab;
            }
            int next = (int) CREATED.get(this);
            if (next >= maxSlabs) {
                return SlabTable.NIL;
            }
            table.ensureChunk(next);
            CREATED.setRelease(this, next + 1);
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** What a release measured; filled only when asked for (epoch closes). */
    static final class ReleaseMeasure {
        long residentBefore;
        long residentAfter;
        long advisedBytes;
    }

    /**
     * Returns sealed slabs of class {@code sizeClass} to the pool, giving their pages back to the OS
     * first. With a {@code measure}, the resident bytes of the released ranges are read with
     * {@code mincore} right before and right after the {@code madvise}.
     */
    void release(int sizeClass, int[] slabs, int count, ReleaseMeasure measure) {
        if (count == 0) {
            return;
        }
        Arrays.sort(slabs, 0, count);
        if (pooledPerPage == null) {
            adviseRuns(sizeClass, slabs, count, measure);
            lockCounted();
            try {
                push(slabs, count);
            } finally {
                lock.unlock();
            }
            return;
        }
        lockCounted();
        try {
            push(slabs, count);
            for (int i = 0; i < count; i++) {
                int page = slabs[i] / slabsPerPage;
                if (++pooledPerPage[page] == slabsPerPage) {
                    advise(sizeClass, (long) page * slabsPerPage * SizeClasses.SLAB_SIZE,
                            (long) slabsPerPage * SizeClasses.SLAB_SIZE, measure);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void push(int[] slabs, int count) {
        if (size + count > stack.length) {
            stack = Arrays.copyOf(stack, Math.max(stack.length * 2, size + count));
        }
        // Pushed in reverse so that the lowest ids are handed out first: the reservation stays compact.
        for (int i = count - 1; i >= 0; i--) {
            stack[size++] = slabs[i];
        }
    }

    /** One madvise per run of consecutive slab ids. */
    private void adviseRuns(int sizeClass, int[] sorted, int count, ReleaseMeasure measure) {
        int start = 0;
        for (int i = 1; i <= count; i++) {
            if (i == count || sorted[i] != sorted[i - 1] + 1) {
                advise(sizeClass, (long) sorted[start] << SizeClasses.SLAB_SHIFT,
                        (long) (i - start) << SizeClasses.SLAB_SHIFT, measure);
                start = i;
            }
        }
    }

    private void advise(int sizeClass, long offset, long length, ReleaseMeasure measure) {
        MemorySegment range = memory.asSlice(offset, length);
        if (measure != null) {
            measure.residentBefore += OsMemory.residentBytes(range);
        }
        if (advice != 0) {
            counters.increment(ClassCounters.MADVISE_CALLS, sizeClass);
            try {
                OsMemory.madvise(range, advice);
                counters.add(ClassCounters.MADVISE_BYTES, sizeClass, length);
                if (measure != null) {
                    measure.advisedBytes += length;
                }
            } catch (OsCallException e) {
                counters.increment(ClassCounters.MADVISE_FAILURES, sizeClass);
            }
        }
        if (measure != null) {
            measure.residentAfter += OsMemory.residentBytes(range);
        }
    }

    private void lockCounted() {
        if (lock.tryLock()) {
            lockFastAcquires.incrementAndGet();
        } else {
            lockContended.incrementAndGet();
            lock.lock();
        }
    }
}
