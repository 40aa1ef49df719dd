package io.tslab;

import io.tslab.internal.SnapshotJsonReader;
import io.tslab.stats.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link AllocatorSnapshot#fromJson}: the exact inverse of {@code toJson()}, strict about what a
 * snapshot must contain, lenient only about fields a newer writer may add, and bounded on hostile input.
 */
class JsonSnapshotReaderTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/snapshot-v1.json");

    private static String golden() throws IOException {
        return Files.readString(GOLDEN, StandardCharsets.UTF_8);
    }

    /** A snapshot with every section populated: labels needing escapes, a leak site, a close, refusals. */
    private static AllocatorSnapshot liveSnapshot() {
        try (SlabAllocator a = SlabAllocator.builder().name("round \"trip\" é ✓").reserveBytes(32L << 20).epochs(4)
                .leakDetection(true).publishStatsFile(false).build()) {
            a.setEpochLabel(0, "quote \" back\\slash é ✓ 😀");
            List<Long> kept = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                long h = a.alloc(1 + (i * 53) % 768);
                if (i % 4 == 0) {
                    kept.add(h);
                } else {
                    a.free(h);
                }
            }
            a.newDomain("leaky").enter();
            a.free(12345L);
            a.advanceEpoch();
            for (int i = 0; i < kept.size(); i += 3) {
                a.free(kept.get(i));
            }
            a.closeEpoch(0);
            a.alloc(64, 0);
            return a.snapshot();
        }
    }

    @Test
    void theGoldenDocumentRoundTripsByteForByte() throws IOException {
        String json = golden();
        AllocatorSnapshot s = AllocatorSnapshot.fromJson(json);
        assertEquals(json, s.toJson());
        assertEquals("golden", s.allocator());
        assertEquals(4, s.epochCount());
        assertEquals(EpochState.CLOSING, s.epochStats(0).state());
        assertEquals(1L, s.global().invalidFreesByReason().get("null_handle"));
    }

    @Test
    void aLiveSnapshotRoundTripsToTheSameDocumentAndEqualRecords() {
        AllocatorSnapshot original = liveSnapshot();
        String json = original.toJson();
        AllocatorSnapshot read = AllocatorSnapshot.fromJson(json);
        assertEquals(json, read.toJson());
        assertEquals(original.global(), read.global());
        assertEquals(original.epochs().getFirst().label(), read.epochs().getFirst().label());
        assertEquals(original.classEpochs(), read.classEpochs());
        assertEquals(original.lastEpochClose(), read.lastEpochClose());
        assertEquals(List.copyOf(original.global().invalidFreesByReason().keySet()),
                List.copyOf(read.global().invalidFreesByReason().keySet()), "map order is kept");
    }

    @Test
    void aMissingFieldIsNamed() throws IOException {
        String json = golden().replaceFirst("\n  \"live_bytes\": \\d+,", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(json));
        assertTrue(e.getMessage().contains("missing field 'live_bytes'"), e.getMessage());

        String nested = golden().replaceFirst("\"slots_per_slab\": 42, ", "");
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(nested));
        assertTrue(n.getMessage().startsWith("$.classes[1] ("), n.getMessage());
        assertTrue(n.getMessage().contains("missing field 'slots_per_slab'"), n.getMessage());
    }

    @Test
    void aWrongTypeIsNamedWithItsPathAndPosition() throws IOException {
        String json = golden().replaceFirst("\"live_objects\": 51", "\"live_objects\": \"51\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(json));
        assertTrue(e.getMessage().matches("\\$\\.live_objects \\(line \\d+, column \\d+\\): expected a number, found a string"),
                e.getMessage());

        String state = golden().replaceFirst("\"state\": \"CLOSING\"", "\"state\": \"OPEN\"");
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(state));
        assertTrue(s.getMessage().contains("$.epochs[0].state: unknown value \"OPEN\" (expected one of [ACTIVE, CLOSING])"),
                s.getMessage());

        String fraction = golden().replaceFirst("\"epoch_count\": 4", "\"epoch_count\": 4.5");
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(fraction));
        assertTrue(f.getMessage().startsWith("$.epoch_count (line "), f.getMessage());
        assertTrue(f.getMessage().contains("expected an integer, found 4.5"), f.getMessage());

        String overflow = golden().replaceFirst("\"epoch_count\": 4", "\"epoch_count\": 4294967296");
        IllegalArgumentException o = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(overflow));
        assertTrue(o.getMessage().contains("out of range (expected a 32-bit signed value)"), o.getMessage());

        String nullNumber = golden().replaceFirst("\"net_slabs\": 17", "\"net_slabs\": null");
        IllegalArgumentException nn = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(nullNumber));
        assertTrue(nn.getMessage().contains("$.net_slabs") && nn.getMessage().contains("found null"), nn.getMessage());
    }

    @Test
    void duplicateFieldsAndOtherSchemaVersionsAreRefused() throws IOException {
        String dup = golden().replaceFirst("\"live_bytes\": ", "\"live_bytes\": 1, \"live_bytes\": ");
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(dup));
        assertTrue(d.getMessage().contains("duplicate field 'live_bytes'"), d.getMessage());

        String v2 = golden().replaceFirst("\"schema_version\": 1", "\"schema_version\": 2");
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(v2));
        assertEquals("$.schema_version: 2 is not supported (expected 1)", v.getMessage());
    }

    @Test
    void unknownFieldsOfANewerWriterAreSkipped() throws IOException {
        String json = golden().replaceFirst("\\{", "{\"future\": {\"a\": [1, 2.5, \"x\", null, {\"b\": true}]}, ")
                .replaceFirst("\"object_size\": 64, ", "\"object_size\": 64, \"future_rate\": 0.5, ");
        AllocatorSnapshot s = AllocatorSnapshot.fromJson(json);
        assertEquals(golden(), s.toJson());
    }

    @Test
    void arraysAreBoundedSoAHostileDocumentCannotExhaustMemory() throws IOException {
        StringBuilder eras = new StringBuilder("[");
        for (int i = 0; i <= SnapshotJsonReader.MAX_ARRAY_ELEMENTS; i++) {
            eras.append(i == 0 ? "" : ",").append(1000 + i);
        }
        eras.append(']');
        Matcher m = Pattern.compile("\"eras_present\": \\[[^\\]]*\\]").matcher(golden());
        assertTrue(m.find());
        String json = golden().substring(0, m.start()) + "\"eras_present\": " + eras + golden().substring(m.end());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(json));
        assertTrue(e.getMessage().contains("more than 65536 elements"), e.getMessage());
        assertTrue(e.getMessage().startsWith("$.class_epochs[0].eras_present[65536]"), e.getMessage());

        String deep = golden().replaceFirst("\\{", "{\"x\": " + "[".repeat(100) + "]".repeat(100) + ", ");
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> AllocatorSnapshot.fromJson(deep));
        assertTrue(d.getMessage().contains("nesting deeper than 64"), d.getMessage());
    }

    @Test
    void theStatsFilePayloadFormIsReadAndChecked() throws IOException {
        String one = golden();
        List<AllocatorSnapshot> two = SnapshotJsonReader.readAllocators(
                "{\"allocators\": [\n" + one + ",\n" + one + "], \"extra\": 1}");
        assertEquals(2, two.size());
        assertEquals(one, two.get(1).toJson());
        assertEquals(List.of(), SnapshotJsonReader.readAllocators("{\"allocators\": []}"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SnapshotJsonReader.readAllocators("{\"other\": []}"));
        assertEquals("$: missing field 'allocators'", missing.getMessage());
        IllegalArgumentException notArray = assertThrows(IllegalArgumentException.class,
                () -> SnapshotJsonReader.readAllocators("{\"allocators\": {}}"));
        assertTrue(notArray.getMessage().contains("expected an array, found an object"), notArray.getMessage());
    }

    /**
     * Random damage to a real document (flipped, deleted, inserted and duplicated characters,
     * truncation) never produces anything but a snapshot or an {@link IllegalArgumentException}.
     */
    @Test
    void mutatedDocumentsFailCleanly() throws IOException {
        String json = golden();
        Random random = new Random(20251127L);
        String alphabet = "{}[]\",:0123456789-+.eE \\nultrfa\u00e9\u0000";
        int parsed = 0;
        for (int i = 0; i < 1500; i++) {
            StringBuilder doc = new StringBuilder(json);
            int edits = 1 + random.nextInt(4);
            for (int k = 0; k < edits && !doc.isEmpty(); k++) {
                int at = random.nextInt(doc.length());
                switch (random.nextInt(5)) {
                    case 0 -> doc.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> doc.deleteCharAt(at);
                    case 2 -> doc.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 3 -> doc.setLength(at);
                    default -> doc.insert(at, doc.substring(at, Math.min(doc.length(), at + random.nextInt(40))));
                }
            }
            try {
                assertNotNull(AllocatorSnapshot.fromJson(doc.toString()));
                parsed++;
            } catch (IllegalArgumentException expected) {
                assertNotNull(expected.getMessage());
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                fail("mutation " + i + " escaped as " + e + " for:\n" + doc, e);
            }
        }
        assertTrue(parsed < 1500, "some mutations must have been refused");
    }
}
