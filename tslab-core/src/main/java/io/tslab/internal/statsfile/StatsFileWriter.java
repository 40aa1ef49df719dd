package io.tslab.internal.statsfile;

import io.tslab.internal.SnapshotJson;
import io.tslab.stats.AllocatorSnapshot;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.tslab.internal.statsfile.StatsFileLayout.ALLOCATOR_COUNT_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.CAPACITY_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.FORMAT_VERSION;
import static io.tslab.internal.statsfile.StatsFileLayout.HEADER_SIZE;
import static io.tslab.internal.statsfile.StatsFileLayout.HEADER_SIZE_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.HEARTBEAT_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.INTERVAL_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.JVM_START_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.MAGIC;
import static io.tslab.internal.statsfile.StatsFileLayout.MAGIC_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.MAX_PAYLOAD_BYTES;
import static io.tslab.internal.statsfile.StatsFileLayout.MIN_CAPACITY;
import static io.tslab.internal.statsfile.StatsFileLayout.PAYLOAD_LENGTH_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.PAYLOAD_OFFSET_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.PID_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.SEQUENCE_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.VERSION_OFFSET;

/**
 * Writes one process's stats file ({@link StatsFileLayout}): a memory-mapped file, so a publication
 * is a {@code memcpy}, a few stores and one {@code stat}. Not thread-safe: its owner ({@link
 * StatsFileChannel}) calls it under one lock.
 *
 * <p>A publication goes into the slot the header does not point at, then the header switches to it
 * between an odd and an even store of the sequence word (seqlock). When a payload no longer fits a
 * slot, a complete new file with larger slots is written under {@code <pid>.tmp} and renamed over
 * {@code <pid>}: a reader holding the old file keeps a consistent (older) copy, a reader opening the
 * name afterwards gets the new one, and nobody ever sees a half-built file. The same happens when the
 * file was deleted by someone else (the {@code stat} checks). Files are created mode
 * 0600 in a directory the caller prepared ({@link StatsFileDirectory#prepare}).
 */
public final class StatsFileWriter {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(StatsFileLayout.ORDER);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(StatsFileLayout.ORDER);
    private static final VarHandle SEQUENCE = LONG.varHandle();

    private final Path file;
    private final Path temporary;
    private final long pid;
    private final long jvmStartMs;
    private final int intervalMs;

    private Arena arena;
    private MemorySegment map; // null until the first publication and after delete()
    private long capacity;
    private long sequence;

    /**
     * @param sequence the last sequence number this process published (0 for none); numbering goes
     *                 on from there, so a process's sequence numbers never repeat even when its file
     *                 is deleted and created again
     */
    public StatsFileWriter(Path directory, long pid, long jvmStartMs, int intervalMs, long sequence) {
        this.file = directory.resolve(StatsFileLayout.fileName(pid));
        this.temporary = directory.resolve(StatsFileLayout.temporaryFileName(pid));
        this.pid = pid;
        this.jvmStartMs = jvmStartMs;
        this.intervalMs = intervalMs;
        this.sequence = sequence & ~1L;
    }

    /** The file this writer publishes to. */
    public Path file() {
        return file;
    }

    /** The sequence number of the last publication. */
    public long sequence() {
        return sequence;
    }

    /** A payload: UTF-8 JSON bytes, the allocators it holds, and how many did not fit. */
    public record Payload(byte[] bytes, int allocatorCount, int dropped) {
    }

    /**
     * The JSON document {@code {"allocators": [...]}} of {@code snapshots}, in order, leaving out the
     * last ones when the whole would exceed {@link StatsFileLayout#MAX_PAYLOAD_BYTES}.
     */
    public static Payload encode(List<AllocatorSnapshot> snapshots) {
        byte[] open = "{\"allocators\": [".getBytes(StandardCharsets.US_ASCII);
        byte[] close = "]}\n".getBytes(StandardCharsets.US_ASCII);
        List<byte[]> parts = new ArrayList<>(snapshots.size());
        long total = open.length + close.length;
        int dropped = 0;
        for (AllocatorSnapshot s : snapshots) {
            byte[] json = SnapshotJson.write(s).getBytes(StandardCharsets.UTF_8);
            long next = total + separator(parts.size()).length + json.length;
            if (next > MAX_PAYLOAD_BYTES || parts.size() == StatsFileLayout.MAX_ALLOCATORS) {
                dropped++;
                continue;
            }
            parts.add(json);
            total = next;
        }
        byte[] out = new byte[(int) total];
        int at = put(out, 0, open);
        for (int i = 0; i < parts.size(); i++) {
            at = put(out, at, separator(i));
            at = put(out, at, parts.get(i));
        }
        at = put(out, at, close);
        assert at == out.length : at + " != " + out.length;
        return new Payload(out, parts.size(), dropped);
    }

    private static byte[] separator(int index) {
        return index == 0 ? new byte[] {'\n'} : new byte[] {',', '\n'};
    }

