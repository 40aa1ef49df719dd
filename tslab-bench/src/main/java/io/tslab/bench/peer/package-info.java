/**
 * The contenders. A {@link io.tslab.bench.peer.PeerAllocator} is one allocator instance shared by
 * the threads of a benchmark; each thread takes a {@link io.tslab.bench.peer.Slots} table from it
 * and allocates into, and frees, slots by index. Objects are held in the table in their natural
 * form ({@code long} handles and addresses, segments, {@code ByteBuf}s, arrays), so nothing is boxed
 * and a benchmark's own code allocates nothing per operation: what {@code -prof gc} reports is the
 * contender's.
 *
 * <p>Threads: a table belongs to one thread, except in the cross-thread benchmark where exactly
 * one thread allocates and one frees, the slot index being published with release/acquire.
 */
package io.tslab.bench.peer;
