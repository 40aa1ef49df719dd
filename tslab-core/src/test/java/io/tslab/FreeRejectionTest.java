package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.censusText;
import static io.tslab.TestSupport.plus;
import static io.tslab.TestSupport.rejections;
import static io.tslab.TestSupport.slabOf;
import static io.tslab.TestSupport.stableGlobal;
import static io.tslab.TestSupport.stampHandle;
import static io.tslab.TestSupport.withClass;
import static io.tslab.TestSupport.withGeneration;
import static io.tslab.TestSupport.withSlab;
import static io.tslab.TestSupport.withSlot;
import static io.tslab.TestSupport.withTag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Each way {@code free(long)} rejects a handle, seen through the engine's rejection counter for
 * that reason: {@code free} returns false, exactly that counter moves by one, {@code segment} and
 * {@code offset} throw {@link IllegalArgumentException} naming the reason, and nothing else changes
 * (live objects keep their contents, census and figures stay equal).
 */
class FreeRejectionTest {
    private SlabAllocator a;
    private final List<Long> live = new ArrayList<>();

    @BeforeEach
    void populate() {
        a = SlabAllocator.builder().name("rejections").reserveBytes(64L << 20).build();
        for (int i = 0; i < 500; i++) {
            long h = a.alloc(1 + (i * 131) % 768);
            stampHandle(a, h, h);
            live.add(h);
        }
    }

    @AfterEach
    void checkAndClose() {
        try {
            for (long h : live) {
                assertStamp(a, h, h);
            }
            TestSupport.assertNoBrokenInvariants(a);
        } finally {
            a.close();
        }
    }

