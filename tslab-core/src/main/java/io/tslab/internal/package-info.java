/**
 * The allocator engine. Not exported.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>{@link io.tslab.internal.SlabEngine}: the operations; owns the epoch ring.</li>
 *   <li>{@link io.tslab.internal.SlabTable}: per-slab metadata (occupancy word, owner, slot stamps,
 *       list links), on the heap, in chunks that never move.</li>
 *   <li>{@link io.tslab.internal.Bin}: the slabs of one (size class, epoch slot): a published
 *       current slab per stripe of threads, and partial / full / draining lists under the bin's
 *       lock.</li>
 *   <li>{@link io.tslab.internal.SlabPool}: slabs out of service, whose pages went back to the OS.</li>
 *   <li>{@link io.tslab.internal.Handles}, {@link io.tslab.internal.SizeClasses}: layouts and constants.</li>
 * </ul>
 *
 * <h2>Protocols</h2>
 * <b>Allocation</b> (no lock): read the epoch word ({@code era << 1 | closing}); read the bin's
 * current slab for the calling thread's stripe (thread id modulo the stripe count, 2 × CPUs: two
 * threads of different stripes claim in different slabs, so they do not contend on one occupancy
 * word); CAS a free bit into its occupancy word; then check that the slab still serves this
 * (class, epoch, era) and that the epoch word did not change: if either fails the bit is given back
 * and the slow path decides. Then the slot stamp goes from even to odd (only the claimer writes it),
 * and the handle carries the new stamp. The slow path, under the bin lock, finds another slab with
 * room (never another stripe's current slab) or takes one from the pool.
 *
 * <p><b>Free</b> (no lock unless the slab changes list): CAS the slot stamp from the handle's odd
 * value to the next even one. Exactly one free of an allocation wins that CAS; stale, double and
 * forged handles lose it and change nothing. The winner clears the bit with a {@code getAndAdd}
 * (the bit is known set and only the winner clears it). From the previous word it learns whether
 * the slab was full (it goes back on the partial list) or is now empty (recycled if its era is
 * closed, or if the class keeps more empty slabs than its cache capacity).
 *
 * <p><b>Recycling</b>: only the thread whose CAS takes an occupancy word from 0 to {@code SEALED}
 * (all bits set: no allocation can find room in it) may recycle the slab. It unlinks the slab,
 * clears the owner, gives the pages back with {@code madvise}, and only then pushes the slab into
 * the pool. A stale allocator that still holds the slab id sees it full, or, if the slab is already
 * serving another bin, fails the owner check and gives its bit back.
 *
 * <p><b>Epochs</b> (under the ring lock): {@code advanceEpoch} sweeps the next slot's leftover slabs
 * from its previous era (empty: recycled; others: draining), publishes the next slot ACTIVE with a
 * new era and makes it current, and only then marks the old slot CLOSING and recycles the empty
 * slabs it kept for reuse: an allocation racing with the advance lands in one of the two slots,
 * never in neither (allocation in the current epoch retries when the ring moved under it). {@code
 * closeEpoch} marks the slot CLOSING and sweeps it. Only the current epoch keeps empty slabs, at
 * most {@code cacheCapacity} per class; with the pool empty, an allocation takes one of them from
 * another class before refusing. Since the era is part of every slab's owner, a closed era's slabs never get objects
 * again, even after the ring wraps onto their slot.
 *
 * <h2>Counting empty slabs</h2>
 * Each bin counts its in-service empty slabs other than its current slabs; a per-slab empty mark
 * says which slabs are counted, and both change only under the bin lock. Current slabs are left out
 * so that the commonest pattern, an allocation and a free taking a current slab from empty to one
 * object and back, costs no shared write beyond the occupancy word. A release that empties any other
 * slab takes the lock and marks it; a claim from 0 on a marked slab takes the lock and unmarks it
 * (it reads the mark after its CAS, and the marker reads the word again after marking, so one of the
 * two always sees the other); whoever changes a current slab re-marks the old and the new one. The
 * kept empty slabs of a bin are the count plus its current slabs that are empty: exact whenever no
 * operation is in flight, maintained in O(1), and what the cache capacity bounds.
 */
package io.tslab.internal;
