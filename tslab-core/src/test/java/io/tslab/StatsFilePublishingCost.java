package io.tslab;

import io.tslab.internal.statsfile.StatsFileChannel;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileContents;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures what publishing the stats file costs: the CPU time of the publisher thread per second of
 * wall time, with four allocators of about 10 000 slabs each (16 epochs, every size class), at the
 * interval given by {@code -Dtslab.statsFile.intervalMs} (default 1000 ms). Not a test: run it by hand.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp tslab-core/target/classes:tslab-core/target/test-classes \
 *      io.tslab.StatsFilePublishingCost [seconds=60] [allocators=4] [slabsEach=10000] [warmUpSeconds=20]
 * </pre>
 */
public final class StatsFilePublishingCost {
    private StatsFilePublishingCost() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int allocators = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int slabsEach = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int warmUpSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;

        List<SlabAllocator> open = new ArrayList<>();
        for (int a = 0; a < allocators; a++) {
            SlabAllocator s = SlabAllocator.builder().name("cost-" + a).reserveBytes(1L << 30).epochs(16).build();
            open.add(s);
            fill(s, slabsEach);
        }
        AllocatorSnapshot sample = open.getFirst().snapshot();
        long slabs = sample.global().netSlabs();

        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Thread publisher = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(StatsFileChannel.THREAD_NAME)).findFirst().orElseThrow();
        long pid = ProcessHandle.current().pid();
        Thread.sleep(warmUpSeconds * 1000L); // the publisher runs once a second: let the JIT reach its code

        StatsFileContents before = StatsFile.read(pid);
        long cpu0 = mx.getThreadCpuTime(publisher.threadId());
        long wall0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long cpu1 = mx.getThreadCpuTime(publisher.threadId());
        long wall1 = System.nanoTime();
        StatsFileContents after = StatsFile.read(pid);

        long publications = (after.sequence() - before.sequence()) / 2;
        double cpuMs = (cpu1 - cpu0) / 1e6;
        double wallS = (wall1 - wall0) / 1e9;
        long snapshotStart = System.nanoTime();
        int rounds = 20;
        for (int i = 0; i < rounds; i++) {
            open.getFirst().snapshot();
        }
        double snapshotMs = (System.nanoTime() - snapshotStart) / 1e6 / rounds;
        long jsonStart = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            sample.toJson();
        }
        double jsonMs = (System.nanoTime() - jsonStart) / 1e6 / rounds;

        System.out.printf(Locale.ROOT, "machine: %d CPUs, load average %.1f, %s %s%n",
                Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "allocators: %d x %d slabs (net_slabs of the first: %d), %d epochs%n",
                allocators, slabsEach, slabs, sample.epochCount());
        System.out.printf(Locale.ROOT, "interval: %d ms; file %s, %d bytes, payload per allocator %d bytes%n",
                after.publishInterval().toMillis(), after.file(), Files.size(after.file()),
                sample.toJson().length());
        System.out.printf(Locale.ROOT, "publications: %d in %.1f s%n", publications, wallS);
        System.out.printf(Locale.ROOT, "publisher CPU: %.1f ms in %.1f s = %.3f%% of one core; %.2f ms per publication%n",
                cpuMs, wallS, 100 * cpuMs / 1000 / wallS, publications == 0 ? 0 : cpuMs / publications);
        System.out.printf(Locale.ROOT, "of which, per allocator: snapshot() %.3f ms, toJson() %.3f ms (measured apart)%n",
                snapshotMs, jsonMs);
        open.forEach(SlabAllocator::close);
    }

    /** About {@code slabs} slabs: objects of every class in every epoch, half of them freed again. */
    private static void fill(SlabAllocator a, int slabs) {
        int[] sizes = {64, 96, 128, 192, 256, 384, 512, 768};
        int[] slots = {64, 42, 32, 21, 16, 10, 8, 5};
        int perEpoch = slabs / 16;
        for (int e = 0; e < 16; e++) {
            for (int c = 0; c < sizes.length; c++) {
                int objects = perEpoch / sizes.length * slots[c];
                for (int i = 0; i < objects; i++) {
                    long h = a.alloc(sizes[c]);
                    if (i % 2 == 1 && h != 0 && i % 7 == 0) {
                        a.free(h);
                    }
                }
            }
            a.setEpochLabel(a.currentEpoch(), "epoch-" + e);
            if (e < 15) {
                a.advanceEpoch();
            }
        }
    }
}
