package io.tslab.internal;

/**
 * The bit layout of a handle: a {@code long} naming one allocation.
 *
 * <pre>
 *  63        53 52                  25 24              9 8      3 2     0
 *  +-----------+----------------------+-----------------+--------+-------+
 *  |  tag (11) |    slab id (28)      | generation (16) | slot(6)| class |
 *  +-----------+----------------------+-----------------+--------+-------+
 * </pre>
 *
 * <ul>
 *   <li><b>tag</b>: the allocator instance, never 0, so no handle is {@code 0L} and a handle of
 *       another live allocator is rejected;</li>
 *   <li><b>slab id</b>: the slab's index in the reservation (offset = id × 4096), so at most 2^28
 *       slabs (1 TiB);</li>
 *   <li><b>generation</b>: the low 16 bits of the slot's allocation count at the time the handle
 *       was made, so a handle whose slot has been freed and reused is rejected (for the next 65 535
 *       reuses of that slot);</li>
 *   <li><b>slot</b> and <b>class</b>: where the object is inside the slab, and its size class.</li>
 * </ul>
 */
public final class Handles {
    private Handles() {
    }

    public static final int CLASS_SHIFT = 0;
    public static final int SLOT_SHIFT = CLASS_SHIFT + SizeClasses.CLASS_BITS;
    public static final int GEN_SHIFT = SLOT_SHIFT + SizeClasses.SLOT_BITS;
    public static final int GEN_BITS = 16;
    public static final int SLAB_SHIFT = GEN_SHIFT + GEN_BITS;
    public static final int SLAB_BITS = 28;
    public static final int TAG_SHIFT = SLAB_SHIFT + SLAB_BITS;
    public static final int TAG_BITS = Long.SIZE - TAG_SHIFT;

    public static final int CLASS_MASK = (1 << SizeClasses.CLASS_BITS) - 1;
    public static final int SLOT_MASK = (1 << SizeClasses.SLOT_BITS) - 1;
    public static final int GEN_MASK = (1 << GEN_BITS) - 1;
    public static final int SLAB_MASK = (1 << SLAB_BITS) - 1;
    public static final int TAG_MASK = (1 << TAG_BITS) - 1;
    /** Most slabs a reservation may hold. */
    public static final long MAX_SLABS = 1L << SLAB_BITS;

    static {
        assert TAG_BITS >= 8 : "tag too narrow";
    }

    public static long pack(int tag, int slab, int generation, int slot, int sizeClass) {
        return ((long) tag << TAG_SHIFT)
                | ((long) slab << SLAB_SHIFT)
                | ((long) (generation & GEN_MASK) << GEN_SHIFT)
                | ((long) slot << SLOT_SHIFT)
                | sizeClass;
    }

    public static int tag(long handle) {
        return (int) (handle >>> TAG_SHIFT) & TAG_MASK;
    }

    public static int slab(long handle) {
        return (int) (handle >>> SLAB_SHIFT) & SLAB_MASK;
    }

    public static int generation(long handle) {
        return (int) (handle >>> GEN_SHIFT) & GEN_MASK;
    }

    public static int slot(long handle) {
        return (int) (handle >>> SLOT_SHIFT) & SLOT_MASK;
    }

    public static int sizeClass(long handle) {
        return (int) (handle >>> CLASS_SHIFT) & CLASS_MASK;
    }
}
