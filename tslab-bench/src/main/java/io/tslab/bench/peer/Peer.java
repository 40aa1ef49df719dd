package io.tslab.bench.peer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The contenders, each under the id used in JMH parameters, result files and tables.
 *
 * <p>What "free" means differs, and the tables say so: the GC-managed peers ({@link
 * #ALLOCATE_DIRECT}, {@link #BYTE_ARRAY}) only drop the reference, their real cost is paid later by
 * the collector (and, for direct buffers, by the Cleaner); {@link #ARENA_SHARED_BATCH} frees its
 * memory 1 000 objects at a time, when the last object of an arena is given back.
 */
public enum Peer {
    /** {@code SlabAllocator}: {@code alloc}, {@code memory().set(offset(h))}, {@code free}. */
    TSLAB("tslab", "tslab SlabAllocator (handle + offset/memory)"),
    /** Netty {@code PooledByteBufAllocator}, direct, thread caches for every thread. */
    NETTY_POOLED("netty-pooled", "Netty PooledByteBufAllocator (direct, thread caches)"),
    /** Netty 4.2 {@code AdaptiveByteBufAllocator}, direct. */
    NETTY_ADAPTIVE("netty-adaptive", "Netty AdaptiveByteBufAllocator (direct)"),
    /** {@code Arena.ofConfined()} opened and closed per object. */
    ARENA_CONFINED("arena-confined", "FFM Arena.ofConfined() per object"),
    /** {@code Arena.ofShared()} per batch of 1 000 objects, closed when all 1 000 are freed. */
    ARENA_SHARED_BATCH("arena-shared-1000", "FFM Arena.ofShared() per 1 000 objects"),
    /** {@code malloc}/{@code free} through FFM downcalls. */
    MALLOC("malloc", "malloc/free via FFM downcall"),
    /** The same with {@code Linker.Option.critical(false)}. */
    MALLOC_CRITICAL("malloc-critical", "malloc/free via FFM downcall, critical(false)"),
    /** {@code ByteBuffer.allocateDirect}, freed by the GC and the Cleaner. */
    ALLOCATE_DIRECT("allocate-direct", "ByteBuffer.allocateDirect (GC + Cleaner)"),
    /** {@code new byte[size]}, freed by the GC (G1). */
    BYTE_ARRAY("byte-array", "new byte[] (G1)");

    private final String id;
    private final String description;

    Peer(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** The id used in parameters and files, e.g. {@code netty-pooled}. */
    public String id() {
        return id;
    }

    /** One line saying what exactly is measured. */
    public String description() {
        return description;
    }

    /** Whether an object may be freed by another thread than the one that allocated it. */
    public boolean allowsCrossThreadFree() {
        return this != ARENA_CONFINED;
    }

    /** Whether memory goes back only through the garbage collector. */
    public boolean gcManaged() {
        return this == ALLOCATE_DIRECT || this == BYTE_ARRAY;
    }

    /** A new instance for objects of {@code size} bytes. */
    public PeerAllocator open(int size) {
        if (size < 1 || size > 768) {
            throw new IllegalArgumentException("size: " + size + " (expected: 1..768)");
        }
        return switch (this) {
            case TSLAB -> new TslabPeer(size);
            case NETTY_POOLED, NETTY_ADAPTIVE -> new NettyPeer(this, size);
            case ARENA_CONFINED -> new ArenaConfinedPeer(size);
            case ARENA_SHARED_BATCH -> new ArenaSharedBatchPeer(size);
            case MALLOC, MALLOC_CRITICAL -> new MallocPeer(this, size);
            case ALLOCATE_DIRECT -> new DirectBufferPeer(size);
            case BYTE_ARRAY -> new ByteArrayPeer(size);
        };
    }

    /** The peer with {@code id}. */
    public static Peer byId(String id) {
        for (Peer p : values()) {
            if (p.id.equals(id.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("allocator: \"" + id + "\" (expected one of " + ids(List.of(values())) + ")");
    }

    /** Ids of {@code peers}, comma-separated. */
    public static String ids(List<Peer> peers) {
        return String.join(",", peers.stream().map(Peer::id).toList());
    }

    /** Parses a comma-separated list of ids; {@code all} means every peer. */
    public static List<Peer> parseList(String ids) {
        if (ids.equals("all")) {
            return List.of(values());
        }
        return Arrays.stream(ids.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Peer::byId).toList();
    }
}
