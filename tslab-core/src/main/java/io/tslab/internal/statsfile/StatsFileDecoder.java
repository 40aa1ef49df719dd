package io.tslab.internal.statsfile;

import io.tslab.internal.SnapshotJsonReader;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFileException.Problem;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

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
import static io.tslab.internal.statsfile.StatsFileLayout.MAX_ALLOCATORS;
import static io.tslab.internal.statsfile.StatsFileLayout.MAX_HEADER_SIZE;
import static io.tslab.internal.statsfile.StatsFileLayout.MAX_INTERVAL_MS;
import static io.tslab.internal.statsfile.StatsFileLayout.MAX_PAYLOAD_BYTES;
import static io.tslab.internal.statsfile.StatsFileLayout.MIN_INTERVAL_MS;
import static io.tslab.internal.statsfile.StatsFileLayout.PAYLOAD_LENGTH_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.PAYLOAD_OFFSET_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.PID_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.SEQUENCE_OFFSET;
import static io.tslab.internal.statsfile.StatsFileLayout.VERSION_OFFSET;

/**
 * Reads a stats file ({@link StatsFileLayout}) the way a reader in another process must: with plain
 * {@code pread}s on a file descriptor, never a mapping (a file truncated under a mapping would fault
 * the reader), and with no trust in anything the file says.
 *
 * <p>One attempt: read the header; check every field against the file's size and fixed bounds
 * before allocating anything (so a payload is at most {@link StatsFileLayout#MAX_PAYLOAD_BYTES});
 * copy the payload; read the sequence word again. If the sequence was odd or changed, the writer was
 * publishing: try again, up to {@value #MAX_ATTEMPTS} times (spinning briefly, then sleeping 1 ms).
 * A header that fails a check while the sequence moved is retried too; one that fails with a stable
 * sequence is corrupt. The payload must be UTF-8 JSON that {@link SnapshotJsonReader} accepts, with as
 * many allocators as the header says, all of the header's pid.
 */
public final class StatsFileDecoder {
    private StatsFileDecoder() {
    }

    static final int MAX_ATTEMPTS = 200;
    private static final int SPIN_ATTEMPTS = 10;

