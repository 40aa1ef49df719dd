package io.tslab.bench.peer;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Netty 4.2 pooled allocators, direct buffers. The pooled one is built with thread caches for
 * every thread (Netty 4.2 otherwise gives caches only to its own event-loop threads); the adaptive
 * one is Netty 4.2's default allocator, also with caches outside event loops. Leak detection should
 * be off ({@code -Dio.netty.leakDetection.level=disabled}), as in a tuned production setup: at its
 * default level it samples allocations and allocates tracking objects for them.
 */
final class NettyPeer extends PeerAllocator {
    private final ByteBufAllocator allocator;

    NettyPeer(Peer peer, int size) {
        super(peer, size);
        this.allocator = switch (peer) {
            case NETTY_POOLED -> new PooledByteBufAllocator(true,
                    PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
                    PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
                    PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(),
                    true);
            case NETTY_ADAPTIVE -> new AdaptiveByteBufAllocator(true, true);
            default -> throw new IllegalArgumentException("peer: " + peer + " (expected: a Netty allocator)");
        };
    }

    @Override
    public Slots slots(int capacity) {
        return new BufSlots(allocator, size, capacity);
    }

    /** Netty's own accounting of direct memory taken in chunks (not an OS measurement). */
    @Override
    public long reservedBytes() {
        return ((ByteBufAllocatorMetricProvider) allocator).metric().usedDirectMemory();
    }

    private static final class BufSlots extends Slots {
        private final ByteBufAllocator allocator;
        private final ByteBuf[] buffers;

        BufSlots(ByteBufAllocator allocator, int size, int capacity) {
            super(size, capacity);
            this.allocator = allocator;
            this.buffers = new ByteBuf[capacity];
        }

        @Override
        public void allocate(int i) {
            ByteBuf buffer = allocator.directBuffer(size, size);
            buffer.setLong(0, i);
            buffers[i] = buffer;
        }

        @Override
        public void free(int i) {
            ByteBuf buffer = buffers[i];
            buffers[i] = null;
            buffer.release();
        }

        @Override
        public void close() {
            for (int i = 0; i < capacity; i++) {
                if (buffers[i] != null) {
                    free(i);
                }
            }
        }
    }
}
