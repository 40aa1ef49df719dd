package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;
import io.tslab.stats.GlobalStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Helpers shared by the core tests: object stamps, handle surgery, counter and census reads. */
final class TestSupport {
    private TestSupport() {
    }

    /** The eight class sizes, as documented by {@link SlabAllocator}. */
    static final int[] CLASS_SIZES = {64, 96, 128, 192, 256, 384, 512, 768};
    /** The per-class alignment documented in {@link SlabAllocator}'s javadoc. */
    static final int[] CLASS_ALIGNMENTS = {64, 32, 128, 64, 256, 128, 512, 256};
    /** Slots per 4 KiB slab, per class. */
    static final int[] CLASS_SLOTS = {64, 42, 32, 21, 16, 10, 8, 5};

    static final int SLAB_SHIFT = 12;

    // ---- stamps: a pattern that covers a whole object, so that any overlap is seen -------------

    /** The long written at word {@code i} of an object stamped with {@code stamp}. */
    static long patternWord(long stamp, int i) {
        return stamp ^ ((long) i * 0x9E3779B97F4A7C15L);
    }

    /** Writes {@code stamp}'s pattern over {@code bytes} bytes at {@code offset} of {@code memory}. */
    static void stamp(MemorySegment memory, long offset, int bytes, long stamp) {
        for (int i = 0; i < bytes / Long.BYTES; i++) {
            memory.set(ValueLayout.JAVA_LONG, offset + (long) i * Long.BYTES, patternWord(stamp, i));
        }
    }

    /** Whether the {@code bytes} bytes at {@code offset} still hold {@code stamp}'s pattern. */
    static boolean holdsStamp(MemorySegment memory, long offset, int bytes, long stamp) {
        for (int i = 0; i < bytes / Long.BYTES; i++) {
            if (memory.get(ValueLayout.JAVA_LONG, offset + (long) i * Long.BYTES) != patternWord(stamp, i)) {
                return false;
            }
        }
        return true;
    }

    /** Writes the stamp through {@code segment(h)}; returns the slot size. */
    static int stampHandle(SlabAllocator a, long handle, long stamp) {
        MemorySegment s = a.segment(handle);
        stamp(s, 0, (int) s.byteSize(), stamp);
        return (int) s.byteSize();
    }

    /** Fails unless {@code handle}'s object holds {@code stamp}, read through both access paths. */
    static void assertStamp(SlabAllocator a, long handle, long stamp) {
        MemorySegment s = a.segment(handle);
        if (!holdsStamp(s, 0, (int) s.byteSize(), stamp)
                || !holdsStamp(a.memory(), a.offset(handle), (int) s.byteSize(), stamp)) {
            fail("object 0x" + Long.toHexString(handle) + " lost its stamp " + stamp);
        }
    }

    // ---- handle surgery ------------------------------------------------------------------

    static long withSlab(long handle, int slab) {
        return Handles.pack(Handles.tag(handle), slab, Handles.generation(handle), Handles.slot(handle),
                Handles.sizeClass(handle));
    }

    static long withSlot(long handle, int slot) {
        return Handles.pack(Handles.tag(handle), Handles.slab(handle), Handles.generation(handle), slot,
                Handles.sizeClass(handle));
    }

    static long withClass(long handle, int sizeClass) {
        return Handles.pack(Handles.tag(handle), Handles.slab(handle), Handles.generation(handle),
                Handles.slot(handle), sizeClass);
    }

    static long withGeneration(long handle, int generation) {
        return Handles.pack(Handles.tag(handle), Handles.slab(handle), generation, Handles.slot(handle),
                Handles.sizeClass(handle));
    }

    static long withTag(long handle, int tag) {
        return Handles.pack(tag, Handles.slab(handle), Handles.generation(handle), Handles.slot(handle),
                Handles.sizeClass(handle));
    }

    /** The slab id an offset into {@link SlabAllocator#memory()} falls in. */
    static int slabOf(long offset) {
        return (int) (offset >>> SLAB_SHIFT);
    }

    // ---- counters and census --------------------------------------------------------------

    /** Every rejection counter of the engine, indexed by {@code SlabEngine.REJECT_*}. */
    static long[] rejections(SlabAllocator a) {
        long[] counts = new long[SlabEngine.REJECTION_REASONS.size()];
        for (int r = 0; r < counts.length; r++) {
            counts[r] = a.engine().rejections(r);
        }
        return counts;
    }

    /** Every refusal counter of the engine, indexed by {@code SlabEngine.REFUSED_*}. */
    static long[] refusals(SlabAllocator a) {
        long[] counts = new long[SlabEngine.REFUSAL_REASONS.size()];
        for (int r = 0; r < counts.length; r++) {
            counts[r] = a.engine().refusals(r);
        }
        return counts;
    }

    /** {@code before} with {@code delta} added at {@code index}. */
    static long[] plus(long[] before, int index, long delta) {
        long[] expected = before.clone();
        expected[index] += delta;
        return expected;
    }

    /** The census as comparable text: per class and epoch, slabs / live objects / empty slabs. */
    static String censusText(SlabAllocator a) {
        SlabEngine.Census c = a.engine().census();
        return Arrays.deepToString(c.slabs) + Arrays.deepToString(c.liveObjects) + Arrays.deepToString(c.emptySlabs);
    }

    /** The global stats without the figures that move on their own or by rejection counting. */
    static String stableGlobal(SlabAllocator a) {
        GlobalStats g = a.snapshot().global();
        return List.of(g.currentEpoch(), g.currentEra(), g.activeEpochCount(), g.closingEpochCount(),
                g.totalSlabsAllocated(), g.totalSlabsRecycled(), g.netSlabs(), g.mappedBytes(), g.committedBytes(),
                g.pooledSlabs(), g.liveObjects(), g.liveBytes(), g.totalAllocations(), g.totalFrees(),
                g.totalSlowPathHits(), g.totalMadviseCalls(), g.totalMadviseBytes(), g.totalMadviseFailures(),
                g.allocRefusedByReason(), g.totalEpochCloseCalls()).toString();
    }

    static void assertNoBrokenInvariants(SlabAllocator a) {
        assertEquals(List.of(), a.engine().checkInvariants(), "broken invariants");
    }

    /** Closes every epoch slot of the ring (the current one included). */
    static void closeAllEpochs(SlabAllocator a) {
        for (int e = 0; e < a.epochCount(); e++) {
            a.closeEpoch(e);
        }
    }
}