    private static int put(byte[] out, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return at + bytes.length;
    }

    /** Publishes {@code snapshots} with heartbeat {@code heartbeatNs}; returns what was written. */
    public Payload publish(List<AllocatorSnapshot> snapshots, long heartbeatNs) throws IOException {
        Payload payload = encode(snapshots);
        publish(payload.bytes(), payload.allocatorCount(), heartbeatNs);
        return payload;
    }

    /**
     * Publishes raw payload bytes (which should be the JSON of {@code allocatorCount} snapshots;
     * tests pass anything) with heartbeat {@code heartbeatNs}, wall-clock ns since the Unix epoch.
     */
    public void publish(byte[] payload, int allocatorCount, long heartbeatNs) throws IOException {
        if (payload.length == 0 || payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload: " + payload.length + " bytes (expected: 1.."
                    + MAX_PAYLOAD_BYTES + ")");
        }
        if (map == null || payload.length > capacity || !Files.exists(file)) {
            // first publication, a payload too large for the slots, or the file was deleted under
            // us (by hand, by a tmp cleaner): a complete new file
            replaceFile(Math.max(capacity, capacityFor(payload.length)), payload, allocatorCount, heartbeatNs);
            return;
        }
        MemorySegment m = map;
        long current = m.get(LONG, PAYLOAD_OFFSET_OFFSET);
        long target = current == HEADER_SIZE ? HEADER_SIZE + capacity : HEADER_SIZE;
        MemorySegment.copy(payload, 0, m, ValueLayout.JAVA_BYTE, target, payload.length);
        long seq = sequence + 2;
        soSequence(m, seq - 1); // odd: the fields below are changing
        VarHandle.storeStoreFence();
        m.set(LONG, HEARTBEAT_OFFSET, heartbeatNs);
        m.set(LONG, PAYLOAD_OFFSET_OFFSET, target);
        m.set(LONG, PAYLOAD_LENGTH_OFFSET, payload.length);
        m.set(INT, ALLOCATOR_COUNT_OFFSET, allocatorCount);
        srSequence(m, seq); // even: stable, and every store above (payload included) is visible first
        sequence = seq;
    }

    static long capacityFor(int payloadLength) {
        long wanted = Math.max(MIN_CAPACITY, payloadLength + (payloadLength >> 1));
        long pow2 = Long.highestOneBit(wanted - 1) << 1;
        return Math.min(pow2, MAX_PAYLOAD_BYTES);
    }

    /** Builds a complete file with slots of {@code newCapacity} bytes and renames it over the old one. */
    private void replaceFile(long newCapacity, byte[] payload, int allocatorCount, long heartbeatNs)
            throws IOException {
        Files.deleteIfExists(temporary);
        long size = HEADER_SIZE + 2 * newCapacity;
        Arena newArena = Arena.ofShared();
        MemorySegment m;
        long seq = sequence + 2;
        try (FileChannel ch = FileChannel.open(temporary,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(StatsFileDirectory.OWNER_ONLY_FILE))) {
            m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, newArena); // grows the file to size
            m.set(LONG, MAGIC_OFFSET, MAGIC);
            m.set(INT, VERSION_OFFSET, FORMAT_VERSION);
            m.set(INT, HEADER_SIZE_OFFSET, HEADER_SIZE);
            m.set(LONG, PID_OFFSET, pid);
            m.set(LONG, JVM_START_OFFSET, jvmStartMs);
            m.set(LONG, HEARTBEAT_OFFSET, heartbeatNs);
            m.set(LONG, PAYLOAD_OFFSET_OFFSET, HEADER_SIZE);
            m.set(LONG, PAYLOAD_LENGTH_OFFSET, payload.length);
            m.set(LONG, CAPACITY_OFFSET, newCapacity);
            m.set(INT, ALLOCATOR_COUNT_OFFSET, allocatorCount);
            m.set(INT, INTERVAL_OFFSET, intervalMs);
            MemorySegment.copy(payload, 0, m, ValueLayout.JAVA_BYTE, HEADER_SIZE, payload.length);
            srSequence(m, seq);
        } catch (IOException | RuntimeException e) {
            newArena.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            newArena.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
        unmap();
        arena = newArena;
        map = m;
        capacity = newCapacity;
        sequence = seq;
    }

    /** Removes the file (and any temporary one) and unmaps it. Idempotent. */
    public void delete() throws IOException {
        unmap();
        Files.deleteIfExists(file);
        Files.deleteIfExists(temporary);
    }

    private void unmap() {
        if (arena != null) {
            arena.close();
        }
        arena = null;
        map = null;
        capacity = 0;
    }

    private static void soSequence(MemorySegment m, long value) {
        SEQUENCE.setOpaque(m, (long) SEQUENCE_OFFSET, value);
    }

    private static void srSequence(MemorySegment m, long value) {
        SEQUENCE.setRelease(m, (long) SEQUENCE_OFFSET, value);
    }
}
