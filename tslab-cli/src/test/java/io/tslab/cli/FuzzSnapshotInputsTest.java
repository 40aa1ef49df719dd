package io.tslab.cli;

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

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every document of the snapshot fuzz corpus ({@code tslab-core/src/test/resources/fuzz/json}:
 * damaged documents that the reader refuses, and valid ones that say impossible things: negative
 * or maximal counters, no classes, out-of-range indexes, a null name...), and random mutations of
 * the golden snapshot, through every command that reads a snapshot: {@code stats} (plain,
 * {@code --json}, {@code --doctor}, {@code --all --bytes}), {@code export prometheus}, {@code top
 * --once} (classes and epochs), and {@code diff} against itself and against the golden one, from a
 * file and from standard input. Forbidden: anything that breaks {@link FuzzCli}'s contract (an
 * exception escaping, an exit code other than 0/1/2, an internal error, a bad-input exit whose
 * stderr is not one {@code tslab: } line).
 */
class FuzzSnapshotInputsTest {
    private static List<List<String>> commands(String file, String golden) {
        return List.of(
                List.of("stats", "--file", file),
                List.of("stats", "--json", "--file", file),
                List.of("stats", "--doctor", "--file", file),
                List.of("stats", "--all", "--bytes", "--file", file),
                List.of("export", "prometheus", "--file", file),
                List.of("top", "--once", "--file", file),
                List.of("top", "--once", "--epochs", "--by", "reclaimable", "--file", file),
                List.of("diff", file, file),
                List.of("diff", golden, file, "--fail-on", "regression"),
                List.of("diff", file, golden, "--all"));
    }

    @Test
    void everyCorpusDocumentThroughEveryReadingCommand() throws IOException {
        List<Path> docs = new ArrayList<>(FuzzArgumentsTest.list(FuzzArgumentsTest.CORE_FUZZ.resolve("accept")));
        docs.addAll(FuzzArgumentsTest.list(FuzzArgumentsTest.CORE_FUZZ.resolve("reject")));
        String golden = FuzzArgumentsTest.GOLDEN.toString();
        FuzzCli.Findings findings = new FuzzCli.Findings();
        int runs = 0;
        for (Path doc : docs) {
            for (List<String> command : commands(doc.toString(), golden)) {
                findings.add(FuzzCli.run(command, new byte[0]));
                runs++;
            }
            byte[] bytes = Files.readAllBytes(doc);
            findings.add(FuzzCli.run(List.of("stats", "--doctor", "--file", "-"), bytes));
            findings.add(FuzzCli.run(List.of("diff", "-", golden), bytes));
            runs += 2;
        }
        System.out.println("fuzz cli: " + docs.size() + " corpus documents through " + runs + " command runs, "
                + findings.total() + " broke the contract");
        assertTrue(findings.total() == 0, findings::report);
    }

    private static final Pattern NUMBER_FIELD = Pattern.compile("\"([a-z_]+)\": (-?[0-9][0-9.eE+-]*)");
    private static final String[] VALUES = {"0", "-1", "9223372036854775807", "-9223372036854775808", "2147483647",
        "1e308", "0.5", "1000000", "-0"};

    /**
     * Random mutations of the golden snapshot that keep it readable where possible: numeric fields
     * set to 0, -1, the long limits and other extremes, several at a time; fields truncated or the
     * document cut. Then through the reading commands, from standard input.
     */
    @Test
    void randomMutationsOfTheGoldenSnapshotThroughTheReadingCommands() throws IOException {
        String golden = Files.readString(FuzzArgumentsTest.GOLDEN, StandardCharsets.UTF_8);
        List<int[]> numbers = new ArrayList<>();
        Matcher m = NUMBER_FIELD.matcher(golden);
        while (m.find()) {
            numbers.add(new int[] {m.start(2), m.end(2)});
        }
        Random r = new Random(Long.getLong("tslab.fuzz.seed", 20251127L) + 5);
        long end = System.nanoTime() + Long.getLong("tslab.fuzz.cliSeconds", 12) * 1_000_000_000L / 2;
        FuzzCli.Findings findings = new FuzzCli.Findings();
        int runs = 0;
        String goldenPath = FuzzArgumentsTest.GOLDEN.toString();
        while (System.nanoTime() < end && runs < 5_000) {
            StringBuilder doc = new StringBuilder(golden);
            List<int[]> picked = new ArrayList<>();
            for (int k = 1 + r.nextInt(r.nextBoolean() ? 3 : 40); k > 0; k--) {
                picked.add(numbers.get(r.nextInt(numbers.size())));
            }
            picked.sort((x, y) -> Integer.compare(y[0], x[0]));
            int last = Integer.MAX_VALUE;
            for (int[] span : picked) {
                if (span[0] < last) {
                    doc.replace(span[0], span[1], VALUES[r.nextInt(VALUES.length)]);
                    last = span[0];
                }
            }
            if (r.nextInt(10) == 0) {
                doc.setLength(r.nextInt(doc.length()));
            }
            byte[] bytes = doc.toString().getBytes(StandardCharsets.UTF_8);
            List<List<String>> all = commands("-", goldenPath);
            List<String> command = all.get(r.nextInt(all.size()));
            if (command.equals(List.of("diff", "-", "-"))) {
                command = List.of("diff", "-", goldenPath);
            }
            findings.add(FuzzCli.run(command, bytes));
            runs++;
        }
        System.out.println("fuzz cli: " + runs + " mutated snapshots through the reading commands, " + findings.total()
                + " broke the contract");
        assertTrue(findings.total() == 0, findings::report);
        assertTrue(runs >= 100, runs + " runs");
    }
}
