package io.tslab;

import io.tslab.internal.Channels;
import io.tslab.internal.LiveAllocators;
import io.tslab.internal.SizeClasses;
import io.tslab.internal.SlabEngine;
import io.tslab.internal.os.OsMemory;
import io.tslab.stats.AllocatorSnapshot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Objects;

/**
 * A lifetime-aware off-heap slab allocator: fixed-size objects of 1–768 bytes in 4 KiB slabs carved
 * from one {@code mmap} reservation, grouped by <em>epoch</em> so that objects that die together
 * share pages, and whole pages go back to the OS when their epoch drains.
 *
 * <pre>{@code
 * try (SlabAllocator a = SlabAllocator.builder().name("sessions").build()) {
 *     long h = a.alloc(100);                       // 128-byte class, current epoch
 *     a.memory().set(ValueLayout.JAVA_LONG, a.offset(h), 42L);
 *     int old = a.currentEpoch();
 *     a.advanceEpoch();                            // old epoch is CLOSING now
 *     a.free(h);                                   // its slab drains, its page goes back to the OS
 * }
 * }</pre>
 *
 * <h2>Handles</h2>
 * {@link #alloc} returns a {@code long} handle, never {@code 0L} for a real object. A handle names
 * one allocation: once freed, it is rejected by {@link #free(long)}, {@link #segment} and {@link
 * #offset} even after its slot is reused (for the next 65 535 reuses of that slot), and a handle of
 * another allocator is rejected too. Invalid input never changes state: {@code free} returns
 * {@code false} and counts the rejection.
 *
 * <h2>Size classes and alignment</h2>
 * 64, 96, 128, 192, 256, 384, 512, 768 bytes; a request is rounded up to the first class that fits.
 * Objects are aligned to 64, 32, 128, 64, 256, 128, 512 and 256 bytes respectively (always at least
 * 16). The contents of a new object are unspecified (not necessarily zero).
 *
 * <h2>Epochs</h2>
 * A ring of {@code epochs} slots. Exactly one is current and ACTIVE; {@link #advanceEpoch()} makes
 * the next slot current in a new <em>era</em> (a global counter) and the previous one CLOSING. A
 * CLOSING epoch refuses allocations ({@code alloc} returns 0, counted by reason). Closing applies to
 * the era: slabs of a closed era never receive new objects, even after the ring comes back to their
 * slot; each is recycled, its pages returned to the OS, when its last object is freed. {@link
 * #closeEpoch(int)} also recycles at once every slab of the epoch that is already empty.
 *
 * <h2>Threads</h2>
 * Every method but {@link #close()} is safe from any number of threads; objects may be freed from
 * any thread and in any epoch. After {@code close()}, every method throws {@link
 * IllegalStateException}, and so does every access through a segment obtained from this allocator.
 */
public final class SlabAllocator implements SegmentAllocator, AutoCloseable {
    /** Largest object size. */
    public static final int MAX_OBJECT_SIZE = SizeClasses.MAX_SIZE;
    /** Bytes per slab. */
    public static final int SLAB_SIZE = SizeClasses.SLAB_SIZE;

    private final SlabEngine engine;
    private final boolean autoCloseDomains;
    private final Registration registration;

    private SlabAllocator(Builder builder) {
        this.engine = new SlabEngine(builder.name, builder.reserveBytes, builder.epochs, builder.cacheCapacity,
                switch (builder.reclaimPolicy) {
                    case DONTNEED -> OsMemory.MADV_DONTNEED;
                    case FREE -> OsMemory.MADV_FREE;
                    case NONE -> 0;
                }, builder.leakDetection);
        this.autoCloseDomains = builder.autoCloseDomains;
        this.registration = new Registration(builder.publishStatsFile, builder.registerMXBean);
        Channels.start();
        LiveAllocators.register(registration);
    }

    /** This allocator as the publishing channels see it. */
    private final class Registration implements LiveAllocators.Entry {
        private final boolean statsFile;
        private final boolean mxBean;

        Registration(boolean statsFile, boolean mxBean) {
            this.statsFile = statsFile;
            this.mxBean = mxBean;
        }

        @Override
        public String name() {
            return engine.name();
        }

        @Override
        public AllocatorSnapshot snapshot() {
            return engine.snapshot();
        }

        @Override
        public boolean isClosed() {
            return engine.isClosed();
        }

        @Override
        public SlabEngine engine() {
            return engine;
        }

        @Override
        public boolean publishStatsFile() {
            return statsFile;
        }

