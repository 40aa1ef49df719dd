package io.tslab;

import io.tslab.stats.AllocatorSnapshot;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Manual epoch refcounts: one more holder per increment, one fewer per decrement, saturating at 0
 * with every underflow counted ({@code total_refcount_underflows}); each era starts at 0.
 */
class RefcountTest {

    @Test
    void incrementsAndDecrementsAreCountedPerEpoch() {
        try (SlabAllocator a = SlabAllocator.builder().name("refcount").epochs(4).build()) {
            a.incEpochRefcount(0);
            a.incEpochRefcount(0);
            a.incEpochRefcount(0);
            a.decEpochRefcount(0);
            a.incEpochRefcount(2); // a slot the ring has not reached yet
            assertEquals(2, a.epochRefcount(0));
            assertEquals(0, a.epochRefcount(1));
            assertEquals(1, a.epochRefcount(2));
            AllocatorSnapshot s = a.snapshot();
            assertEquals(2, s.epochStats(0).refcount());
            assertEquals(0, s.epochStats(1).refcount());
            assertEquals(1, s.epochStats(2).refcount());
            assertEquals(0, s.global().totalRefcountUnderflows());
            Map<String, Object> epoch0 = StatsJson.element(StatsJson.array(StatsJson.parseObject(s.toJson()), "epochs"), 0);
            assertEquals(2, StatsJson.number(epoch0, "refcount"));
            assertEquals(0, s.epochStats(0).allocCount(), "the refcount is not the live object count");
        }
    }

    @Test
    void decrementingZeroSaturatesAndCountsTheUnderflow() {
        try (SlabAllocator a = SlabAllocator.builder().name("refcount-underflow").epochs(2).build()) {
            a.incEpochRefcount(0);
            a.decEpochRefcount(0);
            a.decEpochRefcount(0); // underflow 1
            a.decEpochRefcount(0); // underflow 2
            a.decEpochRefcount(1); // underflow 3, on a slot never activated
            assertEquals(0, a.epochRefcount(0));
            assertEquals(0, a.epochRefcount(1));
            AllocatorSnapshot s = a.snapshot();
            assertEquals(3, s.global().totalRefcountUnderflows());
            assertEquals(0, s.epochStats(0).refcount());
            assertEquals(3, StatsJson.number(StatsJson.parseObject(s.toJson()), "total_refcount_underflows"));
            // After the underflows the count works normally again: no hidden negative balance.
            a.incEpochRefcount(0);
            assertEquals(1, a.epochRefcount(0));
            a.decEpochRefcount(0);
            assertEquals(0, a.epochRefcount(0));
            assertEquals(3, a.snapshot().global().totalRefcountUnderflows());
        }
    }

    /** A CLOSING epoch still has holders; a new era of the slot starts with none. */
    @Test
    void theRefcountBelongsToOneEra() {
        try (SlabAllocator a = SlabAllocator.builder().name("refcount-era").epochs(2).build()) {
            a.incEpochRefcount(0);
            a.incEpochRefcount(0);
            a.advanceEpoch();
            assertEquals(2, a.epochRefcount(0), "CLOSING keeps its holders");
            a.decEpochRefcount(0);
            assertEquals(1, a.epochRefcount(0));
            a.advanceEpoch(); // slot 0 again, era 3
            assertEquals(0, a.epochRefcount(0), "a new era starts at 0");
            assertEquals(0, a.snapshot().epochStats(0).refcount());
            a.decEpochRefcount(0);
            assertEquals(1, a.snapshot().global().totalRefcountUnderflows(), "the old era's holder is gone");
        }
    }

    /** Manual increments and domain scopes add up in one refcount. */
    @Test
    void manualIncrementsAndScopesShareTheCount() {
        try (SlabAllocator a = SlabAllocator.builder().name("refcount-scopes").build()) {
            a.incEpochRefcount(0);
            EpochDomain d = a.newDomain("d");
            try (EpochDomain.Scope outer = d.enter(); EpochDomain.Scope inner = d.enter()) {
                assertEquals(d, outer.domain());
                assertEquals(d, inner.domain());
                assertEquals(3, a.epochRefcount(0));
                assertEquals(3, a.snapshot().epochStats(0).refcount());
            }
            assertEquals(1, a.epochRefcount(0));
            a.decEpochRefcount(0);
            assertEquals(0, a.epochRefcount(0));
        }
    }

    @Test
    void epochsOutsideTheRingAreRefused() {
        try (SlabAllocator a = SlabAllocator.builder().name("refcount-range").epochs(4).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.incEpochRefcount(4));
            assertEquals("epoch: 4 (expected: 0..3)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.decEpochRefcount(-1));
            assertThrows(IllegalArgumentException.class, () -> a.epochRefcount(4));
            assertEquals(0, a.snapshot().global().totalRefcountUnderflows());
        }
    }
}
