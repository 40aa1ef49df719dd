package io.tslab.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.tslab.stats.AllocatorSnapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the JSON forms the CLI exchanges: one snapshot document (what {@code
 * AllocatorSnapshot.toJson()} writes), or several as {@code {"allocators": [doc, ...]}} (also the
 * stats file's payload and {@code /stats.json}), or a bare array of documents.
 */
final class SnapshotDocuments {
    private SnapshotDocuments() {
    }

    /** Duplicate keys are refused, as the core's reader refuses them: a document means one thing. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(40).maxStringLength(1 << 20).build());
    }

    /** Parses any of the accepted forms; {@code source} names the input in error messages. */
    static List<AllocatorSnapshot> parse(String json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw CliException.badInput(source + ": not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || root.isMissingNode()) {
            throw CliException.badInput(source + ": empty input (expected a snapshot JSON document)");
        }
        List<JsonNode> documents = new ArrayList<>();
        if (root.isArray()) {
            root.forEach(documents::add);
        } else if (root.isObject() && root.has("allocators") && !root.has("schema_version")) {
            JsonNode list = root.get("allocators");
            if (!list.isArray()) {
                throw CliException.badInput(source + ": \"allocators\" is not an array");
            }
            list.forEach(documents::add);
        } else if (root.isObject()) {
            documents.add(root);
        } else {
            throw CliException.badInput(source + ": expected a snapshot JSON object, found " + root.getNodeType());
        }
        if (documents.isEmpty()) {
            throw CliException.badInput(source + ": holds no allocator snapshot");
        }
        List<AllocatorSnapshot> snapshots = new ArrayList<>(documents.size());
        for (JsonNode doc : documents) {
            JsonNode version = doc.get("schema_version");
            if (version == null || !version.canConvertToInt()) {
                throw CliException.badInput(source + ": no schema_version (expected a temporal-slab snapshot)");
            }
            if (version.asInt() != AllocatorSnapshot.SCHEMA_VERSION) {
                throw CliException.badInput(source + ": schema_version " + version.asInt() + " (expected "
                        + AllocatorSnapshot.SCHEMA_VERSION + "); use a tslab of the matching version");
            }
            try {
                snapshots.add(AllocatorSnapshot.fromJson(doc.toString()));
            } catch (RuntimeException e) {
                throw CliException.badInput(source + ": " + e.getMessage());
            }
        }
        return snapshots;
    }

    /** One snapshot as its document; several wrapped in {@code {"allocators": [...]}}. */
    static String write(List<AllocatorSnapshot> snapshots) {
        if (snapshots.size() == 1) {
            return snapshots.getFirst().toJson();
        }
        StringBuilder out = new StringBuilder("{\"allocators\": [\n");
        for (int i = 0; i < snapshots.size(); i++) {
            out.append(i == 0 ? "" : ",\n").append(snapshots.get(i).toJson().strip());
        }
        return out.append("\n]}\n").toString();
    }
}
