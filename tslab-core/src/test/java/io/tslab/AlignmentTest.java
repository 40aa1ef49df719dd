package io.tslab;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.tslab.TestSupport.CLASS_ALIGNMENTS;
import static io.tslab.TestSupport.CLASS_SIZES;
import static io.tslab.TestSupport.CLASS_SLOTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every object is aligned to at least 16 bytes and to exactly the per-class alignment documented in
 * {@link SlabAllocator}'s javadoc (64, 32, 128, 64, 256, 128, 512, 256): every object has it, and
 * no larger power of two holds for all objects of the class.
 */
class AlignmentTest {

    /** The largest power of two dividing every address (0 when the list is empty). */
    private static long commonAlignment(List<Long> addresses) {
        long or = 0;
        for (long address : addresses) {
            or |= address;
        }
        return Long.lowestOneBit(or);
    }

    @Test
    void everyObjectOfEveryClassHasExactlyTheDocumentedAlignment() {
        try (SlabAllocator a = SlabAllocator.builder().reserveBytes(16L << 20).build()) {
            for (int c = 0; c < CLASS_SIZES.length; c++) {
                List<Long> addresses = new ArrayList<>();
                for (int i = 0; i < 3 * CLASS_SLOTS[c] + 1; i++) { // several slabs, all slots
                    long h = a.alloc(CLASS_SIZES[c] - (i % 7));
                    MemorySegment s = a.segment(h);
                    assertEquals(CLASS_SIZES[c], s.byteSize(), "segment(h) is the class size");
                    assertEquals(s.address(), a.memory().address() + a.offset(h));
                    assertTrue(s.address() % 16 == 0, "at least 16-byte aligned");
                    assertTrue(s.address() % CLASS_ALIGNMENTS[c] == 0,
                            "class " + c + " at 0x" + Long.toHexString(s.address()));
                    addresses.add(s.address());
                }
                assertEquals(CLASS_ALIGNMENTS[c], commonAlignment(addresses),
                        "the documented alignment of class " + c + " is exact");
                assertEquals(CLASS_ALIGNMENTS[c], Long.lowestOneBit(SlabAllocator.classSize(c)));
            }
        }
    }

    @Test
    void segmentAllocatorSegmentsHonourTheAskedAlignment() {
        try (SlabAllocator a = SlabAllocator.builder().reserveBytes(16L << 20).build()) {
            for (int size = 1; size <= 768; size += 13) {
                for (long align = 1; align <= 512; align <<= 1) {
                    if (SlabAllocatorContract.expectedClassFor(size, align) < 0) {
                        continue;
                    }
                    for (int i = 0; i < 3; i++) {
                        MemorySegment s = a.allocate(size, align);
                        assertEquals(size, s.byteSize());
                        assertTrue(s.address() % Math.max(16, align) == 0,
                                "size " + size + " alignment " + align + " at 0x" + Long.toHexString(s.address()));
                    }
                }
            }
        }
    }
}
