/**
 * The operating-system layer: every restricted FFM call of the project lives here.
 *
 * <p>Downcall handles are built once, as {@code static final} fields, with
 * {@code captureCallState("errno")} so that a failure becomes an {@link io.tslab.OsCallException}
 * naming the call and its errno. Calls that take memory receive a {@link
 * java.lang.foreign.MemorySegment} rather than a raw address: the FFM runtime keeps the segment's
 * arena alive for the duration of the call, so no {@code madvise} or {@code mincore} can ever run
 * against a range that {@code close()} has already unmapped (and that someone else may have mapped
 * since).
 *
 * <p>Tests can make {@code madvise} fail on purpose ({@link io.tslab.internal.os.OsMemory#injectMadviseFailure}),
 * to prove that a failure is counted and the allocator keeps working.
 */
package io.tslab.internal.os;
