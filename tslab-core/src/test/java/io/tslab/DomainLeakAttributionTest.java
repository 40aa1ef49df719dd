package io.tslab;

import io.tslab.stats.AllocatorSnapshot;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leak attribution: with {@code leakDetection(true)}, an epoch whose refcount stays above zero
 * lists, in its snapshot, where each still-open scope was entered (the test method here), with a
 * count per site; with it off, nothing is recorded.
 */
class DomainLeakAttributionTest {
    private static final String SELF = DomainLeakAttributionTest.class.getName();

    @Test
    void anUnclosedScopeIsAttributedToTheMethodThatEnteredIt() {
        try (SlabAllocator a = SlabAllocator.builder().name("leaks").leakDetection(true).build()) {
            EpochDomain d = a.newDomain("leaky");
            EpochDomain.Scope forgotten = d.enter();
            AllocatorSnapshot s = a.snapshot();
            assertTrue(s.leakDetection());
            List<String> sites = s.epochStats(0).leakSites();
            assertEquals(1, sites.size(), sites.toString());
            String site = sites.getFirst();
            assertTrue(site.startsWith(SELF + ".anUnclosedScopeIsAttributedToTheMethodThatEnteredIt:"), site);
            assertTrue(site.endsWith("(1 open)"), site);
            assertEquals(1, s.epochStats(0).refcount());
            assertEquals(List.of(), s.epochStats(1).leakSites());

            Map<String, Object> epoch0 = StatsJson.element(StatsJson.array(StatsJson.parseObject(s.toJson()), "epochs"), 0);
            assertEquals(List.of(site), epoch0.get("leak_sites"));

            forgotten.close();
            assertEquals(List.of(), a.snapshot().epochStats(0).leakSites(), "a closed scope is no leak");
        }
    }

    @Test
    void scopesEnteredAtTheSameSiteAreCountedTogether() {
        try (SlabAllocator a = SlabAllocator.builder().name("leaks-count").leakDetection(true).build()) {
            EpochDomain d = a.newDomain("leaky");
            List<EpochDomain.Scope> open = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                open.add(d.enter());
            }
            EpochDomain.Scope viaHelper = enterFor(d);
            List<String> sites = a.snapshot().epochStats(0).leakSites();
            assertEquals(2, sites.size(), sites.toString());
            assertTrue(sites.get(0).startsWith(SELF + ".scopesEnteredAtTheSameSiteAreCountedTogether:"), sites.toString());
            assertTrue(sites.get(0).endsWith("(3 open)"), sites.toString());
            assertTrue(sites.get(1).startsWith(SELF + ".enterFor:"), sites.toString());
            assertTrue(sites.get(1).contains(" < " + SELF + ".scopesEnteredAtTheSameSiteAreCountedTogether:"),
                    "the caller is named after the helper: " + sites);
            assertTrue(sites.get(1).endsWith("(1 open)"), sites.toString());
            viaHelper.close();
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
            assertEquals(List.of(), a.snapshot().epochStats(0).leakSites());
        }
    }

    /** Sites belong to one era: the ring reactivating the slot forgets the old era's scopes. */
    @Test
    void aNewEraOfTheSlotHasNoLeakSitesOfTheOldOne() {
        try (SlabAllocator a = SlabAllocator.builder().name("leaks-era").epochs(2).leakDetection(true).build()) {
            EpochDomain.Scope old = a.newDomain("old").enter();
            a.advanceEpoch();
            assertEquals(1, a.snapshot().epochStats(0).leakSites().size(), "CLOSING, still held");
            a.advanceEpoch();
            assertEquals(List.of(), a.snapshot().epochStats(0).leakSites());
            old.close();
        }
    }

    @Test
    void withLeakDetectionOffNothingIsRecorded() {
        try (SlabAllocator a = SlabAllocator.builder().name("leaks-off").leakDetection(false).build()) {
            EpochDomain.Scope open = a.newDomain("leaky").enter();
            AllocatorSnapshot s = a.snapshot();
            assertFalse(s.leakDetection());
            assertEquals(1, s.epochStats(0).refcount());
            assertEquals(List.of(), s.epochStats(0).leakSites());
            Map<String, Object> json = StatsJson.parseObject(s.toJson());
            assertEquals(Boolean.FALSE, json.get("leak_detection"));
            assertEquals(List.of(), StatsJson.element(StatsJson.array(json, "epochs"), 0).get("leak_sites"));
            open.close();
        }
    }

    private static EpochDomain.Scope enterFor(EpochDomain d) {
        return d.enter();
    }
}
