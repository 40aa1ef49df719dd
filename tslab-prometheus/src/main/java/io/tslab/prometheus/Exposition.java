package io.tslab.prometheus;

import io.tslab.stats.AllocatorSnapshot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * One scrape: the samples of every family for a list of targets, in the order the exposition
 * writes them. Families are sorted by name and samples by label values, exactly as client_java's
 * {@code MetricSnapshots} and {@code Labels} order them, so the text writer and client_java's writer
 * produce the same bytes. Families without samples are left out (client_java skips them too).
 */
final class Exposition {
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private Exposition() {
    }

    /** A sample: label values in the order of its family's {@link Family#labelNames()}, and the value. */
    record Sample(List<String> labelValues, double value) {
    }

    /**
     * A family with its samples.
     *
     * @param labelNames the family's labels plus the target labels, sorted
     */
    record Family(MetricFamily metric, List<String> labelNames, List<Sample> samples) {
    }

    private static final Comparator<Sample> BY_LABEL_VALUES = (a, b) -> {
        List<String> x = a.labelValues();
        List<String> y = b.labelValues();
        for (int i = 0; i < x.size() && i < y.size(); i++) {
            int c = x.get(i).compareTo(y.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    };

    /**
     * Checks target label names: valid Prometheus label names, not starting with {@code __}, not used
     * by any family, and the same set for every target.
     */
    static List<String> checkTargetLabels(List<PrometheusText.Target> targets) {
        Set<String> reserved = Families.labelNamesInUse();
        List<String> names = null;
        for (PrometheusText.Target target : targets) {
            List<String> these = new ArrayList<>(target.labels().keySet());
            for (String name : these) {
                if (!LABEL_NAME.matcher(name).matches() || name.startsWith("__")) {
                    throw new IllegalArgumentException("label name: \"" + name
                            + "\" (expected: [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)");
                }
                if (reserved.contains(name)) {
                    throw new IllegalArgumentException("label name: \"" + name
                            + "\" (expected: none of the exporter's own labels " + new TreeSet<>(reserved) + ")");
                }
            }
            these.sort(null);
            if (names == null) {
                names = these;
            } else if (!names.equals(these)) {
                throw new IllegalArgumentException("target labels: " + these
                        + " (expected: the same label names for every target, " + names + ")");
            }
        }
        return names == null ? List.of() : List.copyOf(names);
    }

    /** The families of a scrape of {@code targets}; the label cap is consulted and updated once. */
    static List<Family> build(List<PrometheusText.Target> targets, EpochLabelCap cap) {
        List<String> targetNames = checkTargetLabels(targets);
        List<EpochLabelCap.Entry> entries = new ArrayList<>();
        List<List<String>> entryTargetValues = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (PrometheusText.Target target : targets) {
            List<String> values = new ArrayList<>(targetNames.size());
            for (String name : targetNames) {
                values.add(target.labels().get(name));
            }
            String prefix = String.join("\u0000", values) + "\u0000";
            for (AllocatorSnapshot snapshot : target.snapshots()) {
                String allocator = snapshot.allocator();
                // Two allocators with the same name in one target would give duplicate series.
                for (int n = 2; !keys.add(prefix + allocator); n++) {
                    allocator = snapshot.allocator() + "#" + n;
                }
                entries.add(new EpochLabelCap.Entry(prefix + allocator, allocator, snapshot));
                entryTargetValues.add(values);
            }
        }
        List<AllocatorView> views = cap.resolve(entries);

        List<Family> families = new ArrayList<>();
        for (MetricFamily metric : Families.SORTED) {
            List<String> declared = metric.labelNames();
            int d = declared.size();
            String[] all = new String[d + targetNames.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i < d ? declared.get(i) : targetNames.get(i - d);
            }
            Integer[] order = new Integer[all.length];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, Comparator.comparing(i -> all[i]));
            List<String> names = new ArrayList<>(all.length);
            for (Integer i : order) {
                names.add(all[i]);
            }
            List<Sample> samples = new ArrayList<>();
            for (int v = 0; v < views.size(); v++) {
                List<String> targetValues = entryTargetValues.get(v);
                metric.sampler().sample(views.get(v), (value, labelValues) -> {
                    if (labelValues.length != d) {
                        throw new IllegalStateException(metric.name() + ": " + labelValues.length
                                + " label values (expected: " + d + ")");
                    }
                    String[] row = new String[order.length];
                    for (int k = 0; k < order.length; k++) {
                        int source = order[k];
                        row[k] = source < d ? labelValues[source] : targetValues.get(source - d);
                    }
                    samples.add(new Sample(List.of(row), value));
                });
            }
            if (samples.isEmpty()) {
                continue;
            }
            samples.sort(BY_LABEL_VALUES);
            for (int i = 1; i < samples.size(); i++) {
                if (BY_LABEL_VALUES.compare(samples.get(i - 1), samples.get(i)) == 0) {
                    throw new IllegalStateException(metric.exposedName() + ": duplicate series "
                            + samples.get(i).labelValues());
                }
            }
            families.add(new Family(metric, List.copyOf(names), List.copyOf(samples)));
        }
        return families;
    }
}
