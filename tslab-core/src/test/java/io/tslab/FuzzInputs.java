package io.tslab;

import io.tslab.internal.statsfile.StatsFileLayout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hostile inputs for the readers of snapshot JSON and stats files, made from a valid document by
 * structure-aware mutations: each value of the document is located (its path and span), so a
 * mutation can put a huge number, a value of the wrong type, deep nesting or a bad string exactly
 * where a field is read, delete or duplicate a field, or damage the text (truncation, bit flips,
 * insertions). Deterministic for a given {@link Random}.
 */
final class FuzzInputs {
    private FuzzInputs() {
    }

    /** A value of a document: its path, where it is, what it is; for members, where the key starts. */
    record Span(String path, int start, int end, char kind, int memberStart) {
    }

    /** Every value of a well-formed document, in document order (containers before their contents). */
    static List<Span> spans(String json) {
        List<Span> out = new ArrayList<>();
        new Locator(json, out).value("$", -1);
        return out;
    }

    private static final class Locator {
        final String s;
        final List<Span> out;
        int p;

        Locator(String s, List<Span> out) {
            this.s = s;
            this.out = out;
        }

        void ws() {
            while (p < s.length() && " \t\r\n".indexOf(s.charAt(p)) >= 0) {
                p++;
            }
        }

        void value(String path, int memberStart) {
            ws();
            int start = p;
            char c = s.charAt(p);
            int index = out.size();
            out.add(null);
            char kind;
            switch (c) {
                case '{' -> {
                    kind = 'o';
                    p++;
                    ws();
                    if (s.charAt(p) == '}') {
                        p++;
                    } else {
                        while (true) {
                            ws();
                            int keyStart = p;
                            String key = string();
                            ws();
                            p++; // ':'
                            value(path + "." + key, keyStart);
                            ws();
                            if (s.charAt(p++) == '}') {
                                break;
                            }
                        }
                    }
                }
                case '[' -> {
                    kind = 'a';
                    p++;
                    ws();
                    if (s.charAt(p) == ']') {
                        p++;
                    } else {
                        for (int i = 0; ; i++) {
                            value(path + "[" + i + "]", -1);
                            ws();
                            if (s.charAt(p++) == ']') {
                                break;
                            }
                        }
                    }
                }
                case '"' -> {
                    kind = 's';
                    string();
                }
                default -> {
                    kind = Character.isLetter(c) ? 'b' : 'n';
                    while (p < s.length() && ",]} \t\r\n".indexOf(s.charAt(p)) < 0) {
                        p++;
                    }
                }
            }
            out.set(index, new Span(path, start, p, kind, memberStart));
        }

        String string() {
            int start = ++p;
            while (s.charAt(p) != '"') {
                p += s.charAt(p) == '\\' ? 2 : 1;
            }
            return s.substring(start, p++);
        }
    }

    static final String[] HOSTILE_NUMBERS = {"9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "2147483647", "2147483648", "-2147483649", "1e400", "-1e400", "1.7976931348623157e308",
        "4.9e-324", "1e-400", "123456789012345678901234567890123456789012345678901234567890123456789", "0.5", "-0",
        "-0.0", "1E2", "01", "+1", ".5", "1.", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "1e", "--1", "-", "0e0",
        "1e19", "18446744073709551615"};
    static final String[] WRONG_TYPES = {"\"str\"", "\"\"", "true", "false", "null", "[]", "{}", "[1]", "{\"a\": 1}",
        "[null]", "[[]]", "[{}]", "\"1\"", "\"ACTIVE\"", "\"active\""};
    static final String[] BAD_STRINGS = {"\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u0000\"", "\"\\x41\"", "\"\\u12\"",
        "\"a\u0001b\"", "\"\uD83D\uDE00 \u202Eevil\"", "\"\\\"", "\"unterminated", "\"\\/\\b\\f\\n\\r\\t\"",
        "\"\u2028\u2029\"", "'single'"};
    private static final String ALPHABET = "{}[]\",:0123456789-+.eE \\nultrfa\u00e9\u0000\ud800";

    static String nest(int depth, boolean objects) {
        StringBuilder b = new StringBuilder(depth * 6 + 1);
        for (int i = 0; i < depth; i++) {
            b.append(objects ? "{\"a\": " : "[");
        }
        b.append('1');
        for (int i = 0; i < depth; i++) {
            b.append(objects ? '}' : ']');
        }
        return b.toString();
    }

    static String longString(int length, char c) {
        return "\"" + String.valueOf(c).repeat(length) + "\"";
    }

    static String replace(String doc, Span span, String with) {
        return doc.substring(0, span.start()) + with + doc.substring(span.end());
    }

