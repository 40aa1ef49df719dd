package io.tslab.bench.peer;

/**
 * A table of object slots owned by one thread (or, for the cross-thread benchmark, handed between
 * exactly two threads through a release/acquire index): {@link #allocate(int)} puts a new object
 * of the peer's size into slot {@code i} and writes one {@code long} into it, {@link #free(int)}
 * gives that object back.
 *
 * <p>Holding objects by slot index lets every contender, whether its objects are {@code long}
 * handles, addresses, segments, {@code ByteBuf}s or arrays, run the same benchmark loop without
 * boxing anything: a benchmark allocates nothing of its own per operation.
 */
public abstract class Slots implements AutoCloseable {
    /** Object size in bytes. */
    protected final int size;
    /** Number of slots. */
    protected final int capacity;

    protected Slots(int size, int capacity) {
        this.size = size;
        this.capacity = capacity;
    }

    /** Allocates an object into slot {@code i} (which must be empty) and writes {@code i} into its first 8 bytes. */
    public abstract void allocate(int i);

    /** Frees the object of slot {@code i}. */
    public abstract void free(int i);

    /**
     * Called after a batch was allocated and entirely freed: the point where an epoch-based user
     * ends the epoch. Nothing for the peers that have no such notion.
     */
    public void endBatch() {
    }

    public final int capacity() {
        return capacity;
    }

    /** Frees whatever is still allocated (slots freed already are skipped). */
    @Override
    public abstract void close();

    static IllegalStateException refused(String who, int size) {
        return new IllegalStateException(who + ": allocation of " + size + " bytes refused");
    }

    static IllegalStateException rejected(String who, long handle) {
        return new IllegalStateException(who + ": free rejected 0x" + Long.toHexString(handle));
    }
}