    /** Frees {@code handle} and checks that it is rejected for {@code reason} and changes nothing else. */
    private void assertRejected(long handle, int reason, String messageWords) {
        assertFalse(live.contains(handle), "test bug: the handle is live");
        long[] before = rejections(a);
        String census = censusText(a);
        String global = stableGlobal(a);
        assertFalse(a.free(handle), "free(0x" + Long.toHexString(handle) + ")");
        assertArrayEquals(plus(before, reason, 1), rejections(a),
                "exactly the " + SlabEngine.REJECTION_REASONS.get(reason) + " counter moves");
        assertEquals(before[reason] + 1,
                a.snapshot().global().invalidFreesByReason().get(SlabEngine.REJECTION_REASONS.get(reason)));
        String prefix = "handle: 0x" + Long.toHexString(handle) + " (";
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> a.segment(handle));
        assertTrue(s.getMessage().startsWith(prefix) && s.getMessage().contains(messageWords), s.getMessage());
        IllegalArgumentException o = assertThrows(IllegalArgumentException.class, () -> a.offset(handle));
        assertEquals(s.getMessage(), o.getMessage());
        assertEquals(census, censusText(a), "a rejected free changes no slab");
        assertEquals(global, stableGlobal(a), "a rejected free changes no figure but its counter");
    }

    @Test
    void zeroIsRejectedAsNullHandle() {
        assertRejected(0L, SlabEngine.REJECT_NULL_HANDLE, "never a handle");
    }

    @Test
    void anotherAllocatorsHandleIsRejectedAsForeign() {
        try (SlabAllocator other = SlabAllocator.builder().name("other").reserveBytes(1 << 20).build()) {
            long theirs = other.alloc(64);
            assertRejected(theirs, SlabEngine.REJECT_FOREIGN, "another allocator");
            assertTrue(other.segment(theirs).byteSize() == 64, "still live in its own allocator");
            assertTrue(other.free(theirs));
        }
        long ours = live.getLast(); // not slab 0 slot 0 generation 0 class 0: with tag 0 it would be 0L
        int tag = Handles.tag(ours);
        assertRejected(withTag(ours, tag ^ 1), SlabEngine.REJECT_FOREIGN, "another allocator");
        assertRejected(withTag(ours, 0), SlabEngine.REJECT_FOREIGN, "another allocator");
        assertRejected(withTag(ours, Handles.TAG_MASK ^ tag), SlabEngine.REJECT_FOREIGN, "another allocator");
    }

    @Test
    void aSlabIdNeverUsedIsRejectedAsUnknownSlab() {
        long ours = live.getLast();
        int created = a.engine().slabsCreated();
        assertRejected(withSlab(ours, created), SlabEngine.REJECT_UNKNOWN_SLAB, "never used");
        assertRejected(withSlab(ours, created + 1000), SlabEngine.REJECT_UNKNOWN_SLAB, "never used");
        assertRejected(withSlab(ours, Handles.SLAB_MASK), SlabEngine.REJECT_UNKNOWN_SLAB, "never used");
    }

    @Test
    void aHandleWhoseSlabWasRecycledIsRejectedAsNotInService() {
        int epoch = a.currentEpoch();
        a.advanceEpoch();
        long h = a.alloc(768); // the only object of a fresh slab of the new epoch
        long offset = a.offset(h);
        a.advanceEpoch();
        assertTrue(a.free(h)); // its era is closed: the slab drains and is recycled at once
        assertTrue(a.engine().slabsCreated() > slabOf(offset), "the slab id is known");
        assertRejected(h, SlabEngine.REJECT_NOT_IN_SERVICE, "not in service");
        assertRejected(withSlot(h, 1), SlabEngine.REJECT_NOT_IN_SERVICE, "not in service");
        assertEquals(EpochState.CLOSING, a.epochState(epoch));
    }

    @Test
    void aHandleWithAnotherClassThanItsSlabIsRejectedAsClassMismatch() {
        long ours = live.get(7);
        for (int c = 0; c < 8; c++) {
            if (c != Handles.sizeClass(ours)) {
                assertRejected(withClass(ours, c), SlabEngine.REJECT_CLASS_MISMATCH, "size class");
            }
        }
    }

    @Test
    void aSlotBeyondTheSlabIsRejectedAsBadSlot() {
        long big = a.alloc(768); // 5 slots
        long mid = a.alloc(96);  // 42 slots
        live.add(big);
        live.add(mid);
        stampHandle(a, big, big);
        stampHandle(a, mid, mid);
        for (int slot : new int[] {5, 6, 31, 63}) {
            assertRejected(withSlot(big, slot), SlabEngine.REJECT_BAD_SLOT, "slot");
        }
        for (int slot : new int[] {42, 43, 63}) {
            assertRejected(withSlot(mid, slot), SlabEngine.REJECT_BAD_SLOT, "slot");
        }
    }

    @Test
    void aHandleWhoseSlotWasReusedIsRejectedAsStale() {
        long h = a.alloc(256);
        long offset = a.offset(h);
        assertTrue(a.free(h));
        long reuse = a.alloc(256);
        assertEquals(offset, a.offset(reuse), "the slot is reused");
        assertNotEquals(h, reuse);
        live.add(reuse);
        stampHandle(a, reuse, reuse);
        assertRejected(h, SlabEngine.REJECT_STALE, "freed");
    }

    /** The documented window: a stale handle stays rejected for the next 65 535 reuses of its slot. */
    @Test
    void aStaleHandleStaysRejectedFor65535ReusesOfItsSlot() {
        a.advanceEpoch();
        long neighbour = a.alloc(768); // keeps the slab in service while the slot is reused
        long stale = a.alloc(768);
        long offset = a.offset(stale);
        live.add(neighbour);
        stampHandle(a, neighbour, neighbour);
        assertTrue(a.free(stale));
        long[] before = rejections(a);
        for (int reuse = 1; reuse <= 65_535; reuse++) {
            long h = a.alloc(768);
            if (a.offset(h) != offset || h == stale) {
                fail("reuse " + reuse + ": slot not reused, or the stale handle came back: 0x" + Long.toHexString(h));
            }
            if (a.free(stale)) {
                fail("the stale handle freed reuse " + reuse + " of its slot");
            }
            assertTrue(a.free(h));
        }
        assertEquals(before[SlabEngine.REJECT_STALE] + 65_535, rejections(a)[SlabEngine.REJECT_STALE]);
    }

    @Test
    void aSecondFreeIsRejectedAsDouble() {
        long h = a.alloc(64);
        assertTrue(a.free(h));
        assertRejected(h, SlabEngine.REJECT_STALE, "freed");
        assertRejected(h, SlabEngine.REJECT_STALE, "freed");
    }

    @Test
    void aLiveSlotWithAnotherGenerationIsRejectedAsStale() {
        long ours = live.get(3);
        int generation = Handles.generation(ours);
        for (int g : new int[] {generation + 1, generation - 1, generation ^ 0x8000, generation + 2}) {
            assertRejected(withGeneration(ours, g), SlabEngine.REJECT_STALE, "freed");
        }
    }

    @Test
    void aFreeSlotOfALiveSlabIsRejectedAsStale() {
        long ours = live.getLast();
        int slots = TestSupport.CLASS_SLOTS[Handles.sizeClass(ours)];
        int slot = Handles.slot(ours) + 1;
        if (slot < slots) { // the slot after the last allocation of its slab is free
            assertRejected(withSlot(ours, slot), SlabEngine.REJECT_STALE, "freed");
        }
        a.advanceEpoch();
        long fresh = a.alloc(768); // slot 0 of a new slab: slots 1..4 are free
        assertEquals(0, Handles.slot(fresh));
        live.add(fresh);
        stampHandle(a, fresh, fresh);
        for (int free = 1; free < 5; free++) {
            assertRejected(withSlot(fresh, free), SlabEngine.REJECT_STALE, "freed");
        }
    }
}