    /** The document without the member {@code span} (a value inside an object). */
    static String deleteMember(String doc, Span span) {
        int from = span.memberStart();
        int to = span.end();
        int after = to;
        while (after < doc.length() && Character.isWhitespace(doc.charAt(after))) {
            after++;
        }
        if (after < doc.length() && doc.charAt(after) == ',') {
            to = after + 1;
        } else {
            int before = from - 1;
            while (before > 0 && Character.isWhitespace(doc.charAt(before))) {
                before--;
            }
            if (doc.charAt(before) == ',') {
                from = before;
            }
        }
        return doc.substring(0, from) + doc.substring(to);
    }

    /** The document with the member {@code span} written twice. */
    static String duplicateMember(String doc, Span span, String newValue) {
        String member = doc.substring(span.memberStart(), span.start()) + newValue;
        return doc.substring(0, span.end()) + ", " + member + doc.substring(span.end());
    }

    /** What one random mutation did, and the result. */
    record Mutation(String kind, String text) {
    }

    /** One random structure-aware mutation of {@code doc}, whose spans are {@code spans}. */
    static Mutation mutate(String doc, List<Span> spans, Random r) {
        Span span = spans.get(r.nextInt(spans.size()));
        switch (r.nextInt(14)) {
            case 0, 1 -> {
                String v = HOSTILE_NUMBERS[r.nextInt(HOSTILE_NUMBERS.length)];
                return new Mutation("huge or malformed number", replace(doc, pick(spans, 'n', r), v));
            }
            case 2, 3 -> {
                return new Mutation("wrong type", replace(doc, span, WRONG_TYPES[r.nextInt(WRONG_TYPES.length)]));
            }
            case 4 -> {
                return new Mutation("bad string", replace(doc, span, BAD_STRINGS[r.nextInt(BAD_STRINGS.length)]));
            }
            case 5 -> {
                int[] depths = {63, 64, 65, 200, 5_000, 50_000};
                return new Mutation("deep nesting", replace(doc, span, nest(depths[r.nextInt(depths.length)], r.nextBoolean())));
            }
            case 6 -> {
                int[] lengths = {1_000, 70_000, 1 << 20};
                return new Mutation("long string", replace(doc, pick(spans, 's', r),
                        longString(lengths[r.nextInt(lengths.length)], r.nextBoolean() ? 'x' : '\u00e9')));
            }
            case 7 -> {
                Span member = pickMember(spans, r);
                return new Mutation("field deleted", deleteMember(doc, member));
            }
            case 8 -> {
                Span member = pickMember(spans, r);
                String again = r.nextBoolean() ? doc.substring(member.start(), member.end())
                        : WRONG_TYPES[r.nextInt(WRONG_TYPES.length)];
                return new Mutation("field duplicated", duplicateMember(doc, member, again));
            }
            case 9 -> {
                return new Mutation("truncated", doc.substring(0, r.nextInt(doc.length())));
            }
            case 10 -> {
                byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int bit = r.nextInt(bytes.length * 8);
                    bytes[bit >> 3] ^= (byte) (1 << (bit & 7));
                }
                return new Mutation("bit flips", new String(bytes, StandardCharsets.UTF_8));
            }
            case 11 -> {
                StringBuilder b = new StringBuilder(doc);
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    int at = r.nextInt(b.length());
                    switch (r.nextInt(3)) {
                        case 0 -> b.insert(at, ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                        case 1 -> b.deleteCharAt(at);
                        default -> b.setCharAt(at, ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                    }
                }
                return new Mutation("characters edited", b.toString());
            }
            case 12 -> {
                String v = HOSTILE_NUMBERS[r.nextInt(HOSTILE_NUMBERS.length)];
                StringBuilder b = new StringBuilder(doc);
                List<Span> numbers = spans.stream().filter(s -> s.kind() == 'n').toList();
                for (int i = numbers.size() - 1; i >= 0; i--) {
                    b.replace(numbers.get(i).start(), numbers.get(i).end(), v);
                }
                return new Mutation("every number replaced", b.toString());
            }
            default -> {
                String[][] wrappers = {{"\uFEFF", ""}, {"", " x"}, {"", " {}"}, {"\u00a0", ""}, {"[", "]"},
                    {"{\"allocators\": [", "]}"}, {"", "\u0000"}, {"/* c */", ""}};
                String[] w = wrappers[r.nextInt(wrappers.length)];
                return new Mutation("wrapped", w[0] + doc + w[1]);
            }
        }
    }

    private static Span pick(List<Span> spans, char kind, Random r) {
        while (true) {
            Span s = spans.get(r.nextInt(spans.size()));
            if (s.kind() == kind) {
                return s;
            }
        }
    }

    private static Span pickMember(List<Span> spans, Random r) {
        while (true) {
            Span s = spans.get(r.nextInt(spans.size()));
            if (s.memberStart() >= 0) {
                return s;
            }
        }
    }

    // ---- stats files --------------------------------------------------------------------------

