package io.tslab;

import io.tslab.OwnershipTable.Live;
import io.tslab.internal.Handles;
import io.tslab.internal.SlabEngine;
import io.tslab.internal.statsfile.StatsFileWriter;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static io.tslab.TestSupport.CLASS_SIZES;
import static io.tslab.TestSupport.CLASS_SLOTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One targeted race per publication protocol of {@code io.tslab.internal} (see its
 * {@code package-info}): thousands of short rounds each, every round a fresh interleaving of two
 * to three actors released together after random delays ({@link Races}). Each test's javadoc
 * names the outcome that must never happen; objects are claimed in an {@link OwnershipTable} and
 * stamped over their whole memory, so an object handed out twice, or a slab given back to the OS
 * while it still holds an object, is caught whether or not the allocator's own counters notice.
 *
 * <p>Each run is bounded by rounds and by time ({@value #SECONDS_PROPERTY} scales the time, default
 * 1: about 25 s for the class); a round that hangs fails after {@link Races#ROUND_TIMEOUT}.
 */
class ProtocolStressTest {
    static final String SECONDS_PROPERTY = "tslab.races.scale";
    private static final int MAX_ROUNDS = 1_000_000;
    private static final int MIN_ROUNDS = 200;
    private static final AtomicLong OWNERS = new AtomicLong(1L << 40);

    private static Duration budget(double seconds) {
        double scale = Double.parseDouble(System.getProperty(SECONDS_PROPERTY, "1"));
        return Duration.ofMillis((long) (seconds * scale * 1000));
    }

    private static SlabAllocator.Builder quiet(String name) {
        return SlabAllocator.builder().name(name).publishStatsFile(false).registerMXBean(false);
    }

    private static long owner() {
        return OWNERS.incrementAndGet();
    }

    private static long liveOfClass(SlabAllocator a, int sizeClass) {
        long live = 0;
        for (long n : a.engine().census().liveObjects[sizeClass]) {
            live += n;
        }
        return live;
    }

    private static long slabsOfEpoch(SlabAllocator a, int epoch) {
        long slabs = 0;
        for (long[] perEpoch : a.engine().census().slabs) {
            slabs += perEpoch[epoch];
        }
        return slabs;
    }

    private static void assertInvariants(SlabAllocator a, int round) {
        List<String> broken = a.engine().checkInvariants();
        if (!broken.isEmpty()) {
            fail("round " + round + ": broken invariants " + broken);
        }
    }

    // ---- slot claim vs free ------------------------------------------------------------------

    /**
     * <b>Slot claim vs free.</b> Two actors free the same handles of one slab (one in order, one in
     * reverse: every handle is freed twice at once) while a third allocates into that slab.
     * Forbidden: a handle whose two frees both return {@code true}, or neither does; an allocation
     * handed a slot that is still live (caught by the ownership table at the claim); a live object
     * that loses its stamp; a census that disagrees with the objects held once the round is over.
     */
    @Test
    void aSlotIsClaimedByOneAllocationAndFreedByExactlyOneFree() throws Exception {
        try (SlabAllocator a = quiet("race-claim-free").reserveBytes(16L << 20).epochs(4).build()) {
            OwnershipTable own = new OwnershipTable(a, a.memory().byteSize());
            Races.Summary s = Races.run("claim-vs-free", 3, MIN_ROUNDS, MAX_ROUNDS, budget(3), 101, new Races.Round() {
                int sizeClass;
                final List<Live> kept = new ArrayList<>();
                Live[] racing;
                AtomicIntegerArray wins;
                int toAllocate;
                final List<Live> claimed = new ArrayList<>();

                @Override
                public void setup(int round, SplittableRandom random) {
                    sizeClass = random.nextInt(2); // 64 slots (a full word is all ones, like SEALED) or 42
                    int n = 1 + random.nextInt(CLASS_SLOTS[sizeClass]);
                    List<Live> free = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        long h = a.alloc(CLASS_SIZES[sizeClass]);
                        assertTrue(h != 0);
                        Live o = own.adopt(h, owner());
                        if (random.nextBoolean()) {
                            own.release(o);
                            free.add(o);
                        } else {
                            kept.add(o);
                        }
                    }
                    racing = free.toArray(new Live[0]);
                    wins = new AtomicIntegerArray(racing.length);
                    toAllocate = 1 + random.nextInt(CLASS_SLOTS[sizeClass]);
                    claimed.clear();
                }

                @Override
                public void actor(int actor, int round) {
                    switch (actor) {
                        case 0 -> {
                            for (int i = 0; i < racing.length; i++) {
                                if (a.free(racing[i].handle())) {
                                    wins.incrementAndGet(i);
                                }
                            }
                        }
                        case 1 -> {
                            for (int i = racing.length - 1; i >= 0; i--) {
                                if (a.free(racing[i].handle())) {
                                    wins.incrementAndGet(i);
                                }
                            }
                        }
                        default -> {
                            for (int i = 0; i < toAllocate; i++) {
                                long h = a.alloc(CLASS_SIZES[sizeClass]);
                                if (h == 0) {
                                    throw new AssertionError("alloc refused with room in the reservation");
                                }
                                claimed.add(own.adopt(h, owner()));
                            }
                        }
                    }
                }

                @Override
                public void check(int round) {
                    for (int i = 0; i < racing.length; i++) {
                        if (wins.get(i) != 1) {
                            fail(racing[i] + " was freed " + wins.get(i) + " times by two racing frees");
                        }
                    }
                    assertEquals(kept.size() + claimed.size(), liveOfClass(a, sizeClass), "live objects of the class");
                    for (Live o : kept) {
                        own.free(o);
                    }
                    for (Live o : claimed) {
                        own.free(o);
                    }
                    kept.clear();
                    if (round % 256 == 0) {
                        assertInvariants(a, round);
                    }
                }
            });
            assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
            assertInvariants(a, s.rounds());
            assertEquals(0, a.snapshot().global().liveObjects());
        }
    }

    // ---- sealing an empty slab vs a late allocation ----------------------------------------

    /**
     * <b>Sealing an empty slab vs a late allocation</b>, where a slab empties because the class keeps
     * no empty slab ({@code cacheCapacity(0)}): one actor frees the only object of the bin's current
     * slab, which seals and recycles it (its pages go back with {@code madvise}); another allocates
     * in the same class, a third in another class from the pool the slab goes back to. Forbidden:
     * an allocation that lands in the slab after it was sealed (its stamp is zeroed by the
     * {@code madvise}, or the next user of the slab is handed the same memory: the ownership table
     * sees it); a free of a live object refused; a slab left in service once everything is freed.
     */
    @Test
    void anEmptiedSlabIsSealedOrClaimedNeverBothWhenItOverflowsTheCache() throws Exception {
        try (SlabAllocator a = quiet("race-seal-overflow").reserveBytes(16L << 20).epochs(4).cacheCapacity(0).build()) {
            OwnershipTable own = new OwnershipTable(a, a.memory().byteSize());
            Races.Summary s = Races.run("seal-vs-alloc/overflow", 3, MIN_ROUNDS, MAX_ROUNDS, budget(2), 202, new Races.Round() {
                Live lone;
                int claimCount;
                int otherCount;
                final List<Live> claimed = new ArrayList<>();
                final List<Live> other = new ArrayList<>();

                @Override
                public void setup(int round, SplittableRandom random) {
                    long h = a.alloc(64);
                    assertTrue(h != 0);
                    lone = own.adopt(h, owner()); // a fresh slab from the pool: the bin's current, holding one object
                    own.release(lone);
                    claimCount = 1 + random.nextInt(70);
                    otherCount = random.nextInt(12);
                    claimed.clear();
                    other.clear();
                }

                @Override
                public void actor(int actor, int round) {
                    switch (actor) {
                        case 0 -> {
                            if (!a.free(lone.handle())) {
                                throw new AssertionError("free of the live object " + lone + " refused");
                            }
                        }
                        case 1 -> {
                            for (int i = 0; i < claimCount; i++) {
                                long h = a.alloc(64);
                                if (h == 0) {
                                    throw new AssertionError("alloc(64) refused in an ACTIVE epoch with room");
                                }
                                claimed.add(own.adopt(h, owner()));
                            }
                        }
                        default -> {
                            for (int i = 0; i < otherCount; i++) {
                                long h = a.alloc(256);
                                if (h == 0) {
                                    throw new AssertionError("alloc(256) refused in an ACTIVE epoch with room");
                                }
                                other.add(own.adopt(h, owner()));
                            }
                        }
                    }
                }

                @Override
                public void check(int round) {
                    for (Live o : claimed) {
                        own.free(o);
                    }
                    for (Live o : other) {
                        own.free(o);
                    }
                    SlabEngine.Census c = a.engine().census();
                    if (c.totalSlabs() != 0) {
                        fail("with no empty-slab cache, " + c.totalSlabs() + " slab(s) stayed in service after every"
                                + " object was freed");
                    }
                    if (round % 256 == 0) {
                        assertInvariants(a, round);
                    }
                }
            });
            assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
            assertInvariants(a, s.rounds());
            long madvised = a.snapshot().global().totalMadviseCalls();
            assertTrue(madvised >= s.rounds(), madvised + " madvise calls in " + s.rounds() + " rounds: every round"
                    + " recycles at least the lone object's slab");
        }
    }

    /**
     * <b>Sealing an empty slab vs a late allocation</b>, where the slab empties in an era that the
     * ring has just closed: one actor advances the ring and frees the only object of the old epoch's
     * current slab (in either order), which recycles the slab; another allocates in the old epoch by
     * its slot number, a third in the current epoch. Forbidden: an allocation in the old epoch that
     * starts after {@code advanceEpoch()} returned and succeeds; an allocation in the current epoch
     * refused (nothing ever closes it); an object that loses its stamp or overlaps another; the old
     * epoch keeping a slab once its objects are freed.
     */
    @Test
    void aSlabEmptiedInAClosedEraIsRecycledAndNeverAllocatedInAgain() throws Exception {
        try (SlabAllocator a = quiet("race-seal-era").reserveBytes(16L << 20).epochs(2).build()) {
            OwnershipTable own = new OwnershipTable(a, a.memory().byteSize());
            Races.Summary s = Races.run("seal-vs-alloc/closed-era", 3, MIN_ROUNDS, MAX_ROUNDS, budget(2), 303, new Races.Round() {
                int epoch;
                Live lone;
                boolean freeFirst;
                volatile boolean advanced;
                int attempts;
                final List<Live> old = new ArrayList<>();
                final List<Live> current = new ArrayList<>();

                @Override
                public void setup(int round, SplittableRandom random) {
                    epoch = a.currentEpoch();
                    long h = a.alloc(64, epoch);
                    assertTrue(h != 0);
                    lone = own.adopt(h, owner());
                    own.release(lone);
                    freeFirst = random.nextBoolean();
                    advanced = false;
                    attempts = 1 + random.nextInt(64);
                    old.clear();
                    current.clear();
                }

                @Override
                public void actor(int actor, int round) {
                    switch (actor) {
                        case 0 -> {
                            if (freeFirst && !a.free(lone.handle())) {
                                throw new AssertionError("free of " + lone + " refused");
                            }
                            a.advanceEpoch();
                            advanced = true;
                            if (!freeFirst && !a.free(lone.handle())) {
                                throw new AssertionError("free of " + lone + " refused");
                            }
                        }
                        case 1 -> {
                            for (int i = 0; i < attempts; i++) {
                                boolean after = advanced;
                                long h = a.alloc(64, epoch);
                                if (h != 0) {
                                    if (after) {
                                        throw new AssertionError("alloc(64, " + epoch + ") succeeded after advanceEpoch()"
                                                + " returned: the epoch was CLOSING");
                                    }
                                    old.add(own.adopt(h, owner()));
                                }
                            }
                        }
                        default -> {
                            for (int i = 0; i < attempts; i++) {
                                long h = a.alloc(64);
                                if (h == 0) {
                                    throw new AssertionError("alloc(64) in the current epoch refused while only"
                                            + " advanceEpoch() ran");
                                }
                                current.add(own.adopt(h, owner()));
                            }
                        }
                    }
                }

                @Override
                public void check(int round) {
                    for (Live o : old) {
                        own.free(o);
                    }
                    for (Live o : current) {
                        own.free(o);
                    }
                    if (slabsOfEpoch(a, epoch) != 0) {
                        fail("epoch " + epoch + " (CLOSING) keeps " + slabsOfEpoch(a, epoch)
                                + " slab(s) after every object in it was freed");
                    }
                    if (round % 256 == 0) {
                        assertInvariants(a, round);
                    }
                }
            });
            assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
            assertInvariants(a, s.rounds());
        }
    }

    /**
     * <b>Sealing an empty slab vs a late allocation</b>, where the sealer is another class: the
     * reservation is full, so an allocation of a class with no room takes an empty slab that class
     * 0 keeps for reuse (its current one, or the other one it keeps), sealing it, while an actor
     * allocates class-0 objects into that very slab. Forbidden: both winning the same memory (the
     * ownership table sees the second claim, the stamps the overwrite); a free refused; broken
     * invariants. A refusal is allowed (the reservation is full) and counted.
     */
    @Test
    void anEmptySlabTakenByAnotherClassIsNeverAlsoFilledByItsOwn() throws Exception {
        try (SlabAllocator a = quiet("race-seal-steal").reserveBytes(1L << 20).epochs(4).cacheCapacity(2).build()) {
            OwnershipTable own = new OwnershipTable(a, a.memory().byteSize());
            // Fill the reservation with class-1 objects, then free two slabs' worth: they are the only
            // slabs that move from round to round.
            List<Live> filler = new ArrayList<>();
            for (long h; (h = a.alloc(96)) != 0; ) {
                filler.add(own.adopt(h, owner()));
            }
            assertEquals(256 * 42, filler.size());
            Map<Integer, List<Live>> bySlab = new HashMap<>();
            for (Live o : filler) {
                bySlab.computeIfAbsent(Handles.slab(o.handle()), k -> new ArrayList<>()).add(o);
            }
            for (int slab : new int[] {17, 211}) {
                for (Live o : bySlab.get(slab)) {
                    own.free(o);
                    filler.remove(o);
                }
            }
            LongAdder refused = new LongAdder();
            Races.Summary s = Races.run("seal-vs-alloc/taken-by-another-class", 3, MIN_ROUNDS, MAX_ROUNDS, budget(2), 404,
                    new Races.Round() {
                        int claimCount;
                        final List<Live> claimed = new ArrayList<>();
                        final List<Live> taken = new ArrayList<>();

                        @Override
                        public void setup(int round, SplittableRandom random) {
                            // The two loose slabs back to the pool, then kept empty by class 0.
                            a.advanceEpoch();
                            assertEquals(2, a.snapshot().global().pooledSlabs(), "pooled slabs before the round");
                            List<Live> two = new ArrayList<>();
                            for (int i = 0; i < 128; i++) {
                                long h = a.alloc(64);
                                assertTrue(h != 0);
                                two.add(own.adopt(h, owner()));
                            }
                            for (Live o : two) {
                                own.free(o);
                            }
                            assertEquals(0, a.snapshot().global().pooledSlabs(), "the pool is empty");
                            claimCount = 1 + random.nextInt(100);
                            claimed.clear();
                            taken.clear();
                        }

                        @Override
                        public void actor(int actor, int round) {
                            if (actor == 0) {
                                for (int i = 0; i < claimCount; i++) {
                                    long h = a.alloc(64);
                                    if (h == 0) {
                                        refused.increment();
                                        break;
                                    }
                                    Live o = own.adopt(h, owner());
                                    synchronized (claimed) {
                                        claimed.add(o);
                                    }
                                }
                            } else {
                                long h = a.alloc(actor == 1 ? 128 : 192);
                                if (h == 0) {
                                    refused.increment();
                                } else {
                                    Live o = own.adopt(h, owner());
                                    synchronized (taken) {
                                        taken.add(o);
                                    }
                                }
                            }
                        }

                        @Override
                        public void check(int round) {
                            synchronized (claimed) {
                                for (Live o : claimed) {
                                    own.free(o);
                                }
                            }
                            synchronized (taken) {
                                for (Live o : taken) {
                                    own.free(o);
                                }
                            }
                            if (round % 128 == 0) {
                                assertInvariants(a, round);
                                for (Live o : filler) {
                                    own.verify(o);
                                }
                            }
                        }
                    });
            assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
            System.out.println("races seal-vs-alloc/taken-by-another-class: " + refused.sum() + " refusals (reservation full)");
            for (Live o : filler) {
                own.free(o);
            }
            assertInvariants(a, s.rounds());
            assertEquals(0, a.snapshot().global().liveObjects());
        }
    }

    // ---- epoch advance / close vs allocation in that epoch ----------------------------------

    /** What the epoch actor does in one round. */
    private enum EpochAction { ADVANCE, CLOSE_CURRENT, ADVANCE_THEN_CLOSE_OLD }

    /**
     * <b>Epoch advance and close vs allocation in that epoch.</b> One actor advances the ring, or
     * closes the current epoch {@code e}, or advances and then closes {@code e}; two actors allocate
     * meanwhile, by every route: {@code alloc(size, e)}, a domain bound to {@code e}'s era, {@code
     * alloc(size)} and {@code allocate()} in the current epoch. Forbidden: an allocation in {@code e}
     * (by slot or by domain) that starts after the actor's call returned and succeeds; an allocation
     * in the current epoch that starts after {@code closeEpoch(current)} returned and succeeds; an
     * allocation in the current epoch refused when nothing closed the current epoch; {@code e} not
     * CLOSING afterwards; {@code e} keeping a slab once its objects are freed (an object that landed
     * in a closed era's slab unseen); any object losing its stamp or sharing memory.
     */
    @Test
    void noAllocationSucceedsInAnEpochOnceItsAdvanceOrCloseReturned() throws Exception {
        for (int epochs : new int[] {2, 4}) {
            try (SlabAllocator a = quiet("race-epoch-" + epochs).reserveBytes(32L << 20).epochs(epochs).build()) {
                OwnershipTable own = new OwnershipTable(a, a.memory().byteSize());
                LongAdder raced = new LongAdder();
                LongAdder refusedAfter = new LongAdder();
                Races.Summary s = Races.run("epoch-vs-alloc/ring-of-" + epochs, 3, MIN_ROUNDS, MAX_ROUNDS, budget(2.5), 500 + epochs,
                        new Races.Round() {
                            int epoch;
                            EpochDomain domain;
                            EpochAction action;
                            volatile boolean over;
                            final List<List<Live>> made = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());

                            @Override
                            public void setup(int round, SplittableRandom random) {
                                epoch = a.currentEpoch();
                                domain = a.newDomain("race-" + round, false);
                                action = EpochAction.values()[random.nextInt(3)];
                                over = false;
                                made.forEach(List::clear);
                            }

                            @Override
                            public void actor(int actor, int round) {
                                if (actor == 0) {
                                    switch (action) {
                                        case ADVANCE -> a.advanceEpoch();
                                        case CLOSE_CURRENT -> a.closeEpoch(epoch);
                                        case ADVANCE_THEN_CLOSE_OLD -> {
                                            a.advanceEpoch();
                                            a.closeEpoch(epoch);
                                        }
                                    }
                                    over = true;
                                    return;
                                }
                                List<Live> mine = made.get(actor);
                                int afterAttempts = 0;
                                for (int i = 0; i < 400 && afterAttempts < 8; i++) {
                                    boolean after = over;
                                    if (after) {
                                        afterAttempts++;
                                    }
                                    int size = 1 + (i * 97 + actor * 31) % 768;
                                    int route = (i + actor) & 3;
                                    Live o = null;
                                    switch (route) {
                                        case 0, 1 -> {
                                            long h = route == 0 ? a.alloc(size, epoch) : domain.alloc(size);
                                            if (h != 0) {
                                                if (after) {
                                                    throw new AssertionError((route == 0 ? "alloc(size, " + epoch + ")"
                                                            : "domain.alloc(size)") + " succeeded after " + action
                                                            + " returned");
                                                }
                                                o = own.adopt(h, owner());
                                            } else if (after) {
                                                refusedAfter.increment();
                                            }
                                        }
                                        case 2 -> {
                                            long h = a.alloc(size);
                                            if (h != 0) {
                                                o = own.adopt(h, owner());
                                            }
                                            o = checkCurrent(o != null, after, o, "alloc(size)");
                                        }
                                        default -> {
                                            MemorySegment m = null;
                                            try {
                                                m = a.allocate(size, 8);
                                            } catch (IllegalStateException closing) {
                                                // the current epoch is CLOSING
                                            }
                                            if (m != null) {
                                                o = own.adopt(m, owner());
                                            }
                                            o = checkCurrent(m != null, after, o, "allocate(size, 8)");
                                        }
                                    }
                                    if (o != null) {
                                        mine.add(o);
                                    }
                                }
                            }

                            private Live checkCurrent(boolean succeeded, boolean after, Live o, String call) {
                                if (action == EpochAction.CLOSE_CURRENT) {
                                    if (succeeded && after) {
                                        throw new AssertionError(call + " succeeded after closeEpoch(current) returned");
                                    }
                                } else if (!succeeded) {
                                    throw new AssertionError(call + " refused while the current epoch was never closed ("
                                            + action + ")");
                                }
                                return o;
                            }

                            @Override
                            public void check(int round) {
                                assertEquals(EpochState.CLOSING, a.epochState(epoch), "epoch " + epoch + " after " + action);
                                for (List<Live> mine : made) {
                                    for (Live o : mine) {
                                        own.free(o);
                                        raced.increment();
                                    }
                                }
                                if (slabsOfEpoch(a, epoch) != 0) {
                                    fail("epoch " + epoch + " keeps " + slabsOfEpoch(a, epoch) + " slab(s) after " + action
                                            + " and freeing every object");
                                }
                                if (a.epochState(a.currentEpoch()) == EpochState.CLOSING) {
                                    a.advanceEpoch();
                                }
                                if (round % 128 == 0) {
                                    assertInvariants(a, round);
                                }
                            }
                        });
                assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
                System.out.println("races epoch-vs-alloc/ring-of-" + epochs + ": " + raced.sum() + " objects allocated during"
                        + " the races, " + refusedAfter.sum() + " refused after the close");
                assertInvariants(a, s.rounds());
                assertEquals(0, a.snapshot().global().liveObjects());
            }
        }
    }

    // ---- recycling vs stale handles ------------------------------------------------------------

    /**
     * <b>Recycling vs stale handles.</b> Handles and segments of freed objects are replayed (free,
     * {@code segment}, {@code offset}) while another actor allocates the same sizes, which reuses
     * those very slots (and, with no empty-slab cache, slabs that went through the pool and may now
     * serve another class). Forbidden: a stale free returning {@code true}; {@code segment} or
     * {@code offset} of a stale handle returning instead of throwing {@link IllegalArgumentException};
     * any other exception; a replay changing anything but the rejection counters (the new objects
     * keep their stamps and are freed exactly once); a rejection not counted.
     */
    @Test
    void staleHandlesAndSegmentsNeverFreeOrReachAReusedSlot() throws Exception {
        for (int cache : new int[] {0, 32}) {
            try (SlabAllocator a = quiet("race-stale-" + cache).reserveBytes(16L << 20).epochs(4).cacheCapacity(cache).build()) {
                OwnershipTable own = new OwnershipTable(a, a.memory().byteSize());
                long[] staleHandles = new long[96];
                MemorySegment[] staleSegments = new MemorySegment[24];
                int[] sizes = {64, 96, 256, 768};
                LongAdder replays = new LongAdder();
                Races.Summary s = Races.run("stale-vs-reuse/cache-" + cache, 3, MIN_ROUNDS, MAX_ROUNDS, budget(2), 600 + cache,
                        new Races.Round() {
                            int made;
                            int segmentsMade;
                            int[] roundSizes;
                            final List<Live> fresh = new ArrayList<>();
                            long rejectionsBefore;
                            long attempts;

                            long rejections() {
                                long total = 0;
                                for (long r : TestSupport.rejections(a)) {
                                    total += r;
                                }
                                return total;
                            }

                            @Override
                            public void setup(int round, SplittableRandom random) {
                                roundSizes = new int[1 + random.nextInt(6)];
                                for (int i = 0; i < roundSizes.length; i++) {
                                    roundSizes[i] = sizes[random.nextInt(sizes.length)];
                                    Live o = own.adopt(a.alloc(roundSizes[i]), owner());
                                    own.free(o);
                                    staleHandles[made++ % staleHandles.length] = o.handle();
                                }
                                Live seg = own.adopt(a.allocate(roundSizes[0], 8), owner());
                                own.free(seg);
                                staleSegments[segmentsMade++ % staleSegments.length] = seg.segment();
                                fresh.clear();
                                rejectionsBefore = rejections();
                                attempts = 0;
                            }

                            @Override
                            public void actor(int actor, int round) {
                                switch (actor) {
                                    case 0 -> {
                                        int n = Math.min(made, staleHandles.length);
                                        for (int i = 0; i < n; i++) {
                                            long h = staleHandles[i];
                                            if (a.free(h)) {
                                                throw new AssertionError("stale handle 0x" + Long.toHexString(h) + " was freed");
                                            }
                                            try {
                                                a.segment(h);
                                                throw new AssertionError("segment(stale 0x" + Long.toHexString(h) + ") returned");
                                            } catch (IllegalArgumentException expected) {
                                                // rejected
                                            }
                                            try {
                                                a.offset(h);
                                                throw new AssertionError("offset(stale 0x" + Long.toHexString(h) + ") returned");
                                            } catch (IllegalArgumentException expected) {
                                                // rejected
                                            }
                                        }
                                        synchronized (this) {
                                            attempts += n;
                                        }
                                    }
                                    case 1 -> {
                                        int n = Math.min(segmentsMade, staleSegments.length);
                                        for (int i = 0; i < n; i++) {
                                            if (a.free(staleSegments[i])) {
                                                throw new AssertionError("stale segment " + staleSegments[i] + " was freed");
                                            }
                                        }
                                        synchronized (this) {
                                            attempts += n;
                                        }
                                    }
                                    default -> {
                                        for (int size : roundSizes) {
                                            long h = a.alloc(size);
                                            if (h == 0) {
                                                throw new AssertionError("alloc refused");
                                            }
                                            fresh.add(own.adopt(h, owner()));
                                        }
                                        fresh.add(own.adopt(a.allocate(roundSizes[0], 8), owner()));
                                    }
                                }
                            }

                            @Override
                            public void check(int round) {
                                long attempted;
                                synchronized (this) {
                                    attempted = attempts;
                                }
                                assertEquals(rejectionsBefore + attempted, rejections(), "one rejection counted per stale free");
                                replays.add(attempted);
                                for (Live o : fresh) {
                                    own.free(o);
                                    if (o.segment() == null) {
                                        staleHandles[made++ % staleHandles.length] = o.handle();
                                    } else {
                                        staleSegments[segmentsMade++ % staleSegments.length] = o.segment();
                                    }
                                }
                                if (round % 8 == 0) {
                                    a.advanceEpoch(); // the emptied slabs of the old epoch are recycled
                                }
                                if (round % 256 == 0) {
                                    assertInvariants(a, round);
                                }
                            }
                        });
                assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
                System.out.println("races stale-vs-reuse/cache-" + cache + ": " + replays.sum() + " stale frees rejected");
                assertInvariants(a, s.rounds());
                assertEquals(0, a.snapshot().global().liveObjects());
            }
        }
    }

    // ---- snapshot vs mutation -------------------------------------------------------------------

    /**
     * <b>Snapshot vs mutation.</b> One actor takes a snapshot (and writes its JSON, and every few
     * rounds reads it back) while one allocates and frees and one advances the ring or closes an
     * epoch (the current one included). Forbidden: a snapshot or its JSON throwing; a broken rule
     * of {@link StatsAssertions#brokenRules} (negative figures, more live objects than slots per
     * class and per class and epoch, sums that do not add up); a counter or the era lower than in
     * the previous round's snapshot; JSON that does not read back to itself; and, once the round is
     * over, a snapshot that disagrees with the objects held. (Two ACTIVE epochs in a snapshot taken
     * during an advance are allowed: the advance makes the next slot ACTIVE before the old one
     * CLOSING, on purpose.)
     */
    @Test
    void aSnapshotTakenDuringAllocationAndEpochChangesIsConsistent() throws Exception {
        try (SlabAllocator a = quiet("race-snapshot").reserveBytes(64L << 20).epochs(4).cacheCapacity(2).build()) {
            List<Long> held = new ArrayList<>();
            Races.Summary s = Races.run("snapshot-vs-mutation", 3, MIN_ROUNDS / 4, MAX_ROUNDS, budget(3), 707, new Races.Round() {
                AllocatorSnapshot previous;
                int ops;
                int epochOp;
                int otherEpoch;
                final SplittableRandom mutations = new SplittableRandom(7); // actor 1's

                @Override
                public void setup(int round, SplittableRandom random) {
                    ops = 1 + random.nextInt(400);
                    epochOp = random.nextInt(6);
                    otherEpoch = (a.currentEpoch() + 1 + random.nextInt(3)) % 4;
                }

                @Override
                public void actor(int actor, int round) {
                    switch (actor) {
                        case 0 -> {
                            AllocatorSnapshot snap = a.snapshot();
                            String json = snap.toJson();
                            List<String> broken = new ArrayList<>(StatsAssertions.brokenRules(snap));
                            if (previous != null) {
                                Map<String, Long> before = StatsAssertions.counters(previous);
                                Map<String, Long> now = StatsAssertions.counters(snap);
                                before.forEach((k, v) -> {
                                    if (now.get(k) < v) {
                                        broken.add(k + " went from " + v + " to " + now.get(k));
                                    }
                                });
                                if (snap.global().currentEra() < previous.global().currentEra()) {
                                    broken.add("current_era went back");
                                }
                            }
                            if (round % 4 == 0 && !AllocatorSnapshot.fromJson(json).toJson().equals(json)) {
                                broken.add("the JSON does not read back to itself");
                            }
                            if (!broken.isEmpty()) {
                                throw new AssertionError("snapshot breaks " + broken);
                            }
                            previous = snap;
                        }
                        case 1 -> {
                            for (int i = 0; i < ops; i++) {
                                if (held.isEmpty() || (held.size() < 3000 && mutations.nextInt(100) < 55)) {
                                    long h = a.alloc(CLASS_SIZES[mutations.nextInt(CLASS_SIZES.length)]);
                                    if (h != 0) { // 0: the current epoch was closed by the other actor
                                        held.add(h);
                                    }
                                } else {
                                    int at = mutations.nextInt(held.size());
                                    if (!a.free(held.get(at))) {
                                        throw new AssertionError("free of a live handle refused");
                                    }
                                    held.set(at, held.getLast());
                                    held.removeLast();
                                }
                            }
                        }
                        default -> {
                            switch (epochOp) {
                                case 0, 1 -> a.advanceEpoch();
                                case 2 -> a.closeEpoch(otherEpoch);
                                case 3 -> a.closeEpoch(a.currentEpoch());
                                default -> a.snapshot(); // two snapshots at once
                            }
                        }
                    }
                }

                @Override
                public void check(int round) {
                    if (a.epochState(a.currentEpoch()) == EpochState.CLOSING) {
                        a.advanceEpoch();
                    }
                    if (round % 16 == 0) {
                        AllocatorSnapshot quiet = a.snapshot();
                        assertEquals(List.of(), StatsAssertions.brokenQuiescentRules(quiet));
                        assertEquals(held.size(), quiet.global().liveObjects(), "live objects with no thread running");
                    }
                }
            });
            assertTrue(s.rounds() >= MIN_ROUNDS / 4, s.toString()); // a snapshot and its JSON cost about a ms
            for (long h : held) {
                assertTrue(a.free(h));
            }
            assertInvariants(a, s.rounds());
        }
    }

    /**
     * <b>Snapshot vs mutation</b>, where a slab empties and is claimed again at once. Two actors
     * allocate and free single objects of one class in a tight loop, so the bin's one slab keeps
     * going from one object to none and back (the empty slab is kept: the class caches empty slabs),
     * while the third takes snapshots. The per-bin empty-slab count is changed by the releasing
     * thread after its word became 0 and by the claiming thread after its CAS from 0, so in between
     * it can be one below the truth. Forbidden: a snapshot showing it, as a negative {@code
     * empty_partial_count}, {@code reclaimable_slab_count}, {@code reclaimable_bytes} or {@code
     * cache_size} (snapshot figures are never negative).
     */
    @Test
    void aSnapshotNeverShowsANegativeEmptySlabCount() throws Exception {
        try (SlabAllocator a = quiet("race-empty-count").reserveBytes(16L << 20).epochs(2).cacheCapacity(4).build()) {
            LongAdder snapshots = new LongAdder();
            Races.Summary s = Races.run("snapshot-vs-emptying-slab", 3, MIN_ROUNDS / 4, MAX_ROUNDS, budget(3), 1001,
                    new Races.Round() {
                        @Override
                        public void setup(int round, SplittableRandom random) {
                        }

                        @Override
                        public void actor(int actor, int round) {
                            if (actor < 2) {
                                for (int i = 0; i < 2_000; i++) {
                                    long h = a.alloc(64);
                                    if (h == 0 || !a.free(h)) {
                                        throw new AssertionError("alloc or free refused");
                                    }
                                }
                                return;
                            }
                            for (int i = 0; i < 20; i++) {
                                AllocatorSnapshot snap = a.snapshot();
                                snapshots.increment();
                                List<String> negative = new ArrayList<>();
                                for (io.tslab.stats.EpochStats e : snap.epochs()) {
                                    if (e.emptyPartialCount() < 0 || e.reclaimableSlabCount() < 0 || e.reclaimableBytes() < 0) {
                                        negative.add("epoch " + e.epochId() + ": empty_partial_count " + e.emptyPartialCount()
                                                + ", reclaimable_slab_count " + e.reclaimableSlabCount()
                                                + ", reclaimable_bytes " + e.reclaimableBytes());
                                    }
                                }
                                for (io.tslab.stats.ClassStats c : snap.classes()) {
                                    if (c.cacheSize() < 0) {
                                        negative.add("class " + c.classIndex() + ": cache_size " + c.cacheSize());
                                    }
                                }
                                if (!negative.isEmpty()) {
                                    throw new AssertionError("a snapshot shows a negative empty-slab count: " + negative);
                                }
                            }
                        }

                        @Override
                        public void check(int round) {
                        }
                    });
            System.out.println("races snapshot-vs-emptying-slab: " + snapshots.sum() + " snapshots");
            assertTrue(s.rounds() >= MIN_ROUNDS / 4, s.toString());
            assertInvariants(a, s.rounds());
        }
    }

    /**
     * <b>Snapshot vs close.</b> The channels (stats file publisher, JMX) snapshot an allocator
     * from their own threads, so a snapshot can meet {@code close()}. One actor closes a fresh
     * allocator while one takes snapshots without pause and one reads and writes through a segment
     * of a live object. Forbidden: {@code close()} throwing; a snapshot failing with anything but
     * {@link IllegalStateException} (or the JVM crashing on the unmapped reservation); a segment
     * access failing with anything but {@link IllegalStateException}; any call succeeding after
     * {@code close()} returned.
     */
    @Test
    void aSnapshotOrASegmentAccessRacingCloseFailsCleanly() throws Exception {
        AtomicLong snapshotsBeforeClose = new AtomicLong();
        Races.Summary s = Races.run("snapshot-vs-close", 3, MIN_ROUNDS / 2, MAX_ROUNDS, budget(2), 808, new Races.Round() {
            SlabAllocator a;
            MemorySegment segment;
            volatile boolean closed;

            @Override
            public void setup(int round, SplittableRandom random) {
                a = SlabAllocator.builder().name("race-close").reserveBytes(4L << 20)
                        .publishStatsFile(random.nextInt(4) == 0).registerMXBean(random.nextInt(4) == 0).build();
                int objects = 1 + random.nextInt(300);
                for (int i = 0; i < objects; i++) {
                    a.alloc(CLASS_SIZES[i & 7]);
                }
                segment = a.segment(a.alloc(512));
                closed = false;
            }

            @Override
            public void actor(int actor, int round) {
                switch (actor) {
                    case 0 -> {
                        a.close();
                        closed = true;
                    }
                    case 1 -> {
                        for (int i = 0; i < 100_000; i++) {
                            boolean after = closed;
                            try {
                                a.snapshot();
                                if (after) {
                                    throw new AssertionError("snapshot() succeeded after close() returned");
                                }
                                snapshotsBeforeClose.incrementAndGet();
                            } catch (IllegalStateException expected) {
                                return;
                            }
                        }
                    }
                    default -> {
                        for (long i = 0; i < 1_000_000; i++) {
                            boolean after = closed;
                            try {
                                segment.set(ValueLayout.JAVA_LONG, (i & 63) * 8, i);
                                if (after) {
                                    throw new AssertionError("a segment was written after close() returned");
                                }
                            } catch (IllegalStateException expected) {
                                return;
                            }
                        }
                    }
                }
            }

            @Override
            public void check(int round) {
                assertTrue(closed);
                try {
                    a.snapshot();
                    fail("snapshot() after close");
                } catch (IllegalStateException expected) {
                    // closed
                }
            }
        });
        assertTrue(s.rounds() >= MIN_ROUNDS / 2, s.toString());
        System.out.println("races snapshot-vs-close: " + snapshotsBeforeClose.get() + " snapshots taken before the closes");
    }

    // ---- stats file publish vs read -------------------------------------------------------------

    @TempDir
    Path statsDir;

    /**
     * <b>Stats-file publish vs read.</b> A writer publishes a few payloads per round (each a real
     * document whose allocator names say which publication it is, of varying length so the slots
     * grow, and now and then after deleting the file, which makes the writer build a new file and
     * rename it over the name) while two readers read the file by name. Forbidden: a read that
     * returns a payload other than the one published under the sequence number it reports (a torn
     * or mixed copy); a sequence number lower than one the same reader saw before; a read failing
     * with anything but {@code NO_FILE} (the file was just deleted) or {@code BUSY} (counted; the
     * writer publishes without pause here).
     */
    @Test
    void aStatsFileReaderSeesWholePublicationsOrAClearAbsence() throws Exception {
        long pid = ProcessHandle.current().pid();
        Path file = statsDir.resolve(Long.toString(pid));
        int kinds = 24;
        List<List<String>> names = new ArrayList<>();
        List<StatsFileWriter.Payload> payloads = new ArrayList<>();
        for (int k = 0; k < kinds; k++) {
            // one to three allocators, and one payload of twelve that makes the slots grow once
            List<AllocatorSnapshot> snapshots = StatsFileFixtures.snapshots("pub-" + k + "-", 1 + (k % 3) + (k == 17 ? 9 : 0), pid);
            names.add(snapshots.stream().map(AllocatorSnapshot::allocator).toList());
            payloads.add(StatsFileWriter.encode(snapshots));
        }
        StatsFileWriter writer = new StatsFileWriter(statsDir, pid, 1_764_190_000_000L, 1000, 0);
        LongAdder reads = new LongAdder();
        LongAdder absent = new LongAdder();
        LongAdder busy = new LongAdder();
        LongAdder published = new LongAdder();
        long[] lastSeen = new long[3];
        Races.Summary s = Races.run("statsfile-publish-vs-read", 3, MIN_ROUNDS, MAX_ROUNDS, budget(3), 909, new Races.Round() {
            int toPublish;
            boolean deleteFirst;
            volatile boolean writing;

            @Override
            public void setup(int round, SplittableRandom random) {
                toPublish = 1 + random.nextInt(6);
                deleteFirst = round > 1 && random.nextInt(16) == 0;
                writing = true;
            }

            @Override
            public void actor(int actor, int round) throws Exception {
                if (actor == 0) {
                    if (deleteFirst) {
                        Files.deleteIfExists(file);
                    }
                    try {
                        for (int i = 0; i < toPublish; i++) {
                            long next = writer.sequence() + 2;
                            StatsFileWriter.Payload p = payloads.get((int) (next / 2 % kinds));
                            writer.publish(p.bytes(), p.allocatorCount(), StatsFileFixtures.HEARTBEAT_NS + next);
                            published.increment();
                        }
                    } finally {
                        writing = false;
                    }
                    return;
                }
                for (boolean last = false; !last; ) {
                    last = !writing; // one more read after the writer is done
                    StatsFileContents c;
                    try {
                        c = StatsFile.readFile(file);
                    } catch (StatsFileException e) {
                        switch (e.problem()) {
                            case NO_FILE -> absent.increment();
                            case BUSY -> busy.increment();
                            default -> throw new AssertionError("read failed: " + e.getMessage(), e);
                        }
                        continue;
                    }
                    reads.increment();
                    long seq = c.sequence();
                    List<String> expected = names.get((int) (seq / 2 % kinds));
                    if (!expected.equals(c.allocatorNames())) {
                        throw new AssertionError("sequence " + seq + " holds " + c.allocatorNames() + ", published "
                                + expected + ": a torn or mixed copy");
                    }
                    if (c.heartbeat().getEpochSecond() * 1_000_000_000L + c.heartbeat().getNano()
                            != StatsFileFixtures.HEARTBEAT_NS + seq) {
                        throw new AssertionError("sequence " + seq + " has the heartbeat of another publication");
                    }
                    if (seq < lastSeen[actor]) {
                        throw new AssertionError("sequence went back from " + lastSeen[actor] + " to " + seq);
                    }
                    lastSeen[actor] = seq;
                }
            }

            @Override
            public void check(int round) {
            }
        });
        writer.delete();
        assertTrue(s.rounds() >= MIN_ROUNDS, s.toString());
        assertTrue(reads.sum() > s.rounds(), reads.sum() + " whole reads");
        System.out.printf("races statsfile-publish-vs-read: %d publications, %d whole reads, %d absent, %d busy%n",
                published.sum(), reads.sum(), absent.sum(), busy.sum());
    }
}
