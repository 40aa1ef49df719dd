package io.tslab.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A strict reader of the Prometheus text format 0.0.4, for checking what {@code tslab export
 * prometheus} and {@code tslab serve} write: every sample belongs to a family declared by
 * {@code # HELP} and {@code # TYPE} before it, names and label names are valid, label values are
 * unescaped, and values parse.
 */
final class PromText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    record Sample(String name, Map<String, String> labels, double value) {
    }

    record Family(String name, String type, String help, List<Sample> samples) {
    }

    final Map<String, Family> families = new LinkedHashMap<>();
    final List<Sample> samples = new ArrayList<>();

    private PromText() {
    }

    static PromText parse(String text) {
        PromText result = new PromText();
        assertTrue(text.endsWith("\n"), "the exposition ends with a newline");
        String help = null;
        String helpName = null;
        Family current = null;
        int lineNumber = 0;
        for (String line : text.split("\n", -1)) {
            lineNumber++;
            if (line.isEmpty()) {
                continue;
            }
            String where = "line " + lineNumber + ": " + line;
            if (line.startsWith("# HELP ")) {
                String rest = line.substring(7);
                int space = rest.indexOf(' ');
                helpName = space < 0 ? rest : rest.substring(0, space);
                help = space < 0 ? "" : rest.substring(space + 1);
                assertTrue(NAME.matcher(helpName).matches(), where);
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                assertEquals(2, parts.length, where);
                assertEquals(helpName, parts[0], "TYPE follows the HELP of the same family, " + where);
                assertTrue(List.of("counter", "gauge", "info", "stateset", "untyped", "summary", "histogram")
                        .contains(parts[1]), where);
                assertFalse(result.families.containsKey(parts[0]), "family declared twice, " + where);
                current = new Family(parts[0], parts[1], help, new ArrayList<>());
                result.families.put(parts[0], current);
                continue;
            }
            assertFalse(line.startsWith("#"), "unexpected comment, " + where);
            assertTrue(current != null, "sample before any TYPE, " + where);
            Sample sample = sample(line, where);
            assertTrue(belongsTo(sample.name(), current), "sample of another family than " + current.name() + ", " + where);
            current.samples().add(sample);
            result.samples.add(sample);
        }
        return result;
    }

    private static boolean belongsTo(String sampleName, Family family) {
        return switch (family.type()) {
            case "counter" -> sampleName.equals(family.name()) || sampleName.equals(family.name() + "_total")
                    || sampleName.equals(family.name() + "_created");
            case "info" -> sampleName.equals(family.name()) || sampleName.equals(family.name() + "_info");
            default -> sampleName.equals(family.name());
        };
    }

    private static Sample sample(String line, String where) {
        Matcher m = NAME.matcher(line);
        assertTrue(m.lookingAt(), where);
        String name = m.group();
        int i = m.end();
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                Matcher ln = LABEL_NAME.matcher(line).region(i, line.length());
                assertTrue(ln.lookingAt(), where);
                String labelName = ln.group();
                i = ln.end();
                assertEquals('=', line.charAt(i), where);
                assertEquals('"', line.charAt(i + 1), where);
                i += 2;
                StringBuilder value = new StringBuilder();
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i);
                    if (c == '\\') {
                        char next = line.charAt(i + 1);
                        value.append(switch (next) {
                            case '\\' -> '\\';
                            case '"' -> '"';
                            case 'n' -> '\n';
                            default -> throw new AssertionError("bad escape \\" + next + ", " + where);
                        });
                        i += 2;
                    } else {
                        value.append(c);
                        i++;
                    }
                }
                i++;
                assertTrue(labels.put(labelName, value.toString()) == null, "label twice, " + where);
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        assertEquals(' ', line.charAt(i), where);
        String[] rest = line.substring(i + 1).split(" ");
        assertTrue(rest.length == 1 || rest.length == 2, where);
        double value = switch (rest[0]) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(rest[0]);
        };
        return new Sample(name, Map.copyOf(labels), value);
    }

    /** The samples named {@code name} whose labels include all of {@code labels}. */
    List<Sample> find(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name))
                .filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    /** The value of the one sample named {@code name} with these labels (fails when there is not exactly one). */
    double value(String name, Map<String, String> labels) {
        List<Sample> found = find(name, labels);
        assertEquals(1, found.size(), () -> "samples " + name + labels + ": " + found);
        return found.getFirst().value();
    }

    Optional<Family> family(String name) {
        return Optional.ofNullable(families.get(name));
    }
}
