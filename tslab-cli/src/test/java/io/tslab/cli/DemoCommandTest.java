package io.tslab.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoCommandTest {
    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            int exit = Tslab.run(args);
            return new Result(exit, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void demoRunsPrintsLiveLinesAndGivesEverythingBack() {
        Result r = run("demo", "--duration", "1500ms", "--interval", "500ms", "--epoch-period", "100ms");
        assertEquals(0, r.exit(), r.err());
        long lines = r.out().lines().filter(l -> l.matches("\\s+\\d+\\.\\ds .*")).count();
        assertTrue(lines >= 2, r.out());
        assertTrue(r.out().contains("after freeing all    0 live in 0 slabs, 0 B resident"), r.out());
    }

    @Test
    void badOptionValueIsOneLineAndExitTwo() {
        Result r = run("demo", "--threads", "0");
        assertEquals(2, r.exit());
        assertEquals("tslab: --threads: 0 (expected: 1..64)", r.err().lines().findFirst().orElse(""));
        assertTrue(!r.err().contains("Exception"), r.err());
    }

    @Test
    void badDurationIsRejected() {
        Result r = run("demo", "--duration", "soon");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("'soon' is not a duration"), r.err());
    }

    @Test
    void versionNamesTheProject() {
        Result r = run("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("tslab 0."), r.out());
    }
}