    /**
     * Reads {@code file}. The process that wrote it may be alive or not: liveness is the caller's
     * business.
     *
     * @param expectedPid the pid the file's name stands for, or -1 to accept any
     * @throws StatsFileException naming the problem
     */
    public static StatsFileContents read(Path file, long expectedPid) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, file, expectedPid);
        } catch (NoSuchFileException e) {
            throw new StatsFileException(Problem.NO_FILE, file, "no such file");
        } catch (IOException e) {
            throw new StatsFileException(Problem.IO, file, "cannot read: " + e, e);
        }
    }

    /** The header fields version 1 defines, as read. */
    private record Header(long magic, int version, int headerSize, long pid, long jvmStartMs, long sequence,
                          long heartbeatNs, long payloadOffset, long payloadLength, long capacity,
                          int allocatorCount, int intervalMs) {
        static Header of(ByteBuffer b) {
            return new Header(b.getLong(MAGIC_OFFSET), b.getInt(VERSION_OFFSET), b.getInt(HEADER_SIZE_OFFSET),
                    b.getLong(PID_OFFSET), b.getLong(JVM_START_OFFSET), b.getLong(SEQUENCE_OFFSET),
                    b.getLong(HEARTBEAT_OFFSET), b.getLong(PAYLOAD_OFFSET_OFFSET), b.getLong(PAYLOAD_LENGTH_OFFSET),
                    b.getLong(CAPACITY_OFFSET), b.getInt(ALLOCATOR_COUNT_OFFSET), b.getInt(INTERVAL_OFFSET));
        }
    }

    private static StatsFileContents read(FileChannel ch, Path file, long expectedPid) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(HEADER_SIZE).order(StatsFileLayout.ORDER);
        ByteBuffer seqBuffer = ByteBuffer.allocate(Long.BYTES).order(StatsFileLayout.ORDER);
        long lastSequence = 0;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                backOff(attempt);
            }
            long size = ch.size();
            if (size < HEADER_SIZE) {
                throw new StatsFileException(Problem.TRUNCATED, file,
                        "truncated: " + size + " bytes (a header needs " + HEADER_SIZE + ")");
            }
            head.clear();
            readFully(ch, head, 0, file);
            Header h = Header.of(head);
            checkIdentity(h, size, file, expectedPid); // fields that never change: no retry
            lastSequence = h.sequence();
            if ((h.sequence() & 1) != 0) {
                continue; // the writer is switching the header right now
            }
            StatsFileException problem = checkPublication(h, size, file);
            if (problem != null) {
                if (readSequence(ch, seqBuffer, file) != h.sequence()) {
                    continue; // torn: the header changed while we read it
                }
                throw problem;
            }
            byte[] payload = new byte[(int) h.payloadLength()];
            readFully(ch, ByteBuffer.wrap(payload), h.payloadOffset(), file);
            if (readSequence(ch, seqBuffer, file) != h.sequence()) {
                continue; // the writer published meanwhile and may have reused the slot we copied
            }
            return decode(h, payload, file);
        }
        String why = (lastSequence & 1) != 0
                ? "the writer stayed in the middle of an update (sequence " + lastSequence
                        + " is odd) during " + MAX_ATTEMPTS + " attempts; it may be paused mid-write"
                : "the file changed during each of " + MAX_ATTEMPTS + " attempts to copy it";
        throw new StatsFileException(Problem.BUSY, file, why);
    }

    private static void checkIdentity(Header h, long size, Path file, long expectedPid) {
        if (h.magic() != MAGIC) {
            throw new StatsFileException(Problem.FOREIGN, file, "bad magic " + hex(h.magic()) + " (expected "
                    + hex(MAGIC) + ", \"TSLAB-SF\"): not a tslab stats file");
        }
        if (h.version() != FORMAT_VERSION) {
            throw new StatsFileException(Problem.UNSUPPORTED_VERSION, file, "format version " + h.version()
                    + " is not supported (this reader knows version " + FORMAT_VERSION + ")");
        }
        if (h.headerSize() < HEADER_SIZE || h.headerSize() > MAX_HEADER_SIZE || h.headerSize() % Long.BYTES != 0) {
            throw corrupt(file, "header size " + h.headerSize() + " (expected " + HEADER_SIZE + ".."
                    + MAX_HEADER_SIZE + ", a multiple of 8)");
        }
        if (h.headerSize() > size) {
            throw new StatsFileException(Problem.TRUNCATED, file, "truncated: " + size
                    + " bytes, but the header alone is " + h.headerSize());
        }
        if (h.pid() <= 0) {
            throw corrupt(file, "pid " + h.pid() + " (expected a positive process id)");
        }
        if (expectedPid > 0 && h.pid() != expectedPid) {
            throw corrupt(file, "pid " + h.pid() + " in the header (expected " + expectedPid
                    + ", from the file name)");
        }
        if (h.jvmStartMs() < 0) {
            throw corrupt(file, "JVM start time " + h.jvmStartMs() + " (expected ms since 1970, or 0)");
        }
    }

    /** The first problem with the fields a publication changes, or null. */
    private static StatsFileException checkPublication(Header h, long size, Path file) {
        long hs = h.headerSize();
        long c = h.capacity();
        if (c <= 0 || c > MAX_PAYLOAD_BYTES) {
            return corrupt(file, "slot capacity " + c + " (expected 1.." + MAX_PAYLOAD_BYTES + ")");
        }
        if (hs + 2 * c > size) {
            return new StatsFileException(Problem.TRUNCATED, file, "truncated: " + size + " bytes (the header says "
                    + hs + " + 2 x " + c + " = " + (hs + 2 * c) + ")");
        }
        if (h.payloadOffset() != hs && h.payloadOffset() != hs + c) {
            return corrupt(file, "payload offset " + h.payloadOffset() + " (expected " + hs + " or " + (hs + c)
                    + ", the start of a slot)");
        }
        if (h.payloadLength() <= 0 || h.payloadLength() > c) {
            return corrupt(file, "payload length " + h.payloadLength() + " (expected 1.." + c
                    + ", the slot capacity)");
        }
        if (h.heartbeatNs() <= 0) {
            return corrupt(file, "heartbeat " + h.heartbeatNs() + " (expected ns since 1970)");
        }
        if (h.allocatorCount() < 0 || h.allocatorCount() > MAX_ALLOCATORS) {
            return corrupt(file, "allocator count " + h.allocatorCount() + " (expected 0.." + MAX_ALLOCATORS + ")");
        }
        if (h.intervalMs() < MIN_INTERVAL_MS || h.intervalMs() > MAX_INTERVAL_MS) {
            return corrupt(file, "publish interval " + h.intervalMs() + " ms (expected " + MIN_INTERVAL_MS + ".."
                    + MAX_INTERVAL_MS + ")");
        }
        return null;
    }

    private static StatsFileContents decode(Header h, byte[] payload, Path file) {
        String json;
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = utf8.decode(ByteBuffer.wrap(payload));
            json = chars.toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "payload is not valid UTF-8 (" + e.getMessage() + ")");
        }
        List<AllocatorSnapshot> snapshots;
        try {
            snapshots = SnapshotJsonReader.readAllocators(json);
        } catch (IllegalArgumentException e) {
            throw new StatsFileException(Problem.CORRUPT, file, "payload: " + e.getMessage(), e);
        }
        if (snapshots.size() != h.allocatorCount()) {
            throw corrupt(file, "payload holds " + snapshots.size() + " allocators, the header says "
                    + h.allocatorCount());
        }
        for (AllocatorSnapshot s : snapshots) {
            if (s.pid() != h.pid()) {
                throw corrupt(file, "allocator '" + s.allocator() + "' has pid " + s.pid() + " (expected "
                        + h.pid() + ", from the header)");
            }
        }
        Instant now = Instant.now();
        long nowNs = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        long ageNs = Math.max(0, nowNs - h.heartbeatNs());
        return new StatsFileContents(file, h.pid(),
                h.jvmStartMs() > 0 ? Optional.of(Instant.ofEpochMilli(h.jvmStartMs())) : Optional.empty(),
                h.sequence(), Instant.ofEpochSecond(0, h.heartbeatNs()), Duration.ofNanos(ageNs),
                Duration.ofMillis(h.intervalMs()), snapshots);
    }

    private static long readSequence(FileChannel ch, ByteBuffer b, Path file) throws IOException {
        b.clear();
        readFully(ch, b, SEQUENCE_OFFSET, file);
        return b.getLong(0);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, Path file) throws IOException {
        long at = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, at);
            if (n < 0) {
                throw new StatsFileException(Problem.TRUNCATED, file, "truncated: ends at " + at + " while "
                        + b.remaining() + " more bytes were expected");
            }
            at += n;
        }
    }

    private static void backOff(int attempt) {
        if (attempt < SPIN_ATTEMPTS) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(1_000_000L);
        }
    }

    private static StatsFileException corrupt(Path file, String detail) {
        return new StatsFileException(Problem.CORRUPT, file, detail);
    }

    private static String hex(long v) {
        return String.format(Locale.ROOT, "0x%016x", v);
    }
}
