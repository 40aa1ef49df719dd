package io.tslab.bench.jmh;

import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Cost of {@code snapshot()} (slab walk with the slot stamps, counters, {@code mincore} over the
 * used range) on an allocator with {@code slabs} slabs in service: spread over every size class and
 * four epochs, each slab half full (every other slot freed again), so that every list and every
 * stamp is read. The setup checks that the snapshot reports exactly that many slabs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX})
@State(Scope.Benchmark)
public class SnapshotBenchmark {
    private static final int[] SIZES = {64, 96, 128, 192, 256, 384, 512, 768};
    private static final int EPOCHS = 4;

    @Param({"10000", "100000"})
    public int slabs;

    private SlabAllocator allocator;

    @Setup(Level.Trial)
    public void open() {
        allocator = SlabAllocator.builder().name("snapshot")
                .reserveBytes((long) slabs * 4096 + (64L << 20)).build();
        List<ClassStats> classes = allocator.snapshot().classes();
        int bins = EPOCHS * SIZES.length;
        for (int bin = 0; bin < bins; bin++) {
            int sizeClass = bin % SIZES.length;
            int slots = classes.get(sizeClass).slotsPerSlab();
            int slabsHere = slabs / bins + (bin < slabs % bins ? 1 : 0);
            long[] handles = new long[slabsHere * slots];
            for (int i = 0; i < handles.length; i++) {
                handles[i] = allocator.alloc(SIZES[sizeClass]);
                if (handles[i] == 0L) {
                    throw new IllegalStateException("allocation refused while filling");
                }
            }
            for (int i = 0; i < handles.length; i += 2) {
                allocator.free(handles[i]);
            }
            if (sizeClass == SIZES.length - 1) {
                allocator.advanceEpoch();
            }
        }
        long inService = allocator.snapshot().global().netSlabs();
        if (inService != slabs) {
            throw new IllegalStateException("expected " + slabs + " slabs in service, the snapshot reports " + inService);
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
