package io.tslab;

import io.tslab.stats.AllocatorSnapshot;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Epoch labels: cut to {@value SlabAllocator#MAX_LABEL_BYTES} UTF-8 bytes at a character boundary,
 * control characters refused with a message naming the rule, reset when the ring activates the
 * slot again, and carried through the JSON document exactly.
 */
class LabelTest {
    private static final String E_ACUTE = "\u00e9"; // é: 2 bytes in UTF-8
    private static final String NIHON = "\u65e5\u672c"; // 日本: 3 bytes each
    private static final String GRIN = "\ud83d\ude00"; // U+1F600: 4 bytes, a surrogate pair in UTF-16

    /** Labels and what must be kept of them: the longest prefix of whole characters within 31 bytes. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            ascii-31      | 1234567890123456789012345678901   | 1234567890123456789012345678901
            ascii-32      | 12345678901234567890123456789012  | 1234567890123456789012345678901
            ascii-40      | request-handler-for-the-orders-api-v2 | request-handler-for-the-orders-
            """)
    void asciiLabelsAreCutAt31Bytes(String name, String label, String kept) {
        assertStoredAs(label, kept);
    }

    @Test
    void twoByteCharactersAreNeverSplit() {
        assertStoredAs(E_ACUTE.repeat(15), E_ACUTE.repeat(15)); // 30 bytes: kept
        assertStoredAs(E_ACUTE.repeat(16), E_ACUTE.repeat(15)); // 32 bytes: the 16th would end at byte 32
        assertStoredAs("a" + E_ACUTE.repeat(16), "a" + E_ACUTE.repeat(15)); // exactly 31
        assertStoredAs("ab" + E_ACUTE.repeat(16), "ab" + E_ACUTE.repeat(14)); // 30: one more would be 32
    }

    @Test
    void threeByteCharactersAreNeverSplit() {
        assertStoredAs(NIHON.repeat(5), NIHON.repeat(5)); // 30 bytes
        assertStoredAs(NIHON.repeat(6), NIHON.repeat(5)); // 36 -> 30
        assertStoredAs("x" + NIHON.repeat(6), "x" + NIHON.repeat(5)); // 31
        assertStoredAs("xy" + NIHON.repeat(6), "xy" + NIHON.repeat(4) + "\u65e5"); // 2 + 27 = 29; next is 32
    }

    @Test
    void fourByteCharactersAreNeverSplit() {
        assertStoredAs(GRIN.repeat(7), GRIN.repeat(7)); // 28 bytes
        assertStoredAs(GRIN.repeat(8), GRIN.repeat(7)); // 32 -> 28, no lone surrogate
        assertStoredAs("abc" + GRIN.repeat(8), "abc" + GRIN.repeat(7)); // 31
        assertStoredAs("ab" + GRIN.repeat(8), "ab" + GRIN.repeat(7)); // 30; one more would be 34
        assertStoredAs("a" + E_ACUTE + NIHON + GRIN + "z".repeat(40),
                "a" + E_ACUTE + NIHON + GRIN + "z".repeat(31 - 1 - 2 - 6 - 4));
    }

    @ParameterizedTest(name = "U+{0}")
    @ValueSource(strings = {"0000", "0009", "000A", "000D", "001B", "007F", "0085", "009F", "2028", "2029"})
    void controlCharactersAreRefusedWithTheRule(String hex) {
        String bad = "ok" + (char) Integer.parseInt(hex, 16) + "label";
        try (SlabAllocator a = SlabAllocator.builder().name("labels-control").build()) {
            a.setEpochLabel(0, "before");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.setEpochLabel(0, bad));
            assertTrue(e.getMessage().contains("control character U+" + hex), e.getMessage());
            assertTrue(e.getMessage().contains("at index 2"), e.getMessage());
            assertEquals("before", a.epochLabel(0), "a refused label changes nothing");
            IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> a.newDomain(bad));
            assertTrue(d.getMessage().contains("control character"), d.getMessage());
            assertEquals("before", a.epochLabel(0));
            assertEquals("before", a.snapshot().epochStats(0).label());
        }
    }

    @Test
    void aNullLabelIsRefused() {
        try (SlabAllocator a = SlabAllocator.builder().name("labels-null").build()) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> a.setEpochLabel(0, null));
            assertTrue(e.getMessage().contains("label"), e.getMessage());
            assertEquals("", a.epochLabel(0));
        }
    }

    /**
     * A label is the text of one era: it survives the epoch becoming CLOSING, and is cleared when
     * the ring activates the slot again, also for a slot labelled before the ring first reached it.
     */
    @Test
    void theLabelIsResetWhenTheRingReactivatesTheSlot() {
        try (SlabAllocator a = SlabAllocator.builder().name("labels-reset").epochs(2).build()) {
            a.setEpochLabel(0, "first");
            a.setEpochLabel(1, "set-before-activation");
            assertEquals("set-before-activation", a.snapshot().epochStats(1).label());
            a.advanceEpoch(); // slot 1 activated in era 2
            assertEquals("first", a.epochLabel(0), "a CLOSING epoch keeps its label");
            assertEquals("", a.epochLabel(1), "activation clears the label");
            a.setEpochLabel(1, "second");
            a.advanceEpoch(); // slot 0 again, era 3
            AllocatorSnapshot s = a.snapshot();
            assertEquals("", s.epochStats(0).label());
            assertEquals(3, s.epochStats(0).epochEra());
            assertEquals("second", s.epochStats(1).label());
            assertEquals("", a.epochLabel(0));
        }
    }

    /** A domain labels its epoch only when the epoch has no label yet; its own label is cut too. */
    @Test
    void aDomainLabelsAnUnlabelledEpochOnly() {
        try (SlabAllocator a = SlabAllocator.builder().name("labels-domain").build()) {
            EpochDomain first = a.newDomain("x".repeat(40));
            assertEquals("x".repeat(31), first.label());
            assertEquals("x".repeat(31), a.epochLabel(0));
            EpochDomain second = a.newDomain("second");
            assertEquals("second", second.label());
            assertEquals("x".repeat(31), a.epochLabel(0), "an existing label is kept");
            a.setEpochLabel(0, "explicit");
            assertEquals("explicit", a.epochLabel(0), "setEpochLabel always replaces it");
        }
    }

    /** Quotes, backslashes, slashes and non-ASCII text come back from the JSON exactly. */
    @ParameterizedTest
    @ValueSource(strings = {"say \"hi\"", "back\\slash", "\\\"", "\"\"\"", "a/b</script>", "caf\u00e9 \u65e5\u672c \ud83d\ude00",
            "{\"json\": [1, 2]}", "tab-free but 'quoted'", "\u00a0non-breaking", "\ufeffbom"})
    void labelsRoundTripThroughJson(String label) {
        try (SlabAllocator a = SlabAllocator.builder().name("labels-json").epochs(2).build()) {
            a.setEpochLabel(0, label);
            a.setEpochLabel(1, label + label); // may be cut: the JSON carries what was stored
            String stored1 = a.epochLabel(1);
            String json = a.snapshot().toJson();
            List<Object> epochs = StatsJson.array(StatsJson.parseObject(json), "epochs");
            assertEquals(label, StatsJson.string(StatsJson.element(epochs, 0), "label"));
            assertEquals(stored1, StatsJson.string(StatsJson.element(epochs, 1), "label"));
            assertFalse(json.contains("\"label\": \"" + label + "\"") && label.contains("\""),
                    "quotes are escaped, not copied");
        }
    }

    /** The allocator name goes through the same escaping. */
    @Test
    void theAllocatorNameRoundTripsThroughJson() {
        String name = "q\"uote\\back/slash \u00e9\ud83d\ude00";
        try (SlabAllocator a = SlabAllocator.builder().name(name).build()) {
            Map<String, Object> json = StatsJson.parseObject(a.snapshot().toJson());
            assertEquals(name, StatsJson.string(json, "allocator"));
        }
    }

    /**
     * Whatever is stored must be representable in UTF-8 (the stats file, HTTP and Prometheus all
     * carry UTF-8): a lone surrogate cannot be, so it is either refused or not stored as such.
     */
    @ParameterizedTest
    @ValueSource(strings = {"\ud83d", "abc\ude00", "x\ud83dy"})
    void malformedUtf16IsNeverStored(String label) {
        try (SlabAllocator a = SlabAllocator.builder().name("labels-surrogate").build()) {
            try {
                a.setEpochLabel(0, label);
            } catch (IllegalArgumentException refused) {
                assertEquals("", a.epochLabel(0));
                return;
            }
            String stored = a.epochLabel(0);
            assertEquals(stored, new String(stored.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                    "stored label " + escape(stored) + " does not survive UTF-8");
        }
    }

    /** One allocator for the truncation cases: each sets the label of epoch 0 anew. */
    private static SlabAllocator cuts;

    @BeforeAll
    static void openAllocatorForCuts() {
        cuts = SlabAllocator.builder().name("labels-cut").build();
    }

    @AfterAll
    static void closeAllocatorForCuts() {
        cuts.close();
    }

    private static void assertStoredAs(String label, String expected) {
        cuts.setEpochLabel(0, label);
        String stored = cuts.epochLabel(0);
        assertEquals(expected, stored, "label " + escape(label));
        int bytes = stored.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(bytes <= SlabAllocator.MAX_LABEL_BYTES, bytes + " bytes");
        assertTrue(label.startsWith(stored));
        assertEquals(stored, new String(stored.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                "no split character");
        if (!stored.equals(label)) {
            int next = label.codePointAt(stored.length());
            assertTrue(bytes + new String(Character.toChars(next)).getBytes(StandardCharsets.UTF_8).length
                    > SlabAllocator.MAX_LABEL_BYTES, "the cut is as late as the limit allows");
        }
        AllocatorSnapshot s = cuts.snapshot();
        assertEquals(expected, s.epochStats(0).label());
        List<Object> epochs = StatsJson.array(StatsJson.parseObject(s.toJson()), "epochs");
        assertEquals(expected, StatsJson.string(StatsJson.element(epochs, 0), "label"));
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        s.chars().forEach(c -> out.append(c < 0x7f && c >= 0x20 ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return out.toString();
    }
}
