package io.tslab.bench.jmh;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
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
 * Cost of {@code snapshot()} (slab walk, counters, {@code mincore} over the used range) on an
 * allocator holding {@code liveObjects} objects spread over every size class and four epochs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX})
@State(Scope.Benchmark)
public class SnapshotBenchmark {
    private static final int[] SIZES = {64, 96, 128, 192, 256, 384, 512, 768};

    @Param({"100000"})
    public int liveObjects;

    private SlabAllocator allocator;

    @Setup(Level.Trial)
    public void open() {
        allocator = SlabAllocator.builder().name("snapshot").build();
        int perEpoch = liveObjects / 4;
        for (int epoch = 0; epoch < 4; epoch++) {
            for (int i = 0; i < perEpoch; i++) {
                if (allocator.alloc(SIZES[i % SIZES.length]) == 0L) {
                    throw new IllegalStateException("allocation refused while filling");
                }
            }
            allocator.advanceEpoch();
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        allocator.close();
    }

    @Benchmark
    public AllocatorSnapshot snapshot() {
        return allocator.snapshot();
    }
}
