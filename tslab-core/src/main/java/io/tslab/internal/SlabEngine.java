package io.tslab.internal;

import io.tslab.internal.jfr.JfrChannel;
import io.tslab.internal.os.OsMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The allocator engine behind {@code io.tslab.SlabAllocator}. See {@code package-info} for the
 * protocols; every public method except {@link #close()} is safe from any number of threads.
 */
public final class SlabEngine {
    /** Why an allocation returned 0. */
    public static final int REFUSED_EPOCH_CLOSED = 0;
    public static final int REFUSED_RESERVATION_EXHAUSTED = 1;
    public static final List<String> REFUSAL_REASONS = List.of("epoch_closed", "reservation_exhausted");

    /** Why a free returned false (also why {@code segment}/{@code offset} rejected a handle). */
    public static final int REJECT_NULL_HANDLE = 0;
    public static final int REJECT_FOREIGN = 1;
    public static final int REJECT_UNKNOWN_SLAB = 2;
    public static final int REJECT_NOT_IN_SERVICE = 3;
    public static final int REJECT_CLASS_MISMATCH = 4;
    public static final int REJECT_BAD_SLOT = 5;
    public static final int REJECT_STALE = 6;
    public static final List<String> REJECTION_REASONS = List.of(
            "null_handle", "foreign", "unknown_slab", "slab_not_in_service", "class_mismatch", "bad_slot",
            "stale_or_double");
    private static final List<String> REJECTION_MESSAGES = List.of(
            "0 is never a handle", "the handle belongs to another allocator",
            "the handle names a slab this allocator never used", "the handle's slab is not in service",
            "the handle's size class is not its slab's", "the handle's slot is outside its slab",
            "the handle's object was freed (stale or double free)");

    private static final long CLOSING = 1L;
    private static final VarHandle EPOCH_WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle CLOSED;
    private static final VarHandle CURRENT_EPOCH;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOSED = lookup.findVarHandle(SlabEngine.class, "closed", boolean.class);
            CURRENT_EPOCH = lookup.findVarHandle(SlabEngine.class, "currentEpoch", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String name;
    private final int tag;
    final int epochCount;
    private final int epochShift;
    final int cacheCapacity;
    final long reservedBytes;
    final long pageSize;
    private final Arena arena;
    private final MemorySegment memory;
    final SlabTable table;
    final SlabPool pool;
    final Bin[] bins;
    /** Per epoch slot: {@code era << 1 | closing}. Era 0 = never activated. */
    private final long[] epochWords;
    final long[] openSinceNanos;
    final ReentrantLock ringLock = new ReentrantLock();

    // Guarded by ringLock.
    private long eraCounter;

    @SuppressWarnings("unused") // accessed through CURRENT_EPOCH
    private int currentEpoch;
    @SuppressWarnings("unused") // accessed through CLOSED
    private boolean closed;

    final AtomicLongArray refusals = new AtomicLongArray(REFUSAL_REASONS.size());
    final AtomicLongArray rejections = new AtomicLongArray(REJECTION_REASONS.size());
    final StripedCounters ops = new StripedCounters();
    final ClassCounters counters = new ClassCounters();
    final EpochMetadata meta;

    /**
     * @param advice {@code madvise} advice for recycled slabs, 0 for none
     */
    public SlabEngine(String name, long reserveBytes, int epochs, int cacheCapacity, int advice,
                      boolean leakDetection) {
        this.name = name;
        this.pageSize = OsMemory.pageSize();
        long unit = Math.max(pageSize, SizeClasses.SLAB_SIZE);
        this.reservedBytes = (reserveBytes + unit - 1) / unit * unit;
        long maxSlabs = reservedBytes >>> SizeClasses.SLAB_SHIFT;
        if (maxSlabs > Handles.MAX_SLABS) {
            throw new IllegalArgumentException("reserveBytes: " + reserveBytes + " (expected: at most "
                    + (Handles.MAX_SLABS << SizeClasses.SLAB_SHIFT) + ")");
        }
        this.epochCount = epochs;
        this.epochShift = Integer.numberOfTrailingZeros(epochs);
        this.cacheCapacity = cacheCapacity;
        this.tag = AllocatorTags.acquire();
        Arena mapping = Arena.ofShared();
        try {
            this.memory = OsMemory.reserve(reservedBytes, mapping);
        } catch (RuntimeException | Error e) {
            mapping.close();
            AllocatorTags.release(tag);
            throw e;
        }
        this.arena = mapping;
        this.table = new SlabTable(maxSlabs);
        this.pool = new SlabPool(table, memory, (int) maxSlabs, advice, pageSize, counters);
        this.meta = new EpochMetadata(epochs, leakDetection);
        this.bins = new Bin[SizeClasses.COUNT << epochShift];
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            for (int e = 0; e < epochs; e++) {
                bins[binIndex(c, e)] = new Bin(table, c, e);
            }
        }
        this.epochWords = new long[epochs];
        this.openSinceNanos = new long[epochs];
        for (int e = 1; e < epochs; e++) {
            epochWords[e] = CLOSING; // era 0: never activated, refuses allocation until the ring reaches it
        }
        this.eraCounter = 1;
        openSinceNanos[0] = System.nanoTime();
        meta.activate(0, eraCounter);
        EPOCH_WORDS.setVolatile(epochWords, 0, eraCounter << 1);
        CURRENT_EPOCH.setVolatile(this, 0);
    }

    int binIndex(int sizeClass, int epoch) {
        return sizeClass << epochShift | epoch;
    }

    // ==== allocation ========================================================================

    /** Allocates one object of class {@code sizeClass} in {@code epoch}; 0 when refused. */
    public long alloc(int sizeClass, int epoch) {
        return allocInEra(sizeClass, epoch, ANY_ERA);
    }

    /**
     * Allocates in the current epoch. If the ring advances between reading the current epoch and
     * allocating, the allocation follows it: only an epoch that is CLOSING while still current
     * ({@code closeEpoch(current)}) refuses.
     */
    public long allocCurrent(int sizeClass) {
        for (;;) {
            int epoch = (int) CURRENT_EPOCH.getVolatile(this); // allocIn checks that the allocator is open
            long ew = lvEpochWord(epoch);
            long handle = allocIn(sizeClass, epoch, ew >>> 1, false);
            if (handle != 0) {
                return handle;
            }
            // Refuse only if nothing moved meanwhile: same slot current, same era, same state.
            if ((int) CURRENT_EPOCH.getVolatile(this) == epoch && lvEpochWord(epoch) == ew) {
                if ((ew & CLOSING) != 0) {
                    countEpochClosedRefusal(sizeClass);
                } else {
                    refusals.incrementAndGet(REFUSED_RESERVATION_EXHAUSTED);
                }
                return 0;
            }
        }
    }

    /** Era argument of {@link #allocInEra} meaning "whatever era the slot has now". */
    static final long ANY_ERA = -1;

    /**
     * Allocates in {@code epoch} while it is ACTIVE, and with {@code era} other than {@link
     * #ANY_ERA} only while it is ACTIVE in that era (a domain's epoch): 0 once that era is closed,
     * even if the ring has come back to the slot.
     */
    public long allocInEra(int sizeClass, int epoch, long era) {
        return allocIn(sizeClass, epoch, era, true);
    }

    private long allocIn(int sizeClass, int epoch, long era, boolean countRefusals) {
        ensureOpen();
        long ew = lvEpochWord(epoch);
        if ((ew & CLOSING) == 0 && (era == ANY_ERA || ew == era << 1)) {
            int stripe = Bin.stripe();
            int slab = bins[binIndex(sizeClass, epoch)].lvCurrent(stripe);
            if (slab == SlabTable.NIL) {
                counters.increment(ClassCounters.CURRENT_NULL, sizeClass);
            } else {
                long handle = tryClaim(sizeClass, epoch, ew, slab);
                if (handle != 0) {
                    return handle;
                }
                counters.increment(ClassCounters.CURRENT_FULL, sizeClass);
            }
        }
        return allocSlow(sizeClass, epoch, era, countRefusals);
    }

    private void countEpochClosedRefusal(int sizeClass) {
        counters.increment(ClassCounters.SLOW_EPOCH_CLOSED, sizeClass);
        refusals.incrementAndGet(REFUSED_EPOCH_CLOSED);
    }

    /**
     * Claims a free slot of {@code slab} for (class, epoch, era of {@code ew}). Returns the handle,
     * or 0 when the slab has no room, no longer serves that bin, or the epoch changed meanwhile (in
     * the last two cases the claim is undone).
     */
    private long tryClaim(int sizeClass, int epoch, long ew, int slab) {
        final SlabTable.Chunk c = table.chunk(slab);
        final long full = SizeClasses.fullMask(sizeClass);
        for (;;) {
            long word = c.lvWord(slab);
            long room = ~word & full;
            if (room == 0) {
                return 0;
            }
            long bit = room & -room;
            if (c.casWord(slab, word, word | bit)) {
                long owner = c.laOwner(slab);
                if (word == 0 && c.lvEmptyMark(slab)) {
                    emptySlabClaimed(slab, owner);
                }
                if (owner != SlabTable.owner(ew >>> 1, epoch, sizeClass) || lvEpochWord(epoch) != ew) {
                    // A stale current slab now serving another bin, or the epoch closed under us:
                    // give the slot back; the slow path decides again.
                    long old = c.getAndAddWord(slab, -bit);
                    afterRelease(slab, owner, old, bit);
                    return 0;
                }
                int slot = Long.numberOfTrailingZeros(bit);
                long stamp = c.laStamp(slab, slot) + 1; // even (free) -> odd (allocated); only we write it now
                c.soStamp(slab, slot, stamp);
                return Handles.pack(tag, slab, (int) (stamp >>> 1), slot, sizeClass);
            }
            ops.increment(StripedCounters.ALLOC_CAS_RETRIES, sizeClass);
        }
    }

    private long allocSlow(int sizeClass, int epoch, long era, boolean countRefusals) {
        Bin bin = bins[binIndex(sizeClass, epoch)];
        int stripe = Bin.stripe();
        counters.increment(ClassCounters.SLOW_PATH_HITS, sizeClass);
        for (;;) {
            ensureOpen();
            long ew = lvEpochWord(epoch);
            if ((ew & CLOSING) != 0 || (era != ANY_ERA && ew != era << 1)) {
                if (countRefusals) {
                    countEpochClosedRefusal(sizeClass);
                }
                return 0;
            }
            int slab;
            int overflowed = SlabTable.NIL;
            lock(bin);
            try {
                if (lvEpochWord(epoch) != ew) {
                    continue;
                }
                slab = findSlabWithRoom(bin, stripe);
                if (slab == SlabTable.NIL) {
                    counters.increment(ClassCounters.SLOW_CACHE_MISS, sizeClass);
                    slab = pool.acquire();
                    if (slab == SlabTable.NIL) {
                        slab = takeEmptySlabOfAnotherBin(bin);
                    }
                    if (slab == SlabTable.NIL) {
                        if (countRefusals) {
                            refusals.incrementAndGet(REFUSED_RESERVATION_EXHAUSTED);
                        }
                        return 0;
                    }
                    table.setStampBase(slab, table.stampSum(slab, SizeClasses.slots(sizeClass)));
                    table.soOwner(slab, SlabTable.owner(ew >>> 1, epoch, sizeClass));
                    table.svWord(slab, 0);
                    bin.link(slab, SlabTable.LIST_PARTIAL);
                    counters.increment(ClassCounters.NEW_SLABS, sizeClass);
                }
                overflowed = makeCurrent(bin, stripe, slab);
            } finally {
                bin.lock.unlock();
            }
            if (overflowed != SlabTable.NIL) {
                releaseOverflowed(bin, overflowed);
            }
            long handle = tryClaim(sizeClass, epoch, ew, slab);
            if (handle != 0) {
                return handle;
            }
        }
    }

    /**
     * With the pool empty: takes an empty slab another bin keeps for reuse, so that memory kept
     * for one class never starves another. Called holding {@code self}'s lock, so the other bins
     * are only tried ({@code tryLock}), never waited for: no lock-order cycle.
     */
    private int takeEmptySlabOfAnotherBin(Bin self) {
        for (Bin other : bins) {
            if (other == self || !mayHoldEmptySlab(other) || !other.lock.tryLock()) {
                continue;
            }
            try {
                for (int slab = other.head(SlabTable.LIST_PARTIAL); slab != SlabTable.NIL; slab = table.next(slab)) {
                    if (table.casWord(slab, 0, SlabTable.SEALED)) {
                        takeOutOfService(other, slab);
                        return slab; // still resident: handed over without a round trip to the OS
                    }
                }
            } finally {
                other.lock.unlock();
            }
        }
        return SlabTable.NIL;
    }

    /**
     * Under the bin lock: a slab of the bin's partial list with a free slot, other than the current
     * slabs of the other stripes; full ones move to the full list.
     */
    private int findSlabWithRoom(Bin bin, int stripe) {
        long full = SizeClasses.fullMask(bin.sizeClass);
        int current = bin.lvCurrent(stripe);
        if (current != SlabTable.NIL && table.lvList(current) == SlabTable.LIST_PARTIAL
                && (~table.lvWord(current) & full) != 0) {
            return current;
        }
        for (int slab = bin.head(SlabTable.LIST_PARTIAL); slab != SlabTable.NIL; ) {
            int next = table.next(slab);
            int of = bin.stripeOf(slab);
            if (of >= 0 && of != stripe) {
                slab = next; // another stripe allocates there
                continue;
            }
            if ((~table.lvWord(slab) & full) != 0) {
                return slab;
            }
            // Full: park it on the full list. A free racing with this either sees LIST_FULL and moves
            // it back (onNoLongerFull), or freed before our re-read below, which then sees the room.
            bin.move(slab, SlabTable.LIST_FULL);
            counters.increment(ClassCounters.PARTIAL_TO_FULL, bin.sizeClass);
            if ((~table.lvWord(slab) & full) != 0) {
                bin.move(slab, SlabTable.LIST_PARTIAL);
                counters.increment(ClassCounters.FULL_TO_PARTIAL, bin.sizeClass);
                return slab;
            }
            slab = next;
        }
        return SlabTable.NIL;
    }

    // ==== free ==============================================================================

    /** Frees the object named by {@code handle}; false (and nothing changed but a counter) when invalid. */
    public boolean free(long handle) {
        ensureOpen();
        int reason = checkSlabOf(handle);
        if (reason >= 0) {
            return reject(reason);
        }
        int slab = Handles.slab(handle);
        SlabTable.Chunk c = table.chunk(slab);
        long owner = c.laOwner(slab);
        reason = checkOwner(handle, owner);
        if (reason >= 0) {
            return reject(reason);
        }
        int slot = Handles.slot(handle);
        long stamp = c.laStamp(slab, slot);
        if (!isStampOf(stamp, handle) || !c.casStamp(slab, slot, stamp, stamp + 1)) {
            return reject(REJECT_STALE);
        }
        releaseOwnedSlot(c, slab, slot, owner);
        return true;
    }

    /** Frees a segment returned by {@link #allocate}; false when it is not one that is still live. */
    public boolean free(MemorySegment segment) {
        ensureOpen();
        if (segment == null || !segment.isNative()) {
            return reject(REJECT_FOREIGN);
        }
        long offset = segment.address() - memory.address();
        if (offset < 0 || offset >= (long) pool.laCreated() << SizeClasses.SLAB_SHIFT) {
            return reject(REJECT_FOREIGN);
        }
        int slab = (int) (offset >>> SizeClasses.SLAB_SHIFT);
        long owner = table.laOwner(slab);
        if (owner == SlabTable.NO_OWNER) {
            return reject(REJECT_NOT_IN_SERVICE);
        }
        int size = SizeClasses.size(SlabTable.ownerClass(owner));
        int inSlab = (int) (offset & (SizeClasses.SLAB_SIZE - 1));
        if (inSlab % size != 0 || inSlab / size >= SizeClasses.slots(SlabTable.ownerClass(owner))) {
            return reject(REJECT_BAD_SLOT);
        }
        int slot = inSlab / size;
        SlabTable.Chunk c = table.chunk(slab);
        long stamp = c.laStamp(slab, slot);
        // The issued segment is stored before its stamp is published and cleared before the slot
        // is released, so a stale segment never matches a later allocation of the slot.
        if ((stamp & 1) == 0 || table.laIssued(slab, slot) != segment
                || !c.casStamp(slab, slot, stamp, stamp + 1)) {
            return reject(REJECT_STALE);
        }
        releaseOwnedSlot(c, slab, slot, owner);
        return true;
    }

    private static boolean isStampOf(long stamp, long handle) {
        return (stamp & 1) != 0 && ((stamp >>> 1) & Handles.GEN_MASK) == Handles.generation(handle);
    }

    /** After winning the stamp CAS: the slot is ours alone; give it back to its slab. */
    private void releaseOwnedSlot(SlabTable.Chunk c, int slab, int slot, long owner) {
        c.clearIssued(slab, slot);
        long bit = 1L << slot;
        long old = c.getAndAddWord(slab, -bit); // the bit is set and only we clear it: same as &~bit
        afterRelease(slab, owner, old, bit);
    }

    private void afterRelease(int slab, long owner, long oldWord, long bit) {
        if (oldWord == SizeClasses.fullMask(SlabTable.ownerClass(owner))) {
            onNoLongerFull(slab, owner);
        }
        if (oldWord == bit) {
            onBecameEmpty(slab, owner);
        }
    }

    private boolean isEraOpen(long owner) {
        return lvEpochWord(SlabTable.ownerEpoch(owner)) == SlabTable.ownerEra(owner) << 1;
    }

    private Bin binOf(long owner) {
        return bins[binIndex(SlabTable.ownerClass(owner), SlabTable.ownerEpoch(owner))];
    }

    private void onNoLongerFull(int slab, long owner) {
        if (!isEraOpen(owner) || table.lvList(slab) != SlabTable.LIST_FULL) {
            return;
        }
        Bin bin = binOf(owner);
        lock(bin);
        try {
            if (table.laOwner(slab) == owner && table.lvList(slab) == SlabTable.LIST_FULL
                    && (~table.lvWord(slab) & SizeClasses.fullMask(bin.sizeClass)) != 0) {
                bin.move(slab, SlabTable.LIST_PARTIAL);
                counters.increment(ClassCounters.FULL_TO_PARTIAL, bin.sizeClass);
            }
        } finally {
            bin.lock.unlock();
        }
    }

    private void onBecameEmpty(int slab, long owner) {
        Bin bin = binOf(owner);
        if (!isEraOpen(owner)) {
            retire(bin, slab, owner);
            return;
        }
        // A current slab going empty is not counted (see Bin#emptySlabs): while the bin keeps so
        // few other empty slabs that even all its current slabs empty would fit the cache capacity,
        // there is nothing to do and no lock to take.
        if (bin.lvEmptySlabs() + Bin.STRIPES <= cacheCapacity && bin.stripeOf(slab) >= 0) {
            return;
        }
        int overflowed;
        lock(bin);
        try {
            if (table.laOwner(slab) != owner) {
                return; // recycled meanwhile by someone else
            }
            markEmpty(bin, slab);
            overflowed = sealIfOverCapacity(bin, slab);
        } finally {
            bin.lock.unlock();
        }
        if (overflowed != SlabTable.NIL) {
            releaseOverflowed(bin, overflowed);
        }
    }

    // ---- counting empty slabs (see Bin#emptySlabs) -------------------------------------------

    /**
     * Under the bin lock: sets or clears {@code slab}'s empty mark, and the bin's count with it, so
     * that it says whether the slab is in this bin's service with word 0 and not current. Words
     * change without the lock, so after setting the mark the word is read again: a claim that took
     * the slab from 0 meanwhile either is seen here, or sees the mark and comes here to clear it.
     */
    private void markEmpty(Bin bin, int slab) {
        for (;;) {
            long owner = table.laOwner(slab);
            boolean empty = owner != SlabTable.NO_OWNER && binOf(owner) == bin && table.lvWord(slab) == 0
                    && bin.stripeOf(slab) < 0;
            if (empty == table.lvEmptyMark(slab)) {
                return;
            }
            table.svEmptyMark(slab, empty);
            bin.addEmptySlabs(empty ? 1 : -1);
        }
    }

    /** Without the lock, after a claim took a marked slab from empty: clears the mark. */
    private void emptySlabClaimed(int slab, long owner) {
        Bin bin = binOf(owner);
        lock(bin);
        try {
            markEmpty(bin, slab);
        } finally {
            bin.lock.unlock();
        }
    }

    /** Empty slabs {@code bin} keeps: the counted ones and its current slabs that are empty. */
    int keptEmptySlabs(Bin bin) {
        int kept = bin.lvEmptySlabs();
        for (int stripe = 0; stripe < Bin.STRIPES; stripe++) {
            int current = bin.lvCurrent(stripe);
            if (current != SlabTable.NIL && table.lvWord(current) == 0) {
                kept++;
            }
        }
        return kept;
    }

    /** A cheap, lock-free hint: false only if {@code bin} keeps no empty slab. */
    private boolean mayHoldEmptySlab(Bin bin) {
        return keptEmptySlabs(bin) > 0;
    }

    /**
     * Under the lock of {@code bin}, whose era is open: if it keeps more empty slabs than the cache
     * capacity and {@code slab} is one of them, seals {@code slab} and takes it out of service.
     *
     * @return {@code slab} if sealed (to be released after unlocking), else {@link SlabTable#NIL}
     */
    private int sealIfOverCapacity(Bin bin, int slab) {
        if (keptEmptySlabs(bin) > cacheCapacity && table.casWord(slab, 0, SlabTable.SEALED)) {
            takeOutOfService(bin, slab);
            return slab;
        }
        return SlabTable.NIL;
    }

    private void releaseOverflowed(Bin bin, int slab) {
        pool.release(bin.sizeClass, new int[] {slab}, 1, null);
        // Only the current epoch is ACTIVE, so this bin's empty slabs are all the class keeps.
        counters.increment(ClassCounters.OVERFLOWED, bin.sizeClass);
    }

    /**
     * Under the bin lock: publishes {@code slab} (or {@link SlabTable#NIL}) as the current slab of
     * {@code stripe} and brings the empty marks of the old and new current slab up to date. The old
     * one, if it is now empty, counts from here on and may be one too many.
     *
     * @return the old current slab if it was sealed as over capacity, else {@link SlabTable#NIL}
     */
    private int makeCurrent(Bin bin, int stripe, int slab) {
        int old = bin.lvCurrent(stripe);
        bin.svCurrent(stripe, slab);
        if (slab != SlabTable.NIL) {
            markEmpty(bin, slab);
        }
        if (old == SlabTable.NIL || old == slab) {
            return SlabTable.NIL;
        }
        markEmpty(bin, old);
        return table.lvEmptyMark(old) && isEraOpen(table.laOwner(old)) ? sealIfOverCapacity(bin, old) : SlabTable.NIL;
    }

    /** Seals {@code slab} if it is still empty and still serves {@code owner}, then recycles it. */
    private void retire(Bin bin, int slab, long owner) {
        boolean sealed = false;
        lock(bin);
        try {
            if (table.laOwner(slab) == owner && table.casWord(slab, 0, SlabTable.SEALED)) {
                takeOutOfService(bin, slab);
                sealed = true;
            }
        } finally {
            bin.lock.unlock();
        }
        if (sealed) {
            pool.release(bin.sizeClass, new int[] {slab}, 1, null);
        }
    }

    /** Takes a bin lock, counting whether it was free (fast) or held by another thread (contended). */
    private void lock(Bin bin) {
        if (bin.lock.tryLock()) {
            counters.increment(ClassCounters.LOCK_FAST, bin.sizeClass);
        } else {
            counters.increment(ClassCounters.LOCK_CONTENDED, bin.sizeClass);
            bin.lock.lock();
        }
    }

    /** Under the bin lock, after the CAS 0 -> SEALED. */
    private void takeOutOfService(Bin bin, int slab) {
        table.addCounts(slab, SizeClasses.slots(bin.sizeClass), bin.retiredCounts);
        bin.unlink(slab);
        int stripe = bin.stripeOf(slab);
        if (stripe >= 0) {
            bin.svCurrent(stripe, SlabTable.NIL);
        }
        table.soOwner(slab, SlabTable.NO_OWNER);
        markEmpty(bin, slab); // no longer in service: unmarked
        counters.increment(ClassCounters.RECYCLED, bin.sizeClass);
    }

    // ==== handle validation and access ===================================================

    /**
     * First half of the structural check of a handle: -1 when it names a slab this allocator has
     * created (so that its chunk may be read), else the rejection reason.
     */
    private int checkSlabOf(long handle) {
        if (handle == 0) {
            return REJECT_NULL_HANDLE;
        }
        if (Handles.tag(handle) != tag) {
            return REJECT_FOREIGN;
        }
        if (Handles.slab(handle) >= pool.laCreated()) {
            return REJECT_UNKNOWN_SLAB;
        }
        return -1;
    }

    /** Second half: -1 when the handle fits {@code owner}, the owner word of its slab, else the reason. */
    private static int checkOwner(long handle, long owner) {
        if (owner == SlabTable.NO_OWNER) {
            return REJECT_NOT_IN_SERVICE;
        }
        int sizeClass = Handles.sizeClass(handle);
        if (SlabTable.ownerClass(owner) != sizeClass) {
            return REJECT_CLASS_MISMATCH;
        }
        if (Handles.slot(handle) >= SizeClasses.slots(sizeClass)) {
            return REJECT_BAD_SLOT;
        }
        return -1;
    }

    /** Rejection reason for a handle that does not name a live object, or -1 when it does. */
    public int validate(long handle) {
        int reason = checkSlabOf(handle);
        if (reason >= 0) {
            return reason;
        }
        int slab = Handles.slab(handle);
        SlabTable.Chunk c = table.chunk(slab);
        reason = checkOwner(handle, c.laOwner(slab));
        if (reason >= 0) {
            return reason;
        }
        return isStampOf(c.laStamp(slab, Handles.slot(handle)), handle) ? -1 : REJECT_STALE;
    }

    /** Byte offset of the live object {@code handle} inside {@link #memory()}. */
    public long offset(long handle) {
        ensureOpen();
        int reason = validate(handle);
        if (reason >= 0) {
            throw invalidHandle(handle, reason);
        }
        return offsetOf(handle);
    }

    private static long offsetOf(long handle) {
        return ((long) Handles.slab(handle) << SizeClasses.SLAB_SHIFT)
                + (long) Handles.slot(handle) * SizeClasses.size(Handles.sizeClass(handle));
    }

    /** A view of exactly the slot of the live object {@code handle}. */
    public MemorySegment segment(long handle) {
        long offset = offset(handle);
        return memory.asSlice(offset, SizeClasses.size(Handles.sizeClass(handle)));
    }

    /** The whole reservation. */
    public MemorySegment memory() {
        ensureOpen();
        return memory;
    }

    /**
     * Allocates through the {@code SegmentAllocator} contract: the first class of at least
     * {@code byteSize} bytes whose alignment is at least {@code byteAlignment}.
     */
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        ensureOpen();
        if (byteSize < 1 || byteSize > SizeClasses.MAX_SIZE) {
            throw new IllegalArgumentException("size: " + byteSize + " (expected: 1.." + SizeClasses.MAX_SIZE + ")");
        }
        if (byteAlignment < 1 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("alignment: " + byteAlignment + " (expected: a power of two)");
        }
        int sizeClass = SizeClasses.classOf((int) byteSize);
        while (sizeClass < SizeClasses.COUNT && SizeClasses.alignment(sizeClass) < byteAlignment) {
            sizeClass++;
        }
        if (sizeClass == SizeClasses.COUNT) {
            throw new IllegalArgumentException("alignment: " + byteAlignment + " for size " + byteSize
                    + " (expected: at most " + SizeClasses.alignment(SizeClasses.classOf((int) byteSize))
                    + ", or at most 512 with a larger size)");
        }
        long handle = allocCurrent(sizeClass);
        if (handle == 0) {
            int epoch = currentEpoch();
            if ((lvEpochWord(epoch) & CLOSING) != 0) {
                throw new IllegalStateException("epoch " + epoch + " is CLOSING (expected: ACTIVE; call advanceEpoch())");
            }
            throw new OutOfMemoryError("tslab '" + name + "': reservation of " + reservedBytes + " bytes exhausted");
        }
        MemorySegment segment = memory.asSlice(offsetOf(handle), byteSize);
        table.soIssued(Handles.slab(handle), Handles.slot(handle), segment);
        return segment;
    }

    // ==== epochs ============================================================================

    long lvEpochWord(int epoch) {
        return (long) EPOCH_WORDS.getVolatile(epochWords, epoch);
    }

    public int currentEpoch() {
        ensureOpen();
        return (int) CURRENT_EPOCH.getVolatile(this);
    }

    public boolean isClosing(int epoch) {
        ensureOpen();
        return (lvEpochWord(epoch) & CLOSING) != 0;
    }

    public long era(int epoch) {
        ensureOpen();
        return lvEpochWord(epoch) >>> 1;
    }

    /**
     * Makes the next ring slot current and ACTIVE in a new era, and the current one CLOSING. Slabs
     * the next slot still holds from its previous era are swept first: empty ones are recycled,
     * the others drain. If an auto-closing domain wraps the epoch being left and no scope of it is
     * open, that epoch is closed too.
     */
    public int advanceEpoch() {
        ensureOpen();
        ringLock.lock();
        try {
            int current = (int) CURRENT_EPOCH.getVolatile(this);
            int next = (current + 1) & (epochCount - 1);
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                IntList retired = new IntList();
                sweep(bins[binIndex(c, next)], retired);
                pool.release(c, retired.values, retired.size, null);
            }
            // The next slot becomes current before the old one stops accepting allocations, so an
            // allocation racing with the advance lands in one of them, never in neither.
            long era = ++eraCounter;
            openSinceNanos[next] = System.nanoTime();
            meta.activate(next, era);
            EPOCH_WORDS.setVolatile(epochWords, next, era << 1);
            CURRENT_EPOCH.setVolatile(this, next);
            long ew = lvEpochWord(current);
            if ((ew & CLOSING) == 0) {
                EPOCH_WORDS.setVolatile(epochWords, current, ew | CLOSING);
            }
            // The old epoch is CLOSING: the empty slabs it kept for reuse go back now.
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                IntList retired = new IntList();
                recycleEmpty(bins[binIndex(c, current)], retired);
                pool.release(c, retired.values, retired.size, null);
            }
            if (meta.autoCloseEra(current) == ew >>> 1 && meta.refcount(current) == 0) {
                closeLocked(current);
            }
            return next;
        } finally {
            ringLock.unlock();
        }
    }

    /** Under the ring lock: seals and collects the empty slabs of a bin whose era just closed. */
    private void recycleEmpty(Bin bin, IntList retired) {
        if (!mayHoldEmptySlab(bin)) {
            return;
        }
        lock(bin);
        try {
            for (int slab = bin.head(SlabTable.LIST_PARTIAL); slab != SlabTable.NIL; ) {
                int next = table.next(slab);
                if (table.casWord(slab, 0, SlabTable.SEALED)) {
                    takeOutOfService(bin, slab);
                    retired.add(slab);
                }
                slab = next;
            }
        } finally {
            bin.lock.unlock();
        }
    }

    /** Marks {@code epoch} CLOSING (if ACTIVE) and recycles its era's empty slabs now, with telemetry. */
    public void closeEpoch(int epoch) {
        ensureOpen();
        ringLock.lock();
        try {
            closeLocked(epoch);
        } finally {
            ringLock.unlock();
        }
    }

    /**
     * Closes {@code epoch} if it is still in {@code era} and no scope of it is open: for auto-closing
     * domains. If it is still the current epoch, the close happens at the next advance.
     */
    public void closeIfIdle(int epoch, long era) {
        ringLock.lock();
        try {
            if (isClosed() || (lvEpochWord(epoch) >>> 1) != era || meta.refcount(epoch) != 0) {
                return;
            }
            if (epoch == (int) CURRENT_EPOCH.getVolatile(this) && (lvEpochWord(epoch) & CLOSING) == 0) {
                meta.requestAutoClose(epoch, era);
            } else {
                closeLocked(epoch);
            }
        } finally {
            ringLock.unlock();
        }
    }

    /** Asks for {@code epoch} to be closed when it stops being current with no open scope (era-checked). */
    public void requestAutoClose(int epoch, long era) {
        ringLock.lock();
        try {
            if ((lvEpochWord(epoch) >>> 1) == era) {
                meta.requestAutoClose(epoch, era);
            }
        } finally {
            ringLock.unlock();
        }
    }

    private void closeLocked(int epoch) {
        long start = System.nanoTime();
        long rssBefore = OsMemory.processRssBytes();
        long ew = lvEpochWord(epoch);
        if ((ew & CLOSING) == 0) {
            EPOCH_WORDS.setVolatile(epochWords, epoch, ew | CLOSING);
        }
        SlabPool.ReleaseMeasure measure = new SlabPool.ReleaseMeasure();
        long scannedTotal = 0;
        long recycledTotal = 0;
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            long classStart = System.nanoTime();
            IntList retired = new IntList();
            int scanned = sweep(bins[binIndex(c, epoch)], retired);
            if (scanned == 0) {
                continue; // telemetry counts only the classes a close scanned
            }
            pool.release(c, retired.values, retired.size, measure);
            counters.increment(ClassCounters.CLOSE_CALLS, c);
            counters.add(ClassCounters.CLOSE_SCANNED, c, scanned);
            counters.add(ClassCounters.CLOSE_RECYCLED, c, retired.size);
            counters.add(ClassCounters.CLOSE_NANOS, c, System.nanoTime() - classStart);
            scannedTotal += scanned;
            recycledTotal += retired.size;
        }
        long rssAfter = OsMemory.processRssBytes();
        meta.recordClose(epoch, ew >>> 1, scannedTotal, recycledTotal, rssBefore, rssAfter,
                measure.residentBefore, measure.residentAfter, measure.advisedBytes, System.nanoTime() - start);
        JfrChannel.epochClosed(name, meta.label(epoch), meta.lastClose());
    }

    /**
     * Under the ring lock, with the bin's era closed: every slab of the partial and full lists is
     * either sealed (it was empty) and collected for recycling, or moved to the draining list.
     *
     * @return the number of slabs looked at
     */
    private int sweep(Bin bin, IntList retired) {
        int scanned = 0;
        lock(bin);
        try {
            for (int stripe = 0; stripe < Bin.STRIPES; stripe++) {
                makeCurrent(bin, stripe, SlabTable.NIL); // the era is closed: nothing sealed for capacity
            }
            for (byte list = SlabTable.LIST_PARTIAL; list <= SlabTable.LIST_FULL; list++) {
                for (int slab = bin.head(list); slab != SlabTable.NIL; ) {
                    int next = table.next(slab);
                    scanned++;
                    if (table.casWord(slab, 0, SlabTable.SEALED)) {
                        takeOutOfService(bin, slab);
                        retired.add(slab);
                    } else {
                        bin.move(slab, SlabTable.LIST_DRAINING);
                    }
                    slab = next;
                }
            }
        } finally {
            bin.lock.unlock();
        }
        return scanned;
    }

    // ==== labels and refcounts ==============================================================

    /** Sets the label of {@code epoch}'s current era (validated and truncated by the caller). */
    public void setLabel(int epoch, String label) {
        ensureOpen();
        meta.setLabel(epoch, label);
    }

    public String label(int epoch) {
        ensureOpen();
        return meta.label(epoch);
    }

    /** Sets the label only if the epoch has none yet, and only while it is in {@code era}. */
    public void labelIfUnset(int epoch, long era, String label) {
        ensureOpen();
        meta.labelIfUnset(epoch, era, label);
    }

    /** +1 on the refcount of {@code epoch} in {@code era} ({@link #ANY_ERA}: its current era); false if the era is gone. */
    public boolean incRefcount(int epoch, long era) {
        ensureOpen();
        return meta.incRefcount(epoch, era);
    }

    /**
     * -1, saturating at 0 (an underflow is counted); returns the new count, or -1 if the era is gone.
     * The last holder to leave an epoch that an auto-closing domain wraps closes it (or, if it is
     * still current, leaves that to the next advance).
     */
    public long decRefcount(int epoch, long era) {
        ensureOpen();
        long eraNow = era == ANY_ERA ? lvEpochWord(epoch) >>> 1 : era;
        long left = meta.decRefcount(epoch, era);
        if (left == 0 && meta.autoCloseEra(epoch) == eraNow) {
            closeIfIdle(epoch, eraNow);
        }
        return left;
    }

    public long refcount(int epoch) {
        ensureOpen();
        return meta.refcount(epoch);
    }

    public boolean leakDetection() {
        return meta.leakDetection;
    }

    /** Leak attribution: remembers where an open scope was entered (no-op unless enabled). */
    public void scopeOpened(int epoch, long era, long scopeId, String site) {
        meta.scopeOpened(epoch, era, scopeId, site);
    }

    public void scopeClosed(int epoch, long scopeId) {
        meta.scopeClosed(epoch, scopeId);
    }

    // ==== lifecycle and introspection =====================================================

    private void ensureOpen() {
        if ((boolean) CLOSED.getOpaque(this)) {
            throw new IllegalStateException("allocator '" + name + "' is closed");
        }
    }

    private boolean reject(int reason) {
        rejections.incrementAndGet(reason);
        return false;
    }

    private static IllegalArgumentException invalidHandle(long handle, int reason) {
        return new IllegalArgumentException("handle: 0x" + Long.toHexString(handle) + " ("
                + REJECTION_MESSAGES.get(reason) + ")");
    }

    public boolean isClosed() {
        return (boolean) CLOSED.getOpaque(this);
    }

    /** Unmaps the reservation; later calls throw, and so does any access through old segments. Idempotent. */
    public void close() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        // A call that passed ensureOpen just before may still hold the mapping (a snapshot's
        // mincore, a madvise): the unmap waits for it rather than failing. Such calls last
        // microseconds; ensureOpen stops new ones.
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (;;) {
            try {
                arena.close();
                break;
            } catch (IllegalStateException inUse) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("allocator '" + name + "': the reservation is still in use by"
                            + " another thread after 10 s; close() must not race with long calls", inUse);
                }
                Thread.onSpinWait();
                Thread.yield();
            }
        }
        AllocatorTags.release(tag);
    }

    public String name() {
        return name;
    }

    public int epochCount() {
        return epochCount;
    }

    public int cacheCapacity() {
        return cacheCapacity;
    }

    public long reservedBytes() {
        return reservedBytes;
    }

    public long pageSize() {
        return pageSize;
    }

    public long refusals(int reason) {
        return refusals.get(reason);
    }

    public long rejections(int reason) {
        return rejections.get(reason);
    }

    public long newSlabs(int sizeClass) {
        return counters.get(ClassCounters.NEW_SLABS, sizeClass);
    }

    public long recycledSlabs(int sizeClass) {
        return counters.get(ClassCounters.RECYCLED, sizeClass);
    }

    public long madviseCalls() {
        return counters.total(ClassCounters.MADVISE_CALLS);
    }

    public long madviseBytes() {
        return counters.total(ClassCounters.MADVISE_BYTES);
    }

    public long madviseFailures() {
        return counters.total(ClassCounters.MADVISE_FAILURES);
    }

    /** Slab ids ever handed out; {@code × 4096} = bytes of the reservation ever touched. */
    public int slabsCreated() {
        return pool.laCreated();
    }

    /** Bytes of the used part of the reservation resident in RAM, from {@code mincore}. */
    public long residentBytes() {
        ensureOpen();
        long used = (long) pool.laCreated() << SizeClasses.SLAB_SHIFT;
        used = (used + pageSize - 1) / pageSize * pageSize;
        return OsMemory.residentBytes(memory.asSlice(0, Math.min(used, reservedBytes)));
    }

    /**
     * Counts, by walking each bin's lists under its lock: in-service slabs, live objects and empty
     * slabs per class and per epoch. Exact when no other thread mutates the allocator meanwhile.
     */
    public Census census() {
        ensureOpen();
        Census census = new Census(epochCount);
        for (Bin bin : bins) {
            long full = SizeClasses.fullMask(bin.sizeClass);
            bin.lock.lock();
            try {
                for (byte list = SlabTable.LIST_PARTIAL; list <= SlabTable.LIST_DRAINING; list++) {
                    for (int slab = bin.head(list); slab != SlabTable.NIL; slab = table.next(slab)) {
                        int live = Long.bitCount(table.lvWord(slab) & full);
                        census.slabs[bin.sizeClass][bin.epoch]++;
                        census.liveObjects[bin.sizeClass][bin.epoch] += live;
                        if (live == 0) {
                            census.emptySlabs[bin.sizeClass][bin.epoch]++;
                        }
                    }
                }
            } finally {
                bin.lock.unlock();
            }
        }
        return census;
    }

    /** Result of {@link #census()}: indexed [class][epoch]. */
    public static final class Census {
        public final long[][] slabs;
        public final long[][] liveObjects;
        public final long[][] emptySlabs;

        Census(int epochs) {
            slabs = new long[SizeClasses.COUNT][epochs];
            liveObjects = new long[SizeClasses.COUNT][epochs];
            emptySlabs = new long[SizeClasses.COUNT][epochs];
        }

        public long totalSlabs() {
            return sum(slabs);
        }

        public long totalLiveObjects() {
            return sum(liveObjects);
        }

        public long totalLiveBytes() {
            long bytes = 0;
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                for (long n : liveObjects[c]) {
                    bytes += n * SizeClasses.size(c);
                }
            }
            return bytes;
        }

        private static long sum(long[][] values) {
            long total = 0;
            for (long[] row : values) {
                for (long v : row) {
                    total += v;
                }
            }
            return total;
        }
    }

    /** An immutable snapshot of every figure; see {@link SnapshotBuilder}. */
    public io.tslab.stats.AllocatorSnapshot snapshot() {
        ensureOpen();
        return new SnapshotBuilder(this).build();
    }

    /** How many current slabs each (class, epoch) has: one per stripe of threads (see {@code Bin}). */
    public static int stripes() {
        return Bin.STRIPES;
    }

    /** The stripe of {@code thread}: the current slab it allocates from. */
    public static int stripeOf(Thread thread) {
        return Bin.stripe(thread);
    }

    /**
     * Walks every slab and list and returns the broken invariants (empty when all hold). Takes
     * every lock, so call it when no other thread uses the allocator; for tests.
     */
    public List<String> checkInvariants() {
        ensureOpen();
        List<String> problems = new ArrayList<>();
        ringLock.lock();
        try {
            for (Bin bin : bins) {
                bin.lock.lock();
            }
            try {
                InvariantWalk walk = new InvariantWalk(table, pool, bins, epochWords, epochShift, problems);
                walk.run();
            } finally {
                for (Bin bin : bins) {
                    bin.lock.unlock();
                }
            }
        } finally {
            ringLock.unlock();
        }
        return problems;
    }
}
