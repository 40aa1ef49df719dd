package io.tslab.bench.peer;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@code ByteBuffer.allocateDirect}: the JDK zeroes the memory and registers a Cleaner; "free"
 * drops the reference, the memory is released after a GC finds the buffer unreachable.
 */
final class DirectBufferPeer extends PeerAllocator {
    DirectBufferPeer(int size) {
        super(Peer.ALLOCATE_DIRECT, size);
    }

    @Override
    public Slots slots(int capacity) {
        return new BufferSlots(size, capacity);
    }

    private static final class BufferSlots extends Slots {
        private final ByteBuffer[] buffers;

        BufferSlots(int size, int capacity) {
            super(size, capacity);
            this.buffers = new ByteBuffer[capacity];
        }

        @Override
        public void allocate(int i) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(size);
            buffer.putLong(0, i);
            buffers[i] = buffer;
        }

        @Override
        public void free(int i) {
            buffers[i] = null;
        }

        @Override
        public void close() {
            Arrays.fill(buffers, null);
        }
    }
}
