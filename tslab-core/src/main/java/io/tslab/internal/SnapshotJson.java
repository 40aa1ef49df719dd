package io.tslab.internal;

import io.tslab.stats.AllocatorSnapshot;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a snapshot as JSON, with no dependency: every record component becomes a field named by
 * its snake_case ({@code liveObjects} → {@code live_objects}), in declaration order, so the names in
 * JSON, in the records and in the docs can never drift apart. The {@code global} component of the
 * snapshot is flattened into the top level (the layout of the original {@code stats_dump}).
 *
 * <p>Numbers: integers as is; doubles with up to six decimals, never in exponent form; non-finite
 * doubles as 0. Strings are escaped exactly (RFC 8259), so every label round-trips.
 */
public final class SnapshotJson {
    private SnapshotJson() {
    }

    /** Each record type's components and their snake_case names, looked up once per type. */
    private static final ClassValue<Component[]> COMPONENTS = new ClassValue<>() {
        @Override
        protected Component[] computeValue(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Component[] result = new Component[components.length];
            for (int i = 0; i < components.length; i++) {
                result[i] = new Component(components[i], snakeCase(components[i].getName()));
            }
            return result;
        }
    };

    private record Component(RecordComponent component, String jsonName) {
    }

    public static String write(AllocatorSnapshot snapshot) {
        StringBuilder out = new StringBuilder(16 * 1024);
        write(snapshot, out);
        return out.toString();
    }

    /** Appends the document of {@code snapshot} to {@code out}. */
    public static void write(AllocatorSnapshot snapshot, StringBuilder out) {
        out.append('{');
        boolean first = true;
        for (Component c : COMPONENTS.get(AllocatorSnapshot.class)) {
            RecordComponent component = c.component();
            Object value = read(component, snapshot);
            if (component.getName().equals("global")) {
                for (Component g : COMPONENTS.get(value.getClass())) {
                    first = field(out, first, g.jsonName(), read(g.component(), value));
                }
            } else {
                first = field(out, first, c.jsonName(), value);
            }
        }
        out.append("}\n");
    }

    private static boolean field(StringBuilder out, boolean first, String jsonName, Object value) {
        if (!first) {
            out.append(',');
        }
        out.append("\n  ");
        string(out, jsonName);
        out.append(": ");
        value(out, value, 1);
        return false;
    }

    private static void value(StringBuilder out, Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Boolean b -> out.append(b);
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case Double d -> number(out, d);
            case Enum<?> e -> string(out, e.name());
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    out.append(i == 0 ? "" : ",");
                    if (list.get(i) instanceof Record) {
                        out.append('\n').append("  ".repeat(depth + 1));
                    }
                    value(out, list.get(i), depth + 1);
                }
                if (!list.isEmpty() && list.getFirst() instanceof Record) {
                    out.append('\n').append("  ".repeat(depth));
                }
                out.append(']');
            }
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.append(first ? "" : ", ");
                    first = false;
                    string(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    value(out, e.getValue(), depth + 1);
                }
                out.append('}');
            }
            case Record record -> {
                out.append('{');
                boolean first = true;
                for (Component c : COMPONENTS.get(record.getClass())) {
                    out.append(first ? "" : ", ");
                    first = false;
                    string(out, c.jsonName());
                    out.append(": ");
                    value(out, read(c.component(), record), depth + 1);
                }
                out.append('}');
            }
            default -> throw new IllegalArgumentException("no JSON form for " + value.getClass());
        }
    }

    private static void number(StringBuilder out, double d) {
        if (!Double.isFinite(d)) {
            out.append('0');
            return;
        }
        if (Math.abs(d) < 9.0e12) { // fast path: six decimals by integer arithmetic, as %.6f would round
            long micros = Math.round(d * 1_000_000);
            if (micros < 0) {
                out.append('-');
                micros = -micros;
            }
            out.append(micros / 1_000_000).append('.');
            long fraction = micros % 1_000_000;
            if (fraction == 0) {
                out.append('0');
                return;
            }
            String digits = Long.toString(fraction + 1_000_000).substring(1);
            int end = digits.length();
            while (digits.charAt(end - 1) == '0') {
                end--;
            }
            out.append(digits, 0, end);
            return;
        }
        String s = String.format(Locale.ROOT, "%.6f", d);
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end++; // keep one decimal: 2.0, not 2.
        }
        out.append(s, 0, end);
    }

    /** Writes {@code s} as a JSON string. */
    public static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** {@code liveObjects -> live_objects}. */
    public static String snakeCase(String camel) {
        StringBuilder out = new StringBuilder(camel.length() + 8);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                out.append('_').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static Object read(RecordComponent component, Object record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component.getName(), e);
        }
    }
}
