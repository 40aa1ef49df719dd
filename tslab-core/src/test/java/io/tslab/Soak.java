package io.tslab;

import io.tslab.OwnershipTable.Live;
import io.tslab.internal.os.OsMemory;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.tslab.TestSupport.CLASS_SIZES;

/**
 * The soak: one allocator, {@code threads} workers allocating by every route ({@code alloc},
 * {@code alloc(size, epoch)}, {@code allocate}, domains, inside and outside domain scopes), freeing
 * their own objects and objects handed over by other workers, replaying stale handles; an epoch
 * thread advancing the ring, closing old epochs and now and then the current one, and opening
 * domains (some auto-closing); a snapshot thread checking every snapshot's rules and counters and
 * its JSON; a reader of this JVM's stats file; and {@code madvise} failures injected between
 * checkpoints. Every object is claimed in an {@link OwnershipTable} and stamped over its whole
 * memory.
 *
 * <p>At each checkpoint every thread parks, then: every live object holds its stamp and its
 * granules, the live count equals the snapshot's, {@code checkInvariants()} finds nothing, the
 * quiescent snapshot rules hold, and the injected {@code madvise} failures consumed since the last
 * checkpoint were all counted. At the end everything is freed and every epoch closed: nothing may
 * be left live or in service.
 *
 * <pre>
 * scripts/soak.sh --minutes 30 --threads 4      # or: java ... io.tslab.Soak --seconds 600
 * </pre>
 *
 * Exit code 0 and "errors: 0" when nothing was found; 1 with the first errors otherwise.
 */
public final class Soak {
    /** Settings of one soak run. */
    record Config(Duration duration, int threads, int epochs, long reserveBytes, long seed, Duration checkpointEvery,
                  int maxOwned, boolean quiet) {
        static Config defaults() {
            return new Config(Duration.ofSeconds(60), 4, 8, 512L << 20, 20251127L, Duration.ofSeconds(5), 4000, false);
        }

        Config withDuration(Duration d) {
            return new Config(d, threads, epochs, reserveBytes, seed, checkpointEvery, maxOwned, quiet);
        }

        Config withThreads(int t) {
            return new Config(duration, t, epochs, reserveBytes, seed, checkpointEvery, maxOwned, quiet);
        }

        Config withEpochs(int e) {
            return new Config(duration, threads, e, reserveBytes, seed, checkpointEvery, maxOwned, quiet);
        }

        Config withReserveBytes(long r) {
            return new Config(duration, threads, epochs, r, seed, checkpointEvery, maxOwned, quiet);
        }

        Config withSeed(long s) {
            return new Config(duration, threads, epochs, reserveBytes, s, checkpointEvery, maxOwned, quiet);
        }

        Config withCheckpointEvery(Duration c) {
            return new Config(duration, threads, epochs, reserveBytes, seed, c, maxOwned, quiet);
        }

        Config withMaxOwned(int m) {
            return new Config(duration, threads, epochs, reserveBytes, seed, checkpointEvery, m, quiet);
        }

        Config withQuiet(boolean q) {
            return new Config(duration, threads, epochs, reserveBytes, seed, checkpointEvery, maxOwned, q);
        }
    }

    /** What a run did and found. {@code operations} counts allocator calls of every kind. */
    record Result(Config config, long nanos, Map<String, Long> counts, List<String> errors) {
        long operations() {
            return counts.getOrDefault("operations", 0L);
        }

        String summary() {
            StringBuilder b = new StringBuilder();
            b.append(String.format("soak: %.1f s, %d workers (+ epoch, snapshot, stats-file reader and fault threads),"
                            + " ring of %d, reservation %d MiB, seed %d%n", nanos / 1e9, config.threads(), config.epochs(),
                    config.reserveBytes() >> 20, config.seed()));
            counts.forEach((k, v) -> b.append(String.format("  %-34s %,d%n", k, v)));
            b.append("errors: ").append(errors.size());
            for (String e : errors.subList(0, Math.min(errors.size(), 5))) {
                b.append("\n  ").append(e);
            }
            return b.toString();
        }
    }

