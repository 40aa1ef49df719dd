package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where a command reads its snapshots: a pid (its stats file), {@code --file F} ({@code -} for
 * standard input), or {@code --url URL} ({@code tslab serve} or an application's {@code
 * /stats.json}). With none, the only JVM publishing stats is used; with several, the command lists
 * them and fails.
 */
final class TargetOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PID",
            description = "JVM to read, through its stats file. Default: the only JVM publishing stats.")
    Long pid;

    @Option(names = "--file", paramLabel = "FILE", description = "Read a snapshot JSON file ('-' for standard input).")
    String file;

    @Option(names = "--url", paramLabel = "URL", description = "Read /stats.json of a tslab serve or an application.")
    String url;

    @Option(names = {"-a", "--allocator"}, paramLabel = "NAME", description = "Only the allocator with this name.")
    String allocator;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** Loads the snapshots of the target, filtered by --allocator. */
    Loaded load() {
        int given = (pid != null ? 1 : 0) + (file != null ? 1 : 0) + (url != null ? 1 : 0);
        if (given > 1) {
            throw CliException.badInput("give one target: a PID, --file or --url (got " + given + ")");
        }
        Loaded loaded;
        if (file != null) {
            loaded = fromFile(file);
        } else if (url != null) {
            loaded = fromUrl(url);
        } else if (pid != null) {
            loaded = StatsFiles.read(pid);
        } else {
            loaded = StatsFiles.read(StatsFiles.onlyPublisher());
        }
        return filter(loaded);
    }

    private Loaded filter(Loaded loaded) {
        if (allocator == null) {
            return loaded;
        }
        List<AllocatorSnapshot> matching = loaded.snapshots().stream()
                .filter(s -> s.allocator().equals(allocator)).toList();
        if (matching.isEmpty()) {
            throw CliException.badInput(loaded.source() + ": no allocator named '" + allocator + "' (it has: "
                    + String.join(", ", loaded.snapshots().stream().map(AllocatorSnapshot::allocator).toList()) + ")");
        }
        return new Loaded(loaded.source(), loaded.pid(), loaded.heartbeatAge(), matching);
    }

    static Loaded fromFile(String file) {
        String source = file.equals("-") ? "standard input" : "file " + file;
        String json;
        try {
            if (file.equals("-")) {
                try (InputStream in = System.in) {
                    json = new String(in.readNBytes(256 << 20), StandardCharsets.UTF_8);
                }
            } else {
                Path path = Path.of(file);
                if (Files.size(path) > 256L << 20) {
                    throw CliException.badInput(source + ": larger than 256 MiB (expected a snapshot document)");
                }
                json = Files.readString(path, StandardCharsets.UTF_8);
            }
        } catch (NoSuchFileException e) {
            throw CliException.badInput(source + ": no such file");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw CliException.badInput(source + ": cannot read (" + e.getMessage() + ")");
        }
        List<AllocatorSnapshot> snapshots = SnapshotDocuments.parse(json, source);
        return new Loaded(source, snapshots.getFirst().pid(), null, snapshots);
    }

    static Loaded fromUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url);
            if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("scheme");
            }
        } catch (IllegalArgumentException e) {
            throw CliException.badInput("--url " + url + ": not an http(s) URL");
        }
        if (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/")) {
            uri = uri.resolve("/stats.json");
        }
        String source = uri.toString();
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                String body = response.body().lines().findFirst().orElse("").strip();
                throw CliException.badInput(source + ": HTTP " + response.statusCode() + (body.isEmpty() ? "" : " (" + body + ")"));
            }
            List<AllocatorSnapshot> snapshots = SnapshotDocuments.parse(response.body(), source);
            return new Loaded(source, snapshots.getFirst().pid(), null, snapshots);
        } catch (ConnectException e) {
            throw CliException.badInput(source + ": connection refused (is tslab serve running?)");
        } catch (HttpTimeoutException e) {
            throw CliException.badInput(source + ": timed out");
        } catch (IOException e) {
            throw CliException.badInput(source + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (IllegalArgumentException e) { // the client refuses the URI: a port out of range, say
            throw CliException.badInput(source + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.badInput(source + ": interrupted");
        }
    }
}
