package io.tslab;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Epoch domains (SPEC §3.2): scopes nest LIFO on the thread that entered them, the epoch's
 * refcount counts the open scopes of all its domains, a broken rule throws
 * {@link IllegalStateException} and changes nothing, a domain allocates into its own epoch and
 * era, and a domain whose era is over can neither allocate, nor enter, nor move the count of the
 * era that replaced it.
 */
class DomainTest {

    @Test
    void aDomainWrapsTheCurrentEpochAndItsEra() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-basics").epochs(4).build()) {
            a.advanceEpoch();
            a.advanceEpoch();
            EpochDomain d = a.newDomain("batch-7");
            assertSame(a, d.allocator());
            assertEquals(2, d.epoch());
            assertEquals(3, d.era());
            assertEquals("batch-7", d.label());
            assertFalse(d.autoClose());
            assertEquals("batch-7", a.epochLabel(2));
            assertEquals(0, a.epochRefcount(2), "making a domain opens no scope");
        }
    }

    @Test
    void nestedScopesAcrossDomainsAreCountedInTheEpochsRefcount() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-nesting").build()) {
            EpochDomain d1 = a.newDomain("one");
            EpochDomain d2 = a.newDomain("two");
            EpochDomain.Scope s1 = d1.enter();
            EpochDomain.Scope s2 = d2.enter();
            EpochDomain.Scope s3 = d1.enter();
            assertEquals(3, a.epochRefcount(0));
            assertEquals(3, a.snapshot().epochStats(0).refcount());
            assertSame(d1, s3.domain());
            s3.close();
            assertEquals(2, a.epochRefcount(0));
            s2.close();
            assertEquals(1, a.epochRefcount(0));
            s1.close();
            assertEquals(0, a.epochRefcount(0));
            AllocatorSnapshot s = a.snapshot();
            assertEquals(0, s.epochStats(0).refcount());
            assertEquals(0, s.global().totalRefcountUnderflows());
        }
    }

    @Test
    void closingOutOfOrderThrowsAndChangesNothing() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-lifo").build()) {
            EpochDomain outerDomain = a.newDomain("outer");
            EpochDomain innerDomain = a.newDomain("inner");
            EpochDomain.Scope outer = outerDomain.enter();
            EpochDomain.Scope inner = innerDomain.enter();
            IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(e.getMessage().contains("LIFO"), e.getMessage());
            assertTrue(e.getMessage().contains("'inner'"), "names the innermost open scope: " + e.getMessage());
            assertEquals(2, a.epochRefcount(0), "the refused close changed the refcount");
            // The stack is unchanged too: a scope entered now nests inside 'inner', and everything
            // closes in order afterwards.
            EpochDomain.Scope third = outerDomain.enter();
            assertThrows(IllegalStateException.class, inner::close);
            assertEquals(3, a.epochRefcount(0));
            third.close();
            inner.close();
            outer.close();
            assertEquals(0, a.epochRefcount(0));
            assertEquals(0, a.snapshot().global().totalRefcountUnderflows());
        }
    }

    @Test
    void closingOnAnotherThreadThrowsAndChangesNothing() throws InterruptedException {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-thread").build()) {
            EpochDomain d = a.newDomain("owned");
            EpochDomain.Scope scope = d.enter();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Long> refcountSeenThere = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    scope.close();
                } catch (Throwable t) {
                    thrown.set(t);
                }
                // The other thread's own scopes still work: the refused close left its stack alone.
                try (EpochDomain.Scope own = d.enter()) {
                    refcountSeenThere.set(a.epochRefcount(own.domain().epoch()));
                }
            }, "intruder");
            other.start();
            other.join(10_000);
            assertFalse(other.isAlive());
            IllegalStateException e = assertInstanceOf(IllegalStateException.class, thrown.get());
            assertTrue(e.getMessage().contains("'intruder'") && e.getMessage().contains(Thread.currentThread().getName()),
                    e.getMessage());
            assertEquals(2L, refcountSeenThere.get());
            assertEquals(1, a.epochRefcount(0), "the refused close changed the refcount");
            scope.close();
            assertEquals(0, a.epochRefcount(0));
        }
    }

    @Test
    void closingTwiceThrowsAndChangesNothing() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-twice").build()) {
            EpochDomain d = a.newDomain("twice");
            EpochDomain.Scope outer = d.enter();
            EpochDomain.Scope inner = d.enter();
            inner.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, inner::close);
            assertTrue(e.getMessage().contains("already closed"), e.getMessage());
            assertEquals(1, a.epochRefcount(0), "the second close of 'inner' took the outer scope's count");
            outer.close();
            assertThrows(IllegalStateException.class, outer::close);
            assertEquals(0, a.epochRefcount(0));
            assertEquals(0, a.snapshot().global().totalRefcountUnderflows(), "a refused close is no underflow");
        }
    }

    /**
     * A domain allocates in its epoch (and era) only: its objects are counted in that epoch's
     * alloc_count, and once the epoch is CLOSING the domain is refused instead of spilling into the
     * current epoch.
     */
    @Test
    void aDomainAllocatesIntoItsOwnEpoch() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-alloc").epochs(2).build()) {
            EpochDomain d = a.newDomain("zero");
            long[] h = new long[3];
            try (EpochDomain.Scope scope = d.enter()) {
                for (int i = 0; i < h.length; i++) {
                    h[i] = scope.domain().alloc(200);
                    assertNotEquals(0L, h[i]);
                }
            }
            long plain = a.alloc(200);
            AllocatorSnapshot s = a.snapshot();
            assertEquals(4, s.epochStats(0).allocCount());
            assertEquals(4 * 256, s.epochStats(0).liveBytes());
            assertEquals(new ClassEpochStats(4, 256, 0, 1, 4, 1, 0, 0, 0, java.util.List.of(1L)),
                    StatsAssertions.classEpoch(s, 4, 0));

            a.advanceEpoch(); // epoch 1 current; the domain's epoch is CLOSING
            assertEquals(0L, d.alloc(200), "a domain of a CLOSING epoch allocates nothing");
            s = a.snapshot();
            assertEquals(0, s.epochStats(1).allocCount(), "nothing spilled into the current epoch");
            assertEquals(4, s.epochStats(0).allocCount());
            assertEquals(1, s.global().allocRefusedEpochClosed());
            assertEquals(1, s.classStats(4).slowPathEpochClosed());

            a.advanceEpoch(); // slot 0 ACTIVE again, in era 3
            assertEquals(EpochState.ACTIVE, a.epochState(0));
            assertEquals(0L, d.alloc(200), "the slot is ACTIVE, but in another era");
            s = a.snapshot();
            assertEquals(0, s.epochStats(0).allocCount(), "era 3 holds nothing");
            assertEquals(4, s.epochStats(0).olderErasLiveObjects());
            assertEquals(2, s.global().allocRefusedEpochClosed());
            for (long handle : h) {
                assertTrue(a.free(handle));
            }
            assertTrue(a.free(plain));
            assertThrows(IllegalArgumentException.class, () -> d.alloc(769));
            assertThrows(IllegalArgumentException.class, () -> d.alloc(0));
        }
    }

    /**
     * After the ring wraps onto the domain's slot, the domain is over: alloc returns 0, enter
     * throws, and a scope opened before the wrap closes without touching the new era's refcount.
     */
    @Test
    void aDomainOfAnOldEraCannotTouchTheNewEra() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-wrap").epochs(2).build()) {
            EpochDomain old = a.newDomain("old");
            EpochDomain.Scope lateScope = old.enter();
            assertEquals(1, a.epochRefcount(0));
            a.advanceEpoch();
            assertEquals(1, a.epochRefcount(0), "CLOSING: the scope is still counted");
            a.advanceEpoch(); // slot 0 in era 3
            assertEquals(3, a.epochEra(0));
            assertEquals(0, a.epochRefcount(0), "the new era starts with no holder");

            assertEquals(0L, old.alloc(64));
            IllegalStateException e = assertThrows(IllegalStateException.class, old::enter);
            assertTrue(e.getMessage().contains("era 1") && e.getMessage().contains("era 3"), e.getMessage());
            assertEquals(0, a.epochRefcount(0), "a refused enter counts nothing");

            lateScope.close(); // must not underflow-count, nor decrement era 3
            assertEquals(0, a.epochRefcount(0));
            assertEquals(0, a.snapshot().global().totalRefcountUnderflows());

            // And with holders in the new era: a second late scope leaves their count alone.
            EpochDomain older = a.newDomain("era-3");
            assertEquals(3, older.era());
            a.incEpochRefcount(0);
            try (EpochDomain.Scope current = older.enter()) {
                assertNotNull(current);
                assertEquals(2, a.epochRefcount(0));
            }
            assertEquals(1, a.epochRefcount(0));
            a.decEpochRefcount(0);
            assertEquals(0, a.snapshot().global().totalRefcountUnderflows());
        }
    }

    @Test
    void aLateScopeOfAnOldEraLeavesTheNewErasHoldersAlone() {
        try (SlabAllocator a = SlabAllocator.builder().name("domain-wrap-holders").epochs(2).build()) {
            EpochDomain old = a.newDomain("old");
            EpochDomain.Scope lateScope = old.enter();
            a.advanceEpoch();
            a.advanceEpoch(); // slot 0 in era 3
            a.incEpochRefcount(0);
            a.incEpochRefcount(0);
            lateScope.close();
            assertEquals(2, a.epochRefcount(0), "the old era's scope decremented the new era");
            assertEquals(2, a.snapshot().epochStats(0).refcount());
        }
    }
}