    /** The fields of a stats file header, as a crafted file states them. */
    static final class Header {
        long magic = StatsFileLayout.MAGIC;
        int version = StatsFileLayout.FORMAT_VERSION;
        int headerSize = StatsFileLayout.HEADER_SIZE;
        long pid = 4242;
        long jvmStartMs = 1_764_190_000_000L;
        long sequence = 2;
        long heartbeatNs = StatsFileFixtures.HEARTBEAT_NS;
        Long payloadOffset; // null: the start of the first slot (or the second, with secondSlot)
        Long payloadLength; // null: the payload's length
        Long capacity; // null: the slot size, the payload's length
        int allocatorCount;
        int intervalMs = 1000;
        boolean secondSlot;
    }

    /**
     * A small stats file: the header, then two slots of {@code capacity} bytes (the payload in the
     * first, or in the second with {@link Header#secondSlot}). Unlike the writer's files (slots of at
     * least 64 KiB), these are as small as the payload, which the format allows.
     */
    static byte[] statsFile(Header h, byte[] payload) {
        int slot = Math.max(1, payload.length); // the slots as written; the header may say otherwise
        long capacity = h.capacity != null ? h.capacity : slot;
        int hs = h.headerSize > 0 && h.headerSize < 8192 ? Math.max(h.headerSize, StatsFileLayout.FIELDS_END)
                : StatsFileLayout.HEADER_SIZE;
        byte[] file = new byte[hs + 2 * slot];
        ByteBuffer b = ByteBuffer.wrap(file).order(StatsFileLayout.ORDER);
        long offset = h.payloadOffset != null ? h.payloadOffset : h.secondSlot ? hs + slot : hs;
        b.putLong(StatsFileLayout.MAGIC_OFFSET, h.magic);
        b.putInt(StatsFileLayout.VERSION_OFFSET, h.version);
        b.putInt(StatsFileLayout.HEADER_SIZE_OFFSET, h.headerSize);
        b.putLong(StatsFileLayout.PID_OFFSET, h.pid);
        b.putLong(StatsFileLayout.JVM_START_OFFSET, h.jvmStartMs);
        b.putLong(StatsFileLayout.SEQUENCE_OFFSET, h.sequence);
        b.putLong(StatsFileLayout.HEARTBEAT_OFFSET, h.heartbeatNs);
        b.putLong(StatsFileLayout.PAYLOAD_OFFSET_OFFSET, offset);
        b.putLong(StatsFileLayout.PAYLOAD_LENGTH_OFFSET, h.payloadLength != null ? h.payloadLength : payload.length);
        b.putLong(StatsFileLayout.CAPACITY_OFFSET, capacity);
        b.putInt(StatsFileLayout.ALLOCATOR_COUNT_OFFSET, h.allocatorCount);
        b.putInt(StatsFileLayout.INTERVAL_OFFSET, h.intervalMs);
        int at = h.secondSlot ? hs + slot : hs;
        System.arraycopy(payload, 0, file, at, Math.min(payload.length, file.length - at));
        return file;
    }

    /** The header fields with their offsets and widths, for exhaustive boundary values. */
    static Map<String, int[]> headerFields() {
        Map<String, int[]> f = new LinkedHashMap<>();
        f.put("magic", new int[] {StatsFileLayout.MAGIC_OFFSET, 8});
        f.put("version", new int[] {StatsFileLayout.VERSION_OFFSET, 4});
        f.put("header_size", new int[] {StatsFileLayout.HEADER_SIZE_OFFSET, 4});
        f.put("pid", new int[] {StatsFileLayout.PID_OFFSET, 8});
        f.put("jvm_start", new int[] {StatsFileLayout.JVM_START_OFFSET, 8});
        f.put("sequence", new int[] {StatsFileLayout.SEQUENCE_OFFSET, 8});
        f.put("heartbeat", new int[] {StatsFileLayout.HEARTBEAT_OFFSET, 8});
        f.put("payload_offset", new int[] {StatsFileLayout.PAYLOAD_OFFSET_OFFSET, 8});
        f.put("payload_length", new int[] {StatsFileLayout.PAYLOAD_LENGTH_OFFSET, 8});
        f.put("capacity", new int[] {StatsFileLayout.CAPACITY_OFFSET, 8});
        f.put("allocator_count", new int[] {StatsFileLayout.ALLOCATOR_COUNT_OFFSET, 4});
        f.put("interval", new int[] {StatsFileLayout.INTERVAL_OFFSET, 4});
        return f;
    }

    /** Boundary values for a header field of a file of {@code size} bytes. */
    static long[] boundaryValues(long size) {
        return new long[] {0, 1, -1, 2, 7, 8, 127, 128, 129, 4095, 4096, 4104, size - 1, size, size + 1, size / 2,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 31, 1L << 32, (1L << 32) - 1, StatsFileLayout.MAX_PAYLOAD_BYTES,
            StatsFileLayout.MAX_PAYLOAD_BYTES + 1L, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1};
    }
}
