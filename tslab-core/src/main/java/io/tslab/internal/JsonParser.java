package io.tslab.internal;

/**
 * A strict, pull-style JSON reader (RFC 8259) with hard limits, for documents that may come from an
 * untrusted or damaged source (a stats file, a saved snapshot). It builds no tree: the caller pulls
 * exactly the values it expects, so memory stays proportional to what the caller keeps.
 *
 * <p>Strict means: one value per document and nothing but whitespace after it; no comments, no
 * trailing commas, no single quotes, no leading zeros, no {@code NaN}; control characters in strings
 * must be escaped; {@code \}{@code u} escapes need four hex digits. Limits: nesting deeper than {@link
 * #MAX_DEPTH}, and number literals longer than {@link #MAX_NUMBER_CHARS} characters, are errors; an
 * integer outside {@code long}, or a number whose {@code double} is not finite, is an error when read.
 *
 * <p>Every error is an {@link IllegalArgumentException} whose message names the problem and where
 * it is: {@code "line 3, column 14: expected ',' or '}' (found 'x')"}. Not thread-safe.
 *
 * <pre>{@code
 * JsonParser p = new JsonParser(text);
 * p.beginObject();
 * while (p.hasNext()) {
 *     String name = p.nextName();
 *     if (name.equals("count")) { long n = p.nextLong(); } else { p.skipValue(); }
 * }
 * p.endObject();
 * p.endDocument();
 * }</pre>
 */
public final class JsonParser {
    /** Deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 64;
    /** Longest number literal accepted, in characters (a {@code long} needs 20). */
    public static final int MAX_NUMBER_CHARS = 64;

    /** What comes next. */
    public enum Token {
        BEGIN_OBJECT, END_OBJECT, BEGIN_ARRAY, END_ARRAY, NAME, STRING, NUMBER, TRUE, FALSE, NULL, END_DOCUMENT;

        String describe() {
            return switch (this) {
                case BEGIN_OBJECT -> "an object";
                case END_OBJECT -> "'}'";
                case BEGIN_ARRAY -> "an array";
                case END_ARRAY -> "']'";
                case NAME -> "a field name";
                case STRING -> "a string";
                case NUMBER -> "a number";
                case TRUE, FALSE -> "a boolean";
                case NULL -> "null";
                case END_DOCUMENT -> "the end of the document";
            };
        }
    }

    // Scopes: what the parser expects next inside the container on top of the stack.
    private static final int DOCUMENT_EMPTY = 0;
    private static final int DOCUMENT_DONE = 1;
    private static final int ARRAY_EMPTY = 2;
    private static final int ARRAY_NONEMPTY = 3;
    private static final int OBJECT_EMPTY = 4;
    private static final int OBJECT_VALUE = 5; // a name and ':' were read, its value comes next
    private static final int OBJECT_NONEMPTY = 6;

    private final String in;
    private final int[] scopes = new int[MAX_DEPTH + 1];
    private int depth; // scopes[depth] is the innermost scope; 0 is the document
    private int pos;
    private Token peeked;
    private int tokenStart; // where the peeked token starts, for error positions

    public JsonParser(String text) {
        this.in = java.util.Objects.requireNonNull(text, "text");
        scopes[0] = DOCUMENT_EMPTY;
    }

