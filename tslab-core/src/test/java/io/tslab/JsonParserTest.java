package io.tslab;

import io.tslab.internal.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strict JSON reader: what it accepts, what it refuses, and that every refusal says where and why. */
class JsonParserTest {

    /** Reads any document into plain Java values (maps as alternating name/value lists), fully. */
    private static Object readAll(String json) {
        JsonParser p = new JsonParser(json);
        Object v = value(p);
        p.endDocument();
        return v;
    }

    private static Object value(JsonParser p) {
        return switch (p.peek()) {
            case BEGIN_OBJECT -> {
                List<Object> fields = new ArrayList<>();
                p.beginObject();
                while (p.hasNext()) {
                    fields.add(p.nextName());
                    fields.add(value(p));
                }
                p.endObject();
                yield fields;
            }
            case BEGIN_ARRAY -> {
                List<Object> items = new ArrayList<>();
                p.beginArray();
                while (p.hasNext()) {
                    items.add(value(p));
                }
                p.endArray();
                yield items;
            }
            case STRING -> p.nextString();
            case NUMBER -> p.nextDouble();
            case TRUE, FALSE -> p.nextBoolean();
            case NULL -> {
                p.nextNull();
                yield null;
            }
            default -> throw new AssertionError(p.peek());
        };
    }

    @Test
    void readsEveryKindOfValue() {
        JsonParser p = new JsonParser(" {\"a\": [1, -2, 3.5e2, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\\/\"],\r\n"
                + "\t\"b\": {}, \"c\": []} ");
        p.beginObject();
        assertEquals("a", p.nextName());
        p.beginArray();
        assertEquals(1L, p.nextLong());
        assertEquals(-2, p.nextInt());
        assertEquals(350.0, p.nextDouble());
        assertTrue(p.nextBoolean());
        assertFalse(p.nextBoolean());
        p.nextNull();
        assertEquals("x\né😀/", p.nextString());
        assertFalse(p.hasNext());
        p.endArray();
        assertEquals("b", p.nextName());
        p.skipValue();
        assertEquals("c", p.nextName());
        p.beginArray();
        p.endArray();
        p.endObject();
        p.endDocument();
    }

    @Test
    void extremeButValidIntegersAreExact() {
        JsonParser p = new JsonParser("[9223372036854775807, -9223372036854775808, 2147483647, -0]");
        p.beginArray();
        assertEquals(Long.MAX_VALUE, p.nextLong());
        assertEquals(Long.MIN_VALUE, p.nextLong());
        assertEquals(Integer.MAX_VALUE, p.nextInt());
        assertEquals(0L, p.nextLong());
        p.endArray();
        p.endDocument();
    }

