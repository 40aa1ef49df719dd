package io.tslab.bench.jmh;

import io.tslab.ReclaimPolicy;
import io.tslab.SlabAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * Where the time of a tslab alloc+free pair goes, one thread, by difference between variants:
 * <ul>
 *   <li>{@code pair}: alloc, write through {@code memory()} at {@code offset(h)}, free; the slab
 *       goes from empty to one object and back every time (as in {@link PairBenchmark});</li>
 *   <li>{@code pairNoAccess}: the same without {@code offset} and the write;</li>
 *   <li>{@code pairBesideNeighbour} and {@code pairBesideNeighbourNoAccess}: the same while a
 *       neighbour object keeps the slab non-empty, so no empty-slab bookkeeping happens;</li>
 *   <li>{@code offset}: {@code offset(h)} of a live object alone (handle validation);</li>
 *   <li>{@code atomicAdd}: one uncontended {@code getAndAdd} on a field, the unit cost of the
 *       atomic read-modify-write instructions a pair is made of;</li>
 *   <li>{@code batch*}: the batch of {@link BatchBenchmark} (per object): {@code batchEpochReclaim}
 *       as there (epoch ended, pages returned with {@code madvise}, faulted in again by the next
 *       batch), {@code batchEpochNoReclaim} with {@code ReclaimPolicy.NONE} (epoch ended, pages
 *       kept), {@code batchSameEpoch} without ending the epoch and with a slab cache large enough to
 *       keep every slab (no recycling at all).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX})
@State(Scope.Thread)
public class TslabFastPathBenchmark {
    private static final VarHandle COUNTER;

    static {
        try {
            COUNTER = MethodHandles.lookup().findVarHandle(TslabFastPathBenchmark.class, "counter", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Param({"128"})
    public int size;

    private SlabAllocator allocator;
    private MemorySegment memory;
    private long neighbour;
    @SuppressWarnings("unused") // accessed through COUNTER
    private long counter;

    @Setup(Level.Trial)
    public void open() {
        allocator = SlabAllocator.builder().name("fast-path").build();
        memory = allocator.memory();
    }

    /** Before the neighbour variants a neighbour is live in the current slab; otherwise none. */
    @Setup(Level.Iteration)
    public void placeNeighbour(BenchmarkParams params) {
        if (neighbour != 0L) {
            allocator.free(neighbour);
            neighbour = 0L;
        }
        String name = params.getBenchmark();
        if (name.endsWith("Neighbour") || name.endsWith("NeighbourNoAccess") || name.endsWith(".offset")) {
            neighbour = allocator.alloc(size);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        allocator.close();
    }

    @Benchmark
    public long pair() {
        long h = allocator.alloc(size);
        memory.set(ValueLayout.JAVA_LONG, allocator.offset(h), h);
        allocator.free(h);
        return h;
    }

    @Benchmark
    public long pairNoAccess() {
        long h = allocator.alloc(size);
        allocator.free(h);
        return h;
    }

    @Benchmark
    public long pairBesideNeighbour() {
        return pair();
    }

    @Benchmark
    public long pairBesideNeighbourNoAccess() {
        return pairNoAccess();
    }

    @Benchmark
    public long offset() {
        return allocator.offset(neighbour);
    }

    @Benchmark
    public long atomicAdd() {
        return (long) COUNTER.getAndAdd(this, 1L);
    }

    /** Objects per batch, as in {@link BatchBenchmark}. */
    static final int N = BatchBenchmark.N;

    /** Allocators for the batch variants, one per reclamation setting. */
    @State(Scope.Thread)
    public static class Batches {
        SlabAllocator reclaiming;
        SlabAllocator keeping;
        SlabAllocator caching;
        MemorySegment reclaimingMemory;
        MemorySegment keepingMemory;
        MemorySegment cachingMemory;
        final long[] handles = new long[N];
        int size;

        @Setup(Level.Trial)
        public void open(TslabFastPathBenchmark benchmark) {
            size = benchmark.size;
            reclaiming = SlabAllocator.builder().name("batch-reclaim").build();
            keeping = SlabAllocator.builder().name("batch-keep").reclaimPolicy(ReclaimPolicy.NONE).build();
            caching = SlabAllocator.builder().name("batch-cache").cacheCapacity(65_536).build();
            reclaimingMemory = reclaiming.memory();
            keepingMemory = keeping.memory();
            cachingMemory = caching.memory();
        }

        @TearDown(Level.Trial)
        public void close() {
            reclaiming.close();
            keeping.close();
            caching.close();
        }

        void fillAndFree(SlabAllocator a, MemorySegment memory) {
            final long[] hs = handles;
            final int objectSize = size;
            for (int i = 0; i < N; i++) {
                long h = a.alloc(objectSize);
                memory.set(ValueLayout.JAVA_LONG, a.offset(h), i);
                hs[i] = h;
            }
            for (int i = 0; i < N; i++) {
                a.free(hs[i]);
            }
        }

        static void endEpoch(SlabAllocator a) {
            int previous = a.currentEpoch();
            a.advanceEpoch();
            a.closeEpoch(previous);
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void batchEpochReclaim(Batches b) {
        b.fillAndFree(b.reclaiming, b.reclaimingMemory);
        Batches.endEpoch(b.reclaiming);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void batchEpochNoReclaim(Batches b) {
        b.fillAndFree(b.keeping, b.keepingMemory);
        Batches.endEpoch(b.keeping);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void batchSameEpoch(Batches b) {
        b.fillAndFree(b.caching, b.cachingMemory);
    }
}
