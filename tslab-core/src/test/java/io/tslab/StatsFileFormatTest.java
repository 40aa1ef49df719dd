package io.tslab;

import io.tslab.internal.statsfile.StatsFileDirectory;
import io.tslab.internal.statsfile.StatsFileLayout;
import io.tslab.internal.statsfile.StatsFileWriter;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFileException.Problem;
import io.tslab.stats.StatsFilePublisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static io.tslab.StatsFileFixtures.DEAD_PID;
import static io.tslab.StatsFileFixtures.HEARTBEAT_NS;
import static io.tslab.StatsFileFixtures.snapshot;
import static io.tslab.StatsFileFixtures.snapshots;
import static io.tslab.internal.statsfile.StatsFileLayout.HEADER_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The stats file format and its reader, in one process: what a writer puts where, how the reader
 * validates every header field (one case per rule, each with its message), growth by rename,
 * liveness and clean-up, and that concurrent readers never see a torn publication.
 */
class StatsFileFormatTest {
    private static final long SELF = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    private Path writeFile(long pid, List<AllocatorSnapshot> snapshots) throws IOException {
        StatsFileWriter w = new StatsFileWriter(dir, pid, 0, 500, 0);
        w.publish(snapshots, HEARTBEAT_NS);
        return w.file();
    }

    private static void assertSameSnapshots(List<AllocatorSnapshot> expected, List<AllocatorSnapshot> actual) {
        assertEquals(expected.stream().map(AllocatorSnapshot::toJson).toList(),
                actual.stream().map(AllocatorSnapshot::toJson).toList());
    }

