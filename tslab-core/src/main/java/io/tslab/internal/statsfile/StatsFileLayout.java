package io.tslab.internal.statsfile;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The stats file format, version 1: a fixed header, then two payload slots of {@code capacity}
 * bytes each. Every integer is little-endian; every header field sits on its natural alignment.
 *
 * <pre>
 *  offset size field              meaning
 *  ------ ---- ------------------ -----------------------------------------------------------------
 *     0     8  magic              the ASCII bytes "TSLAB-SF"
 *     8     4  format version     1
 *    12     4  header size        128 (readers accept more, for fields a later writer appends)
 *    16     8  pid                the publishing process
 *    24     8  JVM start          process start, ms since the Unix epoch (0 if unknown); with the
 *                                 pid it tells a live writer from a dead one whose pid was reused
 *    32     8  sequence           seqlock word: odd while the writer changes the fields below,
 *                                 even when they are stable; +2 per publication
 *    40     8  heartbeat          wall clock of the last publication, ns since the Unix epoch
 *    48     8  payload offset     where the current payload starts: slot 0 or slot 1
 *    56     8  payload length     bytes of UTF-8 JSON: {"allocators": [snapshot, ...]}
 *    64     8  capacity           bytes per slot; the file is header + 2 x capacity bytes long
 *    72     4  allocator count    entries in the payload's "allocators" array
 *    76     4  publish interval   ms between heartbeats
 *    80    48  reserved           zero
 *   128     -  slot 0             capacity bytes
 *     -     -  slot 1             capacity bytes
 * </pre>
 *
 * <p>Fields at offsets 0..31 never change after the file is created. A publication writes the new
 * payload into the slot the header does not point at (so a reader copying the current slot is never
 * disturbed, and a writer stopped half-way leaves the previous publication readable), then updates
 * the fields at 40..79 between an odd and an even store of the sequence word.
 */
public final class StatsFileLayout {
    private StatsFileLayout() {
    }

    /** The ASCII bytes {@code "TSLAB-SF"}, read as a little-endian {@code long}. */
    public static final long MAGIC = magic("TSLAB-SF");
    public static final int FORMAT_VERSION = 1;
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    public static final int HEADER_SIZE_OFFSET = VERSION_OFFSET + Integer.BYTES;
    public static final int PID_OFFSET = HEADER_SIZE_OFFSET + Integer.BYTES;
    public static final int JVM_START_OFFSET = PID_OFFSET + Long.BYTES;
    public static final int SEQUENCE_OFFSET = JVM_START_OFFSET + Long.BYTES;
    public static final int HEARTBEAT_OFFSET = SEQUENCE_OFFSET + Long.BYTES;
    public static final int PAYLOAD_OFFSET_OFFSET = HEARTBEAT_OFFSET + Long.BYTES;
    public static final int PAYLOAD_LENGTH_OFFSET = PAYLOAD_OFFSET_OFFSET + Long.BYTES;
    public static final int CAPACITY_OFFSET = PAYLOAD_LENGTH_OFFSET + Long.BYTES;
    public static final int ALLOCATOR_COUNT_OFFSET = CAPACITY_OFFSET + Long.BYTES;
    public static final int INTERVAL_OFFSET = ALLOCATOR_COUNT_OFFSET + Integer.BYTES;
    /** End of the fields version 1 defines. */
    public static final int FIELDS_END = INTERVAL_OFFSET + Integer.BYTES;
    /** Header size a version 1 writer uses: the fields, then reserved space up to 128 bytes. */
    public static final int HEADER_SIZE = 128;
    /** Largest header size a reader accepts. */
    public static final int MAX_HEADER_SIZE = 4096;

    /** Largest payload a writer publishes and a reader accepts. */
    public static final int MAX_PAYLOAD_BYTES = 16 << 20;
    /** Smallest slot a writer creates. */
    public static final int MIN_CAPACITY = 64 << 10;
    /** Most allocators in one file. */
    public static final int MAX_ALLOCATORS = 1 << 16;
    /** Bounds of the publish interval, in ms. */
    public static final int MIN_INTERVAL_MS = 10;
    public static final int MAX_INTERVAL_MS = 3_600_000;

    static {
        assert FIELDS_END <= HEADER_SIZE;
        assert SEQUENCE_OFFSET % Long.BYTES == 0;
    }

    /** The file of process {@code pid}'s stats, in a stats directory. */
    public static String fileName(long pid) {
        return Long.toString(pid);
    }

    /** The temporary name a writer uses while it builds a replacement file. */
    public static String temporaryFileName(long pid) {
        return pid + ".tmp";
    }

    /** The pid a stats file name stands for, or -1 if the name is not a stats file's. */
    public static long pidOf(String fileName) {
        if (fileName.isEmpty() || fileName.length() > 18) {
            return -1;
        }
        for (int i = 0; i < fileName.length(); i++) {
            char c = fileName.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        long pid = Long.parseLong(fileName);
        return pid > 0 ? pid : -1;
    }

    /** The pid of a writer's temporary file name ({@code "<pid>.tmp"}), or -1. */
    public static long pidOfTemporary(String fileName) {
        return fileName.endsWith(".tmp") ? pidOf(fileName.substring(0, fileName.length() - 4)) : -1;
    }

    private static long magic(String ascii) {
        byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
        long v = 0;
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }
}
