package io.tslab.prometheus;

import io.tslab.stats.AllocatorSnapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes allocator snapshots in the Prometheus text exposition format (version 0.0.4), with no
 * dependency on client_java: what {@code tslab export prometheus} prints and {@code tslab serve}
 * answers on {@code /metrics}. The output is byte for byte what {@link TslabCollector} gives through
 * client_java's {@code PrometheusTextFormatWriter}.
 *
 * <pre>{@code
 * PrometheusText.write(List.of(snapshot), Map.of("pid", "4242"), System.out);
 *
 * // a server answering scrapes: keep one instance, so the label cap and its overflow count persist
 * PrometheusText text = PrometheusText.withLabelLimit(64);
 * text.render(List.of(new PrometheusText.Target(Map.of("pid", "4242"), snapshots)), writer);
 * }</pre>
 *
 * <p>Every series carries {@code allocator} (made unique within a target by appending {@code #2},
 * {@code #3}, ... to repeated names) and the target's labels. Thread-safe.
 */
public final class PrometheusText {
    /** The {@code Content-Type} of the output. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Default distinct epoch labels per allocator before further ones are exported as {@code other}. */
    public static final int DEFAULT_LABEL_LIMIT = EpochLabelCap.DEFAULT_LIMIT;

    private final EpochLabelCap cap;

    private PrometheusText(int labelLimit) {
        this.cap = new EpochLabelCap(labelLimit);
    }

    /**
     * Snapshots of one target with the labels its series carry.
     *
     * @param labels    extra labels on every series of the target (for example {@code pid}); names
     *                  must be valid Prometheus label names not used by the exporter itself, and the
     *                  same for every target of one exposition
     * @param snapshots one snapshot per allocator of the target
     */
    public record Target(Map<String, String> labels, List<AllocatorSnapshot> snapshots) {
        public Target {
            labels = Map.copyOf(labels);
            snapshots = List.copyOf(snapshots);
        }
    }

    /**
     * A writer that keeps its label cap between calls, so that labels admitted once stay admitted
     * and {@code temporal_slab_label_overflow_total} is monotonic across scrapes.
     *
     * @param labelLimit distinct epoch labels per allocator exported as they are, 0..100000
     */
    public static PrometheusText withLabelLimit(int labelLimit) {
        return new PrometheusText(labelLimit);
    }

    /**
     * Writes {@code snapshots} with {@code extraLabels} on every series, using a fresh label cap of
     * {@value #DEFAULT_LABEL_LIMIT} (so the overflow counter starts at 0, as in a new process).
     *
     * @throws IllegalArgumentException when an extra label name is invalid or used by the exporter
     */
    public static void write(List<AllocatorSnapshot> snapshots, Map<String, String> extraLabels, Appendable out)
            throws IOException {
        withLabelLimit(DEFAULT_LABEL_LIMIT).render(List.of(new Target(extraLabels, snapshots)), out);
    }

    /** Writes several targets into one exposition, using a fresh label cap of {@value #DEFAULT_LABEL_LIMIT}. */
    public static void write(List<Target> targets, Appendable out) throws IOException {
        withLabelLimit(DEFAULT_LABEL_LIMIT).render(targets, out);
    }

    /** The exposition of {@code snapshots} as a string; see {@link #write(List, Map, Appendable)}. */
    public static String toText(List<AllocatorSnapshot> snapshots, Map<String, String> extraLabels) {
        StringBuilder out = new StringBuilder(64 * 1024);
        try {
            write(snapshots, extraLabels, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringBuilder does not throw
        }
        return out.toString();
    }

    /**
     * Writes {@code targets} into one exposition with this writer's label cap.
     *
     * @throws IllegalArgumentException when target label names are invalid, used by the exporter, or
     *                                  differ between targets
     */
    public void render(List<Target> targets, Appendable out) throws IOException {
        Objects.requireNonNull(out, "out");
        TextFormat.write(Exposition.build(List.copyOf(targets), cap), out);
    }

    /** The label cap of this writer. */
    public int labelLimit() {
        return cap.limit();
    }
}
