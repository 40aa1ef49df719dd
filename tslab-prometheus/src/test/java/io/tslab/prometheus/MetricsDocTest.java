package io.tslab.prometheus;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code docs/metrics.md}: its family tables are generated from the catalogue (rerun with
 * {@code -Dtslab.updateGolden=true} to regenerate them), and every PromQL expression in it, the
 * tables' examples and the {@code promql} blocks of the recipes, is parsed by {@code promtool}.
 */
class MetricsDocTest {
    static final Path DOC = Path.of("../docs/metrics.md");
    static final String BEGIN = "<!-- families:begin (generated from Families.java by MetricsDocTest; do not edit) -->";
    static final String END = "<!-- families:end -->";

    /** The generated part: one table per group. */
    static String render() {
        StringBuilder out = new StringBuilder();
        int count = 0;
        for (Families.Group group : Families.GROUPS) {
            out.append("\n### ").append(group.title()).append("\n\n").append(group.description()).append("\n\n");
            out.append("| family | type | unit | labels | meaning | PromQL example |\n");
            out.append("|---|---|---|---|---|---|\n");
            for (MetricFamily f : group.families()) {
                count++;
                out.append("| `").append(f.exposedName()).append("` | ")
                        .append(f.kind() == MetricFamily.Kind.INFO ? "info (gauge 1)" : f.kind().textType).append(" | ")
                        .append(f.unit() == null ? "—" : f.unit()).append(" | ")
                        .append(String.join(", ", f.labelNames())).append(" | ")
                        .append(cell(f.help())).append(" | `")
                        .append(cell(f.example())).append("` |\n");
            }
        }
        return "\n" + count + " families.\n" + out;
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    private static String section(String doc) {
        int b = doc.indexOf(BEGIN);
        int e = doc.indexOf(END);
        assertTrue(b >= 0 && e > b, "markers missing in " + DOC);
        return doc.substring(b + BEGIN.length(), e);
    }

    @Test
    void theFamilyTablesMatchTheCatalogue() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        String generated = render();
        if (Boolean.getBoolean("tslab.updateGolden")) {
            int b = doc.indexOf(BEGIN) + BEGIN.length();
            doc = doc.substring(0, b) + generated + doc.substring(doc.indexOf(END));
            Files.writeString(DOC, doc, StandardCharsets.UTF_8);
        }
        assertEquals(generated, section(doc),
                "docs/metrics.md is out of date; rerun with -Dtslab.updateGolden=true and review the diff");
    }

    /** Every PromQL expression of the document. */
    static List<String> expressions(String doc) {
        List<String> out = new ArrayList<>();
        for (MetricFamily f : Families.ALL) {
            out.add(f.example());
        }
        Matcher m = Pattern.compile("```promql\n(.*?)```", Pattern.DOTALL).matcher(doc);
        while (m.find()) {
            for (String expr : m.group(1).split("\n\n")) {
                String e = expr.lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + "\n" + b).strip();
                if (!e.isEmpty()) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    @Test
    void promtoolParsesEveryExpression() throws IOException, InterruptedException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        List<String> expressions = expressions(doc);
        assertTrue(expressions.size() > Families.ALL.size(), "the recipes have promql blocks");
        Path promtool = Promtool.find();
        assumeTrue(promtool != null, "promtool is not on the PATH (Debian package prometheus)");
        StringBuilder rules = new StringBuilder("groups:\n  - name: docs-metrics-md\n    rules:\n");
        for (int i = 0; i < expressions.size(); i++) {
            rules.append("      - record: tslab:doc_expression_").append(i).append("\n        expr: |\n");
            expressions.get(i).lines().forEach(l -> rules.append("          ").append(l).append('\n'));
        }
        Path file = Path.of("target/docs-metrics-expressions.rules.yml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, rules, StandardCharsets.UTF_8);
        Promtool.Result result = Promtool.run(promtool, null, List.of("check", "rules", file.toString()));
        assertEquals(0, result.exitCode(), "promtool check rules " + file + ":\n" + result.output());
    }
}
