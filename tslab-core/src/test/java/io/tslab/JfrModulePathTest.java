package io.tslab;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The JFR and JMX channels when {@code io.tslab} is a named module whose {@code internal.jfr} and
 * {@code internal.jmx} packages are not exported, as an application on the module path runs it (the
 * other tests run on the class path). A child JVM runs {@link #PROBE} with the module on its module
 * path; the probe also checks that an allocator's life, epoch closes included, does not start the
 * flight recorder when no recording runs.
 */
class JfrModulePathTest {
    private static final String PROBE = """
            import io.tslab.SlabAllocator;
            import io.tslab.internal.jfr.JfrChannel;
            import io.tslab.stats.LastEpochClose;
            import jdk.jfr.FlightRecorder;
            import jdk.jfr.consumer.RecordingStream;

            import javax.management.ObjectName;
            import javax.management.openmbean.CompositeData;
            import java.lang.management.ManagementFactory;
            import java.nio.file.Path;
            import java.time.Duration;
            import java.util.concurrent.CountDownLatch;
            import java.util.concurrent.TimeUnit;

            public class Probe {
                public static void main(String[] args) throws Exception {
                    try (SlabAllocator a = SlabAllocator.builder().name("module-probe").reserveBytes(16L << 20)
                            .epochs(4).build()) {
                        System.out.println("module=" + SlabAllocator.class.getModule().getName());
                        long[] handles = new long[100];
                        for (int i = 0; i < handles.length; i++) {
                            handles[i] = a.alloc(128);
                            a.segment(handles[i]).fill((byte) 1);
                        }
                        for (long h : handles) {
                            a.free(h);
                        }
                        a.advanceEpoch();
                        a.closeEpoch(0);
                        System.out.println("recorderInitialized=" + FlightRecorder.isInitialized());

                        ObjectName name = new ObjectName("io.tslab:type=Allocator,name="
                                + ObjectName.quote("module-probe"));
                        CompositeData global = (CompositeData) ManagementFactory.getPlatformMBeanServer()
                                .getAttribute(name, "Global");
                        System.out.println("jmxTotalAllocations=" + global.get("totalAllocations"));

                        CountDownLatch statistics = new CountDownLatch(1);
                        CountDownLatch close = new CountDownLatch(1);
                        try (RecordingStream stream = new RecordingStream()) {
                            stream.enable("io.tslab.AllocatorStatistics").withPeriod(Duration.ofMillis(100));
                            stream.enable("io.tslab.EpochClose");
                            stream.onEvent("io.tslab.AllocatorStatistics", e -> {
                                if ("module-probe".equals(e.getString("allocator"))) {
                                    statistics.countDown();
                                }
                            });
                            stream.onEvent("io.tslab.EpochClose", e -> {
                                if ("probe-label".equals(e.getString("label"))) {
                                    close.countDown();
                                }
                            });
                            stream.startAsync();
                            JfrChannel.epochClosed("module-probe", "probe-label",
                                    new LastEpochClose(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
                            boolean streamed = statistics.await(60, TimeUnit.SECONDS)
                                    && close.await(60, TimeUnit.SECONDS);
                            System.out.println("streamed=" + streamed);
                            stream.dump(Path.of(args[0]));
                        }
                    }
                    ObjectName any = new ObjectName("io.tslab:type=Allocator,*");
                    System.out.println("mbeansAfterClose="
                            + ManagementFactory.getPlatformMBeanServer().queryNames(any, null).size());
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void eventsAndMXBeanWorkWhenTheAllocatorIsANamedModule() throws Exception {
        Path classes = Path.of(SlabAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isRegularFile(classes.resolve("module-info.class")), "module descriptor in " + classes);
        Path probe = Files.writeString(dir.resolve("Probe.java"), PROBE);
        Path recording = dir.resolve("probe.jfr");
        Path output = dir.resolve("probe.out");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", classes.toString(), "--add-modules", "io.tslab",
                "--enable-native-access=io.tslab",
                "--add-exports", "io.tslab/io.tslab.internal.jfr=ALL-UNNAMED", // only for the probe's direct call
                "-Dtslab.statsFile=false", "-Xshare:auto",
                probe.toString(), recording.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail("the probe did not finish: " + Files.readString(output));
        }
        String out = Files.readString(output);
        assertEquals(0, child.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("module=io.tslab"), out);
        assertTrue(lines.contains("recorderInitialized=false"), "no recording, no flight recorder: " + out);
        assertTrue(lines.contains("jmxTotalAllocations=100"), out);
        assertTrue(lines.contains("streamed=true"), out);
        assertTrue(lines.contains("mbeansAfterClose=0"), out);
        assertFalse(out.contains("WARNING"), out);

        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("io.tslab.AllocatorStatistics")
                && e.getString("allocator").equals("module-probe") && e.getLong("totalAllocations") == 100),
                "statistics");
        List<RecordedEvent> closes = events.stream()
                .filter(e -> e.getEventType().getName().equals("io.tslab.EpochClose")
                        && "probe-label".equals(e.getString("label"))).toList();
        assertEquals(1, closes.size(), closes.toString());
        assertEquals(11, closes.getFirst().getDuration("closeDuration").toNanos());
        assertEquals(List.of("tslab"), closes.getFirst().getEventType().getCategoryNames());
    }
}
