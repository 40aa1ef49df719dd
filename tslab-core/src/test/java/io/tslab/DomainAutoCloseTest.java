package io.tslab;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.LastEpochClose;

import org.junit.jupiter.api.Test;

import static io.tslab.StatsAssertions.allocMany;
import static io.tslab.StatsAssertions.classEpoch;
import static io.tslab.StatsAssertions.freeAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Auto-closing domains (SPEC §3.2): the epoch is closed once its refcount is 0 and it is no longer
 * the current epoch (if it still is, at the next advance), and only while its era is unchanged.
 *
 * <p>"Closed" is told apart from "CLOSING" (which every advance makes the previous epoch) by the
 * close's own effects: the epoch's {@code close_count}, {@code last_epoch_close}, and the slab
 * still holding an object that the close moves from the partial list to the draining list. (An
 * advance recycles the empty slabs the old epoch kept at once, so by the time any close of that
 * epoch runs, the slabs it finds all hold objects: the close scans them and recycles none.)
 */
class DomainAutoCloseTest {
    private static final int C256 = 4; // class index of 256-byte objects: 16 slots

    /**
     * Leaves two slabs of 256-byte objects in the current epoch: one empty (kept by the cache) and
     * one holding the returned object.
     */
    private static long leaveAnEmptyAndAHeldSlab(SlabAllocator a) {
        long[] h = allocMany(a, 256, 17); // one full slab and one with one object
        freeAll(a, h, 0, 16);
        AllocatorSnapshot s = a.snapshot();
        assertEquals(1, s.epochStats(a.currentEpoch()).emptyPartialCount());
        assertEquals(1, classEpoch(s, C256, a.currentEpoch()).liveObjects());
        return h[16];
    }

    /**
     * The epoch was closed exactly once, in {@code era}, by a close that found {@code scanned}
     * slabs, each still holding an object: it recycled none and moved them all to draining.
     */
    private static void assertClosedOnce(SlabAllocator a, int epoch, long era, int scanned) {
        AllocatorSnapshot s = a.snapshot();
        assertEquals(1, s.epochStats(epoch).closeCount(), "epoch " + epoch + " closed once");
        assertEquals(epoch, s.lastEpochClose().epochId());
        assertEquals(era, s.lastEpochClose().epochEra());
        assertEquals(scanned, s.lastEpochClose().scannedSlabs(), "the close found the slabs holding objects");
        assertEquals(0, s.lastEpochClose().recycledSlabs(), "the advance had already recycled the empty slab");
        assertEquals(0, s.epochStats(epoch).partialSlabCount());
        assertEquals(0, s.epochStats(epoch).fullSlabCount());
        assertEquals(scanned, s.epochStats(epoch).drainingSlabCount(), "the close moved them to draining");
        assertEquals(0, s.epochStats(epoch).emptyPartialCount());
        assertEquals(EpochState.CLOSING, a.epochState(epoch));
    }

    private static void assertNeverClosed(SlabAllocator a) {
        AllocatorSnapshot s = a.snapshot();
        assertEquals(LastEpochClose.NONE, s.lastEpochClose());
        assertEquals(0, s.global().totalEpochCloseCalls());
    }

    /**
     * After the advance that made {@code epoch} CLOSING and before any close: its empty slab was
     * recycled by the advance, its {@code partial} slabs holding objects are still on their lists.
     */
    private static void assertAdvancedNotClosed(SlabAllocator a, int epoch, int partial) {
        AllocatorSnapshot s = a.snapshot();
        assertEquals(EpochState.CLOSING, a.epochState(epoch));
        assertEquals(0, s.epochStats(epoch).emptyPartialCount(), "the advance recycled the empty slab");
        assertEquals(partial, s.epochStats(epoch).partialSlabCount(), "no close moved the held slabs");
        assertEquals(0, s.epochStats(epoch).drainingSlabCount());
        assertEquals(0, s.epochStats(epoch).closeCount());
    }

    @Test
    void whileStillCurrentTheCloseWaitsForTheNextAdvance() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-current").build()) {
            EpochDomain d = a.newDomain("auto", true);
            assertTrue(d.autoClose());
            try (EpochDomain.Scope scope = d.enter()) {
                assertNotEquals(0L, scope.domain().alloc(64)); // a slab of class 64 holding one object
            }
            leaveAnEmptyAndAHeldSlab(a);
            assertEquals(EpochState.ACTIVE, a.epochState(0), "still current: not closed yet");
            assertNeverClosed(a);
            assertNotEquals(0L, a.alloc(100), "the epoch still takes allocations"); // a slab of class 128

