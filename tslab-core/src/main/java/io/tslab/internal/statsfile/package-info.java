/**
 * The stats file: every allocator of a JVM, published into one memory-mapped file that other
 * processes read with no port, no attach and no help from the target. Not exported; the reader API
 * is {@link io.tslab.stats.StatsFile}.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>{@link io.tslab.internal.statsfile.StatsFileLayout}: the format (header table, constants).</li>
 *   <li>{@link io.tslab.internal.statsfile.StatsFileChannel}: the {@code LiveAllocators} listener and the
 *       one publisher thread per JVM; owns the lock and the writer.</li>
 *   <li>{@link io.tslab.internal.statsfile.StatsFileWriter}: the mapped file, double-buffered payload,
 *       seqlock header, growth by atomic rename.</li>
 *   <li>{@link io.tslab.internal.statsfile.StatsFileDecoder}: the validating, retrying reader.</li>
 *   <li>{@link io.tslab.internal.statsfile.StatsFileDirectory}: where files live, liveness of their
 *       writers, clean-up of dead writers' files.</li>
 * </ul>
 *
 * <h2>Why one file per JVM, memory-mapped, JSON inside</h2>
 * One file per pid keeps the directory listing equal to the set of publishing JVMs and lets one
 * liveness check (pid + JVM start time) cover all of a JVM's allocators. The file lives in {@code
 * /dev/shm} and is mapped, so a publication costs a copy into memory and no system call, and a
 * paused or hung writer still leaves a readable file. The payload is the same JSON the rest of the
 * project emits ({@link io.tslab.internal.SnapshotJson}), read back by {@link
 * io.tslab.internal.SnapshotJsonReader}, so the file can never disagree with the other outputs, and
 * adding a snapshot field needs no format change.
 *
 * <h2>Who touches what</h2>
 * <ul>
 *   <li>The publisher thread ({@code tslab-stats-publisher}): snapshots and writes, under the channel lock.</li>
 *   <li>An allocator's {@code close()}: takes the channel lock to drop the allocator (waiting out a
 *       snapshot of it in flight, so the snapshot never runs into the unmap) and rewrites or deletes the file.</li>
 *   <li>The shutdown hook: deletes the file.</li>
 *   <li>Allocation: nothing here. {@code snapshot()} does not block it, and no lock here is one it takes.</li>
 *   <li>Readers in any process: {@code pread} only, never a mapping (a file truncated under a mapping
 *       would fault the reader).</li>
 * </ul>
 *
 * <h2>Consistency (seqlock with two slots)</h2>
 * The writer copies a publication into the slot the header does not point at, then stores the
 * sequence word odd (opaque), a store-store fence, the header fields (heartbeat, payload offset and
 * length, allocator count), and the sequence word even (release). A reader reads the sequence word
 * with the header, skips an odd value, validates the header, copies the payload, and reads the
 * sequence word again: equal and even means the copy is one whole publication (the writer only ever
 * writes into the slot not in use, and must move the header, changing the sequence, before it can
 * write into the slot a reader copies). Readers retry a bounded number of times. A writer stopped
 * (SIGSTOP) while it fills a slot leaves the previous publication readable; only a stop inside the
 * few stores of the header switch leaves the sequence odd, which readers report as busy.
 *
 * <h2>Growth</h2>
 * Slots start at 64 KiB and are one and a half times the payload rounded up to a power of two when
 * they must grow, up to 16 MiB (allocators beyond that are left out, with one warning). Growing
 * writes a complete new file under {@code <pid>.tmp} and renames it over {@code <pid>}: open readers
 * keep the old, consistent file; new readers see only complete files.
 */
package io.tslab.internal.statsfile;
