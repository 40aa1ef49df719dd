package io.tslab.prometheus;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One metric family of the catalogue: everything both outputs and the documentation need.
 *
 * @param name         the name without the {@code _total} (counter) or {@code _info} (info) suffix
 *                     the exposition appends, as client_java's {@code MetricMetadata} wants it
 * @param kind         counter, gauge or info
 * @param help         the {@code # HELP} text: one line, what the value means
 * @param scope        which snapshot part the family walks, and so its leading labels
 * @param ownLabels    labels of this family beyond the scope's ({@code reason}, {@code state}, ...)
 * @param example      a PromQL expression a user would write with the family (shown in the docs)
 * @param sampler      produces the family's samples for one allocator
 */
record MetricFamily(String name, Kind kind, String help, Scope scope, List<String> ownLabels, String example,
                    Sampler sampler) {

    private static final Pattern NAME = Pattern.compile("temporal_slab(_[a-z0-9]+)*");

    MetricFamily {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(sampler, "sampler");
        ownLabels = List.copyOf(ownLabels);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: " + name + " (expected: temporal_slab_[a-z0-9_]+)");
        }
        if (name.endsWith("_total") || name.endsWith("_info") || name.endsWith("_count") || name.endsWith("_sum")
                || name.endsWith("_bucket") || name.endsWith("_created")) {
            throw new IllegalArgumentException("name: " + name + " (expected: no reserved suffix; the exposition adds them)");
        }
        if (help.isBlank() || help.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("help of " + name + ": (expected: one non-blank line)");
        }
    }

    /** Counter, gauge, or info (a gauge of value 1 whose labels carry the data). */
    enum Kind {
        COUNTER("counter", "_total"),
        GAUGE("gauge", ""),
        INFO("gauge", "_info");

        /** The {@code # TYPE} word in the text format 0.0.4 (which has no info type). */
        final String textType;
        /** What the exposition appends to the family name. */
        final String suffix;

        Kind(String textType, String suffix) {
            this.textType = textType;
            this.suffix = suffix;
        }
    }

    /** The part of a snapshot a family walks, with the labels that identify one of its series. */
    enum Scope {
        /** One series per allocator. */
        ALLOCATOR(List.of("allocator")),
        /** One series per size class. */
        CLASS(List.of("allocator", "class", "object_size")),
        /** One series per ring slot. */
        EPOCH(List.of("allocator", "epoch", "label")),
        /** One series per (class, slot) holding slabs. */
        CLASS_EPOCH(List.of("allocator", "class", "object_size", "epoch", "label"));

        final List<String> labels;

        Scope(List<String> labels) {
            this.labels = labels;
        }
    }

    /** Produces a family's samples for one allocator. */
    @FunctionalInterface
    interface Sampler {
        void sample(AllocatorView view, Sink sink);
    }

    /** Receives samples: the value, then one label value per {@link #labelNames()} entry, in that order. */
    @FunctionalInterface
    interface Sink {
        void add(double value, String... labelValues);
    }

    /** The name as exposed: with {@code _total} on counters and {@code _info} on info families. */
    String exposedName() {
        return name + kind.suffix;
    }

    /** The family's labels in declaration order: the scope's, then its own. */
    List<String> labelNames() {
        List<String> names = new ArrayList<>(scope.labels);
        names.addAll(ownLabels);
        return names;
    }

    /** {@code bytes}, {@code seconds} or {@code ratio} when the name ends with that base unit, else null. */
    String unit() {
        for (String unit : new String[] {"bytes", "seconds", "ratio"}) {
            if (name.endsWith("_" + unit)) {
                return unit;
            }
        }
        return null;
    }
}
