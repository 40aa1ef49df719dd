package io.tslab.bench.peer;

/**
 * One instance of a contender (an allocator, an arena policy, the GC), shared by every thread of
 * a benchmark; each thread takes its own {@link Slots} from it.
 */
public abstract class PeerAllocator implements AutoCloseable {
    private final Peer peer;
    protected final int size;

    protected PeerAllocator(Peer peer, int size) {
        this.peer = peer;
        this.size = size;
    }

    public final Peer peer() {
        return peer;
    }

    public final int size() {
        return size;
    }

    /** A new slot table of {@code capacity} slots for the calling thread. */
    public abstract Slots slots(int capacity);

    /**
     * Bytes of this allocator's own memory resident in RAM, measured from the OS, or -1 when the
     * allocator cannot tell (then only the process RSS says anything).
     */
    public long residentBytes() {
        return -1;
    }

    /** Bytes the allocator itself reports as taken from the OS (its accounting, not the OS's), or -1. */
    public long reservedBytes() {
        return -1;
    }

    @Override
    public void close() {
    }
}
