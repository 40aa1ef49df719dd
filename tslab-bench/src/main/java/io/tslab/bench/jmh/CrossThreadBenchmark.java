package io.tslab.bench.jmh;

import io.tslab.bench.peer.Peer;
import io.tslab.bench.peer.PeerAllocator;
import io.tslab.bench.peer.Slots;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
import org.openjdk.jmh.infra.Control;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * One thread allocates (and writes 8 bytes into each object), another frees, the objects passing
 * through a single-producer single-consumer ring of {@value #RING} slots. The ring carries slot
 * indexes of one {@link Slots} table; a release store of the producer position publishes the
 * object, a release store of the consumer position gives the slot back. Score of the {@code free}
 * method: objects allocated on one thread and freed on the other, per second.
 *
 * <p>{@code arena-confined} cannot take part: a confined arena can be closed only by its owner.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.NETTY_LEAK_DETECTION_OFF, BenchJvm.UNSAFE_QUIET,
        BenchJvm.HEAP_MIN, BenchJvm.HEAP_MAX, BenchJvm.EXECUTOR, BenchJvm.EXECUTOR_CLASS})
@State(Scope.Group)
public class CrossThreadBenchmark {
    static final int RING = 1024;
    private static final int MASK = RING - 1;
    private static final VarHandle POSITIONS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Producer position and its cached view of the consumer, 128 bytes away from the consumer's pair. */
    private static final int PRODUCED = 16;
    private static final int PRODUCER_SEES_CONSUMED = 17;
    private static final int CONSUMED = 32;
    private static final int CONSUMER_SEES_PRODUCED = 33;
    private static final int SPINS_BEFORE_YIELD = 100;

    @Param({"64", "128", "512", "768"})
    public int size;

    @Param({"tslab", "netty-pooled", "netty-adaptive", "arena-shared-1000", "malloc", "malloc-critical",
            "allocate-direct", "byte-array"})
    public String allocator;

    PeerAllocator peer;
    Slots slots;
    private final long[] positions = new long[48];

    @Setup(Level.Trial)
    public void open() {
        Peer p = Peer.byId(allocator);
        if (!p.allowsCrossThreadFree()) {
            throw new IllegalArgumentException("allocator: " + allocator + " cannot free on another thread");
        }
        peer = p.open(size);
        slots = peer.slots(RING);
    }

    @TearDown(Level.Trial)
    public void close() {
        long consumed = (long) POSITIONS.getVolatile(positions, CONSUMED);
        long produced = (long) POSITIONS.getVolatile(positions, PRODUCED);
        for (long c = consumed; c < produced; c++) {
            slots.free((int) (c & MASK));
        }
        slots.close();
        peer.close();
    }

    /**
     * Spin briefly, then yield: on a machine with as many busy threads as cores, a waiting side that
     * only spins would hold the core the other side needs to make progress.
     */
    private static void backOff(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public void allocate(Control control) {
        final long[] pos = positions;
        long produced = (long) POSITIONS.get(pos, PRODUCED);
        if (produced - (long) POSITIONS.get(pos, PRODUCER_SEES_CONSUMED) >= RING) {
            long consumed;
            for (int spins = 0; produced - (consumed = (long) POSITIONS.getAcquire(pos, CONSUMED)) >= RING; spins++) {
                if (control.stopMeasurement) {
                    return;
                }
                backOff(spins);
            }
            POSITIONS.set(pos, PRODUCER_SEES_CONSUMED, consumed);
        }
        slots.allocate((int) (produced & MASK));
        POSITIONS.setRelease(pos, PRODUCED, produced + 1);
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public void free(Control control) {
        final long[] pos = positions;
        long consumed = (long) POSITIONS.get(pos, CONSUMED);
        if (consumed >= (long) POSITIONS.get(pos, CONSUMER_SEES_PRODUCED)) {
            long produced;
            for (int spins = 0; consumed >= (produced = (long) POSITIONS.getAcquire(pos, PRODUCED)); spins++) {
                if (control.stopMeasurement) {
                    return;
                }
                backOff(spins);
            }
            POSITIONS.set(pos, CONSUMER_SEES_PRODUCED, produced);
        }
        slots.free((int) (consumed & MASK));
        POSITIONS.setRelease(pos, CONSUMED, consumed + 1);
    }
}
