package io.tslab.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.tslab.EpochState;
import io.tslab.SlabAllocator;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of one allocator: {@code FunctionCounter}s for its counters and {@code Gauge}s
 * for its state, globally, per size class and per ring slot, in base units.
 *
 * <pre>{@code
 * new TslabMetrics(allocator).bindTo(registry);
 * }</pre>
 *
 * <p>With Micrometer's Prometheus registry the meters come out under the names of
 * {@code tslab-prometheus} ({@code temporal_slab_live_bytes},
 * {@code temporal_slab_class_slow_path_hits_total{allocator, class, object_size}},
 * {@code temporal_slab_epoch_age_seconds{allocator, epoch}}); {@code docs/metrics.md} lists them.
 *
 * <p>All meters read one cached snapshot, refreshed when it is older than {@code maxSnapshotAge}
 * (default {@value #DEFAULT_MAX_SNAPSHOT_AGE_MILLIS} ms), so a scrape costs one snapshot. The
 * meters keep the allocator strongly reachable while they are registered. After the allocator is
 * closed they report the last snapshot taken; {@link #close()} removes them from every registry this
 * binder was bound to.
 */
public final class TslabMetrics implements MeterBinder, AutoCloseable {
    /** Default maximum age of the snapshot the meters read, in milliseconds. */
    public static final long DEFAULT_MAX_SNAPSHOT_AGE_MILLIS = 1000;

    private static final Set<String> OWN_TAGS = Set.of("allocator", "class", "object_size", "epoch", "state", "reason");

    private final SnapshotCache cache;
    private final Tags tags;
    /** Guarded by {@code this}. */
    private final List<Bound> bound = new ArrayList<>();

    private record Bound(MeterRegistry registry, Meter meter) {
    }

    /** Meters of {@code allocator}, tagged {@code allocator=<its name>}. */
    public TslabMetrics(SlabAllocator allocator) {
        this(allocator, Tags.empty());
    }

    /** Meters of {@code allocator} with {@code tags} added to every meter. */
    public TslabMetrics(SlabAllocator allocator, Iterable<Tag> tags) {
        this(allocator, tags, Duration.ofMillis(DEFAULT_MAX_SNAPSHOT_AGE_MILLIS));
    }

    /**
     * Meters of {@code allocator} with {@code tags} added to every meter, reading a snapshot at most
     * {@code maxSnapshotAge} old.
     *
     * @throws IllegalArgumentException when a tag key is one of the binder's own, or the age is negative
     */
    public TslabMetrics(SlabAllocator allocator, Iterable<Tag> tags, Duration maxSnapshotAge) {
        this(allocator, tags, maxSnapshotAge, System::nanoTime);
    }

    TslabMetrics(SlabAllocator allocator, Iterable<Tag> tags, Duration maxSnapshotAge, LongSupplier nanoClock) {
        Objects.requireNonNull(allocator, "allocator");
        Objects.requireNonNull(maxSnapshotAge, "maxSnapshotAge");
        if (maxSnapshotAge.isNegative()) {
            throw new IllegalArgumentException("maxSnapshotAge: " + maxSnapshotAge + " (expected: >= 0)");
        }
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
        for (Tag tag : this.tags) {
            if (OWN_TAGS.contains(tag.getKey())) {
                throw new IllegalArgumentException("tag: " + tag.getKey() + " (expected: none of " + OWN_TAGS + ")");
            }
        }
        this.cache = new SnapshotCache(allocator, saturatedNanos(maxSnapshotAge), nanoClock);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Registers the meters. The allocator's name, size classes, ring slots and refusal reasons are
     * read from a snapshot taken now.
     *
     * @throws IllegalStateException when the allocator is already closed
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        AllocatorSnapshot first = cache.get();
        if (first == null) {
            throw new IllegalStateException("allocator " + cache.allocator().name() + " is closed");
        }
        Tags base = tags.and("allocator", first.allocator());
        for (Meters.Spec<AllocatorSnapshot> spec : Meters.GLOBAL) {
            register(registry, spec, base, s -> s);
        }
        for (String reason : first.global().allocRefusedByReason().keySet()) {
            register(registry, new Meters.Spec<>(Meters.ALLOC_REFUSED, true,
                    "Allocations that returned 0, by reason.", (Map<String, Long> m) -> m.getOrDefault(reason, 0L)),
                    base.and("reason", reason), s -> s.global().allocRefusedByReason());
        }
        for (String reason : first.global().invalidFreesByReason().keySet()) {
            register(registry, new Meters.Spec<>(Meters.INVALID_FREES, true,
                    "Frees that returned false, by reason.", (Map<String, Long> m) -> m.getOrDefault(reason, 0L)),
                    base.and("reason", reason), s -> s.global().invalidFreesByReason());
        }
        for (int i = 0; i < first.classes().size(); i++) {
            ClassStats c = first.classes().get(i);
            int position = i;
            Tags classTags = base.and("class", Integer.toString(c.classIndex()), "object_size", Integer.toString(c.objectSize()));
            for (Meters.Spec<ClassStats> spec : Meters.CLASS) {
                register(registry, spec, classTags, s -> s.classes().get(position));
            }
        }
        for (int i = 0; i < first.epochs().size(); i++) {
            EpochStats e = first.epochs().get(i);
            int position = i;
            Tags epochTags = base.and("epoch", Integer.toString(e.epochId()));
            for (Meters.Spec<EpochStats> spec : Meters.EPOCH) {
                register(registry, spec, epochTags, s -> s.epochs().get(position));
            }
            for (EpochState state : EpochState.values()) {
                register(registry, new Meters.Spec<>(Meters.EPOCH_STATE, false,
                        "1 for the slot's state, 0 for the other.", (EpochStats x) -> x.state() == state ? 1 : 0),
                        epochTags.and("state", state.name()), s -> s.epochs().get(position));
            }
        }
    }

    private <T> void register(MeterRegistry registry, Meters.Spec<T> spec, Tags meterTags,
                              Function<AllocatorSnapshot, T> part) {
        ToDoubleFunction<SnapshotCache> read = c -> {
            AllocatorSnapshot s = c.get();
            return s == null ? Double.NaN : spec.value().applyAsDouble(part.apply(s));
        };
        Meter meter;
        if (spec.counter()) {
            // held weakly by Micrometer; the gauges below hold the same cache strongly
            meter = FunctionCounter.builder(spec.meterName(), cache, read).tags(meterTags)
                    .description(spec.description()).baseUnit(spec.baseUnit()).register(registry);
        } else {
            meter = Gauge.builder(spec.meterName(), cache, read).tags(meterTags).description(spec.description())
                    .baseUnit(spec.baseUnit()).strongReference(true).register(registry);
        }
        synchronized (this) {
            bound.add(new Bound(registry, meter));
        }
    }

    /** Removes every meter this binder registered, from every registry it was bound to. */
    @Override
    public void close() {
        List<Bound> meters;
        synchronized (this) {
            meters = List.copyOf(bound);
            bound.clear();
        }
        for (Bound b : meters) {
            b.registry().remove(b.meter());
        }
    }

    /** The snapshot the meters read now (for tests). */
    AllocatorSnapshot currentSnapshot() {
        return cache.get();
    }

    /** Snapshots taken so far (for tests). */
    long snapshotsTaken() {
        return cache.snapshotsTaken();
    }
}
