package io.tslab.bench.jmh;

import io.tslab.SlabAllocator;
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
import org.openjdk.jmh.infra.BenchmarkParams;

import java.util.concurrent.TimeUnit;

/**
 * Observability overhead: the tslab pair of {@link PairBenchmark}, once in forks started with
 * {@code -Dtslab.counters=true} and once with {@code -Dtslab.counters=false}. The core reads that
 * property once, when its classes initialise, so each fork runs one configuration; the report
 * compares the medians of the two. Run it in several rounds ({@code run.sh} does) so that drift of
 * a shared machine hits both sides alike. Each fork checks that the core applied the property
 * ({@code snapshot().countersEnabled()}) and fails otherwise.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class CountersBenchmark {
    @Param({"128"})
    public int size;

    PeerAllocator peer;
    Slots slots;

    @Setup(Level.Trial)
    public void open(BenchmarkParams params) {
        boolean expected = params.getBenchmark().endsWith("countersOn");
        try (SlabAllocator probe = SlabAllocator.builder().name("counters-probe").reserveBytes(1L << 20).build()) {
            boolean actual = probe.snapshot().countersEnabled();
            if (actual != expected) {
                throw new IllegalStateException("tslab.counters=" + System.getProperty("tslab.counters")
                        + " but the core reports countersEnabled=" + actual);
            }
        }
        peer = Peer.TSLAB.open(size);
        slots = peer.slots(1);
    }

    @TearDown(Level.Trial)
    public void close() {
        slots.close();
        peer.close();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX,
            BenchJvm.COUNTERS_ON})
    public void countersOn() {
        slots.allocate(0);
        slots.free(0);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX,
            BenchJvm.COUNTERS_OFF})
    public void countersOff() {
        slots.allocate(0);
        slots.free(0);
    }
}