    /** The kind of the next token, without consuming it. */
    public Token peek() {
        if (peeked != null) {
            return peeked;
        }
        skipWhitespace();
        tokenStart = pos;
        int scope = scopes[depth];
        switch (scope) {
            case DOCUMENT_EMPTY -> {
                scopes[depth] = DOCUMENT_DONE;
                peeked = valueStart();
            }
            case DOCUMENT_DONE -> {
                if (pos < in.length()) {
                    throw error("unexpected " + describeChar() + " after the end of the document");
                }
                peeked = Token.END_DOCUMENT;
            }
            case ARRAY_EMPTY -> {
                if (at(']')) {
                    peeked = Token.END_ARRAY;
                } else {
                    scopes[depth] = ARRAY_NONEMPTY;
                    peeked = valueStart();
                }
            }
            case ARRAY_NONEMPTY -> {
                if (at(']')) {
                    peeked = Token.END_ARRAY;
                } else if (at(',')) {
                    pos++;
                    skipWhitespace();
                    tokenStart = pos;
                    peeked = valueStart();
                } else {
                    throw error("expected ',' or ']' (found " + describeChar() + ")");
                }
            }
            case OBJECT_EMPTY -> {
                if (at('}')) {
                    peeked = Token.END_OBJECT;
                } else if (at('"')) {
                    peeked = Token.NAME;
                } else {
                    throw error("expected a field name or '}' (found " + describeChar() + ")");
                }
            }
            case OBJECT_NONEMPTY -> {
                if (at('}')) {
                    peeked = Token.END_OBJECT;
                } else if (at(',')) {
                    pos++;
                    skipWhitespace();
                    tokenStart = pos;
                    if (!at('"')) {
                        throw error("expected a field name after ',' (found " + describeChar() + ")");
                    }
                    peeked = Token.NAME;
                } else {
                    throw error("expected ',' or '}' (found " + describeChar() + ")");
                }
            }
            case OBJECT_VALUE -> {
                scopes[depth] = OBJECT_NONEMPTY;
                peeked = valueStart();
            }
            default -> throw new AssertionError(scope);
        }
        return peeked;
    }

    /** Whether the current array or object has another element (or field). */
    public boolean hasNext() {
        Token t = peek();
        return t != Token.END_ARRAY && t != Token.END_OBJECT && t != Token.END_DOCUMENT;
    }

    public void beginObject() {
        expect(Token.BEGIN_OBJECT);
        push(OBJECT_EMPTY);
    }

    public void endObject() {
        expect(Token.END_OBJECT);
        depth--;
    }

    public void beginArray() {
        expect(Token.BEGIN_ARRAY);
        push(ARRAY_EMPTY);
    }

    public void endArray() {
        expect(Token.END_ARRAY);
        depth--;
    }

    /** The next field name (and the ':' after it). */
    public String nextName() {
        expectPeeked(Token.NAME);
        String name = readString();
        skipWhitespace();
        if (!at(':')) {
            throw error("expected ':' after field name \"" + abbreviate(name) + "\" (found " + describeChar() + ")");
        }
        pos++;
        scopes[depth] = OBJECT_VALUE;
        peeked = null;
        return name;
    }

    public String nextString() {
        expectPeeked(Token.STRING);
        String s = readString();
        peeked = null;
        return s;
    }

    public boolean nextBoolean() {
        Token t = peek();
        if (t != Token.TRUE && t != Token.FALSE) {
            throw error("expected a boolean, found " + t.describe());
        }
        pos += t == Token.TRUE ? 4 : 5;
        peeked = null;
        return t == Token.TRUE;
    }

    public void nextNull() {
        expectPeeked(Token.NULL);
        pos += 4;
        peeked = null;
    }

