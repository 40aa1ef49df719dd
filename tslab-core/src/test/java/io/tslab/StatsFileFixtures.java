package io.tslab;

import io.tslab.internal.SnapshotJson;
import io.tslab.internal.statsfile.StatsFileLayout;
import io.tslab.stats.AllocatorSnapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Snapshots and header surgery shared by the stats file tests. */
final class StatsFileFixtures {
    private StatsFileFixtures() {
    }

    /** A fixed heartbeat (2025-11-27T00:00:00Z), so that written files are byte-for-byte reproducible. */
    static final long HEARTBEAT_NS = 1_764_201_600_000_000_000L;
    /** A pid no process can have (above Linux's largest pid_max, 2^22). */
    static final long DEAD_PID = 2_000_000_000L;

    private static final String GOLDEN;

    static {
        try {
            GOLDEN = Files.readString(Path.of("src/test/resources/golden/snapshot-v1.json"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The golden snapshot, renamed and moved to {@code pid}. */
    static AllocatorSnapshot snapshot(String name, long pid) {
        StringBuilder quoted = new StringBuilder();
        SnapshotJson.string(quoted, name);
        return AllocatorSnapshot.fromJson(GOLDEN.replaceFirst("\"pid\": 0,", "\"pid\": " + pid + ",")
                .replaceFirst("\"allocator\": \"golden\"", java.util.regex.Matcher.quoteReplacement("\"allocator\": " + quoted)));
    }

    /** {@code count} golden snapshots named {@code prefix0..}. */
    static List<AllocatorSnapshot> snapshots(String prefix, int count, long pid) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> snapshot(prefix + i, pid)).toList();
    }

    static long readLong(Path file, int offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(Long.BYTES).order(StatsFileLayout.ORDER);
            ch.read(b, offset);
            return b.getLong(0);
        }
    }

    static void writeLong(Path file, int offset, long value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(Long.BYTES).order(StatsFileLayout.ORDER).putLong(0, value), offset);
        }
    }

    static void writeInt(Path file, int offset, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(Integer.BYTES).order(StatsFileLayout.ORDER).putInt(0, value), offset);
        }
    }

    static boolean isIntField(int offset) {
        return offset == StatsFileLayout.VERSION_OFFSET || offset == StatsFileLayout.HEADER_SIZE_OFFSET
                || offset == StatsFileLayout.ALLOCATOR_COUNT_OFFSET || offset == StatsFileLayout.INTERVAL_OFFSET;
    }
}
