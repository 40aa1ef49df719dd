package io.tslab.prometheus;

import java.io.IOException;
import java.util.List;

/**
 * The Prometheus text exposition format, version 0.0.4, written byte for byte as client_java 1.x's
 * {@code PrometheusTextFormatWriter} writes it: {@code # HELP} (backslash and newline escaped) and
 * {@code # TYPE} lines, then one line per sample; label values escape backslash, double quote and
 * newline; values as {@link Double#toString(double)}, {@code +Inf}/{@code -Inf}; info samples as
 * {@code 1}.
 */
final class TextFormat {
    private TextFormat() {
    }

    static void write(List<Exposition.Family> families, Appendable out) throws IOException {
        for (Exposition.Family family : families) {
            if (family.samples().isEmpty()) {
                continue;
            }
            MetricFamily metric = family.metric();
            String name = metric.exposedName();
            out.append("# HELP ").append(name).append(' ');
            appendEscapedHelp(metric.help(), out);
            out.append('\n');
            out.append("# TYPE ").append(name).append(' ').append(metric.kind().textType).append('\n');
            List<String> labelNames = family.labelNames();
            for (Exposition.Sample sample : family.samples()) {
                out.append(name);
                if (!labelNames.isEmpty()) {
                    out.append('{');
                    for (int i = 0; i < labelNames.size(); i++) {
                        if (i > 0) {
                            out.append(',');
                        }
                        out.append(labelNames.get(i)).append("=\"");
                        appendEscapedLabelValue(sample.labelValues().get(i), out);
                        out.append('"');
                    }
                    out.append('}');
                }
                out.append(' ');
                if (metric.kind() == MetricFamily.Kind.INFO) {
                    out.append('1');
                } else {
                    out.append(formatValue(sample.value()));
                }
                out.append('\n');
            }
        }
    }

    /** A sample value: {@code +Inf}, {@code -Inf}, {@code NaN}, else {@link Double#toString(double)}. */
    static String formatValue(double value) {
        if (value == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        if (value == Double.NEGATIVE_INFINITY) {
            return "-Inf";
        }
        return Double.toString(value);
    }

    /** A label value: {@code \} as {@code \\}, {@code "} as {@code \"}, newline as {@code \n}; nothing else changes. */
    static void appendEscapedLabelValue(String value, Appendable out) throws IOException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    /** A help text: {@code \} as {@code \\}, newline as {@code \n} (quotes stay as they are). */
    static void appendEscapedHelp(String help, Appendable out) throws IOException {
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }
}
