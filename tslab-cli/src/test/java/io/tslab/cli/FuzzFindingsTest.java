package io.tslab.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the CLI fuzz tests found, one reproduction each, kept as regressions. Each must end with
 * exit 2 and one {@code tslab: } line on stderr (the bad-input contract), and never with {@code
 * internal error} (exit 1).
 */
class FuzzFindingsTest {
    private static final Path CORPUS = FuzzArgumentsTest.CORE_FUZZ;
    private static final String GOLDEN = FuzzArgumentsTest.GOLDEN.toString();

    private static void assertBadInput(String... args) {
        FuzzCli.Outcome o = FuzzCli.run(List.of(args), new byte[0]);
        assertNull(o.broken(), () -> o.broken() + "\n" + o.describe());
        assertEquals(2, o.exit(), o::describe);
    }

    /**
     * Valid JSON whose shape is impossible (no classes, class or epoch indexes out of place, no
     * name) was read, and the commands indexing it failed: {@code diff} with {@code
     * ArrayIndexOutOfBoundsException} or {@code NullPointerException}, {@code export prometheus} with
     * "duplicate series" or {@code NullPointerException}. Fix: the library's reader refuses such
     * shapes ({@code SnapshotJsonReader.checkShape}), so every reader of snapshots can index them.
     */
    @Test
    void aSnapshotOfImpossibleShapeIsBadInputForEveryCommand() {
        for (String doc : List.of("empty-lists", "null-for-string", "every-number-zero", "every-number-minus-one",
                "class-index-out-of-range", "epoch-id-out-of-range", "current-epoch-out-of-range")) {
            String file = CORPUS.resolve("reject").resolve(doc + ".json").toString();
            assertBadInput("diff", file, GOLDEN, "--all");
            assertBadInput("diff", file, file);
            assertBadInput("export", "prometheus", "--file", file);
            assertBadInput("stats", "--doctor", "--file", file);
            assertBadInput("top", "--once", "--epochs", "--file", file);
        }
    }

    /** {@code demo --serve 70000} failed with "internal error: IllegalArgumentException: port out of range". */
    @Test
    void demoWithAServePortOutOfRangeIsBadInput() {
        assertBadInput("demo", "--duration", "10ms", "--serve", "70000");
        assertBadInput("demo", "--duration", "10ms", "--serve", "-5");
    }

    /** {@code --url http://127.0.0.1:99999/} failed with "internal error: IllegalArgumentException: port out of range". */
    @Test
    void aUrlWithAPortOutOfRangeIsBadInput() {
        assertBadInput("stats", "--url", "http://127.0.0.1:99999/");
        assertBadInput("watch", "--url", "http://127.0.0.1:70000/stats.json", "--count", "1", "--interval", "10ms");
    }

    /** An argument holding a newline was echoed as is: the one-line error took two lines. */
    @Test
    void anArgumentWithANewlineStillGivesOneLine() {
        assertBadInput("stats", "--bogus", "a\nb");
        assertBadInput("serve", "--port", "a\nb");
        assertBadInput("stats", "--file", "no\nsuch\rfile");
    }

    /** {@code --bind 'not a host'} said "(java.net.SocketException: Unresolved address)": an exception class name. */
    @Test
    void anAddressThatCannotBeBoundIsOneLineWithoutAnExceptionName() {
        assertBadInput("demo", "--duration", "10ms", "--serve", "0", "--bind", "not a host");
    }
}
