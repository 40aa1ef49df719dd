package io.tslab.prometheus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A strict reader of the text format 0.0.4, written from the format's description (not from the
 * writer under test): comments, then {@code name{label="value",...} value} lines, label values with
 * {@code \\}, {@code \"} and {@code \n} escapes. Anything else fails the test.
 */
final class ParsedExposition {
    /** One sample line. */
    record Series(String name, Map<String, String> labels, double value) {
    }

    final Map<String, String> help = new LinkedHashMap<>();
    final Map<String, String> type = new LinkedHashMap<>();
    final List<Series> series = new ArrayList<>();

    static ParsedExposition parse(String text) {
        ParsedExposition p = new ParsedExposition();
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("exposition does not end with a newline");
        }
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ")) {
                String rest = line.substring(7);
                int sp = rest.indexOf(' ');
                String name = rest.substring(0, sp);
                if (p.help.put(name, unescapeHelp(rest.substring(sp + 1))) != null) {
                    throw new IllegalArgumentException("second HELP for " + name);
                }
            } else if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                if (parts.length != 2 || p.type.put(parts[0], parts[1]) != null) {
                    throw new IllegalArgumentException("bad or repeated TYPE line: " + line);
                }
            } else if (line.startsWith("#")) {
                throw new IllegalArgumentException("unexpected comment: " + line);
            } else {
                p.series.add(parseSample(line));
            }
        }
        return p;
    }

    private static Series parseSample(String line) {
        int i = 0;
        while (i < line.length() && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_' || line.charAt(i) == ':')) {
            i++;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf("=\"", i);
                String label = line.substring(i, eq);
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char n = line.charAt(++j);
                        switch (n) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw new IllegalArgumentException("bad escape \\" + n + " in " + line);
                        }
                    } else {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new IllegalArgumentException("repeated label " + label + " in " + line);
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        if (line.charAt(i) != ' ') {
            throw new IllegalArgumentException("expected one space before the value: " + line);
        }
        String v = line.substring(i + 1);
        double value = switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
        return new Series(name, labels, value);
    }

    private static String unescapeHelp(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                out.append(n == 'n' ? '\n' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The value of the one series named {@code name} whose labels include {@code labels}; fails otherwise. */
    double value(String name, Map<String, String> labels) {
        Series found = null;
        for (Series s : series) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet())) {
                if (found != null) {
                    throw new AssertionError("more than one series " + name + labels);
                }
                found = s;
            }
        }
        if (found == null) {
            throw new AssertionError("no series " + name + labels);
        }
        return found.value();
    }

    /** The series named {@code name}. */
    List<Series> series(String name) {
        return series.stream().filter(s -> Objects.equals(s.name(), name)).toList();
    }
}
