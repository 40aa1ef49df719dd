package io.tslab.internal;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-slab metadata, off the slab pages, as struct-of-arrays in chunks of {@value #CHUNK_SLABS}
 * slabs. A chunk is created once (under the pool lock, before any slab id in it is handed out) and
 * never moves or shrinks, so a lock-free reader that holds a valid slab id always finds its chunk.
 *
 * <p>Per slab:
 * <ul>
 *   <li><b>occupancy word</b> ({@code long}, one per 64-byte line so that threads working in
 *       neighbouring slabs do not share a cache line): bit {@code i} set = slot {@code i} is taken.
 *       It is the single source of truth for fullness and emptiness. {@link #SEALED} ({@code -1L},
 *       every bit) marks a slab taken out of service: it looks full to every allocation, and only
 *       the thread whose CAS took the word from 0 to SEALED may recycle the slab.</li>
 *   <li><b>owner</b>: {@code era << 11 | epoch << 3 | class} while in service, {@link #NO_OWNER}
 *       in the pool. Eras are unique per epoch activation, so the owner names the bin incarnation
 *       the slab serves.</li>
 *   <li><b>slot stamps</b> ({@code long} per slot): the number of state changes of the slot; odd =
 *       allocated, even = free. Allocation makes it odd, a free CASes it from the handle's odd value
 *       to the next even one, so exactly one free of one allocation can succeed. The stamps are also
 *       the allocation and free counters: a slot with stamp {@code s} has seen {@code ceil(s/2)}
 *       allocations and {@code floor(s/2)} frees, so counting costs the fast path nothing. 64 bits,
 *       so that no slot ever wraps.</li>
 *   <li><b>stamp base</b>: the sum of the slab's stamps when it was last put into service (guarded
 *       by the bin lock), so that the counts of one incarnation can be told from earlier ones.</li>
 *   <li><b>empty mark</b>: set while the slab counts in its bin's empty-slab count (in service,
 *       word 0, not one of the bin's current slabs); see {@code Bin#emptySlabs}.</li>
 *   <li><b>list links</b> (next/prev, guarded by the owning bin's lock) and the list the slab is on
 *       (read without the lock by frees, hence volatile).</li>
 *   <li><b>issued segments</b>: for slots allocated through {@code SegmentAllocator}, the segment
 *       object handed out, so that {@code free(MemorySegment)} can tell that segment from a stale
 *       one. Created per chunk on first use.</li>
 * </ul>
 */
final class SlabTable {
    static final int CHUNK_SHIFT = 10;
    static final int CHUNK_SLABS = 1 << CHUNK_SHIFT;
    static final int CHUNK_MASK = CHUNK_SLABS - 1;
    /** Longs between two occupancy words: 8 × 8 B = one cache line each. */
    static final int WORD_STRIDE_SHIFT = 3;
    /**
     * Longs left unused at the start of the word and stamp arrays: one cache line, so that slab 0's
     * word and stamps do not share a line with the array's length, which every access reads for
     * its bounds check (a thread working in slab 0 would slow down every other thread).
     */
    static final int HEAD_PAD = 8;

    static final long SEALED = -1L;
    static final long NO_OWNER = 0L;
    static final int OWNER_EPOCH_SHIFT = SizeClasses.CLASS_BITS;
    static final int OWNER_ERA_SHIFT = OWNER_EPOCH_SHIFT + 8;

    /** List ids. */
    static final byte LIST_NONE = 0;
    static final byte LIST_PARTIAL = 1;
    static final byte LIST_FULL = 2;
    static final byte LIST_DRAINING = 3;

    static final int NIL = -1;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle BYTES = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final VarHandle OBJECTS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(Chunk[].class);
    private static final VarHandle ISSUED;

    static {
        try {
            ISSUED = MethodHandles.lookup().findVarHandle(Chunk.class, "issued", Object[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The metadata of {@value #CHUNK_SLABS} slabs. The hot paths fetch a slab's chunk once and use
     * its accessors, rather than the table's, which look the chunk up on every call.
     */
    static final class Chunk {
        final long[] words = new long[HEAD_PAD + (CHUNK_SLABS << WORD_STRIDE_SHIFT)];
        final long[] owners = new long[CHUNK_SLABS];
        final long[] stamps = new long[HEAD_PAD + (CHUNK_SLABS << SizeClasses.SLOT_BITS)];
        final long[] stampBases = new long[CHUNK_SLABS];
        final int[] next = new int[CHUNK_SLABS];
        final int[] prev = new int[CHUNK_SLABS];
        final byte[] lists = new byte[CHUNK_SLABS];
        final byte[] emptyMarks = new byte[CHUNK_SLABS];
        @SuppressWarnings("unused") // accessed through ISSUED
        private Object[] issued;

        long lvWord(int slab) {
            return (long) LONGS.getVolatile(words, wordIndex(slab));
        }

        boolean casWord(int slab, long expected, long update) {
            return LONGS.compareAndSet(words, wordIndex(slab), expected, update);
        }

        /** Atomically adds {@code delta}; returns the previous word. */
        long getAndAddWord(int slab, long delta) {
            return (long) LONGS.getAndAdd(words, wordIndex(slab), delta);
        }

        long laOwner(int slab) {
            return (long) LONGS.getAcquire(owners, slab & CHUNK_MASK);
        }

        long laStamp(int slab, int slot) {
            return (long) LONGS.getAcquire(stamps, stampIndex(slab, slot));
        }

        void soStamp(int slab, int slot, long stamp) {
            LONGS.setRelease(stamps, stampIndex(slab, slot), stamp);
        }

        boolean casStamp(int slab, int slot, long expected, long update) {
            return LONGS.compareAndSet(stamps, stampIndex(slab, slot), expected, update);
        }

        boolean lvEmptyMark(int slab) {
            return (byte) BYTES.getVolatile(emptyMarks, slab & CHUNK_MASK) != 0;
        }

        /** Forgets the segment issued for a slot that is being freed (no-op when none was). */
        void clearIssued(int slab, int slot) {
            Object[] segments = (Object[]) ISSUED.getAcquire(this);
            if (segments != null) {
                OBJECTS.setRelease(segments, stampIndex(slab, slot), null);
            }
        }
    }

    private final Chunk[] chunks;

    SlabTable(long maxSlabs) {
        this.chunks = new Chunk[(int) ((maxSlabs + CHUNK_SLABS - 1) >>> CHUNK_SHIFT)];
    }

    /** Creates the chunk of {@code slab} if missing; called under the pool lock before the id is used. */
    void ensureChunk(int slab) {
        int index = slab >>> CHUNK_SHIFT;
        if (CHUNKS.getAcquire(chunks, index) == null) {
            Chunk chunk = new Chunk();
            java.util.Arrays.fill(chunk.words, SEALED);
            CHUNKS.setRelease(chunks, index, chunk);
        }
    }

    /** The chunk of {@code slab}, which must be a slab id the pool has handed out. */
    Chunk chunk(int slab) {
        return (Chunk) CHUNKS.getAcquire(chunks, slab >>> CHUNK_SHIFT);
    }

    private static int wordIndex(int slab) {
        return HEAD_PAD + ((slab & CHUNK_MASK) << WORD_STRIDE_SHIFT);
    }

    private static int stampIndex(int slab, int slot) {
        return HEAD_PAD + (((slab & CHUNK_MASK) << SizeClasses.SLOT_BITS) | slot);
    }

    // ---- occupancy word -------------------------------------------------------------------

    long lvWord(int slab) {
        return chunk(slab).lvWord(slab);
    }

    boolean casWord(int slab, long expected, long update) {
        return chunk(slab).casWord(slab, expected, update);
    }


    void svWord(int slab, long value) {
        LONGS.setVolatile(chunk(slab).words, wordIndex(slab), value);
    }

    // ---- owner ----------------------------------------------------------------------------

    static long owner(long era, int epoch, int sizeClass) {
        return era << OWNER_ERA_SHIFT | (long) epoch << OWNER_EPOCH_SHIFT | sizeClass;
    }

    static int ownerClass(long owner) {
        return (int) owner & Handles.CLASS_MASK;
    }

    static int ownerEpoch(long owner) {
        return (int) (owner >>> OWNER_EPOCH_SHIFT) & 0xFF;
    }

    static long ownerEra(long owner) {
        return owner >>> OWNER_ERA_SHIFT;
    }

    long laOwner(int slab) {
        return chunk(slab).laOwner(slab);
    }

    void soOwner(int slab, long owner) {
        LONGS.setRelease(chunk(slab).owners, slab & CHUNK_MASK, owner);
    }

    // ---- slot stamps ----------------------------------------------------------------------

    long laStamp(int slab, int slot) {
        return chunk(slab).laStamp(slab, slot);
    }


    /** Sum of the first {@code slots} stamps of {@code slab}. */
    long stampSum(int slab, int slots) {
        Chunk c = chunk(slab);
        int base = stampIndex(slab, 0);
        long sum = 0;
        for (int i = 0; i < slots; i++) {
            sum += (long) LONGS.getOpaque(c.stamps, base + i);
        }
        return sum;
    }

    /**
     * Adds to {@code counts[0]} the allocations and to {@code counts[1]} the frees the first
     * {@code slots} slots of {@code slab} have seen since its stamp base: each stamp is read once,
     * a stamp {@code s} counting {@code ceil(s/2)} allocations and {@code floor(s/2)} frees.
     */
    void addCounts(int slab, int slots, long[] counts) {
        Chunk c = chunk(slab);
        int base = stampIndex(slab, 0);
        long sum = 0;
        long odd = 0;
        for (int i = 0; i < slots; i++) {
            long stamp = (long) LONGS.getOpaque(c.stamps, base + i);
            sum += stamp;
            odd += stamp & 1;
        }
        long since = sum - c.stampBases[slab & CHUNK_MASK];
        counts[0] += (since + odd) >>> 1;
        counts[1] += (since - odd) >>> 1;
    }

    /** Guarded by the owning bin's lock. */
    void setStampBase(int slab, long base) {
        chunk(slab).stampBases[slab & CHUNK_MASK] = base;
    }

    // ---- lists (links guarded by the bin lock; the list id is read without it) ---------------

    byte lvList(int slab) {
        return (byte) BYTES.getVolatile(chunk(slab).lists, slab & CHUNK_MASK);
    }

    void svList(int slab, byte list) {
        BYTES.setVolatile(chunk(slab).lists, slab & CHUNK_MASK, list);
    }

    int next(int slab) {
        return chunk(slab).next[slab & CHUNK_MASK];
    }

    int prev(int slab) {
        return chunk(slab).prev[slab & CHUNK_MASK];
    }

    void setNext(int slab, int next) {
        chunk(slab).next[slab & CHUNK_MASK] = next;
    }

    void setPrev(int slab, int prev) {
        chunk(slab).prev[slab & CHUNK_MASK] = prev;
    }

    // ---- empty marks (written under the owning bin's lock, read without it) -----------------

    boolean lvEmptyMark(int slab) {
        return chunk(slab).lvEmptyMark(slab);
    }

    void svEmptyMark(int slab, boolean marked) {
        BYTES.setVolatile(chunk(slab).emptyMarks, slab & CHUNK_MASK, (byte) (marked ? 1 : 0));
    }

    // ---- issued segments ------------------------------------------------------------------

    private Object[] issued(int slab, boolean create) {
        Chunk c = chunk(slab);
        Object[] issued = (Object[]) ISSUED.getAcquire(c);
        if (issued == null && create) {
            Object[] fresh = new Object[HEAD_PAD + (CHUNK_SLABS << SizeClasses.SLOT_BITS)];
            issued = ISSUED.compareAndSet(c, null, fresh) ? fresh : (Object[]) ISSUED.getAcquire(c);
        }
        return issued;
    }

    void soIssued(int slab, int slot, MemorySegment segment) {
        OBJECTS.setRelease(issued(slab, true), stampIndex(slab, slot), segment);
    }

    Object laIssued(int slab, int slot) {
        Object[] issued = issued(slab, false);
        return issued == null ? null : OBJECTS.getAcquire(issued, stampIndex(slab, slot));
    }

}
