package io.tslab.prometheus;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.tslab.SlabAllocator;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The collector over live allocators. */
class CollectorTest {
    private static double gauge(MetricSnapshots snapshots, String name) {
        for (MetricSnapshot s : snapshots) {
            if (s.getMetadata().getName().equals(name)) {
                return ((GaugeSnapshot) s).getDataPoints().getFirst().getValue();
            }
        }
        throw new AssertionError("no " + name);
    }

    @Test
    void eachScrapeTakesAFreshSnapshotAndAClosedAllocatorDisappears() {
        SlabAllocator a = Workloads.quietBuilder("live").build();
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(TslabCollector.of(a));
        assertEquals(0.0, gauge(registry.scrape(), "temporal_slab_live_objects"));
        long h = a.alloc(96);
        assertEquals(1.0, gauge(registry.scrape(), "temporal_slab_live_objects"));
        assertEquals(96.0, gauge(registry.scrape(), "temporal_slab_live_bytes"));
        a.free(h);
        assertEquals(0.0, gauge(registry.scrape(), "temporal_slab_live_objects"));
        a.close();
        assertEquals(0, registry.scrape().size(), "a closed allocator has no series");
    }

    @Test
    void theCollectorKeepsItsAllocatorsReachable() throws InterruptedException {
        PrometheusRegistry registry = new PrometheusRegistry();
        WeakReference<SlabAllocator> ref = registerAndForget(registry);
        for (int i = 0; i < 5 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        SlabAllocator a = ref.get();
        assertNotNull(a, "the registry's collector holds the allocator");
        try {
            assertTrue(registry.scrape().size() >= 40);
        } finally {
            a.close();
        }
    }

    private static WeakReference<SlabAllocator> registerAndForget(PrometheusRegistry registry) {
        SlabAllocator a = Workloads.quietBuilder("forgotten").build();
        registry.register(TslabCollector.of(a));
        return new WeakReference<>(a);
    }
}
