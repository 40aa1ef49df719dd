package io.tslab;

import io.tslab.internal.SlabEngine;
import io.tslab.internal.os.OsMemory;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.tslab.TestSupport.CLASS_ALIGNMENTS;
import static io.tslab.TestSupport.CLASS_SIZES;
import static io.tslab.TestSupport.assertNoBrokenInvariants;
import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.plus;
import static io.tslab.TestSupport.refusals;
import static io.tslab.TestSupport.rejections;
import static io.tslab.TestSupport.stampHandle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract of every public instance method of {@link SlabAllocator}, run against each allocator
 * configuration by one subclass per configuration. Every test leaves the allocator with its
 * invariants intact (checked after each test).
 */
abstract class SlabAllocatorContract {
    /** The configuration under test; the name is set by the contract. */
    abstract SlabAllocator.Builder configure(SlabAllocator.Builder builder);

    SlabAllocator a;
    int epochs;

    @BeforeEach
    void open() {
        a = configure(SlabAllocator.builder().name("contract")).build();
        epochs = a.epochCount();
    }

    @AfterEach
    void checkAndClose() {
        try {
            if (!a.toString().endsWith("closed]")) {
                assertNoBrokenInvariants(a);
            }
        } finally {
            a.close();
        }
    }

    // ---- alloc ------------------------------------------------------------------------------

    @Test
    void allocGivesEverySizeItsClassAndDisjointSlots() {
        List<Long> handles = new ArrayList<>();
        for (int size = 1; size <= SlabAllocator.MAX_OBJECT_SIZE; size++) {
            long h = a.alloc(size);
            assertNotEquals(0L, h, "size " + size);
            int expectedClass = SlabAllocator.sizeClassOf(size);
            assertEquals(SlabAllocator.classSize(expectedClass), a.segment(h).byteSize(), "size " + size);
            assertTrue(a.segment(h).byteSize() >= size);
            handles.add(h);
        }
        assertEquals(handles.size(), new HashSet<>(handles).size(), "handles are unique");
        for (long h : handles) {
            stampHandle(a, h, h);
        }
        for (long h : handles) {
            assertStamp(a, h, h); // no object's stamp was overwritten by another's: slots are disjoint
        }
        assertEquals(handles.size(), a.snapshot().global().liveObjects());
        for (long h : handles) {
            assertTrue(a.free(h));
        }
        assertEquals(0, a.snapshot().global().liveObjects());
    }

    @Test
    void allocRejectsSizesOutsideOneTo768WithTheRule() {
        for (int size : new int[] {0, -1, 769, 900, 4096, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.alloc(size));
            assertEquals("size: " + size + " (expected: 1..768)", e.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> a.alloc(size, 0));
            assertEquals("size: " + size + " (expected: 1..768)", e2.getMessage());
        }
        assertEquals(0, a.snapshot().global().liveObjects());
        assertEquals(0, a.snapshot().global().totalAllocRefused(), "an argument error is not a refusal");
    }

    @Test
    void allocWithEpochRejectsEpochsOutsideTheRingWithTheRule() {
        for (int epoch : new int[] {epochs, -1, epochs + 1, 1000, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.alloc(64, epoch));
            assertEquals("epoch: " + epoch + " (expected: 0.." + (epochs - 1) + ")", e.getMessage());
        }
        assertEquals(0, a.snapshot().global().liveObjects());
    }

    @Test
    void allocWithEpochAllocatesInThatEpoch() {
        int next = a.advanceEpoch();
        long h = a.alloc(200, next);
        assertNotEquals(0L, h);
        assertEquals(1, a.engine().census().liveObjects[SlabAllocator.sizeClassOf(200)][next]);
        assertEquals(256, a.segment(h).byteSize());
    }

