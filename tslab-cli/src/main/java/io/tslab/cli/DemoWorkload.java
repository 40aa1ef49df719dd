package io.tslab.cli;

import io.tslab.EpochDomain;
import io.tslab.SlabAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's service: each worker serves requests (a handful of objects of mixed sizes); 90% of
 * requests die at once, 9.5% live one to three epochs, 0.5% are sessions living 4 to 12 epochs. A ticker
 * advances the epoch ring on a timer and closes the epoch before the previous one.
 */
final class DemoWorkload {
    private static final int[] SIZES = {40, 64, 96, 120, 160, 250, 320, 500, 700};
    private static final int BUCKETS = 64;
    /** Requests each worker serves per second: a steady service, whatever the epoch period. */
    private static final long REQUESTS_PER_SECOND = 50_000;

    private final SlabAllocator allocator;
    private final Duration epochPeriod;
    private final Worker[] workers;
    private final Thread ticker;
    private final Thread leaker;
    private final LongAdder leakedScopes = new LongAdder();
    private final LongAdder allocations = new LongAdder();
    private final LongAdder frees = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private volatile boolean running = true;
    private volatile long tick;

    DemoWorkload(SlabAllocator allocator, int threads, Duration epochPeriod) {
        this.allocator = allocator;
        this.epochPeriod = epochPeriod;
        this.workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(i);
        }
        this.ticker = Thread.ofPlatform().name("tslab-demo-ticker").daemon().unstarted(this::tickLoop);
        this.leaker = Thread.ofPlatform().name("background-worker-3").daemon().unstarted(this::leakLoop);
    }

    void start() {
        for (Worker w : workers) {
            w.thread.start();
        }
        ticker.start();
        leaker.start();
    }

    void stop() throws InterruptedException {
        running = false;
        ticker.interrupt();
        ticker.join();
        leaker.interrupt();
        leaker.join();
        for (Worker w : workers) {
            w.thread.join();
        }
    }

    /** After {@link #stop()}: frees every object still alive and closes every epoch. */
    void drain() {
        for (Worker w : workers) {
            w.freeAll();
        }
        for (Long h; (h = leakedHandles.poll()) != null; ) {
            allocator.free(h);
            frees.increment();
        }
        for (int e = 0; e < allocator.epochCount(); e++) {
            allocator.closeEpoch(e);
        }
    }

    long allocations() {
        return allocations.sum();
    }

    long frees() {
        return frees.sum();
    }

    long refusals() {
        return refusals.sum();
    }

    long requests() {
        return requests.sum();
    }

    long leakedScopes() {
        return leakedScopes.sum();
    }

    /** The bug the demo shows: a scope entered and never closed, once every ten epochs. */
    private void leakLoop() {
        long leakedAt = -10;
        while (running) {
            long now = tick;
            if (now - leakedAt >= 10) {
                EpochDomain domain = allocator.newDomain("background-worker-3");
                domain.enter(); // never closed
                long h = domain.alloc(256);
                if (h != 0) {
                    allocations.increment(); // also never freed until the drain
                    leakedHandles.add(h);
                }
                leakedScopes.increment();
                leakedAt = now;
            }
            LockSupport.parkNanos(epochPeriod.toNanos() / 2);
        }
    }

    private final java.util.concurrent.ConcurrentLinkedQueue<Long> leakedHandles = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private void tickLoop() {
        int epochs = allocator.epochCount();
        while (running) {
            LockSupport.parkNanos(epochPeriod.toNanos());
            if (!running) {
                return;
            }
            int current = allocator.advanceEpoch();
            tick++;
            allocator.closeEpoch((current - 2 + epochs) % epochs);
        }
    }

    private final class Worker {
        final Thread thread;
        final SplittableRandom random;
        /** Handles to free when the tick reaches their bucket. */
        final long[][] buckets = new long[BUCKETS][64];
        final int[] bucketSizes = new int[BUCKETS];
        final long[] request = new long[16];
        long freedThrough;

        Worker(int index) {
            this.random = new SplittableRandom(0x5EED + index);
            this.thread = Thread.ofPlatform().name("tslab-demo-worker-" + index).unstarted(this::run);
        }

        void run() {
            MemorySegment memory = allocator.memory();
            long served = 0;
            long start = System.nanoTime();
            long seenTick = tick;
            EpochDomain domain = allocator.newDomain("request-handler");
            while (running) {
                long now = tick;
                if (now != seenTick) {
                    seenTick = now;
                    domain = allocator.newDomain("request-handler");
                }
                freeThrough(now);
                if (served >= (System.nanoTime() - start) * REQUESTS_PER_SECOND / 1_000_000_000L) {
                    LockSupport.parkNanos(200_000); // ahead of the request rate
                    continue;
                }
                if (domain.era() != allocator.epochEra(domain.epoch())
                        || allocator.epochState(domain.epoch()) != io.tslab.EpochState.ACTIVE) {
                    domain = allocator.newDomain("request-handler"); // the ticker moved on under us
                }
                EpochDomain.Scope scope;
                try {
                    scope = domain.enter();
                } catch (IllegalStateException eraOver) {
                    domain = allocator.newDomain("request-handler");
                    continue;
                }
                try {
                    serve(memory, domain, now);
                } finally {
                    scope.close();
                }
                served++;
            }
        }

        private void serve(MemorySegment memory, EpochDomain domain, long now) {
            int objects = 1 + random.nextInt(request.length);
            double fate = random.nextDouble();
            int lifetime = fate < 0.90 ? 0 : fate < 0.995 ? 1 + random.nextInt(3) : 4 + random.nextInt(9);
            int n = 0;
            for (int i = 0; i < objects; i++) {
                long h = domain.alloc(SIZES[random.nextInt(SIZES.length)]);
                if (h == 0) {
                    refusals.increment(); // the ticker closed the epoch between our read and the allocation
                    continue;
                }
                memory.set(ValueLayout.JAVA_LONG, allocator.offset(h), h);
                request[n++] = h;
            }
            allocations.add(n);
            requests.increment();
            if (lifetime == 0) {
                for (int i = 0; i < n; i++) {
                    release(request[i]);
                }
            } else {
                int bucket = (int) ((now + lifetime) % BUCKETS);
                for (int i = 0; i < n; i++) {
                    schedule(bucket, request[i]);
                }
            }
        }

        private void schedule(int bucket, long handle) {
            if (bucketSizes[bucket] == buckets[bucket].length) {
                buckets[bucket] = Arrays.copyOf(buckets[bucket], bucketSizes[bucket] * 2);
            }
            buckets[bucket][bucketSizes[bucket]++] = handle;
        }

        private void freeThrough(long now) {
            while (freedThrough < now) {
                freedThrough++;
                freeBucket((int) (freedThrough % BUCKETS));
            }
        }

        private void freeBucket(int bucket) {
            long[] handles = buckets[bucket];
            for (int i = 0; i < bucketSizes[bucket]; i++) {
                release(handles[i]);
            }
            bucketSizes[bucket] = 0;
        }

        private void release(long handle) {
            if (!allocator.free(handle)) {
                throw new IllegalStateException("demo bug: free rejected a live handle 0x" + Long.toHexString(handle));
            }
            frees.increment();
        }

        void freeAll() {
            for (int b = 0; b < BUCKETS; b++) {
                freeBucket(b);
            }
        }
    }
}