        @Override
        public boolean registerMXBean() {
            return mxBean;
        }
    }

    /** A builder with every setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** An allocator with every setting at its default. */
    public static SlabAllocator create() {
        return builder().build();
    }

    /**
     * The size class index for {@code size} bytes (0 for 1..64, 1 for 65..96, ... 7 for 513..768),
     * or -1 when {@code size} is outside 1..768.
     */
    public static int sizeClassOf(int size) {
        return SizeClasses.classOf(size);
    }

    /** Object size of class {@code sizeClass} (0..7). */
    public static int classSize(int sizeClass) {
        Objects.checkIndex(sizeClass, SizeClasses.COUNT);
        return SizeClasses.size(sizeClass);
    }

    // ---- allocation -----------------------------------------------------------------------

    /**
     * Allocates {@code size} bytes (rounded up to the size class) in the current epoch.
     *
     * @return the handle, or {@code 0L} when the current epoch is CLOSING or the reservation is full
     * @throws IllegalArgumentException when {@code size} is outside 1..768
     */
    public long alloc(int size) {
        ensureOpen();
        return engine.allocCurrent(classOrThrow(size));
    }

    /**
     * Allocates {@code size} bytes in {@code epoch}.
     *
     * @return the handle, or {@code 0L} when {@code epoch} is CLOSING or the reservation is full
     * @throws IllegalArgumentException when {@code size} is outside 1..768 or {@code epoch} outside the ring
     */
    public long alloc(int size, int epoch) {
        ensureOpen();
        int sizeClass = classOrThrow(size);
        return engine.alloc(sizeClass, epochOrThrow(epoch));
    }

    /**
     * Frees the object named by {@code handle}.
     *
     * @return {@code true} if it was live and is now freed; {@code false} for 0, a stale, double,
     *         foreign or corrupt handle (nothing changes but a rejection counter)
     */
    public boolean free(long handle) {
        return engine.free(handle);
    }

    /**
     * Frees a segment returned by {@link #allocate(long, long)}.
     *
     * @return {@code false} when {@code segment} is not a live segment this allocator handed out
     *         (another allocator's, a slice, already freed)
     */
    public boolean free(MemorySegment segment) {
        return engine.free(segment);
    }

    /**
     * A view of exactly the slot of {@code handle}: {@link #classSize class size} bytes.
     *
     * @throws IllegalArgumentException when {@code handle} does not name a live object
     */
    public MemorySegment segment(long handle) {
        return engine.segment(handle);
    }

    /**
     * The byte offset of {@code handle}'s object in {@link #memory()}: with it, reads and writes
     * allocate nothing ({@code a.memory().get(JAVA_INT, a.offset(h))}).
     *
     * @throws IllegalArgumentException when {@code handle} does not name a live object
     */
    public long offset(long handle) {
        return engine.offset(handle);
    }

    /** The whole reservation as one segment; offsets from {@link #offset} index into it. */
    public MemorySegment memory() {
        return engine.memory();
    }

    /**
     * Allocates in the current epoch through the {@link SegmentAllocator} contract: the returned
     * segment is {@code byteSize} bytes long, in the first class that fits and whose alignment is at
     * least {@code byteAlignment}. Free it with {@link #free(MemorySegment)}.
     *
     * @throws IllegalArgumentException when {@code byteSize} is outside 1..768 or no class offers the alignment
     * @throws IllegalStateException    when the current epoch is CLOSING
     * @throws OutOfMemoryError         when the reservation is exhausted
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return engine.allocate(byteSize, byteAlignment);
    }

    // ---- epochs ---------------------------------------------------------------------------

    /** The current ring slot, 0..epochs-1. */
    public int currentEpoch() {
        return engine.currentEpoch();
    }

    /**
     * Makes the next slot current and ACTIVE in a new era; the previous current slot becomes
     * CLOSING, and the empty slabs it kept for reuse go back to the OS at once (slabs still holding
     * objects drain, or are swept by {@link #closeEpoch}). Empty slabs the next slot still holds
     * from its previous era are recycled first. An {@link #alloc(int)} racing with the advance
     * lands in the old or the new epoch; it is never refused because of it.
     *
     * @return the new current epoch
     */
    public int advanceEpoch() {
        return engine.advanceEpoch();
    }

    /**
     * Closes {@code epoch}'s era: the epoch becomes CLOSING (if it was ACTIVE, allocations are refused
     * until the next {@link #advanceEpoch()}), and every slab of the era that is already empty is
     * recycled now, its pages returned to the OS. Live objects stay valid; their slabs are recycled
     * as they drain.
     */
    public void closeEpoch(int epoch) {
        engine.closeEpoch(epochOrThrow(epoch));
    }

