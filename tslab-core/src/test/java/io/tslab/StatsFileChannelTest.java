package io.tslab;

import io.tslab.internal.statsfile.StatsFileChannel;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * This JVM's own stats file, written by the real channel: allocators appear at the next heartbeat
 * with their exact figures, leave the file when closed, opt out when asked, and the publisher is one
 * daemon thread.
 */
class StatsFileChannelTest {
    private static final long SELF = ProcessHandle.current().pid();
    private static final long WAIT_NANOS = 15_000_000_000L;

    /** This JVM's file, read until {@code until} holds (bounded). */
    static StatsFileContents awaitOwnFile(Predicate<StatsFileContents> until, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        StatsFileContents last = null;
        String problem = "no read yet";
        while (System.nanoTime() < deadline) {
            try {
                last = StatsFile.read(SELF);
                if (until.test(last)) {
                    return last;
                }
                problem = "last read: " + last.allocatorNames() + ", sequence " + last.sequence();
            } catch (StatsFileException e) {
                problem = e.getMessage();
            }
            Thread.sleep(20);
        }
        fail("timed out waiting for " + what + " (" + problem + ")");
        return last;
    }

    private static Optional<StatsFileContents> readOwnFile() {
        try {
            return Optional.of(StatsFile.read(SELF));
        } catch (StatsFileException e) {
            assertEquals(StatsFileException.Problem.NO_FILE, e.problem(), e.getMessage());
            return Optional.empty();
        }
    }

    @Test
    void anAllocatorIsPublishedWithItsExactFiguresAndLeavesTheFileWhenClosed() throws Exception {
        String name = "channel-" + System.nanoTime();
        List<Long> handles = new ArrayList<>();
        try (SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(32L << 20).build()) {
            for (int i = 0; i < 1000; i++) {
                handles.add(a.alloc(1 + i % 768));
            }
            for (int i = 0; i < 1000; i += 4) {
                a.free(handles.get(i));
            }
            // a publication whose snapshots were all taken after the work above: two heartbeats later
            long sequenceNow = readOwnFile().map(StatsFileContents::sequence).orElse(0L);
            StatsFileContents first = awaitOwnFile(c -> c.allocator(name).isPresent() && c.sequence() >= sequenceNow + 4,
                    name + " in the file, two heartbeats after its work");
            AllocatorSnapshot published = first.allocator(name).orElseThrow();
            AllocatorSnapshot now = a.snapshot(); // nothing changed since: the counts agree exactly
            assertEquals(now.global().liveObjects(), published.global().liveObjects());
            assertEquals(750, published.global().liveObjects());
            assertEquals(now.global().liveBytes(), published.global().liveBytes());
            assertEquals(now.global().totalAllocations(), published.global().totalAllocations());
            assertEquals(now.classes().stream().map(c -> c.liveObjects()).toList(),
                    published.classes().stream().map(c -> c.liveObjects()).toList());
            assertEquals(SELF, published.pid());

            Path file = first.file();
            assertEquals(StatsFile.directory().resolve(Long.toString(SELF)), file);
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
            assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(file.getParent()));
            assertEquals(Optional.of(file), StatsFileChannel.publishedFile());

            // the heartbeat moves on by itself, and a file deleted by someone else comes back
            Files.delete(file);
            StatsFileContents later = awaitOwnFile(c -> c.sequence() > first.sequence(), "the next heartbeat");
            assertTrue(later.heartbeat().isAfter(first.heartbeat()));
            assertTrue(later.publishInterval().toMillis() >= 10);
            assertTrue(later.allocator(name).isPresent());

            List<Thread> publishers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals(StatsFileChannel.THREAD_NAME)).toList();
            assertEquals(1, publishers.size(), "one publisher thread per JVM");
            assertTrue(publishers.getFirst().isDaemon());
        }
        // close() rewrote (or deleted) the file before returning
        Optional<StatsFileContents> after = readOwnFile();
        assertTrue(after.isEmpty() || after.get().allocator(name).isEmpty(), () -> "still published: " + after);
    }

    @Test
    void anAllocatorThatOptsOutIsNeverPublished() throws Exception {
        String hidden = "hidden-" + System.nanoTime();
        String shown = "shown-" + System.nanoTime();
        try (SlabAllocator h = SlabAllocator.builder().name(hidden).reserveBytes(16L << 20).publishStatsFile(false).build();
             SlabAllocator s = SlabAllocator.builder().name(shown).reserveBytes(16L << 20).build()) {
            h.alloc(64);
            s.alloc(64);
            StatsFileContents c = awaitOwnFile(x -> x.allocator(shown).isPresent(), shown + " in the file");
            long seq = c.sequence();
            StatsFileContents next = awaitOwnFile(x -> x.sequence() > seq, "another heartbeat");
            assertTrue(next.allocator(shown).isPresent());
            assertFalse(next.allocator(hidden).isPresent(), next.allocatorNames().toString());
        }
    }

    @Test
    void theFileHoldsExactlyWhatThePublisherSnapshottedAtThatHeartbeat() throws Exception {
        String name = "exact-" + System.nanoTime();
        try (SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(16L << 20).build()) {
            StatsFileChannel.keepPublications(8);
            try {
                a.setEpochLabel(0, "labelled \"0\"");
                for (int i = 0; i < 300; i++) {
                    a.alloc(100 + i);
                }
                StatsFileContents c = awaitOwnFile(
                        x -> x.allocator(name).isPresent() && StatsFileChannel.publication(x.sequence()).isPresent(),
                        "a kept publication of " + name);
                StatsFileChannel.Publication p = StatsFileChannel.publication(c.sequence()).orElseThrow();
                assertEquals(c.heartbeat().getEpochSecond() * 1_000_000_000L + c.heartbeat().getNano(), p.heartbeatNs());
                assertEquals(p.snapshots().stream().map(AllocatorSnapshot::toJson).toList(),
                        c.allocators().stream().map(AllocatorSnapshot::toJson).toList());
            } finally {
                StatsFileChannel.keepPublications(0);
            }
        }
    }
}
