package io.tslab;

import io.tslab.internal.SlabEngine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.tslab.TestSupport.holdsStamp;
import static io.tslab.TestSupport.stamp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of alloc / free / advance / close / write-and-read, run against the allocator and
 * a simple model of it: which handles and segments are live, which epochs are CLOSING, the era of
 * each ring slot, which frees must fail, and the bytes each live object holds. At the end of each
 * try the engine's invariants hold and freeing everything and closing every epoch leaves nothing.
 */
class AllocatorModelProperties {

    sealed interface Op {
    }

    /** {@code alloc(size)} in the current epoch. */
    record Alloc(int size) implements Op {
    }

    /** {@code alloc(size, epoch % epochs)}. */
    record AllocIn(int size, int epoch) implements Op {
    }

    /** {@code allocate(size, 1 << alignShift)}. */
    record AllocSegment(int size, int alignShift) implements Op {
    }

    /** {@code free} of a handle ever issued (live, freed or stale), picked by index. */
    record Free(int pick) implements Op {
    }

    /** {@code free(MemorySegment)} of a segment ever issued, picked by index. */
    record FreeSegment(int pick) implements Op {
    }

    /** {@code free} of an issued handle with one bit flipped. */
    record FreeFlipped(int pick, int bit) implements Op {
    }

    /** Rewrite a live object's contents through {@code segment(h)}. */
    record Write(int pick, long seed) implements Op {
    }

    record Advance() implements Op {
    }