    @Test
    void allocInClosingEpochReturnsZeroCountedAsEpochClosed() {
        int old = a.currentEpoch();
        long live = a.alloc(64);
        a.advanceEpoch();
        assertEquals(EpochState.CLOSING, a.epochState(old));
        long[] refusedBefore = refusals(a);
        for (int size : new int[] {1, 64, 100, 768}) {
            assertEquals(0L, a.alloc(size, old));
        }
        assertArrayEquals(plus(refusedBefore, SlabEngine.REFUSED_EPOCH_CLOSED, 4), refusals(a));
        assertEquals(4, a.snapshot().global().allocRefusedByReason().get("epoch_closed"));
        assertTrue(a.free(live), "objects of a CLOSING epoch stay freeable");
    }

    @Test
    void allocInEpochTheRingHasNotReachedIsRefused() {
        assertEquals(0, a.currentEpoch());
        long[] refusedBefore = refusals(a);
        assertEquals(0L, a.alloc(64, 1));
        assertArrayEquals(plus(refusedBefore, SlabEngine.REFUSED_EPOCH_CLOSED, 1), refusals(a));
    }

    @Test
    void allocAfterClosingTheCurrentEpochIsRefusedUntilTheNextAdvance() {
        int e = a.currentEpoch();
        a.closeEpoch(e);
        assertEquals(EpochState.CLOSING, a.epochState(e));
        assertEquals(0L, a.alloc(64));
        assertEquals(0L, a.alloc(64, e));
        assertEquals(2, a.engine().refusals(SlabEngine.REFUSED_EPOCH_CLOSED));
        int next = a.advanceEpoch();
        assertEquals(EpochState.ACTIVE, a.epochState(next));
        assertNotEquals(0L, a.alloc(64));
    }

    // ---- free -------------------------------------------------------------------------------

    @Test
    void freeSucceedsExactlyOnce() {
        long h = a.alloc(128);
        long keep = a.alloc(128); // keeps the slab in service, so the second free is a double free
        assertTrue(a.free(h));
        long[] before = rejections(a);
        assertFalse(a.free(h));
        assertArrayEquals(plus(before, SlabEngine.REJECT_STALE, 1), rejections(a));
        assertTrue(a.free(keep));
    }

    @Test
    void freeOfAStaleHandleLeavesTheSlotsNewObjectAlone() {
        long h = a.alloc(64);
        long keep = a.alloc(64);
        long offset = a.offset(h);
        assertTrue(a.free(h));
        long reuse = a.alloc(64);
        assertEquals(offset, a.offset(reuse), "the freed slot is reused");
        assertNotEquals(h, reuse, "a reused slot gets a new handle");
        stampHandle(a, reuse, 7);
        assertFalse(a.free(h));
        assertThrows(IllegalArgumentException.class, () -> a.segment(h));
        assertThrows(IllegalArgumentException.class, () -> a.offset(h));
        assertStamp(a, reuse, 7);
        assertTrue(a.free(reuse));
        assertTrue(a.free(keep));
    }

    @Test
    void freeBySegmentFreesAnAllocatedSegmentOnce() {
        MemorySegment s = a.allocate(100, 8);
        long keep = a.alloc(128);
        assertEquals(2, a.engine().census().totalLiveObjects());
        assertTrue(a.free(s));
        assertFalse(a.free(s));
        assertEquals(1, a.snapshot().global().liveObjects());
        assertTrue(a.free(keep));
    }

    @Test
    @SuppressWarnings("restricted") // reinterpret: a forged view of a live object's address
    void freeBySegmentRejectsSegmentsItDidNotHandOut() {
        MemorySegment s = a.allocate(64, 16);
        long[] before = rejections(a);
        assertFalse(a.free((MemorySegment) null));
        assertFalse(a.free(MemorySegment.ofArray(new byte[64])));
        assertFalse(a.free(s.asSlice(16)), "an interior slice");
        assertFalse(a.free(s.asSlice(0, 32)), "a shorter view of the same address");
        assertFalse(a.free(MemorySegment.ofAddress(s.address()).reinterpret(64)), "a copy of the address");
        assertFalse(a.free(a.memory()), "the whole reservation");
        assertFalse(a.free(MemorySegment.NULL));
        long total = 0;
        long[] after = rejections(a);
        for (int r = 0; r < after.length; r++) {
            total += after[r] - before[r];
        }
        assertEquals(7, total, "each rejection counted once");
        assertTrue(a.free(s), "the real segment is still live");
    }

