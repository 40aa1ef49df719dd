package io.tslab.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A markdown table: a header row, then rows; numeric-looking columns are right-aligned. */
final class Markdown {
    private final List<String> header;
    private final List<Boolean> rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    Markdown(String... header) {
        this.header = List.of(header);
        this.rightAligned = new ArrayList<>();
        for (int i = 0; i < header.length; i++) {
            rightAligned.add(i > 0);
        }
    }

    Markdown row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("cells: " + cells.length + " (expected: " + header.size() + ")");
        }
        rows.add(List.of(cells));
        return this;
    }

    Markdown row(List<String> cells) {
        return row(cells.toArray(String[]::new));
    }

    /** Every column left-aligned (for key–value tables). */
    Markdown leftAligned() {
        rightAligned.replaceAll(ignored -> false);
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (boolean right : rightAligned) {
            sb.append(right ? "---:|" : "---|");
        }
        sb.append('\n');
        for (List<String> row : rows) {
            sb.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return sb.toString();
    }

    // ---- number formats -----------------------------------------------------------------------

    static final String NONE = "—";

    /** {@code value} with {@code digits} decimals, or a dash for NaN. */
    static String num(double value, int digits) {
        return Double.isNaN(value) || Double.isInfinite(value) ? NONE : String.format(Locale.ROOT, "%,." + digits + "f", value);
    }

    /** Operations per second as millions. */
    static String mops(double opsPerSecond) {
        return Double.isNaN(opsPerSecond) ? NONE : num(opsPerSecond / 1e6, opsPerSecond < 1e7 ? 2 : 1);
    }

    /** A ratio as {@code 1.23×}. */
    static String ratio(double r) {
        return Double.isNaN(r) || Double.isInfinite(r) ? NONE : String.format(Locale.ROOT, r < 10 ? "%.2f×" : "%.1f×", r);
    }

    /** Bytes as MiB with one decimal. */
    static String mib(double bytes) {
        return Double.isNaN(bytes) || bytes == -1 ? NONE : num(bytes / (1024.0 * 1024.0), 1);
    }

    /** A percentage with one decimal. */
    static String pct(double p) {
        return Double.isNaN(p) ? NONE : String.format(Locale.ROOT, "%.1f%%", p);
    }

    /** Heap bytes per operation: 0 when below 0.5 (JMH reports sampling noise like 1e-4). */
    static String bytesPerOp(double b) {
        if (Double.isNaN(b)) {
            return NONE;
        }
        return b < 0.5 ? "0" : num(b, 0);
    }
}
