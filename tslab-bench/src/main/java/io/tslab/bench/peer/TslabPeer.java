package io.tslab.bench.peer;

import io.tslab.SlabAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * tslab through its zero-garbage path: {@code alloc} returns a {@code long} handle, the object is
 * written through {@code memory()} at {@code offset(h)} (which validates the handle), and {@code
 * free(h)} gives it back. A batch ends with {@code advanceEpoch()} and {@code closeEpoch(previous)}.
 */
final class TslabPeer extends PeerAllocator {
    private final SlabAllocator allocator;

    TslabPeer(int size) {
        super(Peer.TSLAB, size);
        this.allocator = SlabAllocator.builder().name("bench-" + size).build();
    }

    /** The allocator, for benchmarks that look inside (snapshot cost, epoch phase). */
    SlabAllocator allocator() {
        return allocator;
    }

    @Override
    public Slots slots(int capacity) {
        return new TslabSlots(allocator, size, capacity);
    }

    @Override
    public long residentBytes() {
        return allocator.snapshot().global().residentBytes();
    }

    @Override
    public long reservedBytes() {
        return allocator.snapshot().global().committedBytes();
    }

    @Override
    public void close() {
        allocator.close();
    }

    private static final class TslabSlots extends Slots {
        private final SlabAllocator allocator;
        private final MemorySegment memory;
        private final long[] handles;

        TslabSlots(SlabAllocator allocator, int size, int capacity) {
            super(size, capacity);
            this.allocator = allocator;
            this.memory = allocator.memory();
            this.handles = new long[capacity];
        }

        @Override
        public void allocate(int i) {
            long h = allocator.alloc(size);
            if (h == 0L) {
                h = allocateAfterRefusal();
            }
            memory.set(ValueLayout.JAVA_LONG, allocator.offset(h), i);
            handles[i] = h;
        }

        /**
         * With several threads sharing the epoch ring, another thread may end the epoch between our
         * read of the current epoch and the allocation: then the next current epoch is used.
         */
        private long allocateAfterRefusal() {
            for (int attempt = 0; attempt < 1_000; attempt++) {
                long h = allocator.alloc(size);
                if (h != 0L) {
                    return h;
                }
                Thread.onSpinWait();
            }
            throw refused("tslab", size);
        }

        @Override
        public void free(int i) {
            long h = handles[i];
            handles[i] = 0L;
            if (!allocator.free(h)) {
                throw rejected("tslab", h);
            }
        }

        @Override
        public void endBatch() {
            int previous = allocator.currentEpoch();
            allocator.advanceEpoch();
            allocator.closeEpoch(previous);
        }

        @Override
        public void close() {
            for (int i = 0; i < capacity; i++) {
                if (handles[i] != 0L) {
                    free(i);
                }
            }
        }
    }
}
