package io.tslab.internal;

/**
 * The eight size classes and everything derived from them.
 *
 * <p>A slab is one 4 KiB block of the reservation holding only objects (the metadata lives on the
 * heap), so a class of size {@code s} has {@code 4096 / s} slots, at most 64: the occupancy of a
 * whole slab fits one {@code long}. Slot {@code i} starts at {@code i * s} inside a 4096-aligned
 * slab, so every object is aligned to the largest power of two dividing {@code s}:
 *
 * <pre>
 *  class        0    1    2    3    4    5    6    7
 *  size (B)    64   96  128  192  256  384  512  768
 *  slots       64   42   32   21   16   10    8    5
 *  alignment   64   32  128   64  256  128  512  256
 * </pre>
 */
public final class SizeClasses {
    private SizeClasses() {
    }

    /** Number of size classes. */
    public static final int COUNT = 8;
    /** Bits needed for a class index. */
    public static final int CLASS_BITS = 3;
    /** Bytes in a slab. */
    public static final int SLAB_SIZE = 4096;
    /** {@code log2(SLAB_SIZE)}. */
    public static final int SLAB_SHIFT = 12;
    /** The largest object size. */
    public static final int MAX_SIZE = 768;
    /** Most slots a slab can have: one bit each in a {@code long}. */
    public static final int MAX_SLOTS = 64;
    /** {@code log2(MAX_SLOTS)}. */
    public static final int SLOT_BITS = 6;

    private static final int[] SIZES = {64, 96, 128, 192, 256, 384, 512, 768};
    private static final int[] SLOTS = new int[COUNT];
    private static final long[] FULL_MASKS = new long[COUNT];
    private static final int[] ALIGNMENTS = new int[COUNT];
    private static final byte[] LOOKUP = new byte[MAX_SIZE + 1];

    static {
        for (int c = 0; c < COUNT; c++) {
            SLOTS[c] = SLAB_SIZE / SIZES[c];
            FULL_MASKS[c] = SLOTS[c] == 64 ? -1L : (1L << SLOTS[c]) - 1;
            ALIGNMENTS[c] = Integer.lowestOneBit(SIZES[c]);
        }
        LOOKUP[0] = -1;
        int c = 0;
        for (int size = 1; size <= MAX_SIZE; size++) {
            while (size > SIZES[c]) {
                c++;
            }
            LOOKUP[size] = (byte) c;
        }
    }

    /** The class for {@code size} bytes, or -1 when {@code size} is outside 1..768. */
    public static int classOf(int size) {
        return size >= 1 && size <= MAX_SIZE ? LOOKUP[size] : -1;
    }

    /** Object size of class {@code c}. */
    public static int size(int c) {
        return SIZES[c];
    }

    /** Slots in a slab of class {@code c}. */
    public static int slots(int c) {
        return SLOTS[c];
    }

    /** The occupancy word of a full slab of class {@code c}: one bit per slot. */
    public static long fullMask(int c) {
        return FULL_MASKS[c];
    }

    /** The alignment every object of class {@code c} has. */
    public static int alignment(int c) {
        return ALIGNMENTS[c];
    }
}