    /** The next number, which must be an integer literal within {@code long}. */
    public long nextLong() {
        int start = tokenStartOf(Token.NUMBER);
        String literal = readNumber();
        if (!isIntegerLiteral(literal)) {
            throw errorAt(start, "expected an integer, found " + literal);
        }
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            throw errorAt(start, "integer " + literal + " is out of range (expected a 64-bit signed value)");
        }
    }

    /** The next number, which must be an integer literal within {@code int}. */
    public int nextInt() {
        int start = tokenStartOf(Token.NUMBER);
        long value = nextLong();
        if (value != (int) value) {
            throw errorAt(start, "integer " + value + " is out of range (expected a 32-bit signed value)");
        }
        return (int) value;
    }

    /** The next number as a finite {@code double}. */
    public double nextDouble() {
        int start = tokenStartOf(Token.NUMBER);
        String literal = readNumber();
        double d = Double.parseDouble(literal); // the grammar was checked, so this cannot fail
        if (!Double.isFinite(d)) {
            throw errorAt(start, "number " + literal + " is out of range for a double");
        }
        return d;
    }

    /** Skips the next value, whatever it is (nested values included), without building it. */
    public void skipValue() {
        Token t = peek();
        switch (t) {
            case BEGIN_OBJECT -> {
                beginObject();
                while (hasNext()) {
                    nextName();
                    skipValue();
                }
                endObject();
            }
            case BEGIN_ARRAY -> {
                beginArray();
                while (hasNext()) {
                    skipValue();
                }
                endArray();
            }
            case STRING -> {
                skipString();
                peeked = null;
            }
            case NUMBER -> readNumber();
            case TRUE, FALSE -> nextBoolean();
            case NULL -> nextNull();
            default -> throw error("expected a value, found " + t.describe());
        }
    }

    /** Checks that nothing but whitespace follows the document's value. */
    public void endDocument() {
        expect(Token.END_DOCUMENT);
    }

    /** An error at the start of the token last peeked (or at the current position). */
    public IllegalArgumentException error(String message) {
        return errorAt(peeked != null ? tokenStart : pos, message);
    }

    /** The position of the next token as {@code "line L, column C"}, for callers' messages. */
    public String location() {
        peek();
        return location(tokenStart);
    }

    // ---- internals ----------------------------------------------------------------------------

    private void push(int scope) {
        if (depth == MAX_DEPTH) {
            throw errorAt(pos - 1, "nesting deeper than " + MAX_DEPTH + " levels");
        }
        scopes[++depth] = scope;
    }

    private void expect(Token token) {
        expectPeeked(token);
        if (token != Token.END_DOCUMENT) {
            pos++; // every structural token is one character
        }
        peeked = null;
    }

    private void expectPeeked(Token token) {
        Token t = peek();
        if (t != token) {
            throw error("expected " + token.describe() + ", found " + t.describe());
        }
    }

    private int tokenStartOf(Token token) {
        expectPeeked(token);
        return tokenStart;
    }

    private Token valueStart() {
        if (pos >= in.length()) {
            throw error("unexpected end of input (expected a value)");
        }
        char c = in.charAt(pos);
        return switch (c) {
            case '{' -> Token.BEGIN_OBJECT;
            case '[' -> Token.BEGIN_ARRAY;
            case '"' -> Token.STRING;
            case 't' -> literal("true", Token.TRUE);
            case 'f' -> literal("false", Token.FALSE);
            case 'n' -> literal("null", Token.NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield Token.NUMBER;
                }
                throw error("expected a value (found " + describeChar() + ")");
            }
        };
    }

    private Token literal(String word, Token token) {
        if (!in.startsWith(word, pos)) {
            throw error("expected a value (found " + describeChar() + ")");
        }
        int end = pos + word.length();
        if (end < in.length() && isWordChar(in.charAt(end))) {
            throw errorAt(end, "unexpected " + describeCharAt(end) + " after '" + word + "'");
        }
        return token;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '+';
    }

    /** Consumes a number literal, checking the RFC 8259 grammar and the length limit. */
    private String readNumber() {
        expectPeeked(Token.NUMBER);
        int start = pos;
        int p = pos;
        if (p < in.length() && in.charAt(p) == '-') {
            p++;
        }
        if (p >= in.length() || !isDigit(in.charAt(p))) {
            throw errorAt(p, "expected a digit in number (found " + describeCharAt(p) + ")");
        }
        if (in.charAt(p) == '0') {
            p++;
            if (p < in.length() && isDigit(in.charAt(p))) {
                throw errorAt(start, "number with a leading zero");
            }
        } else {
            p = digits(p);
        }
        if (p < in.length() && in.charAt(p) == '.') {
            p++;
            if (p >= in.length() || !isDigit(in.charAt(p))) {
                throw errorAt(p, "expected a digit after '.' (found " + describeCharAt(p) + ")");
            }
            p = digits(p);
        }
        if (p < in.length() && (in.charAt(p) == 'e' || in.charAt(p) == 'E')) {
            p++;
            if (p < in.length() && (in.charAt(p) == '+' || in.charAt(p) == '-')) {
                p++;
            }
            if (p >= in.length() || !isDigit(in.charAt(p))) {
                throw errorAt(p, "expected a digit in exponent (found " + describeCharAt(p) + ")");
            }
            p = digits(p);
        }
        if (p - start > MAX_NUMBER_CHARS) {
            throw errorAt(start, "number literal of " + (p - start) + " characters (expected at most "
                    + MAX_NUMBER_CHARS + ")");
        }
        if (p < in.length() && isWordChar(in.charAt(p))) {
            throw errorAt(p, "unexpected " + describeCharAt(p) + " in number");
        }
        pos = p;
        peeked = null;
        return in.substring(start, p);
    }

    private int digits(int p) {
        int limit = Math.min(in.length(), p + MAX_NUMBER_CHARS + 1); // stop early on absurd literals
        while (p < limit && isDigit(in.charAt(p))) {
            p++;
        }
        return p;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIntegerLiteral(String literal) {
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (c == '.' || c == 'e' || c == 'E') {
                return false;
            }
        }
        return true;
    }

    /** Reads the string starting at the '"' at {@code pos}; leaves {@code pos} after its closing quote. */
    private String readString() {
        int start = pos;
        pos++; // opening quote
        StringBuilder out = null;
        int runStart = pos;
        while (true) {
            if (pos >= in.length()) {
                throw errorAt(start, "unterminated string");
            }
            char c = in.charAt(pos);
            if (c == '"') {
                String s = out == null ? in.substring(runStart, pos) : out.append(in, runStart, pos).toString();
                pos++;
                return s;
            }
            if (c == '\\') {
                if (out == null) {
                    out = new StringBuilder(pos - runStart + 16);
                }
                out.append(in, runStart, pos);
                out.append(escape());
                runStart = pos;
            } else if (c < 0x20) {
                throw errorAt(pos, "unescaped control character " + printable(c) + " in string");
            } else {
                pos++;
            }
        }
    }

    private void skipString() {
        int start = pos;
        pos++;
        while (true) {
            if (pos >= in.length()) {
                throw errorAt(start, "unterminated string");
            }
            char c = in.charAt(pos);
            if (c == '"') {
                pos++;
                return;
            }
            if (c == '\\') {
                escape();
            } else if (c < 0x20) {
                throw errorAt(pos, "unescaped control character " + printable(c) + " in string");
            } else {
                pos++;
            }
        }
    }

    /** Decodes the escape at {@code pos} (the backslash) and moves past it. */
    private char escape() {
        int start = pos;
        if (pos + 1 >= in.length()) {
            throw errorAt(start, "unterminated escape in string");
        }
        char e = in.charAt(pos + 1);
        pos += 2;
        return switch (e) {
            case '"' -> '"';
            case '\\' -> '\\';
            case '/' -> '/';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> {
                if (pos + 4 > in.length()) {
                    throw errorAt(start, "unterminated \\u escape in string");
                }
                int value = 0;
                for (int i = 0; i < 4; i++) {
                    int digit = hexValue(in.charAt(pos + i));
                    if (digit < 0) {
                        throw errorAt(start, "bad \\u escape in string: expected four hex digits");
                    }
                    value = value << 4 | digit;
                }
                pos += 4;
                yield (char) value;
            }
            default -> throw errorAt(start, "bad escape '\\" + printable(e) + "' in string");
        };
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private void skipWhitespace() {
        while (pos < in.length()) {
            char c = in.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private boolean at(char c) {
        return pos < in.length() && in.charAt(pos) == c;
    }

    private String describeChar() {
        return describeCharAt(pos);
    }

    private String describeCharAt(int p) {
        return p >= in.length() ? "the end of input" : "'" + printable(in.charAt(p)) + "'";
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format(java.util.Locale.ROOT, "\\u%04x", (int) c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private IllegalArgumentException errorAt(int offset, String message) {
        return new IllegalArgumentException(location(offset) + ": " + message);
    }

    private String location(int offset) {
        int line = 1;
        int lineStart = 0;
        int end = Math.min(offset, in.length());
        for (int i = 0; i < end; i++) {
            if (in.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "line " + line + ", column " + (end - lineStart + 1);
    }
}
