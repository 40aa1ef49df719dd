/**
 * Prometheus metrics of allocator snapshots.
 *
 * <h2>Shape</h2>
 * <pre>
 *   AllocatorSnapshot ──▶ Exposition.build ──▶ List&lt;Exposition.Family&gt; ─┬─▶ TslabCollector (client_java snapshots)
 *        (one per          (labels, cap,            (sorted samples)        └─▶ TextFormat (text 0.0.4, no client_java)
 *        allocator)         sorting)
 * </pre>
 * {@code Families} is the only place that names a metric: name, type, unit, help, labels, the value
 * it takes from a snapshot, and the PromQL example that {@code docs/metrics.md} shows. Both outputs
 * consume the same {@code Exposition}, so they cannot disagree; a test checks that the text writer
 * and client_java's own writer produce the same bytes.
 *
 * <h2>Rules the catalogue follows</h2>
 * <ul>
 *   <li>Prefix {@code temporal_slab_}; base units at the end of the name ({@code _bytes},
 *       {@code _seconds}, {@code _ratio} for 0..1); nanoseconds become seconds.</li>
 *   <li>{@code _total} only on counters (client_java appends it; the text writer does the same).</li>
 *   <li>Class families carry {@code {allocator, class, object_size}}, epoch families
 *       {@code {allocator, epoch, label}} with one series per ring slot. The era is a value
 *       ({@code temporal_slab_epoch_era}), never a label: it grows without bound.</li>
 *   <li>Epoch labels are capped per allocator ({@code EpochLabelCap}): the first
 *       N distinct labels are exported as they are, later ones as {@code other}, and every epoch era
 *       folded that way is counted in {@code temporal_slab_label_overflow_total}.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * A collector or writer may be scraped from several threads at once; the only mutable state is the
 * label cap, whose updates happen under its monitor. Snapshots are immutable.
 */
package io.tslab.prometheus;
