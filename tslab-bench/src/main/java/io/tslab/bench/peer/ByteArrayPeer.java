package io.tslab.bench.peer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/** {@code new byte[size]} on the heap: "free" drops the reference, G1 reclaims it. */
final class ByteArrayPeer extends PeerAllocator {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    ByteArrayPeer(int size) {
        super(Peer.BYTE_ARRAY, size);
    }

    @Override
    public Slots slots(int capacity) {
        return new ArraySlots(size, capacity);
    }

    private static final class ArraySlots extends Slots {
        private final byte[][] arrays;

        ArraySlots(int size, int capacity) {
            super(size, capacity);
            this.arrays = new byte[capacity][];
        }

        @Override
        public void allocate(int i) {
            byte[] array = new byte[size];
            LONGS.set(array, 0, (long) i);
            arrays[i] = array;
        }

        @Override
        public void free(int i) {
            arrays[i] = null;
        }

        @Override
        public void close() {
            Arrays.fill(arrays, null);
        }
    }
}