    /** ACTIVE or CLOSING. */
    public EpochState epochState(int epoch) {
        return engine.isClosing(epochOrThrow(epoch)) ? EpochState.CLOSING : EpochState.ACTIVE;
    }

    /** The era of {@code epoch}'s slot: the value of the global era counter when it was last activated (0: never). */
    public long epochEra(int epoch) {
        return engine.era(epochOrThrow(epoch));
    }

    /** Number of slots in the ring. */
    public int epochCount() {
        ensureOpen();
        return engine.epochCount();
    }

    /** The allocator's name. */
    public String name() {
        ensureOpen();
        return engine.name();
    }

    // ---- statistics -----------------------------------------------------------------------

    // ---- labels, refcounts, domains --------------------------------------------------------

    /** Longest label, in UTF-8 bytes; longer ones are cut at a character boundary. */
    public static final int MAX_LABEL_BYTES = 31;

    /**
     * Names what {@code epoch}'s current era is used for ("request-handler"); shown in snapshots,
     * metrics and leak reports. Reset when the ring activates the slot again.
     *
     * @param label text without control characters; cut to {@value #MAX_LABEL_BYTES} UTF-8 bytes
     * @throws IllegalArgumentException when {@code label} has a control character
     */
    public void setEpochLabel(int epoch, String label) {
        engine.setLabel(epochOrThrow(epoch), Labels.sanitize(label));
    }

    /** The label of {@code epoch}'s current era ("" if none). */
    public String epochLabel(int epoch) {
        return engine.label(epochOrThrow(epoch));
    }

    /** Adds one to the refcount of {@code epoch}'s current era (one more holder of the epoch). */
    public void incEpochRefcount(int epoch) {
        engine.incRefcount(epochOrThrow(epoch), -1);
    }

    /** Subtracts one; at 0 it stays 0 and the underflow is counted ({@code total_refcount_underflows}). */
    public void decEpochRefcount(int epoch) {
        engine.decRefcount(epochOrThrow(epoch), -1);
    }

    /** The refcount of {@code epoch}'s current era: open domain scopes plus manual increments. */
    public long epochRefcount(int epoch) {
        return engine.refcount(epochOrThrow(epoch));
    }

    /**
     * A domain on the current epoch (and its era), auto-closing if the builder says so. If the
     * epoch has no label yet, the domain's label becomes the epoch's.
     */
    public EpochDomain newDomain(String label) {
        return newDomain(label, autoCloseDomains);
    }

    /** A domain on the current epoch, with auto-close on or off. */
    public EpochDomain newDomain(String label, boolean autoClose) {
        String clean = Labels.sanitize(label);
        int epoch = engine.currentEpoch();
        long era = engine.era(epoch);
        engine.labelIfUnset(epoch, era, clean);
        if (autoClose) {
            engine.requestAutoClose(epoch, era);
        }
        return new EpochDomain(this, engine, epoch, era, clean, autoClose);
    }

    // ---- statistics -----------------------------------------------------------------------

    /**
     * An immutable snapshot of every figure: global, per class, per epoch, per (class, epoch), and
     * the last close. Costs a walk over the slabs' metadata; never blocks allocation.
     */
    public AllocatorSnapshot snapshot() {
        return engine.snapshot();
    }

    /**
     * Unmaps the reservation. Afterwards every method throws {@link IllegalStateException}, and so
     * does every access through a segment of this allocator. Calling it again does nothing. Not
     * safe to call while other threads still use the allocator.
     */
    @Override
    public void close() {
        if (!engine.isClosed()) {
            LiveAllocators.unregister(registration);
        }
        engine.close();
    }

    @Override
    public String toString() {
        return "SlabAllocator[" + engine.name() + (engine.isClosed() ? ", closed]" : "]");
    }

    /** The engine, for tests inside this module. */
    SlabEngine engine() {
        return engine;
    }

    private void ensureOpen() {
        if (engine.isClosed()) {
            throw new IllegalStateException("allocator '" + engine.name() + "' is closed");
        }
    }

