package io.tslab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal, strict JSON parser (RFC 8259) for tests, so that snapshot documents can be read back
 * without a test dependency. Objects become {@link LinkedHashMap}s (duplicate names are an error),
 * arrays {@link ArrayList}s, integers {@link Long}, other numbers {@link Double}. Anything that is
 * not valid JSON throws {@link IllegalArgumentException} with the offset.
 */
final class StatsJson {
    private final String text;
    private int pos;

    private StatsJson(String text) {
        this.text = text;
    }

    /** Parses one complete JSON document (surrounding whitespace allowed). */
    static Object parse(String text) {
        StatsJson parser = new StatsJson(text);
        parser.skipWhitespace();
        Object value = parser.value();
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("trailing characters");
        }
        return value;
    }

    /** Parses a document whose top level is an object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("top level is not an object");
        }
        return (Map<String, Object>) value;
    }

    /** {@code map.get(name)} as an object; fails when missing or of another type. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> map, String name) {
        return (Map<String, Object>) require(map, name, Map.class);
    }

    @SuppressWarnings("unchecked")
    static List<Object> array(Map<String, Object> map, String name) {
        return (List<Object>) require(map, name, List.class);
    }

    static long number(Map<String, Object> map, String name) {
        return (Long) require(map, name, Long.class);
    }

    static String string(Map<String, Object> map, String name) {
        return (String) require(map, name, String.class);
    }

    /** Element {@code index} of {@code list}, which must be an object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> element(List<Object> list, int index) {
        return (Map<String, Object>) list.get(index);
    }

    private static Object require(Map<String, Object> map, String name, Class<?> type) {
        if (!map.containsKey(name)) {
            throw new AssertionError("JSON field '" + name + "' is missing; fields: " + map.keySet());
        }
        Object value = map.get(name);
        if (!type.isInstance(value)) {
            throw new AssertionError("JSON field '" + name + "' is " + value + " (expected a " + type.getSimpleName() + ")");
        }
        return value;
    }

    // ---- grammar ----------------------------------------------------------------------------

    private Object value() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> object() {
        expect('{');
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        for (;;) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name");
            }
            String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = value();
            if (map.containsKey(name)) {
                throw error("duplicate member '" + name + "'");
            }
            map.put(name, value);
            skipWhitespace();
            char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        expect('[');
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        for (;;) {
            skipWhitespace();
            list.add(value());
            skipWhitespace();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        for (;;) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("truncated \\u escape");
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw error("bad escape '\\" + e + "'");
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("bad number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("bad fraction");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("bad exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String s = text.substring(start, pos);
        if (integral) {
            return Long.valueOf(s);
        }
        return Double.valueOf(s);
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("expected '" + word + "'");
        }
        pos += word.length();
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) {
            pos--;
            throw error("expected '" + c + "'");
        }
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private IllegalArgumentException error(String message) {
        int from = Math.max(0, pos - 20);
        int to = Math.min(text.length(), pos + 20);
        return new IllegalArgumentException("JSON: " + message + " at offset " + pos + " near '"
                + text.substring(from, to) + "'");
    }
}
