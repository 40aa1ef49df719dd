package io.tslab.bench.peer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One {@code Arena.ofShared()} per batch of {@value #BATCH} consecutive allocations of a slot
 * table; the arena is closed when the last of its objects is freed. This is how a program without
 * an allocator would group short-lived native objects that may cross threads. Freeing an object
 * itself costs only a counter; the closing free pays for the whole batch (a thread handshake).
 *
 * <p>The allocating thread counts allocations, the freeing thread (the same or, in the
 * cross-thread benchmark, the consumer) counts frees; the slot index hand-off publishes the batch.
 */
final class ArenaSharedBatchPeer extends PeerAllocator {
    static final int BATCH = 1_000;

    ArenaSharedBatchPeer(int size) {
        super(Peer.ARENA_SHARED_BATCH, size);
    }

    @Override
    public Slots slots(int capacity) {
        return new BatchSlots(size, capacity);
    }

    /** An arena and its two counters; each counter has one writer thread. */
    private static final class Batch {
        final Arena arena = Arena.ofShared();
        int allocated;
        int freed;
    }

    private static final class BatchSlots extends Slots {
        private final Batch[] batches;
        private Batch current;

        BatchSlots(int size, int capacity) {
            super(size, capacity);
            this.batches = new Batch[capacity];
        }

        @Override
        public void allocate(int i) {
            Batch batch = current;
            if (batch == null || batch.allocated == BATCH) {
                batch = new Batch();
                current = batch;
            }
            MemorySegment segment = batch.arena.allocate(size, Long.BYTES);
            segment.set(ValueLayout.JAVA_LONG, 0, i);
            batch.allocated++;
            batches[i] = batch;
        }

        @Override
        public void free(int i) {
            Batch batch = batches[i];
            batches[i] = null;
            if (++batch.freed == BATCH) {
                batch.arena.close();
            }
        }

        @Override
        public void close() {
            for (int i = 0; i < capacity; i++) {
                closeIfOpen(batches[i]);
                batches[i] = null;
            }
            closeIfOpen(current);
            current = null;
        }

        private static void closeIfOpen(Batch batch) {
            if (batch != null && batch.arena.scope().isAlive()) {
                batch.arena.close();
            }
        }
    }
}
