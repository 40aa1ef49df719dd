package io.tslab.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tslab.EpochDomain;
import io.tslab.EpochState;
import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The binder on a {@link SimpleMeterRegistry}: meters against the snapshot, caching, reachability, removal. */
class TslabMetricsTest {
    static final Duration AN_HOUR = Duration.ofHours(1);

    static SlabAllocator.Builder quietBuilder(String name) {
        return SlabAllocator.builder().name(name).reserveBytes(64L << 20).epochs(4)
                .publishStatsFile(false).registerMXBean(false);
    }

    /** Labelled epochs, a leaked domain, a refused allocation, an invalid free and a close. */
    static void workload(SlabAllocator a) {
        a.setEpochLabel(0, "requests");
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long h = a.alloc(1 + (i * 53) % 768);
            if (i % 4 == 0) {
                kept.add(h);
            } else {
                a.free(h);
            }
        }
        EpochDomain leaky = a.newDomain("worker");
        leaky.enter();
        a.free(12345L);
        a.advanceEpoch();
        for (int i = 0; i < kept.size(); i += 2) {
            a.free(kept.get(i));
        }
        a.closeEpoch(0);
        a.alloc(64, 0);
        a.alloc(300);
    }

    private static double value(MeterRegistry registry, String name, String... tags) {
        Meter meter = registry.find(name).tags(tags).meter();
        assertNotNull(meter, name + " " + List.of(tags));
        return meter.measure().iterator().next().getValue();
    }

    @Test
    void metersAgreeWithTheSnapshot() {
        try (SlabAllocator a = quietBuilder("sessions").leakDetection(true).build()) {
            workload(a);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            TslabMetrics metrics = new TslabMetrics(a, Tags.of("app", "demo"), AN_HOUR);
            metrics.bindTo(registry);
            AllocatorSnapshot s = metrics.currentSnapshot();

            int expectedMeters = Meters.GLOBAL.size() + s.global().allocRefusedByReason().size()
                    + s.global().invalidFreesByReason().size() + s.classes().size() * Meters.CLASS.size()
                    + s.epochs().size() * (Meters.EPOCH.size() + EpochState.values().length);
            assertEquals(expectedMeters, registry.getMeters().size());
            assertTrue(expectedMeters > 300, "global, class and epoch meters: " + expectedMeters);

            String[] alloc = {"allocator", "sessions", "app", "demo"};
            assertEquals(s.global().liveBytes(), value(registry, "temporal.slab.live.bytes", alloc));
            assertEquals(s.global().liveObjects(), value(registry, "temporal.slab.live.objects", alloc));
            assertEquals(s.global().totalSlowPathHits(), value(registry, "temporal.slab.slow.path.hits", alloc));
            assertEquals(s.global().totalMadviseBytes(), value(registry, "temporal.slab.madvise.bytes", alloc));
            assertEquals(s.global().netSlabs(), value(registry, "temporal.slab.net.slabs", alloc));
            assertEquals(s.global().rssBytesCurrent(), value(registry, "temporal.slab.rss.bytes", alloc));
            assertEquals(s.lastEpochClose().durationNs() / 1e9, value(registry, "temporal.slab.last.epoch.close.duration.seconds", alloc));
            assertEquals(1.0, value(registry, "temporal.slab.alloc.refused", "reason", "epoch_closed"));
            s.global().invalidFreesByReason().forEach((reason, n) ->
                    assertEquals((double) n, value(registry, "temporal.slab.invalid.frees", "reason", reason), reason));
            assertEquals(1.0, registry.find("temporal.slab.invalid.frees").functionCounters().stream()
                    .mapToDouble(FunctionCounter::count).sum(), "free(12345L), whatever its reason");
            for (ClassStats c : s.classes()) {
                String[] t = {"allocator", "sessions", "class", Integer.toString(c.classIndex()),
                        "object_size", Integer.toString(c.objectSize())};
                assertEquals(c.slowPathHits(), value(registry, "temporal.slab.class.slow.path.hits", t));
                assertEquals(c.liveBytes(), value(registry, "temporal.slab.class.live.bytes", t));
                assertEquals(c.epochCloseTotalNs() / 1e9, value(registry, "temporal.slab.class.epoch.close.seconds", t));
                assertEquals(c.recycleRatePct() / 100, value(registry, "temporal.slab.class.recycle.ratio", t));
                assertEquals(c.cacheCapacity(), value(registry, "temporal.slab.class.cache.capacity", t));
            }
            for (EpochStats e : s.epochs()) {
                String[] t = {"allocator", "sessions", "epoch", Integer.toString(e.epochId())};
                assertEquals(e.ageSec(), value(registry, "temporal.slab.epoch.age.seconds", t));
                assertEquals(e.refcount(), value(registry, "temporal.slab.epoch.refcount", t));
                assertEquals(e.allocCount(), value(registry, "temporal.slab.epoch.live.objects", t));
                assertEquals(e.epochEra(), value(registry, "temporal.slab.epoch.era", t));
                assertEquals(e.estimatedRssBytes(), value(registry, "temporal.slab.epoch.estimated.rss.bytes", t));
                assertEquals(e.state() == EpochState.CLOSING ? 1.0 : 0.0,
                        value(registry, "temporal.slab.epoch.state", "epoch", Integer.toString(e.epochId()), "state", "CLOSING"));
            }
            assertEquals(1.0, value(registry, "temporal.slab.epoch.refcount", "epoch", "0"), "the leaked domain");

            assertInstanceOf(FunctionCounter.class, registry.find("temporal.slab.slow.path.hits").meter());
            assertInstanceOf(Gauge.class, registry.find("temporal.slab.live.bytes").meter());
            assertEquals("bytes", registry.find("temporal.slab.live.bytes").meter().getId().getBaseUnit());
            assertEquals("bytes", registry.find("temporal.slab.madvise.bytes").meter().getId().getBaseUnit());
            assertEquals("seconds", registry.find("temporal.slab.epoch.age.seconds").meter().getId().getBaseUnit());
            assertEquals("objects", registry.find("temporal.slab.live.objects").meter().getId().getBaseUnit());
            assertEquals(null, registry.find("temporal.slab.slow.path.hits").meter().getId().getBaseUnit());
            for (Meter m : registry.getMeters()) {
                assertEquals("demo", m.getId().getTag("app"), m.getId().toString());
                assertEquals("sessions", m.getId().getTag("allocator"), m.getId().toString());
                assertFalse(m.getId().getName().endsWith(".total"), m.getId().toString());
            }
        }
    }

    @Test
    void aScrapeOfEveryMeterTakesOneSnapshot() {
        AtomicLong now = new AtomicLong();
        try (SlabAllocator a = quietBuilder("cached").build()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            TslabMetrics metrics = new TslabMetrics(a, Tags.empty(), Duration.ofSeconds(1), now::get);
            metrics.bindTo(registry);
            assertEquals(1, metrics.snapshotsTaken(), "the snapshot of bindTo");
            readAll(registry);
            assertEquals(1, metrics.snapshotsTaken());
            long h = a.alloc(64);
            now.addAndGet(999_000_000L);
            readAll(registry);
            assertEquals(1, metrics.snapshotsTaken(), "younger than a second: cached");
            assertEquals(0.0, value(registry, "temporal.slab.live.objects"));
            now.addAndGet(1_000_000L);
            readAll(registry);
            assertEquals(2, metrics.snapshotsTaken(), "one refresh for " + registry.getMeters().size() + " meters");
            assertEquals(1.0, value(registry, "temporal.slab.live.objects"));
            a.free(h);
        }
    }

    private static void readAll(MeterRegistry registry) {
        for (Meter m : registry.getMeters()) {
            m.measure().forEach(x -> assertFalse(Double.isNaN(x.getValue()), m.getId().toString()));
        }
    }

    @Test
    void theMetersKeepTheAllocatorReachable() throws InterruptedException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WeakReference<SlabAllocator> ref = bindAndForget(registry);
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        SlabAllocator a = ref.get();
        assertNotNull(a, "the registry's meters hold the allocator");
        try {
            a.alloc(64);
            assertEquals(1.0, value(registry, "temporal.slab.allocations"), "the weakly held counter still reads");
        } finally {
            a.close();
        }
    }

    private static WeakReference<SlabAllocator> bindAndForget(MeterRegistry registry) {
        SlabAllocator a = quietBuilder("forgotten").build();
        new TslabMetrics(a, Tags.empty(), Duration.ZERO).bindTo(registry);
        return new WeakReference<>(a);
    }

    @Test
    void afterCloseTheMetersKeepTheLastValuesAndCloseRemovesThem() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SlabAllocator a = quietBuilder("closing").build();
        TslabMetrics metrics = new TslabMetrics(a, Tags.empty(), Duration.ZERO);
        metrics.bindTo(registry);
        a.alloc(64);
        a.alloc(64);
        assertEquals(2.0, value(registry, "temporal.slab.allocations"));
        a.close();
        assertEquals(2.0, value(registry, "temporal.slab.allocations"), "the last snapshot stays");
        assertEquals(2.0, value(registry, "temporal.slab.live.objects"));
        metrics.close();
        assertEquals(List.of(), registry.getMeters());
        assertThrows(IllegalStateException.class, () -> new TslabMetrics(a).bindTo(new SimpleMeterRegistry()));
    }

    @Test
    void tagsOfTheBinderItselfAreRefused() {
        try (SlabAllocator a = quietBuilder("tags").build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TslabMetrics(a, List.of(Tag.of("epoch", "1"))));
            assertTrue(e.getMessage().startsWith("tag: epoch (expected: none of"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new TslabMetrics(a, Tags.empty(), Duration.ofSeconds(-1)));
        }
    }
}
