/**
 * Micrometer meters of an allocator.
 *
 * <h2>Shape</h2>
 * {@link io.tslab.micrometer.TslabMetrics} registers, for one allocator, a {@code FunctionCounter}
 * or {@code Gauge} per figure and per size class or ring slot ({@code Meters} lists them). Every
 * meter reads the same {@code SnapshotCache}, which takes a new snapshot only when the cached one is
 * older than the configured age (1 s by default): a registry publishing hundreds of meters costs one
 * snapshot, not one per meter.
 *
 * <h2>Names</h2>
 * Meter names are the Prometheus family names of {@code tslab-prometheus} with dots
 * ({@code temporal.slab.live.bytes}), with the base unit as the last word and as the meter's base
 * unit; Micrometer's Prometheus naming convention therefore gives back exactly the names of the
 * Prometheus module ({@code temporal_slab_live_bytes}, {@code temporal_slab_slow_path_hits_total}),
 * which a test checks. Tags are fixed at registration: {@code allocator}; {@code class} and
 * {@code object_size} on class meters; {@code epoch} on epoch meters. An epoch's label changes with
 * each era, so it is not a tag here (the Prometheus module, which builds series per scrape, has it).
 *
 * <h2>Reachability</h2>
 * Micrometer holds a function counter's state object weakly. The gauges hold the cache strongly,
 * and the cache holds the allocator, so while the meters are registered the allocator stays
 * reachable and every meter keeps reporting.
 */
package io.tslab.micrometer;
