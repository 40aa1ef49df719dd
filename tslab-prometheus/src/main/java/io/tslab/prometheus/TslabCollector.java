package io.tslab.prometheus;

import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricFamilyDescriptor;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A client_java 1.x {@link MultiCollector} exposing allocators: each scrape takes one snapshot per
 * allocator and turns it into the metric families listed in {@code docs/metrics.md}.
 *
 * <pre>{@code
 * PrometheusRegistry.defaultRegistry.register(TslabCollector.of(allocator));
 * }</pre>
 *
 * <p>The collector holds its allocators strongly. A closed allocator is skipped (its series
 * disappear); a snapshot source that throws fails only that scrape. The epoch-label cap lives in the
 * collector: labels admitted once stay admitted, and {@code temporal_slab_label_overflow_total}
 * counts across scrapes. Register one collector per registry: two would expose the same names.
 */
public final class TslabCollector implements MultiCollector {
    private final List<SlabAllocator> allocators;
    private final Supplier<? extends List<AllocatorSnapshot>> source;
    private final Map<String, String> constantLabels;
    private final EpochLabelCap cap;

    private TslabCollector(Builder builder) {
        this.allocators = List.copyOf(builder.allocators);
        this.source = builder.source;
        this.constantLabels = Map.copyOf(builder.constantLabels);
        this.cap = new EpochLabelCap(builder.labelLimit);
        Exposition.checkTargetLabels(List.of(new PrometheusText.Target(constantLabels, List.of())));
    }

    /** A collector of {@code allocators} with the default settings. */
    public static TslabCollector of(SlabAllocator... allocators) {
        Builder builder = builder();
        for (SlabAllocator allocator : allocators) {
            builder.allocator(allocator);
        }
        return builder.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a collector. */
    public static final class Builder {
        private final List<SlabAllocator> allocators = new ArrayList<>();
        private Supplier<? extends List<AllocatorSnapshot>> source = List::of;
        private final Map<String, String> constantLabels = new LinkedHashMap<>();
        private int labelLimit = EpochLabelCap.DEFAULT_LIMIT;

        private Builder() {
        }

        /** Adds an allocator, snapshotted at each scrape. */
        public Builder allocator(SlabAllocator allocator) {
            allocators.add(Objects.requireNonNull(allocator, "allocator"));
            return this;
        }

        /** Snapshots obtained elsewhere (another process's stats file, a JSON document), added after the allocators'. */
        public Builder snapshots(Supplier<? extends List<AllocatorSnapshot>> source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /** A label on every series (for example {@code instance_role}); not one of the exporter's own labels. */
        public Builder constantLabel(String name, String value) {
            constantLabels.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Distinct epoch labels per allocator exported as they are (default 64); later ones become {@code other}. */
        public Builder labelLimit(int labelLimit) {
            this.labelLimit = EpochLabelCap.checkLimit(labelLimit);
            return this;
        }

        /**
         * @throws IllegalArgumentException when a constant label name is invalid or used by the exporter
         */
        public TslabCollector build() {
            return new TslabCollector(this);
        }
    }

    @Override
    public MetricSnapshots collect() {
        List<AllocatorSnapshot> snapshots = new ArrayList<>();
        for (SlabAllocator allocator : allocators) {
            try {
                snapshots.add(allocator.snapshot());
            } catch (IllegalStateException closed) {
                // closed since registration: its series go away
            }
        }
        snapshots.addAll(source.get());
        List<Exposition.Family> families = Exposition.build(
                List.of(new PrometheusText.Target(constantLabels, snapshots)), cap);
        List<MetricSnapshot> out = new ArrayList<>(families.size());
        for (Exposition.Family family : families) {
            out.add(toSnapshot(family));
        }
        return new MetricSnapshots(out);
    }

    private static MetricSnapshot toSnapshot(Exposition.Family family) {
        MetricFamily metric = family.metric();
        String[] names = family.labelNames().toArray(String[]::new);
        Unit unit = metric.unit() == null ? null : new Unit(metric.unit());
        return switch (metric.kind()) {
            case COUNTER -> {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(metric.name()).help(metric.help()).unit(unit);
                for (Exposition.Sample s : family.samples()) {
                    b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(Labels.of(names, s.labelValues().toArray(String[]::new))).value(s.value()).build());
                }
                yield b.build();
            }
            case GAUGE -> {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(metric.name()).help(metric.help()).unit(unit);
                for (Exposition.Sample s : family.samples()) {
                    b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(Labels.of(names, s.labelValues().toArray(String[]::new))).value(s.value()).build());
                }
                yield b.build();
            }
            case INFO -> {
                InfoSnapshot.Builder b = InfoSnapshot.builder().name(metric.name()).help(metric.help());
                for (Exposition.Sample s : family.samples()) {
                    b.dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
                            .labels(Labels.of(names, s.labelValues().toArray(String[]::new))).build());
                }
                yield b.build();
            }
        };
    }

    /**
     * Every family this collector can expose, with its type, metadata and labels, so that a registry
     * can refuse a second collector exposing the same names.
     */
    @Override
    public List<MetricFamilyDescriptor> getMetricFamilyDescriptors() {
        List<MetricFamilyDescriptor> out = new ArrayList<>(Families.SORTED.size());
        for (MetricFamily family : Families.SORTED) {
            MetricType type = switch (family.kind()) {
                case COUNTER -> MetricType.COUNTER;
                case GAUGE -> MetricType.GAUGE;
                case INFO -> MetricType.INFO;
            };
            Set<String> names = new TreeSet<>(family.labelNames());
            names.addAll(constantLabels.keySet());
            out.add(MetricFamilyDescriptor.of(type, metadata(family), names));
        }
        return out;
    }

    private static MetricMetadata metadata(MetricFamily family) {
        return new MetricMetadata(family.name(), family.help(), family.unit() == null ? null : new Unit(family.unit()));
    }

    /** The label cap of this collector. */
    public int labelLimit() {
        return cap.limit();
    }
}
