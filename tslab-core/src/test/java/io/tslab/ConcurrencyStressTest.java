package io.tslab;

import io.tslab.internal.SlabEngine;
import io.tslab.stats.GlobalStats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static io.tslab.TestSupport.holdsStamp;
import static io.tslab.TestSupport.stamp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Threads allocating, freeing their own objects and objects handed over by other threads, while
 * one thread advances and closes epochs and takes snapshots. Every run is bounded in time.
 */
class ConcurrencyStressTest {

    /** One stress configuration. */
    record Config(String name, SlabAllocator.Builder builder, int[] sizes, int workers, int maxOwned,
                  long runMillis, long epochPeriodMicros) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> configs() {
        int[] allSizes = {1, 48, 64, 65, 96, 100, 128, 150, 192, 256, 300, 384, 500, 512, 600, 768};
        return Stream.of(
                Arguments.of(new Config("every class, default cache, ring of 16",
                        SlabAllocator.builder().reserveBytes(1L << 30), allSizes, 3, 3000, 5000, 300)),
                Arguments.of(new Config("one class, no cache, ring of 2",
                        SlabAllocator.builder().reserveBytes(1L << 30).epochs(2).cacheCapacity(0),
                        new int[] {64}, 3, 500, 3500, 100)),
                Arguments.of(new Config("tight reservation that runs out, ring of 4",
                        SlabAllocator.builder().reserveBytes(2L << 20).epochs(4).cacheCapacity(2),
                        new int[] {64, 200, 768}, 3, 4000, 3500, 500)));
    }

    /** A live object and the stamp its memory must hold. */
    record Obj(long handle, MemorySegment segment, int bytes, long stamp) {
        MemorySegment memory(SlabAllocator a) {
            return segment != null ? segment : a.memory();
        }

        long offset(SlabAllocator a) {
            return segment != null ? 0 : a.offset(handle);
        }
    }

    /**
     * Forbidden outcomes: two live objects overlap (an object does not hold the stamp its owner
     * wrote, checked before every free and for every object at each pause), a free of a live object
     * fails or a second free succeeds, an object is lost (live objects after freeing everything are
     * not 0), a slab stays in service after every epoch is closed and drained, an invariant is broken
     * at a pause or at the end, or the run does not finish in time.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void allocateHandOverFreeAcrossThreadsWhileEpochsAdvanceAndClose(Config config) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> new Run(config).run());
    }

    /** The state of one stress run. */
    static final class Run {
        final Config config;
        final SlabAllocator a;
        final List<Queue<Obj>> inboxes = new ArrayList<>();
        final List<List<Obj>> owned = new ArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final Phaser pauses;
        volatile boolean pauseRequested;
        volatile boolean stop;
        final AtomicLong allocated = new AtomicLong();
        final AtomicLong freed = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong handedOver = new AtomicLong();
        final AtomicLong advances = new AtomicLong();

        Run(Config config) {
            this.config = config;
            this.a = config.builder().name("stress").build();
            for (int w = 0; w < config.workers(); w++) {
                inboxes.add(new ConcurrentLinkedQueue<>());
                owned.add(new ArrayList<>());
            }
            this.pauses = new Phaser(config.workers() + 2); // workers, the epoch thread, the coordinator
        }

