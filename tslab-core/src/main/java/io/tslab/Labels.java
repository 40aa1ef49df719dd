package io.tslab;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/** Validation and truncation of epoch labels. */
final class Labels {
    private Labels() {
    }

    /**
     * Rejects control characters and unpaired surrogates, and cuts {@code label} to at most {@link SlabAllocator#MAX_LABEL_BYTES}
     * UTF-8 bytes without splitting a character.
     */
    static String sanitize(String label) {
        Objects.requireNonNull(label, "label");
        for (int i = 0; i < label.length(); ) {
            int cp = label.codePointAt(i);
            if (Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "label: control character U+%04X at index %d (expected: printable text)", cp, i));
            }
            if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "label: unpaired surrogate U+%04X at index %d (expected: well-formed text)", cp, i));
            }
            i += Character.charCount(cp);
        }
        int bytes = 0;
        int end = 0;
        for (int i = 0; i < label.length(); ) {
            int cp = label.codePointAt(i);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > SlabAllocator.MAX_LABEL_BYTES) {
                break;
            }
            bytes += size;
            i += Character.charCount(cp);
            end = i;
        }
        String cut = label.substring(0, end);
        assert cut.getBytes(StandardCharsets.UTF_8).length <= SlabAllocator.MAX_LABEL_BYTES;
        return cut;
    }
}
