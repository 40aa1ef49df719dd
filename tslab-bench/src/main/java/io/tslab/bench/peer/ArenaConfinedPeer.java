package io.tslab.bench.peer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** One {@code Arena.ofConfined()} per object: open, allocate (zeroed, 8-aligned), write; free closes it. */
final class ArenaConfinedPeer extends PeerAllocator {
    ArenaConfinedPeer(int size) {
        super(Peer.ARENA_CONFINED, size);
    }

    @Override
    public Slots slots(int capacity) {
        return new ArenaSlots(size, capacity);
    }

    private static final class ArenaSlots extends Slots {
        private final Arena[] arenas;

        ArenaSlots(int size, int capacity) {
            super(size, capacity);
            this.arenas = new Arena[capacity];
        }

        @Override
        public void allocate(int i) {
            Arena arena = Arena.ofConfined();
            MemorySegment segment = arena.allocate(size, Long.BYTES);
            segment.set(ValueLayout.JAVA_LONG, 0, i);
            arenas[i] = arena;
        }

        @Override
        public void free(int i) {
            Arena arena = arenas[i];
            arenas[i] = null;
            arena.close();
        }

        @Override
        public void close() {
            for (int i = 0; i < capacity; i++) {
                if (arenas[i] != null) {
                    free(i);
                }
            }
        }
    }
}
