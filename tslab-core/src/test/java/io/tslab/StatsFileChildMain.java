package io.tslab;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The other process of the cross-process stats file tests ({@link StatsFileCrossProcessTest}). Modes:
 * <ul>
 *   <li>{@code read <pid> <allocator>}: reads {@code pid}'s stats file once and prints {@code
 *       SEQUENCE}, {@code AGE_MS} and {@code JSON <base64 of the allocator's snapshot, re-serialised>}.</li>
 *   <li>{@code target <allocator> <objects>}: opens an allocator, allocates {@code objects} objects,
 *       prints {@code READY <live objects>} and waits (at most 60 s) for stdin to close or a signal.</li>
 *   <li>{@code allocate <count>}: opens {@code count} allocators, allocates and frees in each, prints
 *       {@code OK <live objects>} once the stats file channel has given up (at most 20 s), and exits
 *       normally (for the unwritable-directory test).</li>
 * </ul>
 * Output lines are flushed at once; errors go to stderr with exit code 3.
 */
public final class StatsFileChildMain {
    private StatsFileChildMain() {
    }

    public static void main(String[] args) throws Exception {
        try {
            switch (args[0]) {
                case "read" -> read(Long.parseLong(args[1]), args[2]);
                case "target" -> target(args[1], Integer.parseInt(args[2]));
                case "allocate" -> allocate(Integer.parseInt(args[1]));
                default -> throw new IllegalArgumentException("mode: " + args[0]);
            }
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(3);
        }
    }

    private static void read(long pid, String allocator) {
        StatsFileContents c = StatsFile.read(pid);
        AllocatorSnapshot s = c.allocator(allocator).orElseThrow(
                () -> new IllegalStateException(allocator + " not in " + c.allocatorNames()));
        System.out.println("SEQUENCE " + c.sequence());
        System.out.println("AGE_MS " + c.heartbeatAge().toMillis());
        System.out.println("JSON " + Base64.getEncoder().encodeToString(s.toJson().getBytes(StandardCharsets.UTF_8)));
        System.out.flush();
    }

    private static void target(String name, int objects) throws Exception {
        SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(64L << 20).epochs(4).build();
        for (int i = 0; i < objects; i++) {
            a.alloc(1 + (i * 37) % 768);
        }
        a.setEpochLabel(a.currentEpoch(), "child-target");
        System.out.println("READY " + a.snapshot().global().liveObjects());
        System.out.flush();
        Thread stdinWatch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent never writes; EOF means it closed our stdin: time to go
                }
            } catch (java.io.IOException e) {
                // same
            }
            System.exit(0);
        });
        stdinWatch.setDaemon(true);
        stdinWatch.start();
        Thread.sleep(60_000); // never outlive a crashed test for long
        System.exit(0);
    }

    private static void allocate(int count) throws InterruptedException {
        List<SlabAllocator> open = new ArrayList<>();
        long live = 0;
        for (int i = 0; i < count; i++) {
            SlabAllocator a = SlabAllocator.builder().name("unwritable-" + i).reserveBytes(16L << 20).build();
            open.add(a);
            for (int k = 0; k < 500; k++) {
                long h = a.alloc(64 + k % 700);
                if (h == 0) {
                    throw new IllegalStateException("allocation refused");
                }
                if (k % 2 == 0 && !a.free(h)) {
                    throw new IllegalStateException("free failed");
                }
            }
            live += a.snapshot().global().liveObjects();
        }
        long deadline = System.nanoTime() + 20_000_000_000L; // the publisher finds out on its first write
        while (!io.tslab.internal.statsfile.StatsFileChannel.isDisabled() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        System.out.println("OK " + live);
        System.out.flush();
        open.forEach(SlabAllocator::close);
    }
}
