package io.tslab.cli;

import java.util.Locale;

/** Human formatting: IEC byte units and counts. */
final class Units {
    private Units() {
    }

    private static final String[] IEC = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    /** {@code 1536 -> "1.5 KiB"}; bytes below 1 KiB stay exact. */
    static String bytes(long bytes) {
        if (bytes < 1024 && bytes > -1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (Math.abs(value) >= 1024 && unit < IEC.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, IEC[unit]);
    }

    /** {@code 12345678 -> "12.3M"}. */
    static String count(double count) {
        double abs = Math.abs(count);
        if (abs >= 1e9) {
            return String.format(Locale.ROOT, "%.1fG", count / 1e9);
        }
        if (abs >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", count / 1e6);
        }
        if (abs >= 1e4) {
            return String.format(Locale.ROOT, "%.1fk", count / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", count);
    }

    /** {@code 135.2 -> "2m15s"}, {@code 0.42 -> "0.4s"}. */
    static String seconds(double seconds) {
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1fs", seconds);
        }
        long s = (long) seconds;
        if (s < 3600) {
            return (s / 60) + "m" + (s % 60) + "s";
        }
        if (s < 86400) {
            return (s / 3600) + "h" + (s % 3600 / 60) + "m";
        }
        return (s / 86400) + "d" + (s % 86400 / 3600) + "h";
    }

    /** Bytes as IEC units, or the exact number with {@code raw}. */
    static String bytes(long bytes, boolean raw) {
        return raw ? Long.toString(bytes) : bytes(bytes);
    }

    /** {@code 0.1234 -> "12.3%"}. */
    static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.1f%%", ratio * 100);
    }
}