    @Test
    void aWrittenFileReadsBackWithEveryHeaderField() throws IOException {
        List<AllocatorSnapshot> two = snapshots("a", 2, 4242);
        StatsFileWriter w = new StatsFileWriter(dir, 4242, 1_700_000_000_000L, 500, 0);
        w.publish(two, HEARTBEAT_NS);
        Path file = dir.resolve("4242");
        assertEquals(file, w.file());

        StatsFileContents c = StatsFile.readFile(file);
        assertEquals(file, c.file());
        assertEquals(4242, c.pid());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_000L), c.jvmStart().orElseThrow());
        assertEquals(2, c.sequence());
        assertEquals(Instant.ofEpochSecond(0, HEARTBEAT_NS), c.heartbeat());
        assertEquals(Duration.ofMillis(500), c.publishInterval());
        assertTrue(c.stale(), "a heartbeat from the past is stale");
        assertEquals(List.of("a0", "a1"), c.allocatorNames());
        assertSameSnapshots(two, c.allocators());
        assertEquals(two.get(1).toJson(), c.allocator("a1").orElseThrow().toJson());

        // the second publication goes to the other slot, with the next even sequence number
        List<AllocatorSnapshot> three = snapshots("b", 3, 4242);
        w.publish(three, HEARTBEAT_NS + 1);
        long capacity = StatsFileFixtures.readLong(file, StatsFileLayout.CAPACITY_OFFSET);
        assertEquals(StatsFileLayout.MIN_CAPACITY, capacity);
        assertEquals(HEADER_SIZE + capacity, StatsFileFixtures.readLong(file, StatsFileLayout.PAYLOAD_OFFSET_OFFSET));
        assertEquals(HEADER_SIZE + 2 * capacity, Files.size(file));
        StatsFileContents again = StatsFile.readFile(file);
        assertEquals(4, again.sequence());
        assertSameSnapshots(three, again.allocators());

        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        w.delete();
        assertFalse(Files.exists(file));
    }

    /** The header layout of {@link StatsFileLayout}'s javadoc, pinned byte by byte. */
    @Test
    void theHeaderLayoutIsAsDocumented() throws IOException {
        StatsFileWriter w = new StatsFileWriter(dir, 77, 123_456, 250, 40);
        w.publish(snapshots("x", 1, 77), HEARTBEAT_NS);
        Path file = w.file();
        byte[] b = Files.readAllBytes(file);
        assertEquals("TSLAB-SF", new String(b, 0, 8, StandardCharsets.US_ASCII));
        int[] version = {1, 0, 0, 0};
        int[] headerSize = {128, 0, 0, 0};
        for (int i = 0; i < 4; i++) {
            assertEquals(version[i], b[8 + i] & 0xff, "format version, little-endian");
            assertEquals(headerSize[i], b[12 + i] & 0xff, "header size, little-endian");
        }
        assertEquals(77, StatsFileFixtures.readLong(file, 16));
        assertEquals(123_456, StatsFileFixtures.readLong(file, 24));
        assertEquals(42, StatsFileFixtures.readLong(file, 32), "sequence goes on from the one given");
        assertEquals(HEARTBEAT_NS, StatsFileFixtures.readLong(file, 40));
        assertEquals(128, StatsFileFixtures.readLong(file, 48));
        long length = StatsFileFixtures.readLong(file, 56);
        assertEquals(64 << 10, StatsFileFixtures.readLong(file, 64));
        assertEquals(1L | 250L << 32, StatsFileFixtures.readLong(file, 72), "allocator count, then interval");
        for (int i = 80; i < 128; i++) {
            assertEquals(0, b[i], "reserved byte " + i);
        }
        String payload = new String(b, 128, (int) length, StandardCharsets.UTF_8);
        assertTrue(payload.startsWith("{\"allocators\": [\n{\n  \"schema_version\": 1,"), payload);
        assertTrue(payload.endsWith("}\n]}\n"), payload);
    }

    @Test
    void aPayloadThatOutgrowsItsSlotOrADeletedFileMovesToANewFileRenamedIntoPlace() throws IOException {
        StatsFileWriter w = new StatsFileWriter(dir, 4242, 0, 500, 0);
        w.publish(snapshots("s", 1, 4242), HEARTBEAT_NS);
        Path file = w.file();
        Object inode = Files.getAttribute(file, "unix:ino");
        List<AllocatorSnapshot> many = snapshots("m", 12, 4242);
        StatsFileWriter.Payload p = w.publish(many, HEARTBEAT_NS + 1);
        assertTrue(p.bytes().length > StatsFileLayout.MIN_CAPACITY, "the test needs a payload larger than a slot");
        assertNotEquals(inode, Files.getAttribute(file, "unix:ino"), "a new file took the name");
        long capacity = StatsFileFixtures.readLong(file, StatsFileLayout.CAPACITY_OFFSET);
        assertTrue(capacity >= p.bytes().length && Long.bitCount(capacity) == 1, "capacity " + capacity);
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList(), "no temporary file is left");
        }
        StatsFileContents c = StatsFile.readFile(file);
        assertEquals(4, c.sequence(), "sequence numbers go on across files");
        assertSameSnapshots(many, c.allocators());
        // and back to a small payload: it fits, no new file
        Object grown = Files.getAttribute(file, "unix:ino");
        w.publish(snapshots("t", 1, 4242), HEARTBEAT_NS + 2);
        assertEquals(grown, Files.getAttribute(file, "unix:ino"));
        assertEquals(List.of("t0"), StatsFile.readFile(file).allocatorNames());
        // deleted by someone else: the next publication writes a whole new file
        Files.delete(file);
        w.publish(snapshots("u", 2, 4242), HEARTBEAT_NS + 3);
        StatsFileContents back = StatsFile.readFile(file);
        assertEquals(List.of("u0", "u1"), back.allocatorNames());
        assertEquals(capacity, StatsFileFixtures.readLong(file, StatsFileLayout.CAPACITY_OFFSET));
        assertEquals(8, back.sequence());
    }

    /** One header rule per row: the field, a bad value, the problem, and what the message must say. */
    private record BadField(int offset, long value, Problem problem, String message) {
    }

    @Test
    void everyHeaderFieldIsValidatedWithAMessageNamingIt() throws IOException {
        long cap = StatsFileLayout.MIN_CAPACITY;
        List<BadField> cases = List.of(
                new BadField(StatsFileLayout.MAGIC_OFFSET, 0x2020202020202020L, Problem.FOREIGN,
                        "bad magic 0x2020202020202020 (expected 0x46532d42414c5354, \"TSLAB-SF\"): not a tslab stats file"),
                new BadField(StatsFileLayout.VERSION_OFFSET, 2, Problem.UNSUPPORTED_VERSION,
                        "format version 2 is not supported (this reader knows version 1)"),
                new BadField(StatsFileLayout.HEADER_SIZE_OFFSET, 7, Problem.CORRUPT,
                        "header size 7 (expected 128..4096, a multiple of 8)"),
                new BadField(StatsFileLayout.HEADER_SIZE_OFFSET, 1 << 20, Problem.CORRUPT, "header size 1048576"),
                new BadField(StatsFileLayout.PID_OFFSET, -1, Problem.CORRUPT, "pid -1 (expected a positive process id)"),
                new BadField(StatsFileLayout.JVM_START_OFFSET, -5, Problem.CORRUPT, "JVM start time -5"),
                new BadField(StatsFileLayout.CAPACITY_OFFSET, Long.MAX_VALUE, Problem.CORRUPT,
                        "slot capacity 9223372036854775807 (expected 1..16777216)"),
                new BadField(StatsFileLayout.CAPACITY_OFFSET, 1 << 23, Problem.TRUNCATED,
                        "truncated: " + (HEADER_SIZE + 2 * cap) + " bytes (the header says 128 + 2 x 8388608"),
                new BadField(StatsFileLayout.PAYLOAD_OFFSET_OFFSET, 129, Problem.CORRUPT,
                        "payload offset 129 (expected 128 or " + (128 + cap) + ", the start of a slot)"),
                new BadField(StatsFileLayout.PAYLOAD_LENGTH_OFFSET, Long.MAX_VALUE, Problem.CORRUPT,
                        "payload length 9223372036854775807 (expected 1.." + cap + ", the slot capacity)"),
                new BadField(StatsFileLayout.PAYLOAD_LENGTH_OFFSET, 0, Problem.CORRUPT, "payload length 0"),
                new BadField(StatsFileLayout.PAYLOAD_LENGTH_OFFSET, 100, Problem.CORRUPT,
                        "payload: line "),
                new BadField(StatsFileLayout.HEARTBEAT_OFFSET, 0, Problem.CORRUPT, "heartbeat 0"),
                new BadField(StatsFileLayout.ALLOCATOR_COUNT_OFFSET, 5, Problem.CORRUPT,
                        "payload holds 1 allocators, the header says 5"),
                new BadField(StatsFileLayout.ALLOCATOR_COUNT_OFFSET, -1, Problem.CORRUPT, "allocator count -1"),
                new BadField(StatsFileLayout.INTERVAL_OFFSET, 0, Problem.CORRUPT,
                        "publish interval 0 ms (expected 10..3600000)"));
        for (BadField bad : cases) {
            Path file = writeFile(4242, List.of(snapshot("v", 4242)));
            if (StatsFileFixtures.isIntField(bad.offset())) {
                StatsFileFixtures.writeInt(file, bad.offset(), (int) bad.value());
            } else {
                StatsFileFixtures.writeLong(file, bad.offset(), bad.value());
            }
            StatsFileException e = assertThrows(StatsFileException.class, () -> StatsFile.readFile(file), bad.toString());
            assertEquals(bad.problem(), e.problem(), e.getMessage());
            assertTrue(e.getMessage().startsWith("stats file " + file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(bad.message()), bad + " gave: " + e.getMessage());
            assertEquals(file, e.file());
        }
    }

    @Test
    void aPidInTheHeaderMustMatchTheFileName() throws IOException {
        Path file = writeFile(4242, List.of(snapshot("v", 4242)));
        Path renamed = Files.move(file, dir.resolve(Long.toString(SELF)));
        StatsFileException e = assertThrows(StatsFileException.class, () -> StatsFile.read(dir, SELF));
        assertEquals(Problem.CORRUPT, e.problem());
        assertTrue(e.getMessage().endsWith("pid 4242 in the header (expected " + SELF + ", from the file name)"),
                e.getMessage());
        assertEquals(renamed, e.file());
    }

    @Test
    void aWriterStuckInAnUpdateMakesReadersGiveUpQuicklyWithAClearMessage() throws IOException {
        Path file = writeFile(4242, List.of(snapshot("v", 4242)));
        StatsFileFixtures.writeLong(file, StatsFileLayout.SEQUENCE_OFFSET, 3);
        long start = System.nanoTime();
        StatsFileException e = assertThrows(StatsFileException.class, () -> StatsFile.readFile(file));
        assertEquals(Problem.BUSY, e.problem());
        assertTrue(e.getMessage().contains("the writer stayed in the middle of an update (sequence 3 is odd)"),
                e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "bounded retries");
    }

    @Test
    void truncatedForeignAndUnreadableFilesAreReportedNotCrashedOn() throws IOException {
        Path file = writeFile(4242, List.of(snapshot("v", 4242)));
        byte[] whole = Files.readAllBytes(file);
        record Case(int length, Problem problem, String message) {
        }
        for (Case c : List.of(
                new Case(0, Problem.TRUNCATED, "truncated: 0 bytes (a header needs 128)"),
                new Case(100, Problem.TRUNCATED, "truncated: 100 bytes (a header needs 128)"),
                new Case(128, Problem.TRUNCATED, "truncated: 128 bytes (the header says 128 + 2 x 65536 = 131200)"),
                new Case(5000, Problem.TRUNCATED, "truncated: 5000 bytes (the header says"))) {
            Path t = dir.resolve("cut-" + c.length());
            Files.write(t, java.util.Arrays.copyOf(whole, c.length()));
            StatsFileException e = assertThrows(StatsFileException.class, () -> StatsFile.readFile(t));
            assertEquals(c.problem(), e.problem(), e.getMessage());
            assertTrue(e.getMessage().contains(c.message()), e.getMessage());
        }
        Path text = Files.writeString(dir.resolve("text"), "x".repeat(200));
        assertEquals(Problem.FOREIGN, assertThrows(StatsFileException.class, () -> StatsFile.readFile(text)).problem());
        StatsFileException missing = assertThrows(StatsFileException.class, () -> StatsFile.readFile(dir.resolve("nope")));
        assertEquals(Problem.NO_FILE, missing.problem());
        StatsFileException directory = assertThrows(StatsFileException.class, () -> StatsFile.readFile(dir));
        assertEquals(Problem.IO, directory.problem(), directory.getMessage());
    }

    @Test
    void aBadPayloadIsCorruptWithTheJsonProblemNamed() throws IOException {
        StatsFileWriter w = new StatsFileWriter(dir, 4242, 0, 500, 0);
        w.publish("not json".getBytes(StandardCharsets.US_ASCII), 0, HEARTBEAT_NS);
        StatsFileException json = assertThrows(StatsFileException.class, () -> StatsFile.readFile(w.file()));
        assertEquals(Problem.CORRUPT, json.problem());
        assertTrue(json.getMessage().endsWith(": payload: $ (line 1, column 1): expected a value (found 'n')"),
                json.getMessage());

        w.publish(new byte[] {'{', (byte) 0xff, '}'}, 0, HEARTBEAT_NS);
        StatsFileException utf8 = assertThrows(StatsFileException.class, () -> StatsFile.readFile(w.file()));
        assertTrue(utf8.getMessage().contains("payload is not valid UTF-8"), utf8.getMessage());

        w.publish(List.of(snapshot("other", 99)), HEARTBEAT_NS);
        StatsFileException pid = assertThrows(StatsFileException.class, () -> StatsFile.readFile(w.file()));
        assertTrue(pid.getMessage().endsWith("allocator 'other' has pid 99 (expected 4242, from the header)"),
                pid.getMessage());

        String missing = new String(StatsFileWriter.encode(List.of(snapshot("m", 4242))).bytes(), StandardCharsets.UTF_8)
                .replaceFirst("\n  \"net_slabs\": 17,", "");
        w.publish(missing.getBytes(StandardCharsets.UTF_8), 1, HEARTBEAT_NS);
        StatsFileException field = assertThrows(StatsFileException.class, () -> StatsFile.readFile(w.file()));
        assertTrue(field.getMessage().contains("payload: $.allocators[0] (line"), field.getMessage());
        assertTrue(field.getMessage().endsWith("missing field 'net_slabs'"), field.getMessage());
    }

    @Test
    void filesOfDeadProcessesAreIgnoredByReadersAndRemovedByTheCleanUp() throws IOException {
        StatsFileWriter liveWriter = new StatsFileWriter(dir, SELF, StatsFileDirectory.currentJvmStartMs(), 500, 0);
        liveWriter.publish(List.of(snapshot("live", SELF)), HEARTBEAT_NS);
        Path live = liveWriter.file();
        Path dead = writeFile(DEAD_PID, List.of(snapshot("dead", DEAD_PID)));
        // pid 1 is alive, but it is not the JVM that started in 1970: the pid was reused
        StatsFileWriter reusedWriter = new StatsFileWriter(dir, 1, 1_000, 500, 0);
        reusedWriter.publish(List.of(snapshot("reused", 1)), HEARTBEAT_NS);
        Path reused = reusedWriter.file();
        Path deadTemp = Files.writeString(dir.resolve((DEAD_PID + 1) + ".tmp"), "half-built");
        Path notes = Files.writeString(dir.resolve("notes.txt"), "not a stats file");

        List<StatsFilePublisher> listed = StatsFile.list(dir);
        assertEquals(List.of(SELF), listed.stream().map(StatsFilePublisher::pid).toList());
        StatsFilePublisher self = listed.getFirst();
        assertEquals(List.of("live"), self.allocators());
        assertTrue(self.readable() && self.stale());
        assertTrue(self.command().isPresent(), "the OS tells this process's command");

        StatsFileException gone = assertThrows(StatsFileException.class, () -> StatsFile.read(dir, DEAD_PID));
        assertEquals(Problem.PROCESS_GONE, gone.problem());
        assertTrue(gone.getMessage().endsWith("process 2000000000 is not running; its file is left over and ignored"),
                gone.getMessage());
        StatsFileException reuse = assertThrows(StatsFileException.class, () -> StatsFile.read(dir, 1));
        assertEquals(Problem.PROCESS_GONE, reuse.problem());
        assertTrue(reuse.getMessage().contains("the pid now belongs to a process that started later"), reuse.getMessage());
        StatsFileException never = assertThrows(StatsFileException.class, () -> StatsFile.read(dir, DEAD_PID + 7));
        assertEquals(Problem.PROCESS_GONE, never.problem());
        assertEquals(List.of("live"), StatsFile.read(dir, SELF).allocatorNames());

        assertEquals(3, StatsFileDirectory.removeDeadFiles(dir, SELF));
        assertFalse(Files.exists(dead));
        assertFalse(Files.exists(reused));
        assertFalse(Files.exists(deadTemp));
        assertTrue(Files.exists(live));
        assertTrue(Files.exists(notes), "files that are not stats files are left alone");
    }

    @Test
    void listingReportsAnUnreadableFileOfALiveProcessAndToleratesAMissingDirectory() throws IOException {
        Files.writeString(dir.resolve(Long.toString(SELF)), "garbage that is long enough to be mistaken for a header "
                + "x".repeat(200));
        List<StatsFilePublisher> listed = StatsFile.list(dir);
        assertEquals(1, listed.size());
        assertFalse(listed.getFirst().readable());
        assertTrue(listed.getFirst().problem().orElseThrow().contains("bad magic"), listed.toString());
        assertFalse(listed.getFirst().stale());

        assertEquals(List.of(), StatsFile.list(dir.resolve("missing")));
        StatsFileException none = assertThrows(StatsFileException.class, () -> StatsFile.read(dir.resolve("missing"), SELF));
        assertEquals(Problem.NO_FILE, none.problem());
        assertTrue(none.getMessage().contains("publishes no allocator here"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StatsFile.read(dir, 0));
    }

    @Test
    void theDirectoryIsCreatedPrivateAndRefusedWhenUnsafe() throws IOException {
        Path fresh = dir.resolve("fresh");
        StatsFileDirectory.prepare(fresh);
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(fresh));

        Path loose = Files.createDirectory(dir.resolve("loose"));
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxr-xr-x"));
        StatsFileDirectory.prepare(loose);
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(loose));

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        IOException underFile = assertThrows(IOException.class, () -> StatsFileDirectory.prepare(file.resolve("sub")));
        assertEquals(file + " is not a directory", underFile.getMessage());

        Path link = Files.createSymbolicLink(dir.resolve("link"), fresh);
        IOException symlink = assertThrows(IOException.class, () -> StatsFileDirectory.prepare(link));
        assertTrue(symlink.getMessage().contains("is not a directory (or is a symbolic link)"), symlink.getMessage());

        Path foreign = Files.createDirectory(dir.resolve("foreign"));
        boolean chowned;
        try {
            Files.setAttribute(foreign, "unix:uid", 54321, LinkOption.NOFOLLOW_LINKS);
            chowned = true;
        } catch (IOException e) {
            chowned = false; // not root: cannot make a directory of another user here
        }
        assumeTrue(chowned, "needs root to create a directory owned by another user");
        IOException owner = assertThrows(IOException.class, () -> StatsFileDirectory.prepare(foreign));
        assertTrue(owner.getMessage().contains("belongs to uid 54321"), owner.getMessage());
    }

    @Test
    void theDefaultDirectoryIsPerUserUnderDevShm() {
        assumeTrue(System.getProperty(StatsFileDirectory.DIRECTORY_PROPERTY) == null);
        Path d = StatsFile.directory();
        assertTrue(d.getFileName().toString().startsWith("tslab-"), d.toString());
        assertEquals(Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir")), d.getParent());
    }

    /**
     * Forbidden outcome: a reader returns a mix of two publications (names of two generations, or a
     * count that does not match), or fails on a file a live writer keeps publishing and growing.
     */
    @Test
    void concurrentReadersNeverSeeATornPublication() throws Exception {
        List<List<AllocatorSnapshot>> generations = new ArrayList<>();
        for (int g = 0; g < 6; g++) {
            generations.add(snapshots("gen" + g + "-", 1 + g * 2, 4242)); // up to 11 allocators: grows twice
        }
        List<byte[]> payloads = generations.stream().map(gs -> StatsFileWriter.encode(gs).bytes()).toList();
        StatsFileWriter w = new StatsFileWriter(dir, 4242, 0, 500, 0);
        w.publish(payloads.getFirst(), 1, HEARTBEAT_NS);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Set<Integer> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        StatsFileContents c = StatsFile.readFile(w.file());
                        String prefix = c.allocatorNames().getFirst().substring(0, 5);
                        int g = prefix.charAt(3) - '0';
                        seen.add(g);
                        assertEquals(1 + g * 2, c.allocators().size(), "count of generation " + g);
                        assertTrue(c.allocatorNames().stream().allMatch(n -> n.startsWith(prefix)), c.allocatorNames().toString());
                        reads.incrementAndGet();
                    } catch (Throwable t) {
                        failures.add(t);
                        return;
                    }
                }
            }));
        }
        long end = System.nanoTime() + 1_500_000_000L;
        int published = 0;
        while (System.nanoTime() < end && failures.isEmpty()) {
            int g = published++ % payloads.size();
            w.publish(payloads.get(g), 1 + g * 2, HEARTBEAT_NS + published);
            LockSupport.parkNanos(200_000);
        }
        stop.set(true);
        for (Thread t : readers) {
            t.join(10_000);
        }
        assertTrue(failures.isEmpty(), () -> "reader failed: " + failures.peek());
        assertTrue(reads.get() > 20, "reads: " + reads.get());
        assertTrue(seen.size() >= 2, "generations seen: " + seen);
        w.delete();
    }

    /** The reader never maps the file: a file truncated to zero while it is being read gives an error, not a fault. */
    @Test
    void aFileTruncatedUnderTheReaderGivesAnError() throws IOException {
        Path file = writeFile(4242, List.of(snapshot("v", 4242)));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(HEADER_SIZE + 64);
        }
        StatsFileException e = assertThrows(StatsFileException.class, () -> StatsFile.readFile(file));
        assertEquals(Problem.TRUNCATED, e.problem());
    }
}
