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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Allocate one object, write 8 bytes into it, free it: the cost of an object that lives for a
 * moment, with one object live per thread. With {@code -t 2}, both threads share one allocator
 * instance (tslab: the same slabs of the same epoch). Score: pairs per second, all threads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.NETTY_LEAK_DETECTION_OFF, BenchJvm.UNSAFE_QUIET,
        BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX, BenchJvm.EXECUTOR, BenchJvm.EXECUTOR_CLASS})
@State(Scope.Benchmark)
public class PairBenchmark {
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

    /** The calling thread's slot. */
    @State(Scope.Thread)
    public static class ThreadSlots {
        Slots slots;

        @Setup(Level.Trial)
        public void open(PairBenchmark benchmark) {
            slots = benchmark.peer.slots(1);
        }

        @TearDown(Level.Trial)
        public void close() {
            slots.close();
        }
    }

    @Benchmark
    public void allocFree(ThreadSlots thread) {
        Slots slots = thread.slots;
        slots.allocate(0);
        slots.free(0);
    }
}
