package io.tslab;

import io.tslab.FuzzInputs.Header;
import io.tslab.FuzzInputs.Mutation;
import io.tslab.FuzzInputs.Span;
import io.tslab.internal.SnapshotJsonReader;
import io.tslab.internal.statsfile.StatsFileLayout;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileException;
import io.tslab.stats.StatsFileException.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fuzz corpus of the two readers, kept under {@code src/test/resources/fuzz/} for regressions,
 * and a fresh structure-aware fuzz run on every build.
 *
 * <ul>
 *   <li>{@code fuzz/json/accept/*.json} must be read by {@link AllocatorSnapshot#fromJson}, and the
 *       snapshot must write JSON that reads back to itself; {@code fuzz/json/reject/*.json} must be
 *       refused with an {@link IllegalArgumentException}. Truncated, bit-flipped, huge numbers, wrong
 *       types, deep nesting, bad strings, duplicate and missing fields, and documents that are valid
 *       but say impossible things (kept in {@code accept}: the readers downstream, such as the CLI,
 *       must cope with them).</li>
 *   <li>{@code fuzz/statsfile/<outcome>/*.tsf}: small crafted stats files; {@link StatsFile#readFile}
 *       must accept those in {@code accept} and refuse the others with the {@link Problem} their
 *       directory names.</li>
 * </ul>
 *
 * The corpus is produced by {@link #jsonCases()} and {@link #statsFileCases()} and checked in; after
 * an intended change of outcome, {@code -Dtslab.updateFuzzCorpus=true} rewrites it (review the
 * diff). An input the random fuzz finds failing is written to {@code target/fuzz-findings/}: add it
 * to the cases once fixed. Forbidden everywhere: any other exception or error escaping a reader
 * (a {@link StackOverflowError}, an {@link OutOfMemoryError}, a {@link NullPointerException}, a
 * {@link NumberFormatException}...), and a read taking more than a second.
 */
class FuzzCorpusTest {
    static final Path CORPUS = Path.of("src/test/resources/fuzz");
    static final Path FINDINGS = Path.of("target/fuzz-findings");
    private static final boolean UPDATE = Boolean.getBoolean("tslab.updateFuzzCorpus");
    private static final long SLOW_NANOS = 1_000_000_000L;
    private static final long FUZZ_SEED = Long.getLong("tslab.fuzz.seed", 20251127L);
    private static final int JSON_MUTATIONS = Integer.getInteger("tslab.fuzz.json", 6_000);
    private static final int STATS_FILE_MUTATIONS = Integer.getInteger("tslab.fuzz.statsFiles", 1_500);

    @TempDir
    Path dir;

    static String golden() throws IOException {
        return Files.readString(Path.of("src/test/resources/golden/snapshot-v1.json"), StandardCharsets.UTF_8)
                .replaceFirst("\"pid\": 0,", "\"pid\": 4242,");
    }

    // ---- JSON -------------------------------------------------------------------------------

    /** The JSON corpus: name -> document. Deterministic. */
    static Map<String, String> jsonCases() throws IOException {
        String g = golden();
        List<Span> spans = FuzzInputs.spans(g);
        Map<String, Span> at = new LinkedHashMap<>();
        for (Span s : spans) {
            at.put(s.path(), s);
        }
        Map<String, String> c = new LinkedHashMap<>();
        // huge and malformed numbers
        c.put("pid-long-max", FuzzInputs.replace(g, at.get("$.pid"), "9223372036854775807"));
        c.put("pid-long-overflow", FuzzInputs.replace(g, at.get("$.pid"), "9223372036854775808"));
        c.put("pid-below-long-min", FuzzInputs.replace(g, at.get("$.pid"), "-9223372036854775809"));
        c.put("pid-70-digits", FuzzInputs.replace(g, at.get("$.pid"), "1".repeat(70)));
        c.put("epoch-count-int-overflow", FuzzInputs.replace(g, at.get("$.epoch_count"), "2147483648"));
        c.put("double-overflow", FuzzInputs.replace(g, at.get("$.classes[0].recycle_rate_pct"), "1e400"));
        c.put("double-underflow", FuzzInputs.replace(g, at.get("$.classes[0].recycle_rate_pct"), "1e-400"));
        c.put("double-nan-literal", FuzzInputs.replace(g, at.get("$.classes[0].recycle_rate_pct"), "NaN"));
        c.put("long-negative-zero", FuzzInputs.replace(g, at.get("$.live_objects"), "-0"));
        c.put("long-with-exponent", FuzzInputs.replace(g, at.get("$.live_objects"), "1E2"));
        c.put("long-with-fraction", FuzzInputs.replace(g, at.get("$.live_objects"), "51.5"));
        c.put("long-with-plus", FuzzInputs.replace(g, at.get("$.live_objects"), "+51"));
        c.put("long-leading-zero", FuzzInputs.replace(g, at.get("$.live_objects"), "051"));
        c.put("long-hex", FuzzInputs.replace(g, at.get("$.live_objects"), "0x33"));
        c.put("every-number-long-max", everyNumber(g, spans, "9223372036854775807"));
        c.put("every-number-int-max", everyNumber(g, spans, "2147483647"));
        c.put("every-number-minus-one", everyNumber(g, spans, "-1"));
        c.put("every-number-zero", everyNumber(g, spans, "0"));
        // wrong types
        c.put("string-for-number", FuzzInputs.replace(g, at.get("$.live_objects"), "\"51\""));
        c.put("null-for-number", FuzzInputs.replace(g, at.get("$.live_objects"), "null"));
        c.put("bool-for-string", FuzzInputs.replace(g, at.get("$.allocator"), "true"));
        c.put("null-for-string", FuzzInputs.replace(g, at.get("$.allocator"), "null"));
        c.put("array-for-object", FuzzInputs.replace(g, at.get("$.last_epoch_close"), "[]"));
        c.put("object-for-list", FuzzInputs.replace(g, at.get("$.classes"), "{}"));
        c.put("null-for-list", FuzzInputs.replace(g, at.get("$.classes"), "null"));
        c.put("number-for-map", FuzzInputs.replace(g, at.get("$.invalid_frees_by_reason"), "7"));
        c.put("enum-lower-case", FuzzInputs.replace(g, at.get("$.epochs[0].state"), "\"active\""));
        c.put("enum-unknown", FuzzInputs.replace(g, at.get("$.epochs[0].state"), "\"ZOMBIE\""));
        c.put("bool-as-number", FuzzInputs.replace(g, at.get("$.counters_enabled"), "1"));
        // valid documents that say impossible things
        c.put("empty-lists", FuzzInputs.replace(FuzzInputs.replace(FuzzInputs.replace(g, at.get("$.class_epochs"), "[]"),
                at.get("$.epochs"), "[]"), at.get("$.classes"), "[]"));
        c.put("class-index-out-of-range", FuzzInputs.replace(g, at.get("$.classes[0].class_index"), "99"));
        c.put("epoch-id-out-of-range", FuzzInputs.replace(g, at.get("$.epochs[0].epoch_id"), "1000"));
        c.put("current-epoch-out-of-range", FuzzInputs.replace(g, at.get("$.current_epoch"), "99"));
        c.put("epoch-count-zero", FuzzInputs.replace(g, at.get("$.epoch_count"), "0"));
        c.put("slots-per-slab-zero", FuzzInputs.replace(g, at.get("$.classes[0].slots_per_slab"), "0"));
        c.put("slab-size-zero", FuzzInputs.replace(g, at.get("$.slab_size"), "0"));
        c.put("live-exceeds-slots", FuzzInputs.replace(g, at.get("$.classes[0].live_objects"), "1000000"));
        c.put("unknown-fields", g.replaceFirst("\\{", java.util.regex.Matcher.quoteReplacement(
                "{\"future_field\": {\"a\": [1, 2.5, {\"b\": null, \"c\": [true, \"x\"]}]}, \"z\": [],")));
        // nesting
        // depth counts the document's own object: 62 levels also fit in the stats file's payload form (+2)
        c.put("nesting-62-levels", g.replaceFirst("\\{", "{\"deep\": " + FuzzInputs.nest(61, false) + ","));
        c.put("nesting-65-levels", g.replaceFirst("\\{", "{\"deep\": " + FuzzInputs.nest(64, false) + ","));
        c.put("nesting-5000-arrays", FuzzInputs.nest(5_000, false));
        c.put("nesting-2000-objects", FuzzInputs.nest(2_000, true));
        c.put("nesting-in-a-field", FuzzInputs.replace(g, at.get("$.classes"), FuzzInputs.nest(100, false)));
        // strings
        c.put("label-5000-chars", FuzzInputs.replace(g, at.get("$.epochs[0].label"), FuzzInputs.longString(5_000, 'x')));
        c.put("name-lone-surrogate", FuzzInputs.replace(g, at.get("$.allocator"), "\"\\ud800\""));
        c.put("name-reversed-surrogates", FuzzInputs.replace(g, at.get("$.allocator"), "\"\\udc00\\ud800\""));
        c.put("name-nul", FuzzInputs.replace(g, at.get("$.allocator"), "\"a\\u0000b\""));
        c.put("name-raw-control-char", FuzzInputs.replace(g, at.get("$.allocator"), "\"a\u0001b\""));
        c.put("name-bad-escape", FuzzInputs.replace(g, at.get("$.allocator"), "\"\\x41\""));
        c.put("name-short-unicode-escape", FuzzInputs.replace(g, at.get("$.allocator"), "\"\\u12\""));
        c.put("name-emoji-and-bidi", FuzzInputs.replace(g, at.get("$.allocator"), "\"\uD83D\uDE00 \u202Eevil\""));
        c.put("name-unterminated", g.substring(0, at.get("$.allocator").start()) + "\"golden");
        c.put("name-single-quotes", FuzzInputs.replace(g, at.get("$.allocator"), "'golden'"));
        // fields
        c.put("duplicate-field", FuzzInputs.duplicateMember(g, at.get("$.pid"), "1"));
        c.put("duplicate-nested-field", FuzzInputs.duplicateMember(g, at.get("$.classes[3].live_objects"), "0"));
        c.put("duplicate-map-key", FuzzInputs.duplicateMember(g, at.get("$.invalid_frees_by_reason.foreign"), "9"));
        c.put("missing-field", FuzzInputs.deleteMember(g, at.get("$.pid")));
        c.put("missing-nested-field", FuzzInputs.deleteMember(g, at.get("$.classes[0].object_size")));
        c.put("schema-version-2", FuzzInputs.replace(g, at.get("$.schema_version"), "2"));
        // damage
        c.put("truncated-after-first-brace", g.substring(0, 1));
        c.put("truncated-in-the-middle", g.substring(0, g.length() / 2));
        c.put("truncated-last-brace", g.substring(0, g.lastIndexOf('}')));
        c.put("truncated-mid-number", g.substring(0, at.get("$.mapped_bytes").start() + 3));
        c.put("truncated-mid-escape", FuzzInputs.replace(g, at.get("$.allocator"), "\"ab\\").substring(0,
                at.get("$.allocator").start() + 4));
        Random r = new Random(7);
        for (int i = 0; i < 4; i++) {
            byte[] b = g.getBytes(StandardCharsets.UTF_8);
            int bit = r.nextInt(b.length * 8);
            b[bit >> 3] ^= (byte) (1 << (bit & 7));
            c.put("bitflip-" + i, new String(b, StandardCharsets.UTF_8));
        }
        c.put("bom", "\uFEFF" + g);
        c.put("trailing-garbage", g + " x");
        c.put("two-documents", g + g);
        c.put("comment", "/* a comment */ " + g);
        c.put("nbsp-whitespace", "\u00a0" + g);
        c.put("top-level-array", "[" + g + "]");
        c.put("allocators-wrapper", "{\"allocators\": [" + g + "]}");
        c.put("empty", "");
        c.put("whitespace-only", " \n\t ");
        c.put("top-level-null", "null");
        c.put("top-level-number", "4242");
        return c;
    }

    private static String everyNumber(String g, List<Span> spans, String value) {
        StringBuilder b = new StringBuilder(g);
        for (int i = spans.size() - 1; i >= 0; i--) {
            Span s = spans.get(i);
            if (s.kind() == 'n' && !s.path().equals("$.schema_version")) {
                b.replace(s.start(), s.end(), value);
            }
        }
        return b.toString();
    }

    /** null when {@code json} is read, else the IllegalArgumentException's message; fails on anything else. */
    static String jsonOutcome(String name, String json) {
        long start = System.nanoTime();
        try {
            AllocatorSnapshot s = AllocatorSnapshot.fromJson(json);
            String written = s.toJson();
            String again = AllocatorSnapshot.fromJson(written).toJson();
            if (!again.equals(written)) {
                throw new AssertionError(name + ": accepted, but its JSON does not read back to itself");
            }
            return null;
        } catch (IllegalArgumentException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError(name + ": refused without a message", refused);
            }
            return refused.getMessage();
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError(name + ": the reader failed with " + e, e);
        } finally {
            long took = System.nanoTime() - start;
            if (took > SLOW_NANOS) {
                throw new AssertionError(name + ": the read took " + took / 1_000_000 + " ms");
            }
        }
    }

    @Test
    void theJsonCorpusKeepsItsOutcomes() throws IOException {
        Path json = CORPUS.resolve("json");
        if (UPDATE) {
            for (String outcome : List.of("accept", "reject")) {
                Files.createDirectories(json.resolve(outcome));
                try (Stream<Path> old = Files.list(json.resolve(outcome))) {
                    for (Path p : old.toList()) {
                        Files.delete(p);
                    }
                }
            }
            for (Map.Entry<String, String> e : jsonCases().entrySet()) {
                String outcome = jsonOutcome(e.getKey(), e.getValue()) == null ? "accept" : "reject";
                Files.writeString(json.resolve(outcome).resolve(e.getKey() + ".json"), e.getValue(), StandardCharsets.UTF_8);
            }
        }
        int replayed = 0;
        for (String outcome : List.of("accept", "reject")) {
            try (Stream<Path> files = Files.list(json.resolve(outcome))) {
                for (Path p : files.sorted().toList()) {
                    String doc = Files.readString(p, StandardCharsets.UTF_8);
                    String refused = jsonOutcome(p.toString(), doc);
                    if (outcome.equals("accept") && refused != null) {
                        fail(p + " is refused (" + refused + "); the corpus says it is read");
                    }
                    if (outcome.equals("reject") && refused == null) {
                        fail(p + " is read; the corpus says it must be refused");
                    }
                    // the stats file's payload form goes through the same reader: what is read alone is
                    // read there too, and nothing fails with anything but an IllegalArgumentException
                    String wrapped = "{\"allocators\": [" + doc + "]}";
                    try {
                        SnapshotJsonReader.readAllocators(wrapped);
                    } catch (IllegalArgumentException e) {
                        assertEquals("reject", outcome, p + " in the payload form: " + e.getMessage());
                    } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                        fail(p + " in the payload form: the reader failed with " + e, e);
                    }
                    replayed++;
                }
            }
        }
        assertTrue(replayed >= jsonCases().size(), replayed + " corpus documents");
        System.out.println("fuzz corpus: " + replayed + " JSON documents replayed");
    }

    @Test
    void randomStructuredMutationsOfASnapshotFailCleanly() throws IOException {
        String g = golden();
        List<Span> spans = FuzzInputs.spans(g);
        Random r = new Random(FUZZ_SEED);
        Map<String, int[]> byKind = new TreeMap<>(); // kind -> {tried, accepted}
        List<String> findings = new ArrayList<>();
        for (int i = 0; i < JSON_MUTATIONS; i++) {
            Mutation m = FuzzInputs.mutate(g, spans, r);
            int[] counts = byKind.computeIfAbsent(m.kind(), k -> new int[2]);
            counts[0]++;
            try {
                if (jsonOutcome(m.kind(), m.text()) == null) {
                    counts[1]++;
                }
                if (i % 4 == 0) {
                    try {
                        SnapshotJsonReader.readAllocators("{\"allocators\": [" + m.text() + "]}");
                    } catch (IllegalArgumentException refused) {
                        // fine
                    }
                }
            } catch (Throwable t) {
                findings.add(record("json-" + i + ".json", m.text(), m.kind() + ": " + t));
            }
        }
        System.out.println("fuzz: " + JSON_MUTATIONS + " JSON mutations (seed " + FUZZ_SEED + "), by kind {tried, read}: "
                + byKind.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()[0] + "/" + e.getValue()[1]).toList());
        assertEquals(List.of(), findings, "inputs that broke the reader, kept in " + FINDINGS.toAbsolutePath());
    }

    private static String record(String name, String text, String what) {
        try {
            Files.createDirectories(FINDINGS);
            Files.writeString(FINDINGS.resolve(name), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return what + " (could not save the input: " + e + ")";
        }
        return what + " (input: " + FINDINGS.resolve(name) + ")";
    }

    // ---- stats files --------------------------------------------------------------------------

    private static final byte[] NO_ALLOCATORS = "{\"allocators\": []}\n".getBytes(StandardCharsets.US_ASCII);

    private static byte[] oneAllocator(String doc) {
        return ("{\"allocators\": [\n" + doc.strip() + "]}\n").getBytes(StandardCharsets.UTF_8);
    }

    private interface HeaderEdit {
        void apply(Header h);
    }

    private static byte[] file(byte[] payload, int allocators, HeaderEdit edit) {
        Header h = new Header();
        h.allocatorCount = allocators;
        edit.apply(h);
        return FuzzInputs.statsFile(h, payload);
    }

    /** The stats-file corpus: "outcome/name" -> bytes, outcome "accept" or a {@link Problem} in lower case. */
    static Map<String, byte[]> statsFileCases() throws IOException {
        byte[] one = oneAllocator(golden());
        Map<String, byte[]> c = new LinkedHashMap<>();
        c.put("accept/no-allocators", file(NO_ALLOCATORS, 0, h -> { }));
        c.put("accept/one-allocator", file(one, 1, h -> { }));
        c.put("accept/one-allocator-second-slot", file(one, 1, h -> h.secondSlot = true));
        c.put("accept/header-size-4096", file(NO_ALLOCATORS, 0, h -> h.headerSize = 4096));
        c.put("accept/jvm-start-unknown", file(NO_ALLOCATORS, 0, h -> h.jvmStartMs = 0));
        c.put("foreign/bad-magic", file(NO_ALLOCATORS, 0, h -> h.magic ^= 1));
        c.put("foreign/elf-magic", file(NO_ALLOCATORS, 0, h -> h.magic = 0x00010102464c457fL));
        c.put("foreign/zero-magic", file(NO_ALLOCATORS, 0, h -> h.magic = 0));
        c.put("unsupported_version/version-2", file(NO_ALLOCATORS, 0, h -> h.version = 2));
        c.put("unsupported_version/version-0", file(NO_ALLOCATORS, 0, h -> h.version = 0));
        c.put("unsupported_version/version-minus-1", file(NO_ALLOCATORS, 0, h -> h.version = -1));
        c.put("corrupt/header-size-120", file(NO_ALLOCATORS, 0, h -> h.headerSize = 120));
        c.put("corrupt/header-size-130", file(NO_ALLOCATORS, 0, h -> h.headerSize = 130));
        c.put("corrupt/header-size-4104", file(NO_ALLOCATORS, 0, h -> h.headerSize = 4104));
        c.put("corrupt/pid-0", file(NO_ALLOCATORS, 0, h -> h.pid = 0));
        c.put("corrupt/pid-negative", file(NO_ALLOCATORS, 0, h -> h.pid = -4242));
        c.put("corrupt/jvm-start-negative", file(NO_ALLOCATORS, 0, h -> h.jvmStartMs = -1));
        c.put("corrupt/capacity-0", file(NO_ALLOCATORS, 0, h -> h.capacity = 0L));
        c.put("corrupt/capacity-beyond-limit", file(NO_ALLOCATORS, 0, h -> h.capacity = StatsFileLayout.MAX_PAYLOAD_BYTES + 1L));
        c.put("corrupt/payload-offset-mid-slot", file(NO_ALLOCATORS, 0, h -> h.payloadOffset = StatsFileLayout.HEADER_SIZE + 1L));
        c.put("corrupt/payload-offset-negative", file(NO_ALLOCATORS, 0, h -> h.payloadOffset = Long.MIN_VALUE));
        c.put("corrupt/payload-length-0", file(NO_ALLOCATORS, 0, h -> h.payloadLength = 0L));
        c.put("corrupt/payload-length-over-capacity", file(NO_ALLOCATORS, 0, h -> h.payloadLength = NO_ALLOCATORS.length + 1L));
        c.put("corrupt/payload-length-long-max", file(NO_ALLOCATORS, 0, h -> h.payloadLength = Long.MAX_VALUE));
        c.put("corrupt/heartbeat-0", file(NO_ALLOCATORS, 0, h -> h.heartbeatNs = 0));
        c.put("corrupt/heartbeat-negative", file(NO_ALLOCATORS, 0, h -> h.heartbeatNs = Long.MIN_VALUE));
        c.put("corrupt/allocator-count-negative", file(NO_ALLOCATORS, 0, h -> h.allocatorCount = -1));
        c.put("corrupt/allocator-count-beyond-limit", file(NO_ALLOCATORS, 0, h -> h.allocatorCount = StatsFileLayout.MAX_ALLOCATORS + 1));
        c.put("corrupt/allocator-count-mismatch", file(one, 1, h -> h.allocatorCount = 2));
        c.put("corrupt/interval-0", file(NO_ALLOCATORS, 0, h -> h.intervalMs = 0));
        c.put("corrupt/interval-beyond-limit", file(NO_ALLOCATORS, 0, h -> h.intervalMs = StatsFileLayout.MAX_INTERVAL_MS + 1));
        byte[] notUtf8 = NO_ALLOCATORS.clone();
        notUtf8[5] = (byte) 0xC3; // a lead byte followed by ASCII
        c.put("corrupt/payload-not-utf8", file(notUtf8, 0, h -> { }));
        c.put("corrupt/payload-not-json", file("hello, world".getBytes(StandardCharsets.US_ASCII), 0, h -> { }));
        c.put("corrupt/payload-wrong-pid", file(one, 1, h -> h.pid = 4243));
        c.put("corrupt/payload-truncated-json", file(java.util.Arrays.copyOf(one, one.length / 2), 1, h -> { }));
        c.put("corrupt/payload-deep-nesting", file(("{\"allocators\": [], \"x\": " + FuzzInputs.nest(5_000, false) + "}")
                .getBytes(StandardCharsets.US_ASCII), 0, h -> { }));
        c.put("corrupt/payload-schema-version-2", file(oneAllocator(golden().replaceFirst("\"schema_version\": 1",
                "\"schema_version\": 2")), 1, h -> { }));
        c.put("corrupt/payload-long-overflow", file(oneAllocator(golden().replaceFirst("\"live_objects\": 51",
                "\"live_objects\": 9223372036854775808")), 1, h -> { }));
        byte[] header = file(NO_ALLOCATORS, 0, h -> { });
        c.put("truncated/empty-file", new byte[0]);
        c.put("truncated/half-a-header", java.util.Arrays.copyOf(header, 50));
        c.put("truncated/header-only", java.util.Arrays.copyOf(header, StatsFileLayout.HEADER_SIZE));
        c.put("truncated/slots-beyond-the-end", java.util.Arrays.copyOf(header, header.length - 1));
        c.put("truncated/header-size-beyond-the-file", java.util.Arrays.copyOf(file(NO_ALLOCATORS, 0, h -> h.headerSize = 4096),
                2048));
        c.put("busy/odd-sequence", file(NO_ALLOCATORS, 0, h -> h.sequence = 3));
        return c;
    }

    /** "accept" when the file is read, else the problem in lower case; fails on anything else. */
    static String statsFileOutcome(String name, Path file) {
        long start = System.nanoTime();
        try {
            StatsFile.readFile(file);
            return "accept";
        } catch (StatsFileException e) {
            if (!e.getMessage().startsWith("stats file " + file + ": ")) {
                throw new AssertionError(name + ": message does not name the file: " + e.getMessage());
            }
            return e.problem().name().toLowerCase(Locale.ROOT);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError(name + ": the reader failed with " + e, e);
        } finally {
            long took = System.nanoTime() - start;
            if (took > SLOW_NANOS) {
                throw new AssertionError(name + ": the read took " + took / 1_000_000 + " ms");
            }
        }
    }

    @Test
    void theStatsFileCorpusKeepsItsOutcomes() throws IOException {
        Path root = CORPUS.resolve("statsfile");
        Map<String, byte[]> cases = statsFileCases();
        if (UPDATE) {
            if (Files.exists(root)) {
                try (Stream<Path> old = Files.walk(root)) {
                    for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            for (Map.Entry<String, byte[]> e : cases.entrySet()) {
                Path p = root.resolve(e.getKey() + ".tsf");
                Files.createDirectories(p.getParent());
                Files.write(p, e.getValue());
            }
        }
        Map<String, Integer> byOutcome = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".tsf")).sorted().toList()) {
                String expected = p.getParent().getFileName().toString();
                Path copy = dir.resolve("4242"); // read under a pid's name, as a reader would
                Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                assertEquals(expected, statsFileOutcome(p.toString(), copy), p.toString());
                byOutcome.merge(expected, 1, Integer::sum);
            }
        }
        assertEquals(cases.size(), byOutcome.values().stream().mapToInt(Integer::intValue).sum(),
                "every case is in the corpus (rerun with -Dtslab.updateFuzzCorpus=true after adding one)");
        System.out.println("fuzz corpus: stats files replayed by outcome " + byOutcome);
    }

    /**
     * Every header field of a valid file, set to every boundary value (0, ±1, the file's size and
     * around it, the int and long limits...): only {@link StatsFileException}s, and the problem is
     * not {@code IO}. The sequence word is kept even (an odd one means "being written": the reader
     * retries, then says BUSY, which the corpus covers).
     */
    @Test
    void everyHeaderFieldAtEveryBoundaryValueIsReadOrRefusedCleanly() throws IOException {
        byte[] base = file(oneAllocator(golden()), 1, h -> { });
        Path target = dir.resolve("4242");
        Map<Problem, Integer> problems = new EnumMap<>(Problem.class);
        int read = 0;
        int tried = 0;
        for (Map.Entry<String, int[]> field : FuzzInputs.headerFields().entrySet()) {
            for (long value : FuzzInputs.boundaryValues(base.length)) {
                byte[] b = base.clone();
                ByteBuffer view = ByteBuffer.wrap(b).order(StatsFileLayout.ORDER);
                int offset = field.getValue()[0];
                long v = field.getKey().equals("sequence") ? value & ~1L : value;
                if (field.getValue()[1] == 8) {
                    view.putLong(offset, v);
                } else {
                    view.putInt(offset, (int) v);
                }
                Files.write(target, b);
                String outcome = statsFileOutcome(field.getKey() + "=" + v, target);
                tried++;
                if (outcome.equals("accept")) {
                    read++;
                } else {
                    Problem p = Problem.valueOf(outcome.toUpperCase(Locale.ROOT));
                    assertTrue(p != Problem.IO, field.getKey() + "=" + v + ": IO");
                    problems.merge(p, 1, Integer::sum);
                }
            }
        }
        System.out.println("fuzz: " + tried + " header field values, " + read + " still readable, refused " + problems);
        assertTrue(problems.keySet().containsAll(List.of(Problem.FOREIGN, Problem.UNSUPPORTED_VERSION, Problem.CORRUPT,
                Problem.TRUNCATED)), problems.toString());
    }

    /**
     * Random structured mutations of the payload JSON, with the header's length fixed up so that
     * every one reaches the JSON reader through the stats file reader. Forbidden: anything but a
     * read or a {@link StatsFileException} (CORRUPT when the payload is refused).
     */
    @Test
    void randomPayloadMutationsReachTheJsonReaderAndFailCleanly() throws IOException {
        String payload = new String(oneAllocator(golden()), StandardCharsets.UTF_8);
        List<Span> spans = FuzzInputs.spans(payload);
        Random r = new Random(FUZZ_SEED + 1);
        Path target = dir.resolve("4242");
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> findings = new ArrayList<>();
        for (int i = 0; i < STATS_FILE_MUTATIONS; i++) {
            Mutation m = FuzzInputs.mutate(payload, spans, r);
            byte[] bytes = m.text().getBytes(StandardCharsets.UTF_8);
            if (bytes.length == 0 || bytes.length > StatsFileLayout.MAX_PAYLOAD_BYTES) {
                continue;
            }
            byte[] f = file(bytes, 1, h -> { });
            Files.write(target, f);
            try {
                outcomes.merge(statsFileOutcome(m.kind(), target), 1, Integer::sum);
            } catch (Throwable t) {
                findings.add(record("statsfile-" + i + ".tsf.json", m.text(), m.kind() + ": " + t));
            }
        }
        System.out.println("fuzz: " + STATS_FILE_MUTATIONS + " stats-file payload mutations, outcomes " + outcomes);
        assertEquals(List.of(), findings);
        assertTrue(outcomes.getOrDefault("corrupt", 0) > STATS_FILE_MUTATIONS / 4, outcomes.toString());
    }
}