    @Test
    void skipValueSkipsNestedValuesOfEveryKind() {
        JsonParser p = new JsonParser("[{\"x\": [1, {\"y\": \"\\\"}\"}], \"z\": null}, 7]");
        p.beginArray();
        p.skipValue();
        assertEquals(7, p.nextInt());
        p.endArray();
        p.endDocument();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                              | unexpected end of input",
        "`   `                           | unexpected end of input",
        "`[1,]`                          | expected a value",
        "`{\"a\": 1,}`                   | expected a field name after ','",
        "`[01]`                          | leading zero",
        "`[1.]`                          | expected a digit after '.'",
        "`[.5]`                          | expected a value",
        "`[-]`                           | expected a digit in number",
        "`[+1]`                          | expected a value",
        "`[1e]`                          | expected a digit in exponent",
        "`[NaN]`                         | expected a value",
        "`[Infinity]`                    | expected a value",
        "`['x']`                         | expected a value",
        "`[1] // c`                      | after the end of the document",
        "`{} x`                          | after the end of the document",
        "`1 2`                           | after the end of the document",
        "`[tru]`                         | expected a value",
        "`[nulls]`                       | after 'null'",
        "`[1x]`                          | in number",
        "`{\"a\" 1}`                     | expected ':' after field name",
        "`{\"a\": 1 \"b\": 2}`           | expected ',' or '}'",
        "`[1 2]`                         | expected ',' or ']'",
        "`{1: 2}`                        | expected a field name or '}'",
        "`\"abc`                         | unterminated string",
        "`\"a\\x\"`                      | bad escape",
        "`[\"\\u12\"]`                   | bad \\u escape",
        "`\"\\u12g4\"`                   | bad \\u escape",
        "`\"\\u`                         | unterminated \\u escape",
        "`[1}`                           | expected ',' or ']'",
    })
    void refusesMalformedInputNamingTheProblem(String json, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readAll(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("line 1, column "), e.getMessage());
    }

    @Test
    void refusesUnescapedControlCharacters() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readAll("\"a\tb\""));
        assertTrue(e.getMessage().contains("unescaped control character \\u0009"), e.getMessage());
    }

    @Test
    void errorsNameLineAndColumn() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> readAll("{\n  \"a\": 1,\n  \"b\": ]\n}"));
        assertEquals("line 3, column 8: expected a value (found ']')", e.getMessage());
    }

    @Test
    void nestingIsBoundedAt64() {
        String ok = "[".repeat(JsonParser.MAX_DEPTH) + "]".repeat(JsonParser.MAX_DEPTH);
        assertEquals(List.of(), unwrap(readAll(ok), JsonParser.MAX_DEPTH - 1));
        String deep = "[".repeat(JsonParser.MAX_DEPTH + 1) + "]".repeat(JsonParser.MAX_DEPTH + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> readAll(deep));
        assertTrue(e.getMessage().contains("nesting deeper than 64 levels"), e.getMessage());
        // skipping does not recurse past the limit either, and a huge depth cannot overflow the stack
        String hostile = "{\"x\": " + "[".repeat(100_000) + "}";
        JsonParser p = new JsonParser(hostile);
        p.beginObject();
        p.nextName();
        IllegalArgumentException skip = assertThrows(IllegalArgumentException.class, p::skipValue);
        assertTrue(skip.getMessage().contains("nesting deeper than 64 levels"), skip.getMessage());
    }

    private static Object unwrap(Object v, int levels) {
        for (int i = 0; i < levels; i++) {
            v = ((List<?>) v).getFirst();
        }
        return v;
    }

    @Test
    void hugeNumbersFailClearly() {
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
                () -> new JsonParser("9223372036854775808").nextLong());
        assertTrue(tooBig.getMessage().contains("integer 9223372036854775808 is out of range"), tooBig.getMessage());

        IllegalArgumentException notInt = assertThrows(IllegalArgumentException.class,
                () -> new JsonParser("2147483648").nextInt());
        assertTrue(notInt.getMessage().contains("out of range (expected a 32-bit signed value)"), notInt.getMessage());

        IllegalArgumentException infinite = assertThrows(IllegalArgumentException.class,
                () -> new JsonParser("1e400").nextDouble());
        assertTrue(infinite.getMessage().contains("out of range for a double"), infinite.getMessage());

        IllegalArgumentException fraction = assertThrows(IllegalArgumentException.class,
                () -> new JsonParser("1.5").nextLong());
        assertTrue(fraction.getMessage().contains("expected an integer, found 1.5"), fraction.getMessage());

        String million = "1" + "0".repeat(1_000_000);
        IllegalArgumentException longLiteral = assertThrows(IllegalArgumentException.class,
                () -> new JsonParser(million).skipValue());
        assertTrue(longLiteral.getMessage().contains("expected at most 64"), longLiteral.getMessage());
    }

    @Test
    void typeMismatchesNameWhatWasFound() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new JsonParser("\"7\"").nextLong());
        assertEquals("line 1, column 1: expected a number, found a string", e.getMessage());
        JsonParser p = new JsonParser("{\"a\": null}");
        p.beginObject();
        p.nextName();
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class, p::nextBoolean);
        assertEquals("line 1, column 7: expected a boolean, found null", b.getMessage());
    }

    @Test
    void plainValuesAtTheTopLevelAreDocuments() {
        assertEquals("x", readAll(" \"x\" "));
        assertNull(readAll("null"));
        assertEquals(Boolean.TRUE, readAll("true"));
    }
}
