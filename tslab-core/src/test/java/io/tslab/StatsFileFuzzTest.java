package io.tslab;

import io.tslab.internal.statsfile.StatsFileLayout;
import io.tslab.internal.statsfile.StatsFileWriter;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFileException.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.tslab.StatsFileFixtures.HEARTBEAT_NS;
import static io.tslab.StatsFileFixtures.snapshot;
import static io.tslab.StatsFileFixtures.snapshots;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Corrupt, truncated and mutated stats files never crash the reader or make it allocate more than
 * the file could justify. The corpus under {@code src/test/resources/statsfile/} is also the format's
 * golden file: the writer must reproduce it byte for byte ({@code -Dtslab.updateGolden=true} rewrites
 * it after an intended format change; review the diff).
 */
class StatsFileFuzzTest {
    private static final Path CORPUS = Path.of("src/test/resources/statsfile");
    /** A read may allocate this much at most: the corpus files are 128 KiB, their payloads far less. */
    private static final long MAX_ALLOCATED_PER_READ = 16L << 20;
    private static final int MUTATIONS_PER_SEED = 500;

    @TempDir
    Path dir;

    /** The seeds: name and how the writer produces it. */
    private static byte[] generate(String name, Path dir) throws IOException {
        Path sub = Files.createDirectories(dir.resolve("gen-" + name));
        StatsFileWriter w = new StatsFileWriter(sub, 4242, 1_764_190_000_000L, 1000, 0);
        switch (name) {
            case "one-allocator.tsf" -> w.publish(List.of(snapshot("sessions", 4242)), HEARTBEAT_NS);
            case "three-allocators-slot1.tsf" -> {
                w.publish(List.of(snapshot("first", 4242)), HEARTBEAT_NS);
                w.publish(snapshots("cache-\"ü\"-", 3, 4242), HEARTBEAT_NS + 1_000_000_000L);
            }
            default -> throw new IllegalArgumentException(name);
        }
        return Files.readAllBytes(w.file());
    }

    private static final List<String> SEEDS = List.of("one-allocator.tsf", "three-allocators-slot1.tsf");

    @Test
    void theCorpusIsWhatTheWriterWritesByteForByte() throws IOException {
        for (String name : SEEDS) {
            byte[] generated = generate(name, dir);
            if (Boolean.getBoolean("tslab.updateGolden")) {
                Files.createDirectories(CORPUS);
                Files.write(CORPUS.resolve(name), generated);
            }
            assertArrayEquals(Files.readAllBytes(CORPUS.resolve(name)), generated,
                    name + ": the file format changed; if on purpose, rerun with -Dtslab.updateGolden=true");
            StatsFileContents c = StatsFile.readFile(CORPUS.resolve(name));
            assertEquals(4242, c.pid());
            assertEquals(name.startsWith("one") ? List.of("sessions") : List.of("cache-\"ü\"-0", "cache-\"ü\"-1",
                    "cache-\"ü\"-2"), c.allocatorNames());
        }
    }

