package io.tslab.bench.peer;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C library's {@code malloc}/{@code free} through FFM downcalls, with or without {@code
 * Linker.Option.critical(false)} (no thread state transition; allowed for calls that neither block
 * nor call back into Java). The pointer travels as a {@code long} ({@code size_t} and pointers are
 * 64-bit on the supported platforms), so no {@code MemorySegment} is created per call; the object
 * is written through one segment covering the whole address space.
 */
@SuppressWarnings("restricted") // the point of this peer: downcalls into the C library
final class MallocPeer extends PeerAllocator {
    private static final MethodHandle MALLOC;
    private static final MethodHandle FREE;
    private static final MethodHandle MALLOC_CRITICAL;
    private static final MethodHandle FREE_CRITICAL;
    /** Every address; written only at addresses {@code malloc} returned. */
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MemorySegment malloc = libc.find("malloc").orElseThrow();
        MemorySegment free = libc.find("free").orElseThrow();
        FunctionDescriptor mallocType = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
        FunctionDescriptor freeType = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);
        MALLOC = linker.downcallHandle(malloc, mallocType);
        FREE = linker.downcallHandle(free, freeType);
        MALLOC_CRITICAL = linker.downcallHandle(malloc, mallocType, Linker.Option.critical(false));
        FREE_CRITICAL = linker.downcallHandle(free, freeType, Linker.Option.critical(false));
    }

    MallocPeer(Peer peer, int size) {
        super(peer, size);
        if (peer != Peer.MALLOC && peer != Peer.MALLOC_CRITICAL) {
            throw new IllegalArgumentException("peer: " + peer + " (expected: malloc or malloc-critical)");
        }
    }

    @Override
    public Slots slots(int capacity) {
        return peer() == Peer.MALLOC ? new PlainSlots(size, capacity) : new CriticalSlots(size, capacity);
    }

    /** The two variants are separate classes so each call site binds one constant handle. */
    private abstract static class AddressSlots extends Slots {
        final long[] addresses;

        AddressSlots(int size, int capacity) {
            super(size, capacity);
            this.addresses = new long[capacity];
        }

        final void store(int i, long address) {
            if (address == 0L) {
                throw refused("malloc", size);
            }
            EVERYTHING.set(ValueLayout.JAVA_LONG, address, i);
            addresses[i] = address;
        }

        final long take(int i) {
            long address = addresses[i];
            addresses[i] = 0L;
            return address;
        }

        @Override
        public final void close() {
            for (int i = 0; i < capacity; i++) {
                if (addresses[i] != 0L) {
                    free(i);
                }
            }
        }
    }

    private static final class PlainSlots extends AddressSlots {
        PlainSlots(int size, int capacity) {
            super(size, capacity);
        }

        @Override
        public void allocate(int i) {
            try {
                store(i, (long) MALLOC.invokeExact((long) size));
            } catch (Throwable t) {
                throw downcallFailed(t);
            }
        }

        @Override
        public void free(int i) {
            try {
                FREE.invokeExact(take(i));
            } catch (Throwable t) {
                throw downcallFailed(t);
            }
        }
    }

    private static final class CriticalSlots extends AddressSlots {
        CriticalSlots(int size, int capacity) {
            super(size, capacity);
        }

        @Override
        public void allocate(int i) {
            try {
                store(i, (long) MALLOC_CRITICAL.invokeExact((long) size));
            } catch (Throwable t) {
                throw downcallFailed(t);
            }
        }

        @Override
        public void free(int i) {
            try {
                FREE_CRITICAL.invokeExact(take(i));
            } catch (Throwable t) {
                throw downcallFailed(t);
            }
        }
    }

    private static RuntimeException downcallFailed(Throwable t) {
        return t instanceof RuntimeException r ? r : new IllegalStateException("downcall failed", t);
    }
}
