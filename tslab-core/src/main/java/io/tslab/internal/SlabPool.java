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

    final AtomicLong madviseCalls = new AtomicLong();
    final AtomicLong madviseBytes = new AtomicLong();
    final AtomicLong madviseFailures = new AtomicLong();
    final AtomicLong lockFastAcquires = new AtomicLong();
    final AtomicLong lockContended = new AtomicLong();

    /**
     * @param advice the {@code madvise} advice for recycled slabs, or 0 to keep their pages
     */
    SlabPool(SlabTable table, MemorySegment memory, int maxSlabs, int advice, long pageSize) {
        this.table = table;
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

    int maxSlabs() {
        return maxSlabs;
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

    /**
     * Returns sealed slabs to the pool, giving their pages back to the OS first.
     *
     * @return the bytes passed to {@code madvise} successfully
     */
    long release(int[] slabs, int count) {
        if (count == 0) {
            return 0;
        }
        Arrays.sort(slabs, 0, count);
        if (pooledPerPage == null) {
            long advised = adviseRuns(slabs, count);
            lockCounted();
            try {
                push(slabs, count);
            } finally {
                lock.unlock();
            }
            return advised;
        }
        lockCounted();
        try {
            push(slabs, count);
            long advised = 0;
            for (int i = 0; i < count; i++) {
                int page = slabs[i] / slabsPerPage;
                if (++pooledPerPage[page] == slabsPerPage) {
                    advised += advise((long) page * slabsPerPage * SizeClasses.SLAB_SIZE,
                            (long) slabsPerPage * SizeClasses.SLAB_SIZE);
                }
            }
            return advised;
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

    /** madvise each run of consecutive slab ids with one call. */
    private long adviseRuns(int[] sorted, int count) {
        long advised = 0;
        int start = 0;
        for (int i = 1; i <= count; i++) {
            if (i == count || sorted[i] != sorted[i - 1] + 1) {
                advised += advise((long) sorted[start] << SizeClasses.SLAB_SHIFT,
                        (long) (i - start) << SizeClasses.SLAB_SHIFT);
                start = i;
            }
        }
        return advised;
    }

    private long advise(long offset, long length) {
        if (advice == 0) {
            return 0;
        }
        madviseCalls.incrementAndGet();
        try {
            OsMemory.madvise(memory.asSlice(offset, length), advice);
            madviseBytes.addAndGet(length);
            return length;
        } catch (OsCallException e) {
            madviseFailures.incrementAndGet();
            return 0;
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