    @Test
    void mutatedStatsFilesNeverCrashTheReaderOrExhaustMemory() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path scratch = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "tslab-fuzz-") : dir; // memory is faster
        try {
            fuzz(scratch.resolve("4242"));
        } finally {
            Files.deleteIfExists(scratch.resolve("4242"));
            if (!scratch.equals(dir)) {
                Files.deleteIfExists(scratch);
            }
        }
    }

    private void fuzz(Path target) throws IOException {
        Map<Problem, Integer> problems = new EnumMap<>(Problem.class);
        int readable = 0;
        long maxAllocated = 0;
        for (int s = 0; s < SEEDS.size(); s++) {
            byte[] seed = Files.readAllBytes(CORPUS.resolve(SEEDS.get(s)));
            Random random = new Random(7919L * (s + 1));
            for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                byte[] mutated = mutate(seed, random);
                Files.write(target, mutated);
                long before = allocatedBytes();
                try {
                    StatsFile.readFile(target);
                    readable++;
                } catch (StatsFileException e) {
                    assertTrue(e.getMessage().startsWith("stats file " + target + ": "), e.getMessage());
                    problems.merge(e.problem(), 1, Integer::sum);
                } catch (Throwable t) {
                    fail("seed " + SEEDS.get(s) + ", mutation " + i + ": the reader failed with " + t, t);
                }
                maxAllocated = Math.max(maxAllocated, allocatedBytes() - before);
            }
        }
        assertTrue(maxAllocated < MAX_ALLOCATED_PER_READ, "a read allocated " + maxAllocated + " bytes");
        assertTrue(readable > 0, "some mutations leave the file readable (bytes past the payload, say)");
        for (Problem p : List.of(Problem.FOREIGN, Problem.UNSUPPORTED_VERSION, Problem.TRUNCATED, Problem.CORRUPT)) {
            assertTrue(problems.getOrDefault(p, 0) > 0, "no mutation gave " + p + ": " + problems);
        }
    }

    /** This thread's allocated bytes ({@code com.sun.management.ThreadMXBean}, which the module does not read). */
    private static long allocatedBytes() {
        try {
            return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes")
                    .invoke(ManagementFactory.getThreadMXBean());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("the JDK cannot count allocated bytes", e);
        }
    }

    private static final int[] LONG_FIELDS = {StatsFileLayout.MAGIC_OFFSET, StatsFileLayout.PID_OFFSET,
        StatsFileLayout.JVM_START_OFFSET, StatsFileLayout.SEQUENCE_OFFSET, StatsFileLayout.HEARTBEAT_OFFSET,
        StatsFileLayout.PAYLOAD_OFFSET_OFFSET, StatsFileLayout.PAYLOAD_LENGTH_OFFSET, StatsFileLayout.CAPACITY_OFFSET};
    private static final int[] INT_FIELDS = {StatsFileLayout.VERSION_OFFSET, StatsFileLayout.HEADER_SIZE_OFFSET,
        StatsFileLayout.ALLOCATOR_COUNT_OFFSET, StatsFileLayout.INTERVAL_OFFSET};
    private static final String JSON_BYTES = "{}[]\",:0123456789-.eE nultrfa\\";

    /**
     * One random corruption: flipped header bits, a header field set to a boundary value, damaged
     * payload bytes, a JSON-level edit with the length fixed up (to reach the parser), truncation,
     * junk appended, or garbage behind a valid magic. The sequence word is kept even (an odd one
     * only makes the reader retry, which {@link StatsFileFormatTest} covers once).
     */
    private static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        ByteBuffer view = ByteBuffer.wrap(b).order(StatsFileLayout.ORDER);
        int payloadOffset = (int) view.getLong(StatsFileLayout.PAYLOAD_OFFSET_OFFSET);
        int payloadLength = (int) view.getLong(StatsFileLayout.PAYLOAD_LENGTH_OFFSET);
        switch (r.nextInt(8)) {
            case 0 -> {
                for (int k = 1 + r.nextInt(8); k > 0; k--) {
                    int bit = r.nextInt(StatsFileLayout.HEADER_SIZE * 8);
                    b[bit >> 3] ^= (byte) (1 << (bit & 7));
                }
            }
            case 1 -> {
                long[] interesting = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE,
                    128, 129, b.length, b.length + 1L, 1L << 24, 1L << 31, (1L << 24) + 1, r.nextLong()};
                long v = interesting[r.nextInt(interesting.length)];
                if (r.nextBoolean()) {
                    view.putLong(LONG_FIELDS[r.nextInt(LONG_FIELDS.length)], v);
                } else {
                    view.putInt(INT_FIELDS[r.nextInt(INT_FIELDS.length)], (int) v);
                }
            }
            case 2 -> {
                for (int k = 1 + r.nextInt(5); k > 0; k--) {
                    int at = payloadOffset + r.nextInt(payloadLength);
                    b[at] = r.nextBoolean() ? (byte) JSON_BYTES.charAt(r.nextInt(JSON_BYTES.length())) : (byte) r.nextInt();
                }
            }
            case 3 -> {
                String json = new String(b, payloadOffset, payloadLength, StandardCharsets.UTF_8);
                StringBuilder edited = new StringBuilder(json);
                int at = r.nextInt(edited.length());
                switch (r.nextInt(3)) {
                    case 0 -> edited.deleteCharAt(at);
                    case 1 -> edited.insert(at, JSON_BYTES.charAt(r.nextInt(JSON_BYTES.length())));
                    default -> edited.insert(at, edited.substring(at, Math.min(edited.length(), at + 1 + r.nextInt(200))));
                }
                byte[] payload = edited.toString().getBytes(StandardCharsets.UTF_8);
                int fits = Math.min(payload.length, b.length - payloadOffset);
                System.arraycopy(payload, 0, b, payloadOffset, fits);
                view.putLong(StatsFileLayout.PAYLOAD_LENGTH_OFFSET, fits);
            }
            case 4 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 5 -> {
                b = Arrays.copyOf(b, b.length + 1 + r.nextInt(4096));
                for (int i = seed.length; i < b.length; i++) {
                    b[i] = (byte) r.nextInt();
                }
            }
            case 6 -> {
                byte[] garbage = new byte[r.nextInt(2 * StatsFileLayout.HEADER_SIZE + 4096)];
                r.nextBytes(garbage);
                System.arraycopy(b, 0, garbage, 0, Math.min(garbage.length, StatsFileLayout.VERSION_OFFSET + 4));
                b = garbage;
            }
            default -> {
                int from = r.nextInt(b.length);
                int length = Math.min(b.length - from, 1 + r.nextInt(64));
                for (int i = 0; i < length; i++) {
                    b[from + i] = (byte) r.nextInt();
                }
            }
        }
        if (b.length > StatsFileLayout.SEQUENCE_OFFSET) {
            b[StatsFileLayout.SEQUENCE_OFFSET] &= (byte) ~1;
        }
        return b;
    }
}
