package io.tslab;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

import static io.tslab.TestSupport.holdsStamp;
import static io.tslab.TestSupport.stamp;

/**
 * Who holds each 32-byte granule of an allocator's reservation, kept by the tests beside the
 * allocator: an object is claimed granule by granule (CAS from 0 to its owner id) right after the
 * allocation returns, and released right before it is freed. Two live objects sharing a byte are
 * caught at the claim of the second, whichever threads made them, even if neither ever writes to
 * its memory; the stamp written over the whole object catches memory that changed under its owner
 * (another allocation's writes, or a {@code madvise} that zeroed a slab still in use).
 *
 * <p>Every class size (64..768) is a multiple of 32, so an object covers whole granules.
 */
final class OwnershipTable {
    static final int GRANULE_SHIFT = 5;
    static final int GRANULE = 1 << GRANULE_SHIFT;

    private final SlabAllocator allocator;
    private final MemorySegment memory;
    private final long base;
    private final AtomicLongArray owners;

    OwnershipTable(SlabAllocator allocator, long reservedBytes) {
        this.allocator = allocator;
        this.memory = allocator.memory();
        this.base = memory.address();
        this.owners = new AtomicLongArray(Math.toIntExact(reservedBytes >>> GRANULE_SHIFT));
    }

    /** A live object as the tests see it: handle or segment, where it is, the stamp it must hold. */
    record Live(long handle, MemorySegment segment, long offset, int bytes, long owner) {
        @Override
        public String toString() {
            return (segment != null ? "segment@" : "handle 0x" + Long.toHexString(handle) + "@") + offset + "+" + bytes
                    + " (owner " + Long.toHexString(owner) + ")";
        }
    }

    /** Claims and stamps the object of {@code handle} for {@code owner} (never 0). */
    Live adopt(long handle, long owner) {
        long offset = allocator.offset(handle);
        int bytes = SlabAllocator.classSize(io.tslab.internal.Handles.sizeClass(handle));
        return adopt(new Live(handle, null, offset, bytes, owner));
    }

    /** Claims and stamps a segment returned by {@link SlabAllocator#allocate}, for {@code owner}. */
    Live adopt(MemorySegment segment, long owner) {
        int bytes = (int) ((segment.byteSize() + GRANULE - 1) & -GRANULE);
        return adopt(new Live(0, segment, segment.address() - base, bytes, owner));
    }

    private Live adopt(Live o) {
        claim(o);
        stamp(memory, o.offset(), (int) Math.min(o.bytes(), o.segment() != null ? o.segment().byteSize() : o.bytes()),
                o.owner());
        return o;
    }

    private void claim(Live o) {
        int first = (int) (o.offset() >>> GRANULE_SHIFT);
        int count = o.bytes() >>> GRANULE_SHIFT;
        for (int i = 0; i < count; i++) {
            long previous = owners.compareAndExchange(first + i, 0, o.owner());
            if (previous != 0) {
                for (int j = 0; j < i; j++) {
                    owners.compareAndSet(first + j, o.owner(), 0);
                }
                throw new AssertionError("two live objects share memory: " + o + " was handed out while byte "
                        + (o.offset() + ((long) i << GRANULE_SHIFT)) + " still belongs to owner "
                        + Long.toHexString(previous));
            }
        }
    }

    /** Fails unless {@code o}'s memory still holds its stamp and its granules are still its own. */
    void verify(Live o) {
        int stamped = (int) (o.segment() != null ? o.segment().byteSize() : o.bytes());
        if (!holdsStamp(memory, o.offset(), stamped, o.owner())) {
            throw new AssertionError("object " + o + " lost its stamp: its memory was written by someone else"
                    + " or given back to the OS while it was live");
        }
        int first = (int) (o.offset() >>> GRANULE_SHIFT);
        for (int i = 0; i < o.bytes() >>> GRANULE_SHIFT; i++) {
            long now = owners.get(first + i);
            if (now != o.owner()) {
                throw new AssertionError("object " + o + ": granule " + i + " belongs to " + Long.toHexString(now));
            }
        }
    }

    /** Verifies, releases the granules, then frees; fails if the free of this live object is refused. */
    void free(Live o) {
        verify(o);
        int first = (int) (o.offset() >>> GRANULE_SHIFT);
        for (int i = 0; i < o.bytes() >>> GRANULE_SHIFT; i++) {
            owners.compareAndSet(first + i, o.owner(), 0);
        }
        boolean freed = o.segment() != null ? allocator.free(o.segment()) : allocator.free(o.handle());
        if (!freed) {
            throw new AssertionError("the free of live object " + o + " was refused");
        }
    }

    /** Releases the granules without freeing: for objects about to be freed by a race. */
    void release(Live o) {
        verify(o);
        int first = (int) (o.offset() >>> GRANULE_SHIFT);
        for (int i = 0; i < o.bytes() >>> GRANULE_SHIFT; i++) {
            owners.compareAndSet(first + i, o.owner(), 0);
        }
    }
}