    public static void main(String[] args) {
        Config c = Config.defaults();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--seconds" -> c = c.withDuration(Duration.ofMillis((long) (Double.parseDouble(value) * 1000)));
                case "--minutes" -> c = c.withDuration(Duration.ofMillis((long) (Double.parseDouble(value) * 60_000)));
                case "--threads" -> c = c.withThreads(Integer.parseInt(value));
                case "--epochs" -> c = c.withEpochs(Integer.parseInt(value));
                case "--reserve-mib" -> c = c.withReserveBytes(Long.parseLong(value) << 20);
                case "--seed" -> c = c.withSeed(Long.parseLong(value));
                case "--checkpoint-seconds" -> c = c.withCheckpointEvery(Duration.ofSeconds(Long.parseLong(value)));
                case "--max-owned" -> c = c.withMaxOwned(Integer.parseInt(value));
                case "--quiet" -> {
                    c = c.withQuiet(true);
                    continue;
                }
                default -> {
                    System.err.println("soak: unknown option " + args[i] + " (expected: --seconds N | --minutes N,"
                            + " --threads T, --epochs E, --reserve-mib M, --seed S, --checkpoint-seconds C,"
                            + " --max-owned K, --quiet)");
                    System.exit(2);
                }
            }
            i++;
        }
        System.out.println("soak: started " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors()
                + " cpus, Java " + Runtime.version());
        Result r = run(c);
        System.out.println(r.summary());
        System.exit(r.errors().isEmpty() ? 0 : 1);
    }

    /** Runs one soak; never throws for a finding (it is in {@link Result#errors()}). */
    static Result run(Config config) {
        if (System.getProperty("tslab.statsFile.intervalMs") == null) {
            System.setProperty("tslab.statsFile.intervalMs", "100"); // read only if the channel starts now
        }
        return new Soak(config).execute();
    }

    // ---- state ------------------------------------------------------------------------------

    private final Config config;
    private final SlabAllocator a;
    private final OwnershipTable own;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Queue<Live>> inboxes = new ArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private final Phaser pauses;
    private volatile boolean pauseRequested;
    private volatile boolean stop;
    private volatile EpochDomain domain;

    // Written by one thread each, read at checkpoints and at the end.
    private long advances;
    private long closes;
    private long closesOfCurrent;
    private long domainsOpened;
    private long snapshots;
    private long jsonRoundTrips;
    private final AtomicLong statsFileReads = new AtomicLong();
    private final AtomicLong statsFileAbsent = new AtomicLong();
    private long checkpoints;
    private long faultsInjected;
    private long faultsConsumed;
    private long madviseFailuresAtLastCheckpoint;

    private Soak(Config config) {
        this.config = config;
        this.a = SlabAllocator.builder().name("soak").reserveBytes(config.reserveBytes()).epochs(config.epochs())
                .cacheCapacity(4).build();
        this.own = new OwnershipTable(a, a.memory().byteSize());
        for (int i = 0; i < config.threads(); i++) {
            inboxes.add(new ConcurrentLinkedQueue<>());
        }
        for (int i = 0; i < config.threads(); i++) {
            workers.add(new Worker(i));
        }
        this.pauses = new Phaser(config.threads() + 3); // workers, epochs, snapshots, the coordinator
        this.domain = a.newDomain("soak-0", false);
    }

    private Result execute() {
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        Thread reader = null;
        try {
            for (Worker w : workers) {
                threads.add(start("soak-worker-" + w.id, w::run, true));
            }
            threads.add(start("soak-epochs", this::epochs, true));
            threads.add(start("soak-snapshots", this::snapshots, true));
            reader = start("soak-stats-reader", this::statsReader, false);
            long end = start + config.duration().toNanos();
            long nextCheckpoint = start + config.checkpointEvery().toNanos();
            while (System.nanoTime() < end && errors.isEmpty()) {
                LockSupport.parkNanos(Math.min(50_000_000L, Math.max(1, Math.min(end, nextCheckpoint) - System.nanoTime())));
                if (System.nanoTime() >= nextCheckpoint && System.nanoTime() < end) {
                    checkpoint(start);
                    nextCheckpoint = System.nanoTime() + config.checkpointEvery().toNanos();
                }
            }
            stop = true;
            pauses.arriveAndDeregister();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
                if (t.isAlive()) {
                    errors.add(t.getName() + " did not stop within 30 s: a hang");
                }
            }
            if (errors.isEmpty()) {
                finalCheck();
            }
        } catch (Throwable t) {
            errors.add("soak: " + t);
        } finally {
            stop = true;
            OsMemory.injectMadviseFailure(0);
            if (reader != null) {
                try {
                    reader.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            a.close();
        }
        return new Result(config, System.nanoTime() - start, counts(), List.copyOf(errors));
    }

    private Thread start(String name, Runnable body, boolean pauses) {
        Thread t = Thread.ofPlatform().daemon().name(name).unstarted(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                errors.add(Thread.currentThread().getName() + ": " + e);
                if (!config.quiet()) {
                    e.printStackTrace();
                }
                stop = true;
            } finally {
                if (pauses) {
                    this.pauses.arriveAndDeregister();
                }
            }
        });
        t.start();
        return t;
    }

    private void pauseIfRequested() {
        if (pauseRequested) {
            awaitPhase(pauses.arrive());
            awaitPhase(pauses.arrive());
        }
    }

    private void awaitPhase(int phase) {
        try {
            pauses.awaitAdvanceInterruptibly(phase, 60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted at a checkpoint", e);
        } catch (TimeoutException e) {
            throw new AssertionError("a checkpoint waited more than 60 s for the threads: a hang", e);
        }
    }

    // ---- checkpoints ------------------------------------------------------------------------

    private void checkpoint(long start) {
        pauseRequested = true;
        awaitPhase(pauses.arrive());
        try {
            if (stop) {
                return;
            }
            long count = 0;
            for (Worker w : workers) {
                for (Live o : w.mine) {
                    own.verify(o);
                    count++;
                }
            }
            for (Queue<Live> inbox : inboxes) {
                for (Live o : inbox) {
                    own.verify(o);
                    count++;
                }
            }
            AllocatorSnapshot s = a.snapshot();
            check(count == s.global().liveObjects(), "checkpoint: " + count + " objects held, the snapshot counts "
                    + s.global().liveObjects());
            List<String> broken = a.engine().checkInvariants();
            check(broken.isEmpty(), "checkpoint: broken invariants " + broken);
            List<String> rules = StatsAssertions.brokenQuiescentRules(s);
            check(rules.isEmpty(), "checkpoint: broken snapshot rules " + rules);
            // Faults: whatever was consumed of the last injection has been counted, exactly.
            long failures = s.global().totalMadviseFailures();
            faultsConsumed += failures - madviseFailuresAtLastCheckpoint;
            madviseFailuresAtLastCheckpoint = failures;
            int inject = 1 + (int) (checkpoints % 3);
            OsMemory.injectMadviseFailure(inject);
            faultsInjected += inject;
            checkpoints++;
            if (!config.quiet()) {
                GlobalStats g = s.global();
                long ops = counts().get("operations");
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("[%7.1fs] %,d operations (%,.0f/s), %,d live, %,d slabs in service, %,d resident bytes,"
                                + " era %d, madvise failures %d%n", seconds, ops, ops / seconds, count, g.netSlabs(),
                        a.engine().residentBytes(), g.currentEra(), failures);
            }
        } catch (Throwable e) {
            errors.add("checkpoint " + checkpoints + ": " + e);
            stop = true;
        } finally {
            pauseRequested = false;
            awaitPhase(pauses.arrive());
        }
    }

    private void check(boolean ok, String problem) {
        if (!ok) {
            throw new AssertionError(problem);
        }
    }

    private void finalCheck() {
        OsMemory.injectMadviseFailure(0);
        AllocatorSnapshot before = a.snapshot();
        faultsConsumed += before.global().totalMadviseFailures() - madviseFailuresAtLastCheckpoint;
        madviseFailuresAtLastCheckpoint = before.global().totalMadviseFailures();
        long held = 0;
        for (Worker w : workers) {
            held += w.mine.size();
        }
        for (Queue<Live> inbox : inboxes) {
            held += inbox.size();
        }
        check(held == before.global().liveObjects(), "end: " + held + " objects held, the snapshot counts "
                + before.global().liveObjects());
        for (Worker w : workers) {
            for (Live o : w.mine) {
                own.free(o);
                w.frees++;
            }
            w.mine.clear();
        }
        for (Queue<Live> inbox : inboxes) {
            for (Live o; (o = inbox.poll()) != null; ) {
                own.free(o);
                workers.getFirst().crossFrees++;
            }
        }
        TestSupport.closeAllEpochs(a);
        AllocatorSnapshot end = a.snapshot();
        check(end.global().liveObjects() == 0, "end: " + end.global().liveObjects() + " objects live after freeing all");
        check(end.global().netSlabs() == 0, "end: " + end.global().netSlabs() + " slabs in service after freeing all and"
                + " closing every epoch");
        check(end.global().totalAllocations() == end.global().totalFrees(), "end: allocations "
                + end.global().totalAllocations() + " != frees " + end.global().totalFrees());
        check(end.global().totalMadviseFailures() == faultsConsumed, "end: " + end.global().totalMadviseFailures()
                + " madvise failures counted, " + faultsConsumed + " injected failures consumed");
        List<String> broken = a.engine().checkInvariants();
        check(broken.isEmpty(), "end: broken invariants " + broken);
        List<String> rules = StatsAssertions.brokenQuiescentRules(end);
        check(rules.isEmpty(), "end: broken snapshot rules " + rules);
    }

    private Map<String, Long> counts() {
        long allocs = 0;
        long refused = 0;
        long frees = 0;
        long crossFrees = 0;
        long handOvers = 0;
        long verifies = 0;
        long stale = 0;
        long scopes = 0;
        long domainAllocs = 0;
        long segmentAllocs = 0;
        for (Worker w : workers) {
            allocs += w.allocs;
            refused += w.refused;
            frees += w.frees;
            crossFrees += w.crossFrees;
            handOvers += w.handOvers;
            verifies += w.verifies;
            stale += w.staleReplays;
            scopes += w.scopes;
            domainAllocs += w.domainAllocs;
            segmentAllocs += w.segmentAllocs;
        }
        long operations = allocs + refused + frees + crossFrees + stale + 2 * scopes + advances + closes + domainsOpened
                + snapshots;
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("operations", operations);
        m.put("allocations", allocs);
        m.put("  of which by allocate()", segmentAllocs);
        m.put("  of which by domain.alloc()", domainAllocs);
        m.put("allocations refused (counted)", refused);
        m.put("frees by the allocating thread", frees);
        m.put("frees by another thread", crossFrees);
        m.put("objects handed to another thread", handOvers);
        m.put("stale handles replayed (rejected)", stale);
        m.put("stamps verified", verifies);
        m.put("domain scopes entered and left", scopes);
        m.put("epoch advances", advances);
        m.put("epoch closes", closes);
        m.put("  of which of the current epoch", closesOfCurrent);
        m.put("domains opened", domainsOpened);
        m.put("snapshots checked", snapshots);
        m.put("JSON round trips", jsonRoundTrips);
        m.put("stats-file reads (whole)", statsFileReads.get());
        m.put("stats-file reads (no file yet)", statsFileAbsent.get());
        m.put("checkpoints (full invariant walks)", checkpoints);
        m.put("madvise failures injected", faultsInjected);
        m.put("madvise failures consumed and counted", faultsConsumed);
        return m;
    }

    // ---- threads ----------------------------------------------------------------------------

    /** One worker: its objects, its counters, its recently freed handles. */
    private final class Worker {
        final int id;
        final SplittableRandom random;
        final ArrayList<Live> mine = new ArrayList<>();
        final long[] stale = new long[64];
        final ArrayDeque<EpochDomain.Scope> scopeStack = new ArrayDeque<>();
        int staleCount;
        long sequence;
        long allocs;
        long refused;
        long frees;
        long crossFrees;
        long handOvers;
        long verifies;
        long staleReplays;
        long scopes;
        long domainAllocs;
        long segmentAllocs;

        Worker(int id) {
            this.id = id;
            this.random = new SplittableRandom(config.seed() * 31 + id);
        }

        long owner() {
            return ((long) (id + 1) << 48) | ++sequence;
        }

        void run() {
            Queue<Live> inbox = inboxes.get(id);
            try {
                while (!stop) {
                    pauseIfRequested();
                    for (int batch = 0; batch < 64 && !stop; batch++) {
                        step(inbox);
                    }
                }
            } finally {
                while (!scopeStack.isEmpty()) {
                    scopeStack.pop().close();
                    scopes++;
                }
            }
        }

        void step(Queue<Live> inbox) {
            for (Live o; (o = inbox.poll()) != null; ) {
                if (random.nextInt(4) == 0 && mine.size() < config.maxOwned()) {
                    mine.add(o); // adopted: it may travel on, or outlive more epochs
                } else {
                    own.free(o);
                    crossFrees++;
                    remember(o);
                }
            }
            int r = random.nextInt(100);
            if (mine.isEmpty() || (r < 50 && mine.size() < config.maxOwned())) {
                allocate();
            } else if (r < 80) {
                Live o = removeRandom();
                own.free(o);
                frees++;
                remember(o);
            } else if (r < 90) {
                inboxes.get(random.nextInt(config.threads())).add(removeRandom());
                handOvers++;
            } else if (r < 95) {
                own.verify(mine.get(random.nextInt(mine.size())));
                verifies++;
            } else if (r < 98) {
                int n = Math.min(staleCount, stale.length);
                if (n > 0) {
                    long h = stale[random.nextInt(n)];
                    if (a.free(h)) {
                        throw new AssertionError("stale handle 0x" + Long.toHexString(h) + " was freed again");
                    }
                    staleReplays++;
                }
            } else if (r < 99) {
                if (scopeStack.size() < 3) {
                    try {
                        scopeStack.push(domain.enter());
                    } catch (IllegalStateException eraOver) {
                        refused++; // the domain's era is over; the epoch thread opens new ones
                    }
                }
            } else if (!scopeStack.isEmpty()) {
                scopeStack.pop().close();
                scopes++;
            }
        }

        void remember(Live o) {
            if (o.segment() == null) {
                stale[staleCount++ % stale.length] = o.handle();
            }
        }

        void allocate() {
            int size = 1 + random.nextInt(768);
            int route = random.nextInt(10);
            Live o;
            if (route < 7) {
                long h = a.alloc(size);
                o = h == 0 ? null : own.adopt(h, owner());
            } else if (route == 7) {
                long h = a.alloc(size, a.currentEpoch());
                o = h == 0 ? null : own.adopt(h, owner());
            } else if (route == 8) {
                long h = (scopeStack.isEmpty() ? domain : scopeStack.peek().domain()).alloc(size);
                o = h == 0 ? null : own.adopt(h, owner());
                if (o != null) {
                    domainAllocs++;
                }
            } else {
                MemorySegment s;
                try {
                    s = a.allocate(Math.min(size, 512), 1L << random.nextInt(7));
                } catch (IllegalStateException | OutOfMemoryError refusedHere) {
                    s = null;
                }
                o = s == null ? null : own.adopt(s, owner());
                if (o != null) {
                    segmentAllocs++;
                }
            }
            if (o == null) {
                refused++; // the current epoch was closed, the domain's era is over, or the reservation is full
            } else {
                allocs++;
                mine.add(o);
            }
        }

        Live removeRandom() {
            int i = random.nextInt(mine.size());
            Live o = mine.get(i);
            mine.set(i, mine.getLast());
            mine.removeLast();
            return o;
        }
    }

    private void epochs() {
        SplittableRandom random = new SplittableRandom(config.seed() ^ 0x5EED);
        int n = a.epochCount();
        while (!stop) {
            pauseIfRequested();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50 + random.nextInt(1000)));
            int r = random.nextInt(100);
            if (r < 45 || a.epochState(a.currentEpoch()) == EpochState.CLOSING) {
                a.advanceEpoch();
                advances++;
            } else if (r < 75) {
                a.closeEpoch((a.currentEpoch() + 1 + random.nextInt(n - 1)) % n);
                closes++;
            } else if (r < 78) {
                a.closeEpoch(a.currentEpoch()); // allocations in the current epoch are refused until the next advance
                closes++;
                closesOfCurrent++;
            } else if (r < 93) {
                domain = a.newDomain("soak-" + (++domainsOpened), random.nextBoolean());
            } else {
                a.epochRefcount(a.currentEpoch());
            }
        }
    }

    private void snapshots() {
        AllocatorSnapshot previous = null;
        while (!stop) {
            pauseIfRequested();
            LockSupport.parkNanos(2_000_000);
            AllocatorSnapshot s = a.snapshot();
            List<String> broken = StatsAssertions.brokenRules(s);
            if (!broken.isEmpty()) {
                throw new AssertionError("snapshot breaks " + broken);
            }
            if (previous != null) {
                Map<String, Long> before = StatsAssertions.counters(previous);
                Map<String, Long> now = StatsAssertions.counters(s);
                for (Map.Entry<String, Long> e : before.entrySet()) {
                    if (now.get(e.getKey()) < e.getValue()) {
                        throw new AssertionError(e.getKey() + " went from " + e.getValue() + " to " + now.get(e.getKey()));
                    }
                }
            }
            previous = s;
            snapshots++;
            if (snapshots % 10 == 0) {
                String json = s.toJson();
                if (!AllocatorSnapshot.fromJson(json).toJson().equals(json)) {
                    throw new AssertionError("a snapshot's JSON does not read back to itself");
                }
                jsonRoundTrips++;
            }
        }
    }

    private void statsReader() {
        long pid = ProcessHandle.current().pid();
        long lastSequence = -1;
        while (!stop) {
            LockSupport.parkNanos(50_000_000);
            try {
                StatsFileContents c = StatsFile.read(pid);
                if (c.sequence() < lastSequence) {
                    throw new AssertionError("stats file sequence went back from " + lastSequence + " to " + c.sequence());
                }
                lastSequence = c.sequence();
                if (c.allocator("soak").isPresent()) {
                    statsFileReads.incrementAndGet();
                } else {
                    statsFileAbsent.incrementAndGet(); // not published yet
                }
            } catch (StatsFileException e) {
                if (e.problem() != StatsFileException.Problem.NO_FILE) {
                    throw new AssertionError("stats file read failed: " + e.getMessage(), e);
                }
                statsFileAbsent.incrementAndGet();
            }
        }
    }
}