    // ---- segment, offset, memory -------------------------------------------------------------

    @Test
    void segmentIsExactlyTheSlotAndAgreesWithOffsetAndMemory() {
        for (int c = 0; c < CLASS_SIZES.length; c++) {
            long h = a.alloc(CLASS_SIZES[c]);
            MemorySegment s = a.segment(h);
            assertEquals(CLASS_SIZES[c], s.byteSize());
            assertEquals(a.memory().address() + a.offset(h), s.address());
            s.set(ValueLayout.JAVA_LONG, 0, 0x1234_5678_9abcL + c);
            assertEquals(0x1234_5678_9abcL + c, a.memory().get(ValueLayout.JAVA_LONG, a.offset(h)));
            a.memory().set(ValueLayout.JAVA_INT, a.offset(h) + CLASS_SIZES[c] - 4, -c);
            assertEquals(-c, s.get(ValueLayout.JAVA_INT, CLASS_SIZES[c] - 4));
            assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, s.byteSize()),
                    "a segment ends at its slot");
        }
    }

    @Test
    void segmentAndOffsetRejectZeroAndFreedHandlesNamingTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.segment(0));
        assertTrue(e.getMessage().startsWith("handle: 0x0 ("), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.offset(0));
        long h = a.alloc(64);
        long keep = a.alloc(64);
        assertTrue(a.free(h));
        IllegalArgumentException stale = assertThrows(IllegalArgumentException.class, () -> a.segment(h));
        assertEquals("handle: 0x" + Long.toHexString(h) + " (the handle's object was freed (stale or double free))",
                stale.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.offset(h));
        assertTrue(a.free(keep));
    }

    @Test
    void memoryIsTheWholeReservation() {
        MemorySegment m = a.memory();
        assertEquals(a.snapshot().global().mappedBytes(), m.byteSize());
        assertEquals(0, m.address() % OsMemory.pageSize(), "the reservation starts on a page");
        assertTrue(m.isNative());
        long h = a.alloc(768);
        assertTrue(a.offset(h) >= 0 && a.offset(h) + 768 <= m.byteSize());
    }

    // ---- allocate (SegmentAllocator) -----------------------------------------------------------

    /** The class the SegmentAllocator contract must pick, or -1 when none offers the alignment. */
    static int expectedClassFor(long size, long alignment) {
        for (int c = SlabAllocator.sizeClassOf((int) size); c < CLASS_SIZES.length; c++) {
            if (CLASS_ALIGNMENTS[c] >= alignment) {
                return c;
            }
        }
        return -1;
    }

    @Test
    void allocatePicksTheFirstClassThatFitsAndOffersTheAlignment() {
        int[] sizes = {1, 8, 32, 64, 65, 96, 97, 100, 128, 129, 192, 200, 256, 300, 384, 500, 512, 513, 700, 768};
        for (int size : sizes) {
            for (long align = 1; align <= 1024; align <<= 1) {
                int expected = expectedClassFor(size, align);
                if (expected < 0) {
                    long al = align;
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> a.allocate(size, al), "size " + size + " alignment " + align);
                    assertTrue(e.getMessage().startsWith("alignment: " + align), e.getMessage());
                    continue;
                }
                int epoch = a.currentEpoch();
                long before = a.engine().census().liveObjects[expected][epoch];
                MemorySegment s = a.allocate(size, align);
                assertEquals(size, s.byteSize(), "a SegmentAllocator segment has the requested size");
                assertEquals(0, s.address() % align, "size " + size + " alignment " + align);
                assertEquals(0, s.address() % CLASS_ALIGNMENTS[expected]);
                assertEquals(before + 1, a.engine().census().liveObjects[expected][epoch],
                        "size " + size + " alignment " + align + " goes to class " + expected);
                s.fill((byte) 0x5a);
                assertTrue(a.free(s));
            }
        }
        assertEquals(0, a.snapshot().global().liveObjects());
    }

    @Test
    void allocateRejectsBadSizesAndAlignmentsNamingTheRule() {
        for (long size : new long[] {0, -1, 769, 1L << 40, Long.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.allocate(size, 8));
            assertEquals("size: " + size + " (expected: 1..768)", e.getMessage());
        }
        for (long align : new long[] {0, -8, 3, 24, 100, Long.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.allocate(8, align));
            assertEquals("alignment: " + align + " (expected: a power of two)", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> a.allocate(8, 1024), "no class is 1024-aligned");
        assertThrows(IllegalArgumentException.class, () -> a.allocate(700, 512), "768 is only 256-aligned");
        assertThrows(IllegalArgumentException.class, () -> a.allocate(513, 1L << 62));
        assertEquals(0, a.snapshot().global().liveObjects());
    }

    @Test
    void allocateThroughSegmentAllocatorDefaults() {
        MemorySegment l = a.allocate(ValueLayout.JAVA_LONG);
        assertEquals(8, l.byteSize());
        assertEquals(0, l.address() % 8);
        MemorySegment str = a.allocateFrom("temporal slab");
        assertEquals("temporal slab", str.getString(0));
        MemorySegment arr = a.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3, 4);
        assertEquals(3, arr.getAtIndex(ValueLayout.JAVA_INT, 2));
        assertThrows(IllegalArgumentException.class, () -> a.allocate(ValueLayout.JAVA_LONG, 100),
                "800 bytes is beyond the largest class");
        assertEquals(3, a.snapshot().global().liveObjects());
        assertTrue(a.free(l));
        assertTrue(a.free(str));
        assertTrue(a.free(arr));
    }

    @Test
    void allocateInClosingEpochThrowsIllegalState() {
        a.closeEpoch(a.currentEpoch());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.allocate(64, 8));
        assertTrue(e.getMessage().contains("CLOSING"), e.getMessage());
        a.advanceEpoch();
        assertTrue(a.free(a.allocate(64, 8)));
    }

    // ---- epochs -------------------------------------------------------------------------------

    @Test
    void aNewAllocatorStartsInEpochZeroEraOneAndTheRestOfTheRingIsNotReached() {
        assertEquals(0, a.currentEpoch());
        assertEquals(EpochState.ACTIVE, a.epochState(0));
        assertEquals(1, a.epochEra(0));
        for (int e = 1; e < epochs; e++) {
            assertEquals(EpochState.CLOSING, a.epochState(e));
            assertEquals(0, a.epochEra(e), "era 0: never activated");
        }
    }

    @Test
    void advanceEpochMovesAroundTheRingStampingANewEraEachTime() {
        long[] eras = new long[epochs];
        for (int e = 0; e < epochs; e++) {
            eras[e] = a.epochEra(e);
        }
        int steps = 2 * epochs + 3;
        for (int i = 1; i <= steps; i++) {
            int previous = a.currentEpoch();
            long previousEra = a.epochEra(previous);
            int next = a.advanceEpoch();
            assertEquals((previous + 1) % epochs, next);
            assertEquals(next, a.currentEpoch());
            assertEquals(EpochState.ACTIVE, a.epochState(next));
            assertEquals(EpochState.CLOSING, a.epochState(previous));
            assertEquals(previousEra, a.epochEra(previous), "closing keeps the era");
            assertEquals(1 + i, a.epochEra(next), "the era is a global counter stamped at activation");
            assertTrue(a.epochEra(next) > eras[next]);
            eras[next] = a.epochEra(next);
            int active = 0;
            for (int e = 0; e < epochs; e++) {
                if (a.epochState(e) == EpochState.ACTIVE) {
                    active++;
                }
            }
            assertEquals(1, active, "exactly one ACTIVE epoch");
        }
        GlobalStats g = a.snapshot().global();
        assertEquals(a.currentEpoch(), g.currentEpoch());
        assertEquals(1 + steps, g.currentEra());
    }

    @Test
    void advanceEpochAfterTheCurrentEpochWasClosedStillActivatesTheNext() {
        a.closeEpoch(0);
        int next = a.advanceEpoch();
        assertEquals(1 % epochs, next);
        assertEquals(EpochState.ACTIVE, a.epochState(next));
        assertEquals(2, a.epochEra(next));
    }

    @Test
    void closeEpochKeepsLiveObjectsValidAndRecyclesTheirSlabsAsTheyDrain() {
        int e = a.currentEpoch();
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long h = a.alloc(CLASS_SIZES[i % 8]);
            stampHandle(a, h, i);
            handles.add(h);
        }
        a.closeEpoch(e);
        a.closeEpoch(e); // closing again is harmless
        assertEquals(EpochState.CLOSING, a.epochState(e));
        assertEquals(1, a.epochEra(e), "closing keeps the era");
        for (int i = 0; i < handles.size(); i++) {
            assertStamp(a, handles.get(i), i);
        }
        long net = a.snapshot().global().netSlabs();
        assertTrue(net > 0);
        for (long h : handles) {
            assertTrue(a.free(h));
        }
        GlobalStats g = a.snapshot().global();
        assertEquals(0, g.netSlabs(), "every slab of the closed era was recycled as it drained");
        assertEquals(g.totalSlabsAllocated(), g.totalSlabsRecycled());
        assertEquals(0, g.liveObjects());
    }

    @Test
    void closeEpochRecyclesEmptySlabsAtOnce() {
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            handles.add(a.alloc(64));
        }
        for (long h : handles) {
            assertTrue(a.free(h));
        }
        a.closeEpoch(a.currentEpoch());
        assertEquals(0, a.snapshot().global().netSlabs());
    }

    @Test
    void epochMethodsRejectEpochsOutsideTheRingWithTheRule() {
        for (int epoch : new int[] {epochs, -1, 1 << 20}) {
            String rule = "epoch: " + epoch + " (expected: 0.." + (epochs - 1) + ")";
            assertEquals(rule, assertThrows(IllegalArgumentException.class, () -> a.epochState(epoch)).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class, () -> a.epochEra(epoch)).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class, () -> a.closeEpoch(epoch)).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class,
                    () -> a.setEpochLabel(epoch, "x")).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class, () -> a.epochLabel(epoch)).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class,
                    () -> a.incEpochRefcount(epoch)).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class,
                    () -> a.decEpochRefcount(epoch)).getMessage());
            assertEquals(rule, assertThrows(IllegalArgumentException.class, () -> a.epochRefcount(epoch)).getMessage());
        }
        assertEquals(EpochState.ACTIVE, a.epochState(0), "a rejected close changes nothing");
    }

    @Test
    void epochCountIsTheRingSize() {
        assertEquals(a.snapshot().epochCount(), a.epochCount());
        assertTrue(a.epochCount() >= 2 && a.epochCount() <= 256 && Integer.bitCount(a.epochCount()) == 1);
    }

    // ---- snapshot and close ------------------------------------------------------------------

    @Test
    void snapshotBasics() {
        long wallBefore = nowNanos();
        List<Long> handles = new ArrayList<>();
        long liveBytes = 0;
        for (int i = 0; i < 100; i++) {
            int size = 1 + (i * 37) % 768;
            handles.add(a.alloc(size));
            liveBytes += SlabAllocator.classSize(SlabAllocator.sizeClassOf(size));
            stampHandle(a, handles.getLast(), i);
        }
        a.free(0L);
        a.alloc(64, (a.currentEpoch() + 1) % epochs); // refused: the ring has not reached it
        AllocatorSnapshot s = a.snapshot();
        long wallAfter = nowNanos();
        assertEquals(AllocatorSnapshot.SCHEMA_VERSION, s.schemaVersion());
        assertEquals("contract", s.allocator());
        assertEquals(ProcessHandle.current().pid(), s.pid());
        assertEquals(OsMemory.pageSize(), s.pageSize());
        assertEquals(SlabAllocator.SLAB_SIZE, s.slabSize());
        assertEquals(epochs, s.epochCount());
        assertTrue(s.timestampNs() >= wallBefore && s.timestampNs() <= wallAfter, "wall-clock timestamp");
        GlobalStats g = s.global();
        assertEquals(0, g.currentEpoch());
        assertEquals(1, g.currentEra());
        assertEquals(1, g.activeEpochCount());
        assertEquals(epochs - 1, g.closingEpochCount());
        assertEquals(100, g.liveObjects());
        assertEquals(liveBytes, g.liveBytes());
        assertEquals(g.totalSlabsAllocated() - g.totalSlabsRecycled(), g.netSlabs());
        assertTrue(g.netSlabs() >= 8, "at least one slab per class in use");
        assertEquals(a.memory().byteSize(), g.mappedBytes());
        assertTrue(g.committedBytes() >= g.netSlabs() * SlabAllocator.SLAB_SIZE);
        assertTrue(g.residentBytes() >= OsMemory.pageSize(), "stamped objects are resident");
        assertTrue(g.residentBytes() <= g.committedBytes() + OsMemory.pageSize());
        assertEquals(Set.copyOf(SlabEngine.REFUSAL_REASONS), g.allocRefusedByReason().keySet());
        assertEquals(Set.copyOf(SlabEngine.REJECTION_REASONS), g.invalidFreesByReason().keySet());
        assertEquals(1, g.totalAllocRefused());
        assertEquals(1, g.totalInvalidFrees());
        assertEquals(1, g.invalidFreesByReason().get("null_handle"));
        assertEquals(0, g.totalMadviseFailures());
        assertThrows(UnsupportedOperationException.class, () -> g.invalidFreesByReason().put("x", 1L),
                "snapshots are immutable");
        assertEquals(100, g.totalAllocations());
        assertEquals(0, g.totalFrees());

        assertEquals(CLASS_SIZES.length, s.classes().size());
        long classLive = 0;
        long classBytes = 0;
        for (int c = 0; c < CLASS_SIZES.length; c++) {
            ClassStats cs = s.classStats(c);
            assertEquals(c, cs.classIndex());
            assertEquals(CLASS_SIZES[c], cs.objectSize());
            assertEquals(TestSupport.CLASS_SLOTS[c], cs.slotsPerSlab());
            assertEquals(a.engine().cacheCapacity(), cs.cacheCapacity());
            classLive += cs.liveObjects();
            classBytes += cs.liveBytes();
        }
        assertEquals(100, classLive, "per-class live objects add up");
        assertEquals(liveBytes, classBytes);
        assertEquals(epochs, s.epochs().size());
        long epochLive = 0;
        for (int e = 0; e < epochs; e++) {
            EpochStats es = s.epochStats(e);
            assertEquals(e, es.epochId());
            assertEquals(a.epochEra(e), es.epochEra());
            assertEquals(a.epochState(e), es.state());
            epochLive += es.allocCount();
        }
        assertEquals(100, epochLive, "per-epoch live objects add up");
        assertEquals(-1, s.lastEpochClose().epochId(), "no close yet");
        for (long h : handles) {
            assertTrue(a.free(h));
        }
        GlobalStats after = a.snapshot().global();
        assertEquals(0, after.liveObjects());
        assertEquals(0, after.liveBytes());
        assertEquals(100, after.totalAllocations());
        assertEquals(100, after.totalFrees());
    }

    @Test
    void closeIsIdempotent() {
        long h = a.alloc(64);
        assertNotEquals(0L, h);
        a.close();
        a.close();
        assertTrue(a.toString().endsWith("closed]"));
        assertThrows(IllegalStateException.class, () -> a.alloc(64));
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
