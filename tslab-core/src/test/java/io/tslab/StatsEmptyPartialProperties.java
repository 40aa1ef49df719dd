package io.tslab;

import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.EpochStats;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code empty_partial_count} is maintained in O(1) (a per-bin count moved by the thread that saw
 * a slab's word reach or leave 0); after any workload it must equal what a full scan finds: the
 * engine's census walking every slab, and the per-(class, epoch) empty counts of the snapshot's own
 * slab walk. Live objects per epoch and era are checked against the test's own bookkeeping. And
 * retention is bounded exactly: a CLOSING epoch holds no empty slab (an advance recycles the ones
 * the old epoch kept, a close recycles those of the epoch it closes, a free recycles the slab it
 * empties), and the ACTIVE epoch keeps at most the cache capacity of empty slabs per class.
 */
class StatsEmptyPartialProperties {

    sealed interface Op {
    }

    /** {@code count} objects of {@code size} bytes in the current epoch. */
    record Alloc(int size, int count) implements Op {
    }

    /** Frees {@code count} live objects, picked from {@code seed}. */
    record Free(int count, int seed) implements Op {
    }

    /** Frees every live object of the slab that holds the live object picked by {@code seed}. */
    record FreeSlab(int seed) implements Op {
    }

    record Advance() implements Op {
    }

    /** {@code closeEpoch(epoch % epochs)}. */
    record Close(int epoch) implements Op {
    }

    /** A live object and where the test put it. */
    record Live(long handle, int epoch, long era) {
    }

    @Provide
    Arbitrary<List<Op>> workloads() {
        Arbitrary<Integer> sizes = Arbitraries.of(64, 96, 128, 192, 256, 384, 512, 768);
        Arbitrary<Op> alloc = Combinators.combine(sizes, Arbitraries.integers().between(1, 90)).<Op>as(Alloc::new);
        Arbitrary<Op> free = Combinators.combine(Arbitraries.integers().between(1, 60),
                Arbitraries.integers().between(0, Integer.MAX_VALUE)).<Op>as(Free::new);
        Arbitrary<Op> freeSlab = Arbitraries.integers().between(0, Integer.MAX_VALUE).<Op>map(FreeSlab::new);
        Arbitrary<Op> advance = Arbitraries.<Op>just(new Advance());
        Arbitrary<Op> close = Arbitraries.integers().between(0, 7).<Op>map(Close::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(List.of(Tuple.of(6, alloc), Tuple.of(4, free),
                Tuple.of(3, freeSlab), Tuple.of(2, advance), Tuple.of(1, close)));
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 80)
    void emptyPartialCountEqualsAFullScan(@ForAll("workloads") List<Op> ops,
                                          @ForAll @IntRange(min = 0, max = 4) int cacheCapacity,
                                          @ForAll @IntRange(min = 1, max = 3) int ringShift) {
        int epochs = 1 << ringShift;
        try (SlabAllocator a = SlabAllocator.builder().name("empty-partial").epochs(epochs)
                .cacheCapacity(cacheCapacity).reserveBytes(32L << 20).build()) {
            List<Live> live = new ArrayList<>();
            int step = 0;
            for (Op op : ops) {
                apply(a, op, live);
                check(a, live, cacheCapacity,
                        "after step " + step + " " + op + " (epochs " + epochs + ", capacity " + cacheCapacity + ")");
                step++;
            }
            for (Live l : live) {
                if (!a.free(l.handle())) {
                    fail("live handle refused at the end");
                }
            }
            live.clear();
            check(a, live, cacheCapacity, "after freeing everything");
        }
    }

    private static void apply(SlabAllocator a, Op op, List<Live> live) {
        switch (op) {
            case Alloc(int size, int count) -> {
                int epoch = a.currentEpoch();
                long era = a.epochEra(epoch);
                boolean closing = a.epochState(epoch) == EpochState.CLOSING;
                for (int i = 0; i < count; i++) {
                    long h = a.alloc(size);
                    if (closing) {
                        assertEquals(0L, h, "a CLOSING epoch refuses");
                    } else {
                        assertNotEquals(0L, h);
                        live.add(new Live(h, epoch, era));
                    }
                }
            }
            case Free(int count, int seed) -> {
                java.util.Random random = new java.util.Random(seed);
                for (int i = 0; i < count && !live.isEmpty(); i++) {
                    Live l = live.remove(random.nextInt(live.size()));
                    if (!a.free(l.handle())) {
                        fail("live handle refused");
                    }
                }
            }
            case FreeSlab(int seed) -> {
                if (live.isEmpty()) {
                    return;
                }
                int slab = Handles.slab(live.get(Math.floorMod(seed, live.size())).handle());
                live.removeIf(l -> {
                    if (Handles.slab(l.handle()) != slab) {
                        return false;
                    }
                    if (!a.free(l.handle())) {
                        fail("live handle refused");
                    }
                    return true;
                });
            }
            case Advance() -> a.advanceEpoch();
            case Close(int epoch) -> a.closeEpoch(epoch % a.epochCount());
        }
    }

    private static void check(SlabAllocator a, List<Live> live, int cacheCapacity, String when) {
        assertEquals(List.of(), a.engine().checkInvariants(), when);
        AllocatorSnapshot s = a.snapshot();
        SlabEngine.Census census = a.engine().census();
        int epochs = a.epochCount();
        for (int e = 0; e < epochs; e++) {
            long scanned = 0;
            for (long[] byEpoch : census.emptySlabs) {
                scanned += byEpoch[e];
            }
            long walked = 0;
            for (ClassEpochStats ce : s.classEpochs()) {
                if (ce.epochId() == e) {
                    walked += ce.emptySlabCount();
                }
            }
            EpochStats es = s.epochStats(e);
            assertEquals(scanned, es.emptyPartialCount(), "epoch " + e + " empty_partial_count vs census, " + when);
            assertEquals(walked, es.emptyPartialCount(), "epoch " + e + " empty_partial_count vs class_epochs, " + when);
            if (es.state() == EpochState.CLOSING) {
                assertEquals(0, es.emptyPartialCount(), "CLOSING epoch " + e + " keeps no empty slab, " + when);
            } else {
                for (int c = 0; c < census.emptySlabs.length; c++) {
                    if (census.emptySlabs[c][e] > cacheCapacity) {
                        fail("ACTIVE epoch " + e + " keeps " + census.emptySlabs[c][e] + " empty slabs of class " + c
                                + " (capacity " + cacheCapacity + "), " + when);
                    }
                }
            }
            long latestEra = es.epochEra();
            int epoch = e;
            long mine = live.stream().filter(l -> l.epoch() == epoch && l.era() == latestEra).count();
            long older = live.stream().filter(l -> l.epoch() == epoch && l.era() != latestEra).count();
            assertEquals(mine, es.allocCount(), "epoch " + e + " alloc_count, " + when);
            assertEquals(older, es.olderErasLiveObjects(), "epoch " + e + " older eras' live objects, " + when);
        }
        assertEquals(live.size(), s.global().liveObjects(), when);
        assertEquals(census.totalLiveObjects(), s.global().liveObjects(), when);
        assertEquals(census.totalSlabs(), s.global().netSlabs(), when);
        assertEquals(s.global().totalSlabsAllocated() - s.global().totalSlabsRecycled(), s.global().netSlabs(), when);
        assertEquals(List.of(), StatsAssertions.brokenQuiescentRules(s), when);
    }
}
