package io.tslab;

import io.tslab.internal.LiveAllocators;
import io.tslab.internal.statsfile.StatsFileChannel;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;
import io.tslab.stats.StatsFileException;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code close()} leaves behind, checked in {@code /proc/self} and the platform MBean server.
 * The promise:
 * <ul>
 *   <li>the reservation is unmapped: no line of {@code /proc/self/maps} touches its address range;</li>
 *   <li>the MXBean is unregistered;</li>
 *   <li>the allocator leaves the stats file; when no publishing allocator is left open the file is
 *       deleted and unmapped, and no file descriptor stays open on it;</li>
 *   <li>no thread: the only thread tslab ever starts is the stats file publisher,
 *       {@value StatsFileChannel#THREAD_NAME}, one daemon per JVM, started by the first publishing
 *       allocator; once none is open it stays parked (no CPU, no wake-ups) and is reused by the next
 *       one. Opening and closing allocators adds no thread;</li>
 *   <li>opening and closing allocators by the hundred grows neither the file descriptors, nor the
 *       mappings, nor the MBeans of the process.</li>
 * </ul>
 */
class LeakCheckTest {
    private static final MBeanServer PLATFORM = ManagementFactory.getPlatformMBeanServer();

    /** The lines of {@code /proc/self/maps} whose range intersects {@code [from, to)}. */
    private static List<String> mappingsTouching(long from, long to) throws IOException {
        List<String> touching = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            long start = Long.parseUnsignedLong(range[0], 16);
            long end = Long.parseUnsignedLong(range[1], 16);
            if (start < to && from < end) {
                touching.add(line);
            }
        }
        return touching;
    }

    /** Whether {@code [from, to)} is entirely covered by mappings. */
    private static boolean mapped(long from, long to) throws IOException {
        long covered = from;
        List<long[]> ranges = new ArrayList<>();
        for (String line : mappingsTouching(from, to)) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            ranges.add(new long[] {Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16)});
        }
        ranges.sort((x, y) -> Long.compare(x[0], y[0]));
        for (long[] r : ranges) {
            if (r[0] > covered) {
                return false;
            }
            covered = Math.max(covered, r[1]);
        }
        return covered >= to;
    }

    private static List<String> mapsLinesNaming(String fragment) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains(fragment)).toList();
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static List<String> fdsPointingInto(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(dir)) {
                        found.add(fd.getFileName() + " -> " + target);
                    }
                } catch (IOException goneMeanwhile) {
                    // the fd closed while we listed
                }
            }
        }
        return found;
    }

    private static boolean noPublishingAllocatorOpen() {
        return LiveAllocators.open().stream().noneMatch(LiveAllocators.Entry::publishStatsFile);
    }

    @Test
    void closeUnmapsTheReservation() throws Exception {
        for (long reserve : new long[] {1L << 20, (1L << 30) + 3 * 4096, 16L << 30}) {
            SlabAllocator a = SlabAllocator.builder().name("leak-mapping").reserveBytes(reserve).build();
            long from = a.memory().address();
            long to = from + a.memory().byteSize();
            for (int i = 0; i < 2000; i++) { // touch some pages, so that the mapping has resident memory
                long h = a.alloc(1 + i % 768);
                a.segment(h).fill((byte) i);
            }
            assertTrue(mapped(from, to), "the reservation of " + reserve + " bytes is mapped before close()");
            a.close();
            List<String> left = mappingsTouching(from, to);
            assertEquals(List.of(), left, "mappings left in the reservation's range [0x" + Long.toHexString(from)
                    + ", 0x" + Long.toHexString(to) + ") after close()");
        }
    }

    @Test
    void closeUnregistersTheMBeanAndLeavesTheStatsFile() throws Exception {
        String name = "leak-channels-" + System.nanoTime();
        SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(16L << 20).build();
        ObjectName bean = new ObjectName("io.tslab:type=Allocator,name=" + ObjectName.quote(name));
        long pid = ProcessHandle.current().pid();
        try {
            a.alloc(64);
            assertTrue(PLATFORM.isRegistered(bean));
            long deadline = System.nanoTime() + 15_000_000_000L;
            boolean published = false;
            while (!published && System.nanoTime() < deadline) {
                try {
                    published = StatsFile.read(pid).allocator(name).isPresent();
                } catch (StatsFileException notYet) {
                    // the first publication is on its way
                }
                if (!published) {
                    Thread.sleep(20);
                }
            }
            assertTrue(published, name + " was never published");
        } finally {
            a.close();
        }
        assertFalse(PLATFORM.isRegistered(bean), "the MBean is unregistered by close()");
        assertEquals(Set.of(), PLATFORM.queryNames(new ObjectName("io.tslab:type=Allocator,name="
                + ObjectName.quote(name) + ",*"), null));
        Path file = StatsFile.directory().resolve(Long.toString(pid));
        if (noPublishingAllocatorOpen()) {
            assertFalse(Files.exists(file), "the last publishing allocator closed: the file is deleted");
            assertEquals(List.of(), mapsLinesNaming(file.toString()), "the stats file is unmapped");
            assertEquals(List.of(), fdsPointingInto(StatsFile.directory()), "file descriptors on the stats directory");
            assertTrue(StatsFileChannel.publishedFile().isEmpty());
        } else {
            try {
                StatsFileContents c = StatsFile.read(pid);
                assertTrue(c.allocator(name).isEmpty(), name + " is still in the stats file after close()");
            } catch (StatsFileException e) {
                assertEquals(StatsFileException.Problem.NO_FILE, e.problem(), e.getMessage());
            }
        }
    }

    /** Every kind of allocator, with some work, snapshots and domains, closed again. */
    private static void openUseAndClose(int i) {
        SlabAllocator a = SlabAllocator.builder().name("leak-cycle-" + (i % 7)).reserveBytes((4L + i % 3) << 20)
                .epochs(2 << (i % 4)).publishStatsFile(i % 2 == 0).registerMXBean(i % 3 != 0).leakDetection(i % 5 == 0)
                .autoCloseDomains(i % 4 == 1).build();
        try {
            EpochDomain d = a.newDomain("cycle-" + i);
            try (EpochDomain.Scope scope = d.enter()) {
                for (int k = 0; k < 300; k++) {
                    assertTrue(scope.domain() == d);
                    long h = d.alloc(1 + (k * 37) % 768);
                    if (k % 3 == 0) {
                        a.free(h);
                    }
                }
            }
            a.advanceEpoch();
            a.snapshot().toJson();
            a.closeEpoch((a.currentEpoch() + 1) % a.epochCount());
        } finally {
            a.close();
        }
    }

    @Test
    void openingAndClosingAllocatorsLeavesNoThreadFileDescriptorMappingOrMBean() throws Exception {
        // Warm up: the publisher thread, JMX and the channels start once per JVM.
        for (int i = 0; i < 8; i++) {
            openUseAndClose(i);
        }
        Set<Long> threadsBefore = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            threadsBefore.add(t.threadId());
        }
        long fdsBefore = count(Path.of("/proc/self/fd"));
        long mapsBefore = Files.readAllLines(Path.of("/proc/self/maps")).size();
        int beansBefore = PLATFORM.queryNames(new ObjectName("io.tslab:*"), null).size();

        int cycles = 150;
        for (int i = 0; i < cycles; i++) {
            openUseAndClose(i);
        }

        long fdsAfter = count(Path.of("/proc/self/fd"));
        long mapsAfter = Files.readAllLines(Path.of("/proc/self/maps")).size();
        int beansAfter = PLATFORM.queryNames(new ObjectName("io.tslab:*"), null).size();
        assertTrue(fdsAfter <= fdsBefore + 3, "file descriptors: " + fdsBefore + " before " + cycles + " cycles, "
                + fdsAfter + " after");
        assertTrue(mapsAfter <= mapsBefore + 20, "mappings: " + mapsBefore + " before " + cycles + " cycles, "
                + mapsAfter + " after");
        assertEquals(beansBefore, beansAfter, "tslab MBeans before and after " + cycles + " cycles");

        // No thread started by tslab is left but the one publisher, parked once nothing publishes.
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<String> suspects;
        Thread publisher;
        do {
            suspects = new ArrayList<>();
            publisher = null;
            for (var e : Thread.getAllStackTraces().entrySet()) {
                Thread t = e.getKey();
                boolean ours = t.getName().startsWith("tslab")
                        || Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("io.tslab.internal"));
                if (t.getName().equals(StatsFileChannel.THREAD_NAME)) {
                    if (publisher != null) {
                        suspects.add("a second publisher thread " + t);
                    }
                    publisher = t;
                } else if (ours && !threadsBefore.contains(t.threadId()) && t.isAlive()) {
                    suspects.add(t.getName() + " " + t.getState() + " " + Arrays.toString(e.getValue()));
                }
            }
            if (!suspects.isEmpty()) {
                Thread.sleep(50);
            }
        } while (!suspects.isEmpty() && System.nanoTime() < deadline);
        assertEquals(List.of(), suspects, "threads left by " + cycles + " allocators after close()");
        if (publisher != null) {
            assertTrue(publisher.isDaemon(), "the publisher is a daemon");
            assertTrue(threadsBefore.contains(publisher.threadId()), "the publisher was reused, not started again");
            if (noPublishingAllocatorOpen()) {
                Thread.State state = publisher.getState();
                while (state != Thread.State.WAITING && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    state = publisher.getState();
                }
                assertEquals(Thread.State.WAITING, state, "with nothing to publish the publisher parks for good");
            }
        }
        if (noPublishingAllocatorOpen()) {
            Path file = StatsFile.directory().resolve(Long.toString(ProcessHandle.current().pid()));
            assertFalse(Files.exists(file), "the stats file outlived the last publishing allocator");
        } else {
            // Not this test's leak: another test class of this JVM left an allocator open.
            System.out.println("leak check: allocators of other tests still open: " + LiveAllocators.open().stream()
                    .map(LiveAllocators.Entry::name).toList());
        }
    }
}