    /** {@code closeEpoch(epoch % epochs)}. */
    record Close(int epoch) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Integer> sizes = Arbitraries.integers().between(1, 768)
                .edgeCases(c -> c.includeOnly(1, 64, 65, 96, 128, 512, 513, 768));
        Arbitrary<Integer> picks = Arbitraries.integers().between(0, 10_000);
        Arbitrary<Op> alloc = sizes.map(Alloc::new);
        Arbitrary<Op> allocIn = Combinators.combine(sizes, Arbitraries.integers().between(0, 255)).as(AllocIn::new);
        Arbitrary<Op> allocSegment = Combinators.combine(sizes, Arbitraries.integers().between(0, 10))
                .as(AllocSegment::new);
        Arbitrary<Op> free = picks.map(Free::new);
        Arbitrary<Op> freeSegment = picks.map(FreeSegment::new);
        Arbitrary<Op> freeFlipped = Combinators.combine(picks, Arbitraries.integers().between(0, 63))
                .as(FreeFlipped::new);
        Arbitrary<Op> write = Combinators.combine(picks, Arbitraries.longs()).as(Write::new);
        Arbitrary<Op> advance = Arbitraries.just(new Advance());
        Arbitrary<Op> close = Arbitraries.integers().between(0, 255).map(Close::new);
        return Arbitraries.frequencyOf(List.of(
                Tuple.of(20, alloc), Tuple.of(5, allocIn), Tuple.of(5, allocSegment), Tuple.of(18, free),
                Tuple.of(4, freeSegment), Tuple.of(4, freeFlipped), Tuple.of(6, write), Tuple.of(4, advance),
                Tuple.of(2, close)))
                .list().ofMinSize(1).ofMaxSize(250);
    }

    @Provide
    Arbitrary<Integer> ringSizes() {
        return Arbitraries.of(2, 4, 16);
    }

    @Provide
    Arbitrary<Integer> cacheCapacities() {
        return Arbitraries.of(0, 1, 32);
    }

    @Property(tries = 300)
    void theAllocatorAgreesWithTheModel(@ForAll("operations") List<Op> ops, @ForAll("ringSizes") int epochs,
                                        @ForAll("cacheCapacities") int cacheCapacity) {
        try (SlabAllocator a = SlabAllocator.builder().name("model").epochs(epochs).cacheCapacity(cacheCapacity)
                .reserveBytes(64L << 20).build()) {
            Model m = new Model(a, epochs);
            m.checkEpochs();
            for (Op op : ops) {
                m.apply(op);
                m.checkEpochs();
                assertEquals(m.liveCount(), a.engine().census().totalLiveObjects(), "after " + op);
            }
            m.checkAllContents();
            assertEquals(List.of(), a.engine().checkInvariants(), "invariants after " + ops);
            assertEquals(m.liveCount(), a.snapshot().global().liveObjects());
            assertEquals(m.rejectedFrees, a.snapshot().global().totalInvalidFrees());
            assertEquals(m.refusedClosed, a.engine().refusals(SlabEngine.REFUSED_EPOCH_CLOSED));

            m.freeEverything();
            assertEquals(0, a.snapshot().global().liveObjects());
            TestSupport.closeAllEpochs(a);
            assertEquals(0, a.snapshot().global().netSlabs(), "every slab reclaimable");
            assertEquals(List.of(), a.engine().checkInvariants(), "invariants after freeing and closing all");
        }
    }

    /** What the allocator should look like. */
    static final class Model {
        final SlabAllocator a;
        final int epochs;
        int current;
        long eraCounter = 1;
        final long[] eras;
        final boolean[] closing;
        /** Every handle ever issued, in order; the live ones map to their stamp. */
        final List<Long> issued = new ArrayList<>();
        final Set<Long> issuedSet = new HashSet<>();
        final Map<Long, Long> live = new LinkedHashMap<>();
        final List<MemorySegment> segments = new ArrayList<>();
        /** By identity: a stale segment {@code equals} the live one handed out later at the same address. */
        final Map<MemorySegment, Long> liveSegments = new IdentityHashMap<>();
        long nextSeed = 1;
        long rejectedFrees;
        long refusedClosed;

        Model(SlabAllocator a, int epochs) {
            this.a = a;
            this.epochs = epochs;
            this.eras = new long[epochs];
            this.closing = new boolean[epochs];
            eras[0] = 1;
            for (int e = 1; e < epochs; e++) {
                closing[e] = true; // not reached yet
            }
        }

        long liveCount() {
            return live.size() + liveSegments.size();
        }

        void apply(Op op) {
            switch (op) {
                case Alloc(int size) -> allocIn(size, current, true);
                case AllocIn(int size, int epoch) -> allocIn(size, epoch % epochs, false);
                case AllocSegment(int size, int alignShift) -> allocSegment(size, 1L << alignShift);
                case Free(int pick) -> {
                    if (!issued.isEmpty()) {
                        free(issued.get(pick % issued.size()));
                    }
                }
                case FreeSegment(int pick) -> {
                    if (!segments.isEmpty()) {
                        freeSegment(segments.get(pick % segments.size()));
                    }
                }
                case FreeFlipped(int pick, int bit) -> {
                    if (!issued.isEmpty()) {
                        long flipped = issued.get(pick % issued.size()) ^ (1L << bit);
                        if (!live.containsKey(flipped) && !namesLiveSegment(flipped)) {
                            free(flipped); // unless the flip landed on another live object's handle
                        }
                    }
                }
                case Write(int pick, long seed) -> {
                    if (!live.isEmpty()) {
                        long h = List.copyOf(live.keySet()).get(pick % live.size());
                        TestSupport.stampHandle(a, h, seed);
                        live.put(h, seed);
                    }
                }
                case Advance() -> {
                    int next = a.advanceEpoch();
                    assertEquals((current + 1) % epochs, next);
                    closing[current] = true;
                    current = next;
                    closing[next] = false;
                    eras[next] = ++eraCounter;
                }
                case Close(int epoch) -> {
                    a.closeEpoch(epoch % epochs);
                    closing[epoch % epochs] = true;
                }
            }
        }

        /**
         * Whether {@code h} is the (never published) handle of a live object handed out by {@code
         * allocate}: it names that object's slot and the engine accepts it.
         */
        boolean namesLiveSegment(long h) {
            if (a.engine().validate(h) >= 0) {
                return false;
            }
            long address = a.memory().address() + a.offset(h);
            return liveSegments.keySet().stream().anyMatch(s -> s.address() == address);
        }

        void allocIn(int size, int epoch, boolean implicit) {
            long h = implicit ? a.alloc(size) : a.alloc(size, epoch);
            if (closing[epoch]) {
                assertEquals(0L, h, "epoch " + epoch + " is CLOSING");
                refusedClosed++;
                return;
            }
            assertNotEquals(0L, h, "epoch " + epoch + " is ACTIVE");
            assertTrue(issuedSet.add(h), "handle 0x" + Long.toHexString(h) + " issued twice");
            MemorySegment s = a.segment(h);
            assertEquals(SlabAllocator.classSize(SlabAllocator.sizeClassOf(size)), s.byteSize());
            assertEquals(0, s.address() % 16);
            long seed = nextSeed++;
            stamp(s, 0, (int) s.byteSize(), seed);
            issued.add(h);
            live.put(h, seed);
        }

        void allocSegment(int size, long alignment) {
            if (SlabAllocatorContract.expectedClassFor(size, alignment) < 0) {
                assertThrows(IllegalArgumentException.class, () -> a.allocate(size, alignment));
                return;
            }
            if (closing[current]) {
                assertThrows(IllegalStateException.class, () -> a.allocate(size, alignment));
                refusedClosed++;
                return;
            }
            MemorySegment s = a.allocate(size, alignment);
            assertEquals(size, s.byteSize());
            assertEquals(0, s.address() % alignment);
            long seed = nextSeed++;
            stamp(s, 0, size, seed);
            segments.add(s);
            liveSegments.put(s, seed);
        }

        void free(long h) {
            Long seed = live.get(h);
            if (seed != null) {
                MemorySegment s = a.segment(h);
                assertTrue(holdsStamp(s, 0, (int) s.byteSize(), seed), "contents kept until the free");
                assertTrue(a.free(h), "free of a live handle");
                live.remove(h);
            } else {
                assertFalse(a.free(h), "free of 0x" + Long.toHexString(h) + ", not live");
                assertThrows(IllegalArgumentException.class, () -> a.segment(h));
                rejectedFrees++;
            }
        }

        void freeSegment(MemorySegment s) {
            Long seed = liveSegments.get(s);
            if (seed != null) {
                assertTrue(holdsStamp(s, 0, (int) s.byteSize(), seed), "contents kept until the free");
                assertTrue(a.free(s));
                liveSegments.remove(s);
            } else {
                assertFalse(a.free(s));
                rejectedFrees++;
            }
        }

        void checkEpochs() {
            assertEquals(current, a.currentEpoch());
            for (int e = 0; e < epochs; e++) {
                assertEquals(closing[e] ? EpochState.CLOSING : EpochState.ACTIVE, a.epochState(e), "epoch " + e);
                assertEquals(eras[e], a.epochEra(e), "era of epoch " + e);
            }
        }

        void checkAllContents() {
            for (Map.Entry<Long, Long> e : live.entrySet()) {
                TestSupport.assertStamp(a, e.getKey(), e.getValue());
            }
            for (Map.Entry<MemorySegment, Long> e : liveSegments.entrySet()) {
                assertTrue(holdsStamp(e.getKey(), 0, (int) e.getKey().byteSize(), e.getValue()));
            }
        }

        void freeEverything() {
            for (long h : List.copyOf(live.keySet())) {
                free(h);
            }
            for (MemorySegment s : List.copyOf(liveSegments.keySet())) {
                freeSegment(s);
            }
            for (long h : issued) {
                assertFalse(a.free(h), "every handle is freed once only");
            }
        }
    }
}