        void run() throws Exception {
            try {
                List<Thread> threads = new ArrayList<>();
                for (int w = 0; w < config.workers(); w++) {
                    int id = w;
                    threads.add(start("worker-" + w, () -> worker(id)));
                }
                threads.add(start("epochs", this::epochs));
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.runMillis());
                int checkpoints = 0;
                while (System.nanoTime() < end && errors.isEmpty()) {
                    Thread.sleep(Math.min(700, config.runMillis() / 4));
                    checkpoint();
                    checkpoints++;
                }
                stop = true;
                pauses.arriveAndDeregister();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(20));
                    assertFalse(t.isAlive(), t.getName() + " did not stop: a hang");
                }
                if (!errors.isEmpty()) {
                    AssertionError e = new AssertionError("a thread failed: " + errors.getFirst(), errors.getFirst());
                    errors.stream().skip(1).forEach(e::addSuppressed);
                    throw e;
                }
                assertTrue(checkpoints > 0);
                drainAndCheck();
            } finally {
                stop = true;
                a.close();
            }
        }

        Thread start(String name, Runnable body) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    errors.add(e);
                    stop = true;
                } finally {
                    pauses.arriveAndDeregister();
                }
            }, "stress-" + name);
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Parks at a pause requested by the coordinator until it is over. */
        void pauseIfRequested() {
            if (pauseRequested) {
                awaitPhase(pauses.arrive()); // stopped: the coordinator checks now
                awaitPhase(pauses.arrive()); // resumed
            }
        }

        void awaitPhase(int phase) {
            try {
                pauses.awaitAdvanceInterruptibly(phase, 20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted at a pause", e);
            } catch (TimeoutException e) {
                throw new AssertionError("a pause took more than 20 s: a thread hangs", e);
            }
        }

        /** With every thread parked: every live object holds its stamp, counts agree, invariants hold. */
        void checkpoint() {
            pauseRequested = true;
            awaitPhase(pauses.arrive());
            try {
                if (!stop) {
                    long count = 0;
                    for (int w = 0; w < config.workers(); w++) {
                        for (Obj o : owned.get(w)) {
                            checkStamp(o);
                            count++;
                        }
                        for (Obj o : inboxes.get(w)) {
                            checkStamp(o);
                            count++;
                        }
                    }
                    assertEquals(count, a.snapshot().global().liveObjects(), "live objects at a pause");
                    assertEquals(allocated.get() - freed.get(), count);
                    assertEquals(List.of(), a.engine().checkInvariants(), "invariants at a pause");
                }
            } catch (Throwable e) {
                errors.add(e);
                stop = true;
            } finally {
                pauseRequested = false;
                awaitPhase(pauses.arrive());
            }
        }

        void checkStamp(Obj o) {
            if (!holdsStamp(o.memory(a), o.offset(a), o.bytes(), o.stamp())) {
                fail("object " + o + " was overwritten: two live objects share memory");
            }
        }

        void free(Obj o) {
            checkStamp(o);
            boolean ok = o.segment() != null ? a.free(o.segment()) : a.free(o.handle());
            if (!ok) {
                fail("free of live object " + o + " failed");
            }
            freed.incrementAndGet();
        }

        void worker(int id) {
            SplittableRandom random = new SplittableRandom(id * 7919L + config.name().hashCode());
            List<Obj> mine = owned.get(id);
            Queue<Obj> inbox = inboxes.get(id);
            long sequence = 0;
            while (!stop) {
                pauseIfRequested();
                for (Obj o; (o = inbox.poll()) != null; ) {
                    if (random.nextInt(4) == 0) {
                        mine.add(o); // adopt it: it may travel on, or live through more epochs
                    } else {
                        free(o); // cross-thread free
                    }
                }
                int r = random.nextInt(100);
                if (mine.isEmpty() || (r < 55 && mine.size() < config.maxOwned())) {
                    int size = config.sizes()[random.nextInt(config.sizes().length)];
                    long stampValue = ((long) id << 48) | ++sequence;
                    Obj o;
                    if (random.nextInt(8) == 0) {
                        MemorySegment s;
                        try {
                            s = a.allocate(size, 16);
                        } catch (IllegalStateException | OutOfMemoryError refusedHere) {
                            refused.incrementAndGet(); // current epoch CLOSING, or reservation exhausted
                            continue;
                        }
                        o = new Obj(0, s, (int) s.byteSize(), stampValue);
                    } else {
                        long h = a.alloc(size);
                        if (h == 0) {
                            refused.incrementAndGet();
                            continue;
                        }
                        o = new Obj(h, null, SlabAllocator.classSize(SlabAllocator.sizeClassOf(size)), stampValue);
                    }
                    allocated.incrementAndGet();
                    stamp(o.memory(a), o.offset(a), o.bytes(), o.stamp());
                    mine.add(o);
                } else if (r < 85) {
                    free(removeRandom(mine, random));
                } else if (r < 97) {
                    int to = random.nextInt(config.workers());
                    inboxes.get(to).add(removeRandom(mine, random));
                    handedOver.incrementAndGet();
                } else {
                    checkStamp(mine.get(random.nextInt(mine.size())));
                }
            }
        }

        static Obj removeRandom(List<Obj> list, SplittableRandom random) {
            int i = random.nextInt(list.size());
            Obj o = list.get(i);
            list.set(i, list.getLast());
            list.removeLast();
            return o;
        }

        void epochs() {
            SplittableRandom random = new SplittableRandom(42);
            int epochCount = a.epochCount();
            while (!stop) {
                pauseIfRequested();
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(config.epochPeriodMicros()));
                int r = random.nextInt(100);
                if (r < 50) {
                    a.advanceEpoch();
                    advances.incrementAndGet();
                } else if (r < 75) {
                    a.closeEpoch((a.currentEpoch() + epochCount - 1 - random.nextInt(epochCount)) % epochCount);
                } else if (r < 80) {
                    a.closeEpoch(a.currentEpoch()); // allocations are refused until the next advance
                } else {
                    GlobalStats g = a.snapshot().global();
                    assertTrue(g.liveObjects() >= 0 && g.netSlabs() >= 0 && g.liveBytes() >= 0, g.toString());
                    assertTrue(g.activeEpochCount() <= 1);
                }
            }
        }

        /** After the run: free everything, check nothing is lost, close every epoch, nothing is left. */
        void drainAndCheck() {
            List<Obj> all = new ArrayList<>();
            for (int w = 0; w < config.workers(); w++) {
                all.addAll(owned.get(w));
                all.addAll(inboxes.get(w));
            }
            assertEquals(all.size(), a.snapshot().global().liveObjects(), "live objects before the final frees");
            for (Obj o : all) {
                free(o);
            }
            assertEquals(allocated.get(), freed.get());
            GlobalStats g = a.snapshot().global();
            assertEquals(0, g.liveObjects(), "nothing lost");
            assertEquals(0, g.liveBytes());
            for (Obj o : all) {
                assertFalse(o.segment() != null ? a.free(o.segment()) : a.free(o.handle()), "freed twice: " + o);
            }
            TestSupport.closeAllEpochs(a);
            g = a.snapshot().global();
            assertEquals(0, g.netSlabs(), "every slab is reclaimable once every epoch is closed and drained");
            assertEquals(g.totalSlabsAllocated(), g.totalSlabsRecycled());
            assertEquals(List.of(), a.engine().checkInvariants());
            System.out.printf("stress [%s]: %d objects allocated, %d handed over, %d refused, %d advances, %d slabs used%n",
                    config.name(), allocated.get(), handedOver.get(), refused.get(), advances.get(),
                    g.totalSlabsAllocated());
            assertTrue(allocated.get() > 10_000, "the run did work: " + allocated.get() + " objects");
            assertTrue(handedOver.get() > 0 && advances.get() > 0);
        }
    }

    /**
     * Forbidden outcome: two threads both succeed in freeing the same object, or neither does.
     * Several threads free the same handles at once, in different orders.
     */
    @Test
    void exactlyOneOfConcurrentFreesOfTheSameHandleWins() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SlabAllocator a = SlabAllocator.builder().reserveBytes(64L << 20).build()) {
                int threads = 3;
                int perRound = 20_000;
                for (int round = 0; round < 8; round++) {
                    long[] handles = new long[perRound];
                    for (int i = 0; i < perRound; i++) {
                        handles[i] = a.alloc(1 + (i * 31 + round) % 768);
                        assertNotEquals(0L, handles[i]);
                    }
                    AtomicIntegerArray wins = new AtomicIntegerArray(perRound);
                    Phaser start = new Phaser(threads);
                    List<Thread> racers = new ArrayList<>();
                    List<Throwable> errors = new CopyOnWriteArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        int id = t;
                        Thread racer = new Thread(() -> {
                            try {
                                start.arriveAndAwaitAdvance();
                                for (int k = 0; k < perRound; k++) {
                                    int i = id == 0 ? k : id == 1 ? perRound - 1 - k : (k * 7919) % perRound;
                                    if (a.free(handles[i])) {
                                        wins.incrementAndGet(i);
                                    }
                                }
                            } catch (Throwable e) {
                                errors.add(e);
                            }
                        });
                        racer.setDaemon(true);
                        racer.start();
                        racers.add(racer);
                    }
                    for (Thread racer : racers) {
                        racer.join(20_000);
                        assertFalse(racer.isAlive());
                    }
                    assertEquals(List.of(), errors);
                    for (int i = 0; i < perRound; i++) {
                        assertEquals(1, wins.get(i), "frees of handle " + i + " that returned true");
                    }
                    assertEquals(0, a.snapshot().global().liveObjects());
                    if (round % 2 == 1) {
                        a.advanceEpoch();
                    }
                }
                TestSupport.closeAllEpochs(a);
                assertEquals(0, a.snapshot().global().netSlabs());
                assertEquals(List.of(), a.engine().checkInvariants());
            }
        });
    }

    /**
     * Forbidden outcome: {@code alloc(size)} returns 0, or {@code allocate} throws, while nothing
     * ever closed an epoch explicitly and the reservation has room: with only {@code advanceEpoch()}
     * running concurrently, the current epoch is always an ACTIVE one, so an allocation "in the
     * current epoch" has no reason to be refused. (A service that advances epochs from a ticker
     * thread would otherwise see random allocation failures in its workers.) Nor is any refusal
     * counted: {@code alloc_refused_epoch_closed} (and every other refusal counter) stays 0.
     */
    @Test
    void allocInTheCurrentEpochIsNeverRefusedBecauseOfAConcurrentAdvance() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SlabAllocator a = SlabAllocator.builder().reserveBytes(256L << 20).epochs(4).build()) {
                AtomicLong refusedAllocs = new AtomicLong();
                AtomicLong refusedAllocates = new AtomicLong();
                AtomicLong done = new AtomicLong();
                List<Throwable> errors = new CopyOnWriteArrayList<>();
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2000);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    Thread worker = new Thread(() -> {
                        try {
                            List<Long> mine = new ArrayList<>();
                            for (int i = 0; System.nanoTime() < end; i++) {
                                if (i % 16 == 15) {
                                    try {
                                        a.free(a.allocate(64, 8));
                                    } catch (IllegalStateException e) {
                                        refusedAllocates.incrementAndGet();
                                    }
                                    continue;
                                }
                                long h = a.alloc(64);
                                if (h == 0) {
                                    refusedAllocs.incrementAndGet();
                                } else {
                                    mine.add(h);
                                    done.incrementAndGet();
                                }
                                if (mine.size() > 100) {
                                    for (long x : mine) {
                                        a.free(x);
                                    }
                                    mine.clear();
                                }
                            }
                            mine.forEach(a::free);
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    });
                    worker.setDaemon(true);
                    threads.add(worker);
                }
                Thread ticker = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        a.advanceEpoch(); // never closeEpoch
                        LockSupport.parkNanos(20_000);
                    }
                });
                ticker.setDaemon(true);
                threads.add(ticker);
                threads.forEach(Thread::start);
                for (Thread t : threads) {
                    t.join(20_000);
                    assertFalse(t.isAlive());
                }
                assertEquals(List.of(), errors);
                assertTrue(done.get() > 1000);
                assertEquals(0, refusedAllocs.get() + refusedAllocates.get(),
                        refusedAllocs.get() + " alloc(size) returned 0 and " + refusedAllocates.get()
                                + " allocate() threw IllegalStateException out of " + done.get()
                                + " allocations, with no epoch ever closed and the reservation far from full");
                GlobalStats g = a.snapshot().global();
                assertEquals(0, a.engine().refusals(SlabEngine.REFUSED_EPOCH_CLOSED), "refusals counted as epoch_closed");
                assertEquals(0, g.allocRefusedEpochClosed());
                assertEquals(0, g.totalSlowEpochClosed());
                assertEquals(0, g.totalAllocRefused());
            }
        });
    }

    /**
     * The same with a ring of two slots and a ticker that advances without pause: the slot an
     * allocation started in becomes current again one advance after it became CLOSING, so "the
     * current slot is still the one I tried" does not mean "the ring did not move". Forbidden
     * outcome: {@code alloc(size)} returns 0 (with nothing closed and the reservation far from full).
     *
     * <p>The interleaving that breaks it is narrow (the allocating thread must see its slot CLOSING
     * and then, after one more advance, see the same slot current and ACTIVE), so the run goes on
     * until the first 0 or for at most six seconds, with more threads than a small machine has
     * cores so that a thread is now and then descheduled inside that window.
     */
    @Test
    void allocInTheCurrentEpochIsNeverRefusedWhenTheRingWrapsDuringTheAllocation() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SlabAllocator a = SlabAllocator.builder().reserveBytes(256L << 20).epochs(2).build()) {
                AtomicLong zeros = new AtomicLong();
                AtomicLong done = new AtomicLong();
                List<Throwable> errors = new CopyOnWriteArrayList<>();
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(6000);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    threads.add(new Thread(() -> {
                        try {
                            while (System.nanoTime() < end && zeros.get() == 0) {
                                long h = a.alloc(64);
                                if (h == 0) {
                                    zeros.incrementAndGet();
                                } else {
                                    done.incrementAndGet();
                                    assertTrue(a.free(h));
                                }
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }));
                }
                threads.add(new Thread(() -> {
                    while (System.nanoTime() < end && zeros.get() == 0) {
                        a.advanceEpoch(); // never closeEpoch
                    }
                }));
                threads.forEach(t -> {
                    t.setDaemon(true);
                    t.start();
                });
                for (Thread t : threads) {
                    t.join(20_000);
                    assertFalse(t.isAlive());
                }
                assertEquals(List.of(), errors);
                assertTrue(zeros.get() > 0 || done.get() > 1000, done.get() + " allocations");
                GlobalStats g = a.snapshot().global();
                assertEquals(0, zeros.get(), zeros.get() + " alloc(size) returned 0 out of " + (zeros.get() + done.get())
                        + " with no epoch ever closed (counted refusals: " + g.allocRefusedByReason() + ")");
                assertEquals(0, g.totalAllocRefused());
            }
        });
    }

    /**
     * A refusal is counted only when 0 is returned to the caller, once, under its reason. The
     * reservation is full of live objects and a ticker advances the ring without pause, so every
     * {@code alloc(size)} returns 0 because the reservation is exhausted (no epoch is ever closed).
     * Forbidden outcomes: more (or fewer) refusals counted than zeros returned, and any refusal
     * counted as {@code epoch_closed}.
     */
    @Test
    void aRefusalIsCountedOnceAndOnlyWhenZeroIsReturnedWhileTheRingAdvances() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SlabAllocator a = SlabAllocator.builder().reserveBytes(1L << 20).epochs(4).build()) {
                long held = 0;
                while (a.alloc(64) != 0) {
                    held++;
                }
                assertEquals(256 * 64, held);
                long closedBefore = a.engine().refusals(SlabEngine.REFUSED_EPOCH_CLOSED);
                long exhaustedBefore = a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED);
                assertEquals(0, closedBefore);
                assertEquals(1, exhaustedBefore);
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
                Thread ticker = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        a.advanceEpoch(); // never closeEpoch
                    }
                });
                ticker.setDaemon(true);
                ticker.start();
                long zeros = 0;
                long handles = 0;
                while (System.nanoTime() < end) {
                    if (a.alloc(64) == 0) {
                        zeros++;
                    } else {
                        handles++;
                    }
                }
                ticker.join(20_000);
                assertFalse(ticker.isAlive());
                assertEquals(0, handles, "nothing was freed");
                long closed = a.engine().refusals(SlabEngine.REFUSED_EPOCH_CLOSED) - closedBefore;
                long exhausted = a.engine().refusals(SlabEngine.REFUSED_RESERVATION_EXHAUSTED) - exhaustedBefore;
                assertEquals(List.of(zeros, 0L), List.of(exhausted, closed),
                        zeros + " zeros returned, counted: " + exhausted + " reservation_exhausted and " + closed
                                + " epoch_closed");
            }
        });
    }

    /**
     * Forbidden outcome: an allocation that starts after {@code closeEpoch(e)} returned succeeds in
     * epoch {@code e}; or an object allocated before the close loses its contents; or the closed
     * epoch keeps a slab once its objects are freed.
     */
    @Test
    void noAllocationSucceedsInAnEpochAfterItsCloseReturned() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SlabAllocator a = SlabAllocator.builder().reserveBytes(256L << 20).epochs(4).build()) {
                int threads = 2;
                for (int round = 0; round < 40; round++) {
                    int epoch = a.currentEpoch();
                    AtomicLong closedAtCount = new AtomicLong(); // 0: not closed yet; 1: closeEpoch returned
                    List<List<Obj>> made = new CopyOnWriteArrayList<>();
                    List<Throwable> errors = new CopyOnWriteArrayList<>();
                    List<Thread> allocators = new ArrayList<>();
                    CountDownLatch started = new CountDownLatch(threads);
                    for (int t = 0; t < threads; t++) {
                        int id = t;
                        Thread allocator = new Thread(() -> {
                            List<Obj> mine = new ArrayList<>();
                            started.countDown();
                            try {
                                for (int i = 0; i < 200_000; i++) {
                                    boolean closedBefore = closedAtCount.get() != 0;
                                    int size = 1 + (i * 37 + id) % 768;
                                    long h = a.alloc(size, epoch);
                                    if (h != 0) {
                                        if (closedBefore) {
                                            fail("allocated in epoch " + epoch + " after closeEpoch returned");
                                        }
                                        int bytes = SlabAllocator.classSize(SlabAllocator.sizeClassOf(size));
                                        Obj o = new Obj(h, null, bytes, ((long) id << 48) | i);
                                        stamp(a.memory(), a.offset(h), bytes, o.stamp());
                                        mine.add(o);
                                    } else if (closedBefore) {
                                        break;
                                    }
                                }
                            } catch (Throwable e) {
                                errors.add(e);
                            } finally {
                                made.add(mine);
                            }
                        });
                        allocator.setDaemon(true);
                        allocator.start();
                        allocators.add(allocator);
                    }
                    assertTrue(started.await(20, TimeUnit.SECONDS));
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100 + round * 50L));
                    a.closeEpoch(epoch);
                    closedAtCount.set(1);
                    for (Thread allocator : allocators) {
                        allocator.join(20_000);
                        assertFalse(allocator.isAlive());
                    }
                    assertEquals(List.of(), errors);
                    assertEquals(EpochState.CLOSING, a.epochState(epoch));
                    for (List<Obj> mine : made) {
                        for (Obj o : mine) {
                            assertTrue(holdsStamp(a.memory(), a.offset(o.handle()), o.bytes(), o.stamp()));
                            assertTrue(a.free(o.handle()));
                        }
                    }
                    long slabsLeft = 0;
                    for (long[] perEpoch : a.engine().census().slabs) {
                        slabsLeft += perEpoch[epoch];
                    }
                    assertEquals(0, slabsLeft, "the closed epoch drained and every slab was recycled");
                    a.advanceEpoch();
                }
                assertEquals(List.of(), a.engine().checkInvariants());
            }
        });
    }
}
