package io.tslab.bench.jmh;

import io.tslab.bench.peer.Peer;
import io.tslab.bench.peer.PeerAllocator;
import io.tslab.bench.peer.Slots;
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

import java.util.concurrent.TimeUnit;

/**
 * A batch of {@value #N} objects per thread: allocate all (writing 8 bytes into each), free all,
 * then end the batch (tslab: {@code advanceEpoch()} and {@code closeEpoch(previous)}, which gives
 * the pages back to the OS). Score: objects per second, all threads; one operation is one object
 * allocated and freed, plus its share of the epoch end.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.NETTY_LEAK_DETECTION_OFF, BenchJvm.UNSAFE_QUIET,
        BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX, BenchJvm.EXECUTOR, BenchJvm.EXECUTOR_CLASS})
@State(Scope.Benchmark)
public class BatchBenchmark {
    /** Objects per batch and thread. */
    public static final int N = 100_000;

    @Param({"64", "128", "512", "768"})
    public int size;

    @Param({"tslab", "netty-pooled", "netty-adaptive", "arena-confined", "arena-shared-1000", "malloc",
            "malloc-critical", "allocate-direct", "byte-array"})
    public String allocator;

    PeerAllocator peer;

    @Setup(Level.Trial)
    public void open() {
        peer = Peer.byId(allocator).open(size);
    }

    @TearDown(Level.Trial)
    public void close() {
        peer.close();
    }

    /** The calling thread's batch. */
    @State(Scope.Thread)
    public static class ThreadSlots {
        Slots slots;

        @Setup(Level.Trial)
        public void open(BatchBenchmark benchmark) {
            slots = benchmark.peer.slots(N);
        }

        @TearDown(Level.Trial)
        public void close() {
            slots.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void allocAllFreeAll(ThreadSlots thread) {
        Slots slots = thread.slots;
        for (int i = 0; i < N; i++) {
            slots.allocate(i);
        }
        for (int i = 0; i < N; i++) {
            slots.free(i);
        }
        slots.endBatch();
    }
}
