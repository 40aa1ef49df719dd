package io.tslab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.tslab.internal.SnapshotJson;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.ClassStats;
import io.tslab.stats.EpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON document: valid against the schema, names in step with the records, format pinned by a golden file. */
class SnapshotJsonTest {
    private static final Path SCHEMA = Path.of("../schemas/tslab-snapshot-v1.schema.json");
    private static final Path GOLDEN = Path.of("src/test/resources/golden/snapshot-v1.json");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonSchema schema() throws IOException {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(Files.readString(SCHEMA));
    }

    /**
     * A labelled, partly leaked workload: every section of the document has content. The allocator
     * is kept out of the stats file and JMX: a publisher's snapshot taken meanwhile (the stats-file
     * daemon of an earlier test in this JVM) takes the pool lock and would move the lock counters.
     */
    private static AllocatorSnapshot workloadSnapshot() {
        try (SlabAllocator a = SlabAllocator.builder().name("golden").reserveBytes(64L << 20).epochs(4)
                .leakDetection(true).publishStatsFile(false).registerMXBean(false).build()) {
            a.setEpochLabel(0, "req \"quoted\" \\ é");
            List<Long> kept = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                long h = a.alloc(1 + (i * 37) % 768);
                if (i % 3 == 0) {
                    kept.add(h);
                } else {
                    a.free(h);
                }
            }
            EpochDomain leaky = a.newDomain("worker-3");
            leaky.enter(); // never closed: a leak
            a.free(0L);
            a.free(kept.getFirst() ^ 1L << 40);
            a.advanceEpoch();
            for (int i = 0; i < kept.size(); i += 2) {
                a.free(kept.get(i));
            }
            a.closeEpoch(0);
            a.alloc(64, 0); // refused: epoch 0 is CLOSING
            a.alloc(200);
            return a.snapshot();
        }
    }

    @Test
    void theDocumentOfARealWorkloadIsValid() throws IOException {
        JsonNode doc = MAPPER.readTree(workloadSnapshot().toJson());
        Set<ValidationMessage> errors = schema().validate(doc);
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(1, doc.get("schema_version").asInt());
        assertEquals("req \"quoted\" \\ é", doc.get("epochs").get(0).get("label").asText());
        assertTrue(doc.get("epochs").get(0).get("leak_sites").get(0).asText().contains("workloadSnapshot"),
                doc.get("epochs").get(0).toString());
    }

    @Test
    void theSchemaRejectsABrokenDocument() throws IOException {
        ObjectNode doc = (ObjectNode) MAPPER.readTree(workloadSnapshot().toJson());
        doc.remove("live_objects");
        ((ObjectNode) doc.get("classes").get(2)).put("net_slabs", "many");
        ((ObjectNode) doc.get("epochs").get(0)).put("state", "OPEN");
        Set<ValidationMessage> errors = schema().validate(doc);
        assertEquals(3, errors.size(), errors.toString());
    }

    @Test
    void schemaNamesEveryRecordComponentAndNothingElse() throws IOException {
        JsonNode schema = MAPPER.readTree(SCHEMA.toFile());
        Set<String> top = new LinkedHashSet<>(componentNames(AllocatorSnapshot.class));
        top.remove("global");
        top.addAll(componentNames(GlobalStats.class));
        assertEquals(top, propertyNames(schema));
        assertEquals(Set.copyOf(componentNames(ClassStats.class)), propertyNames(schema.at("/$defs/class")));
        assertEquals(Set.copyOf(componentNames(EpochStats.class)), propertyNames(schema.at("/$defs/epoch")));
        assertEquals(Set.copyOf(componentNames(ClassEpochStats.class)), propertyNames(schema.at("/$defs/class_epoch")));
        assertEquals(Set.copyOf(componentNames(LastEpochClose.class)), propertyNames(schema.at("/$defs/last_epoch_close")));
    }

    @Test
    void theFormatIsPinnedByTheGoldenFile() throws IOException {
        String actual = normalize(workloadSnapshot().toJson());
        if (Boolean.getBoolean("tslab.updateGolden")) {
            Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
        }
        assertEquals(Files.readString(GOLDEN, StandardCharsets.UTF_8), actual,
                "JSON format changed; if on purpose, rerun with -Dtslab.updateGolden=true and review the diff");
    }

    @Test
    void stringsAreEscapedExactly() {
        StringBuilder out = new StringBuilder();
        SnapshotJson.string(out, "a\"b\\c\nd\te\u0001f\u2028g/é");
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001f\\u2028g/é\"", out.toString());
    }

    @Test
    void doublesNeverUseExponents() throws IOException {
        String json = workloadSnapshot().toJson();
        assertFalse(json.matches("(?s).*\\d[eE][-+]?\\d.*"), "exponent in " + json);
        JsonNode doc = MAPPER.readTree(json);
        assertTrue(doc.get("classes").get(0).get("recycle_rate_pct").isNumber());
    }

    /** Replaces the values that depend on time, the process or the machine. */
    private static String normalize(String json) {
        return json.replaceAll("\"(timestamp_ns|pid|open_since_ns|rss_bytes_current|rss_before|rss_after"
                        + "|rss_before_close|rss_after_close|epoch_close_total_ns|duration_ns)\": \\d+", "\"$1\": 0")
                .replaceAll("\"age_sec\": [0-9.]+", "\"age_sec\": 0.0")
                .replaceAll("\"page_size\": \\d+", "\"page_size\": 4096")
                .replaceAll("(SnapshotJsonTest\\.[A-Za-z]+):\\d+", "$1:N")
                .replaceAll(" < [^\"]*\\(1 open\\)", " (1 open)");
    }

    private static List<String> componentNames(Class<?> record) {
        List<String> names = new ArrayList<>();
        for (RecordComponent c : record.getRecordComponents()) {
            names.add(SnapshotJson.snakeCase(c.getName()));
        }
        return names;
    }

    private static Set<String> propertyNames(JsonNode objectSchema) {
        Set<String> names = new LinkedHashSet<>();
        for (Iterator<String> it = objectSchema.get("properties").fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