            a.advanceEpoch();
            // The advance recycled the empty 256 slab, then closed the epoch: the close found the
            // slabs of classes 64, 256 and 128, each holding one object.
            assertClosedOnce(a, 0, 1, 3);
        }
    }

    @Test
    void withoutAutoCloseAnAdvanceOnlyMarksTheEpochClosing() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-off").build()) {
            EpochDomain d = a.newDomain("manual");
            assertFalse(d.autoClose());
            try (EpochDomain.Scope scope = d.enter()) {
                assertNotEquals(0L, scope.domain().alloc(64));
            }
            leaveAnEmptyAndAHeldSlab(a);
            a.advanceEpoch();
            assertNeverClosed(a);
            // The slabs of classes 64 and 256 holding an object stay on the partial lists: no close
            // moved them to draining.
            assertAdvancedNotClosed(a, 0, 2);
        }
    }

    @Test
    void closesWhenTheLastScopeClosesAfterTheEpochStoppedBeingCurrent() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-late").build()) {
            EpochDomain d = a.newDomain("auto", true);
            EpochDomain.Scope outer = d.enter();
            EpochDomain.Scope inner = d.enter();
            long held = leaveAnEmptyAndAHeldSlab(a);
            a.advanceEpoch();
            assertNeverClosed(a); // two scopes open
            assertAdvancedNotClosed(a, 0, 1);
            inner.close();
            assertNeverClosed(a); // one still open
            assertAdvancedNotClosed(a, 0, 1);
            outer.close();
            assertClosedOnce(a, 0, 1, 1);

            // The draining slab is recycled by the free of its last object.
            assertTrue(a.free(held));
            AllocatorSnapshot s = a.snapshot();
            assertEquals(0, s.epochStats(0).drainingSlabCount());
            assertEquals(2, s.classStats(C256).emptySlabRecycled(), "one by the advance, one by the free");
            assertEquals(0, s.classStats(C256).epochCloseRecycledSlabs());
            assertEquals(0, s.global().netSlabs());
        }
    }

    @Test
    void theBuilderMakesDomainsAutoClosingByDefault() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-builder").autoCloseDomains(true).build()) {
            EpochDomain d = a.newDomain("auto");
            assertTrue(d.autoClose());
            assertFalse(a.newDomain("explicitly-not", false).autoClose());
            try (EpochDomain.Scope scope = d.enter()) {
                assertNotEquals(0L, scope.domain().alloc(64));
            }
            leaveAnEmptyAndAHeldSlab(a);
            a.advanceEpoch();
            assertClosedOnce(a, 0, 1, 2); // the slabs of classes 64 and 256
        }
    }

    /** The ring wrapped onto the slot while a scope was open: the late close closes nothing. */
    @Test
    void neverClosesASlotWhoseEraChanged() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-wrapped").epochs(4).build()) {
            EpochDomain d = a.newDomain("auto", true);
            EpochDomain.Scope scope = d.enter();
            for (int i = 0; i < 4; i++) {
                a.advanceEpoch();
            }
            assertEquals(5, a.epochEra(0)); // slot 0 current again, era 5
            leaveAnEmptyAndAHeldSlab(a);
            a.advanceEpoch(); // slot 0 era 5 is CLOSING, not closed
            assertNeverClosed(a);
            scope.close();
            assertNeverClosed(a);
            assertAdvancedNotClosed(a, 0, 1); // era 5's held slab is still on its partial list
        }
    }

    /** The same, with the new era still current: neither the late close nor the next advance closes it. */
    @Test
    void neverClosesTheNewEraOfTheSlotAtTheNextAdvance() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-wrapped-current").epochs(2).build()) {
            EpochDomain d = a.newDomain("auto", true);
            EpochDomain.Scope scope = d.enter();
            a.advanceEpoch();
            a.advanceEpoch(); // slot 0 in era 3, current
            leaveAnEmptyAndAHeldSlab(a);
            scope.close();
            assertEquals(EpochState.ACTIVE, a.epochState(0));
            a.advanceEpoch();
            assertNeverClosed(a);
            assertAdvancedNotClosed(a, 0, 1);
        }
    }

    /**
     * The refcount counts manual holders too: when the last holder to leave is a manual one, the
     * auto-closing epoch (no longer current) is closed then.
     */
    @Test
    void closesWhenAManualHolderIsTheLastToLeave() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-manual-last").build()) {
            EpochDomain d = a.newDomain("auto", true);
            a.incEpochRefcount(0);
            try (EpochDomain.Scope scope = d.enter()) {
                assertNotEquals(0L, scope.domain().alloc(64));
            }
            leaveAnEmptyAndAHeldSlab(a);
            a.advanceEpoch();
            assertNeverClosed(a); // the manual holder is still there
            assertAdvancedNotClosed(a, 0, 2);
            a.decEpochRefcount(0);
            assertEquals(0, a.epochRefcount(0));
            assertClosedOnce(a, 0, 1, 2);
        }
    }

    /**
     * The refcount counts the scopes of every domain of the epoch: when the last scope to close
     * belongs to a domain without auto-close, the epoch an auto-closing domain asked to close is
     * closed all the same.
     */
    @Test
    void closesWhenAScopeOfAnotherDomainIsTheLastToLeave() {
        try (SlabAllocator a = SlabAllocator.builder().name("auto-other-domain-last").build()) {
            EpochDomain auto = a.newDomain("auto", true);
            EpochDomain plain = a.newDomain("plain", false);
            try (EpochDomain.Scope scope = auto.enter()) {
                assertNotEquals(0L, scope.domain().alloc(64));
            }
            EpochDomain.Scope plainScope = plain.enter();
            leaveAnEmptyAndAHeldSlab(a);
            a.advanceEpoch();
            assertNeverClosed(a); // the plain domain's scope is open
            assertAdvancedNotClosed(a, 0, 2);
            plainScope.close();
            assertEquals(0, a.epochRefcount(0));
            assertClosedOnce(a, 0, 1, 2);
        }
    }
}