    private static int classOrThrow(int size) {
        int sizeClass = SizeClasses.classOf(size);
        if (sizeClass < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: 1.." + MAX_OBJECT_SIZE + ")");
        }
        return sizeClass;
    }

    private int epochOrThrow(int epoch) {
        int count = engine.epochCount();
        if (epoch < 0 || epoch >= count) {
            ensureOpen();
            throw new IllegalArgumentException("epoch: " + epoch + " (expected: 0.." + (count - 1) + ")");
        }
        return epoch;
    }

    /** Settings of a new allocator; each has a default. */
    public static final class Builder {
        /** Default virtual reservation: 16 GiB (only touched pages cost memory). */
        public static final long DEFAULT_RESERVE_BYTES = 16L << 30;
        /** Default ring size. */
        public static final int DEFAULT_EPOCHS = 16;
        /** Default number of empty slabs per class kept for reuse in ACTIVE epochs. */
        public static final int DEFAULT_CACHE_CAPACITY = 32;

        private String name = "default";
        private long reserveBytes = DEFAULT_RESERVE_BYTES;
        private int epochs = DEFAULT_EPOCHS;
        private int cacheCapacity = DEFAULT_CACHE_CAPACITY;
        private ReclaimPolicy reclaimPolicy = ReclaimPolicy.DONTNEED;
        private boolean leakDetection = Boolean.getBoolean("tslab.leakDetection");
        private boolean autoCloseDomains;
        private boolean publishStatsFile = !"false".equalsIgnoreCase(System.getProperty("tslab.statsFile", "true"));
        private boolean registerMXBean = !"false".equalsIgnoreCase(System.getProperty("tslab.jmx", "true"));

        private Builder() {
        }

        /** Name shown in metrics, JMX and the stats file (1..64 printable characters). */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.length() > 64 || name.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                throw new IllegalArgumentException("name: \"" + name.replaceAll("\\p{Cntrl}", "?")
                        + "\" (expected: 1..64 characters, no control characters)");
            }
            this.name = name;
            return this;
        }

        /** Virtual reservation in bytes, 1 MiB..1 TiB; rounded up to whole pages. */
        public Builder reserveBytes(long reserveBytes) {
            if (reserveBytes < (1L << 20) || reserveBytes > (1L << 40)) {
                throw new IllegalArgumentException("reserveBytes: " + reserveBytes + " (expected: 1048576..1099511627776)");
            }
            this.reserveBytes = reserveBytes;
            return this;
        }

        /** Ring size: a power of two, 2..256. */
        public Builder epochs(int epochs) {
            if (epochs < 2 || epochs > 256 || Integer.bitCount(epochs) != 1) {
                throw new IllegalArgumentException("epochs: " + epochs + " (expected: a power of two, 2..256)");
            }
            this.epochs = epochs;
            return this;
        }

        /** Empty slabs per class kept resident for reuse in ACTIVE epochs, 0..65536; more are released. */
        public Builder cacheCapacity(int cacheCapacity) {
            if (cacheCapacity < 0 || cacheCapacity > 65536) {
                throw new IllegalArgumentException("cacheCapacity: " + cacheCapacity + " (expected: 0..65536)");
            }
            this.cacheCapacity = cacheCapacity;
            return this;
        }

        /** What recycled slabs' pages go through; {@link ReclaimPolicy#DONTNEED} by default. */
        public Builder reclaimPolicy(ReclaimPolicy policy) {
            this.reclaimPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Whether domain scopes remember where they were entered (a short stack), so that snapshots
         * and {@code tslab stats --doctor} can show who holds an epoch open. Default: the system
         * property {@code tslab.leakDetection}, else off. Costs a stack walk per {@code enter()}.
         */
        public Builder leakDetection(boolean enabled) {
            this.leakDetection = enabled;
            return this;
        }

        /**
         * Whether the allocator is published in this JVM's stats file ({@code /dev/shm/tslab-<user>/<pid>},
         * read by {@code tslab}). Default: on, unless {@code -Dtslab.statsFile=false}.
         */
        public Builder publishStatsFile(boolean enabled) {
            this.publishStatsFile = enabled;
            return this;
        }

        /**
         * Whether the allocator gets an MXBean {@code io.tslab:type=Allocator,name=<name>}. Default: on,
         * unless {@code -Dtslab.jmx=false}.
         */
        public Builder registerMXBean(boolean enabled) {
            this.registerMXBean = enabled;
            return this;
        }

        /** Whether {@link SlabAllocator#newDomain(String)} makes auto-closing domains. Default: off. */
        public Builder autoCloseDomains(boolean enabled) {
            this.autoCloseDomains = enabled;
            return this;
        }

        /**
         * Reserves the memory and returns the allocator.
         *
         * @throws OsCallException when the reservation cannot be mapped
         */
        public SlabAllocator build() {
            return new SlabAllocator(this);
        }
    }
}
