package io.tslab.cli;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.StatsFileContents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tslab serve} as a real process (the launcher's way: {@code java ... io.tslab.cli.Tslab
 * serve}) over a real target JVM: what it serves parsed back and compared with the stats file,
 * concurrent scrapes, a target that dies, the loopback default; and the other commands reading it
 * with {@code --url}.
 */
class ServeCommandTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern LISTENING = Pattern.compile(
            "tslab serve: listening on (http://([0-9.]+):(\\d+)) \\(/metrics, /stats.json, /-/healthy\\)");

    private static TestTarget target;
    private static String pid;
    private static Serve serve;

    /** A {@code tslab serve --port 0 ...} child process. */
    static final class Serve implements AutoCloseable {
        final Process process;
        final String url;
        final String host;
        final int port;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Serve(String... args) {
            List<String> command = TestTarget.javaCommand("-Xmx64m");
            command.add(Tslab.class.getName());
            command.add("serve");
            command.add("--port");
            command.add("0");
            command.addAll(List.of(args));
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // killed
                }
            });
            String first;
            try {
                first = lines.poll(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new AssertionError(e);
            }
            Matcher m = first == null ? null : LISTENING.matcher(first);
            if (m == null || !m.matches()) {
                process.destroyForcibly();
                throw new AssertionError("tslab serve did not start: " + first + " " + lines);
            }
            url = m.group(1);
            host = m.group(2);
            port = Integer.parseInt(m.group(3));
        }

        /** Stops it the way a service manager does (SIGTERM) and returns its exit code. */
        int stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("tslab serve ignored SIGTERM");
            }
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(TestTarget.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @BeforeAll
    static void start() {
        target = TestTarget.start("--leak", "served");
        pid = Long.toString(target.pid());
        serve = new Serve(pid);
    }

    @AfterAll
    static void stop() {
        try {
            if (serve != null) {
                serve.close();
            }
        } finally {
            if (target != null) {
                target.close();
            }
        }
    }

    static HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void bindsLoopbackByDefault() throws IOException {
        assertEquals("127.0.0.1", serve.host);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), serve.port)) {
            assertTrue(s.isConnected());
        }
        // not reachable on this machine's other addresses (refused, or at worst dropped)
        for (InetAddress address : otherAddresses()) {
            assertThrows(IOException.class, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(address, serve.port), 2000);
                }
            }, "reachable on " + address);
        }
    }

    private static List<InetAddress> otherAddresses() throws SocketException {
        List<InetAddress> addresses = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                        addresses.add(a);
                    }
                }
            }
        }
        return addresses;
    }

    @Test
    void metricsParseBackToTheStatsFileFigures() {
        HttpResponse<String> r = get(serve.url + "/metrics");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        ReadCommandsTest.checkExposition(PromText.parse(r.body()), target.contents(), pid);
        // the same text tslab export prometheus writes, but for the time-dependent figures
        PromText exported = PromText.parse(Cli.run("export", "prometheus", pid).ok().out());
        assertEquals(exported.families.keySet(), PromText.parse(r.body()).families.keySet());
    }

    @Test
    void statsJsonAndHealthAndErrors() {
        HttpResponse<String> json = get(serve.url + "/stats.json");
        assertEquals(200, json.statusCode());
        assertEquals("application/json", json.headers().firstValue("Content-Type").orElse(""));
        AllocatorSnapshot served = AllocatorSnapshot.fromJson(json.body());
        AllocatorSnapshot published = target.snapshot();
        assertEquals(published.allocator(), served.allocator());
        assertEquals(published.classes(), served.classes());
        assertEquals(published.global().liveObjects(), served.global().liveObjects());

        HttpResponse<String> healthy = get(serve.url + "/-/healthy");
        assertEquals(200, healthy.statusCode());
        assertEquals("OK\n", healthy.body());

        HttpResponse<String> missing = get(serve.url + "/nope");
        assertEquals(404, missing.statusCode());
        assertEquals("not found: /nope\n", missing.body());

        HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(serve.url + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));

        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(serve.url + "/metrics"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
    }

    @Test
    void concurrentScrapesAllSucceedAndParse() throws Exception {
        int threads = 8;
        int perThread = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                boolean json = t % 4 == 3;
                tasks.add(() -> {
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        HttpResponse<String> r = get(serve.url + (json ? "/stats.json" : "/metrics"));
                        assertEquals(200, r.statusCode(), r.body());
                        if (json) {
                            assertEquals("served", AllocatorSnapshot.fromJson(r.body()).allocator());
                        } else {
                            PromText text = PromText.parse(r.body());
                            assertEquals(TargetApp.REQUEST_OBJECTS + TargetApp.LARGE_OBJECTS + TargetApp.LEAKED_OBJECTS,
                                    text.value("temporal_slab_live_objects", Map.of("allocator", "served", "pid", pid)));
                        }
                        ok++;
                    }
                    return ok;
                });
            }
            int total = 0;
            for (Future<Integer> f : pool.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
                total += f.get();
            }
            assertEquals(threads * perThread, total);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(200, get(serve.url + "/-/healthy").statusCode(), "still serving");
    }

    @Test
    void theOtherCommandsReadTheEndpointWithUrl(@TempDir Path dir) throws IOException {
        StatsFileContents c = target.contents();
        AllocatorSnapshot published = c.allocators().getFirst();

        Cli.Result stats = Cli.run("stats", "--url", serve.url).ok();
        assertTrue(stats.out().startsWith("allocator served  (" + serve.url + "/stats.json)"), stats::describe);

        AllocatorSnapshot viaUrl = AllocatorSnapshot.fromJson(Cli.run("stats", "--json", "--url", serve.url + "/stats.json").ok().out());
        assertEquals(published.classes(), viaUrl.classes());
        assertEquals(published.pid(), viaUrl.pid());

        Cli.Result top = Cli.run("top", "--url", serve.url, "--epochs", "--by", "refcount", "--n", "1").ok();
        assertTrue(top.out().contains("leaky-batch"), top::describe);

        Cli.Result watch = Cli.run("watch", "--url", serve.url, "--interval", "100ms", "--count", "2").ok();
        assertEquals(3, watch.outLines().size(), watch::describe);

        PromText text = PromText.parse(Cli.run("export", "prometheus", "--url", serve.url).ok().out());
        assertEquals(published.global().liveObjects(), text.value("temporal_slab_live_objects", Map.of("allocator", "served", "pid", pid)));

        // and a serve of a file serves that file
        Path file = dir.resolve("s.json");
        Files.writeString(file, published.toJson());
        try (Serve fromFile = new Serve("--file", file.toString())) {
            HttpResponse<String> r = get(fromFile.url + "/stats.json");
            assertEquals(200, r.statusCode());
            assertEquals(published.toJson(), r.body());
        }
    }

    @Test
    void cachingReusesOneReadingForTheInterval() {
        try (Serve cached = new Serve("--interval", "1h", pid)) {
            PromText first = PromText.parse(get(cached.url + "/metrics").body());
            target.awaitPublications(target.contents().sequence(), 2);
            PromText second = PromText.parse(get(cached.url + "/metrics").body());
            Map<String, String> who = Map.of("allocator", "served", "pid", pid);
            assertEquals(first.value("temporal_slab_snapshot_timestamp_seconds", who),
                    second.value("temporal_slab_snapshot_timestamp_seconds", who), "served from the cache");
            // without --interval, every scrape reads the target again
            PromText a = PromText.parse(get(serve.url + "/metrics").body());
            target.awaitPublications(target.contents().sequence(), 2);
            PromText b = PromText.parse(get(serve.url + "/metrics").body());
            assertTrue(b.value("temporal_slab_snapshot_timestamp_seconds", who)
                    > a.value("temporal_slab_snapshot_timestamp_seconds", who), "read at request time");
        }
    }

    @Test
    void servingEveryPublisherIncludesTheTarget() throws InterruptedException {
        try (Serve all = new Serve()) {
            HttpResponse<String> r = get(all.url + "/metrics");
            assertEquals(200, r.statusCode(), r.body());
            PromText text = PromText.parse(r.body());
            assertEquals(TargetApp.REQUEST_OBJECTS + TargetApp.LARGE_OBJECTS + TargetApp.LEAKED_OBJECTS,
                    text.value("temporal_slab_live_objects", Map.of("allocator", "served", "pid", pid)));
            assertEquals(143, all.stop(), "SIGTERM: the shutdown hook closes the server, the JVM exits as terminated");
        }
    }

    @Test
    void aNamedTargetThatDiesAnswers503AndTheServerLivesOn() {
        try (TestTarget doomed = TestTarget.start("doomed"); Serve server = new Serve(Long.toString(doomed.pid()))) {
            assertEquals(200, get(server.url + "/metrics").statusCode());
            doomed.kill();

            HttpResponse<String> metrics = get(server.url + "/metrics");
            assertEquals(503, metrics.statusCode());
            String reason = "pid " + doomed.pid() + ": no such process (it exited, or never ran)";
            assertEquals("tslab serve: " + reason + "\n", metrics.body());
            HttpResponse<String> json = get(server.url + "/stats.json");
            assertEquals(503, json.statusCode());
            assertEquals("tslab serve: " + reason + "\n", json.body());

            HttpResponse<String> healthy = get(server.url + "/-/healthy");
            assertEquals(200, healthy.statusCode());
            assertTrue(server.process.isAlive());

            // a client of the endpoint gets one clear line
            String line = Cli.run("stats", "--url", server.url).badInput();
            assertEquals("tslab: " + server.url + "/stats.json: HTTP 503 (tslab serve: " + reason + ")", line);
        }
    }

    @Test
    void anUnreachableUpstreamAnswers503() {
        int port = Cli.closedPort();
        try (Serve server = new Serve("--url", "http://127.0.0.1:" + port)) {
            HttpResponse<String> metrics = get(server.url + "/metrics");
            assertEquals(503, metrics.statusCode());
            assertEquals("tslab serve: http://127.0.0.1:" + port + "/stats.json: connection refused (is tslab serve running?)\n",
                    metrics.body());
            assertEquals(200, get(server.url + "/-/healthy").statusCode());
        }
    }

    @Test
    void badStartIsOneLineAndExitTwo(@TempDir Path dir) throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertEquals("tslab: cannot listen on 127.0.0.1:" + serve.port + " (Address already in use)",
                    Cli.run("serve", "--port", Integer.toString(serve.port), pid).badInput());
            long dead = Cli.deadPid();
            assertEquals("tslab: pid " + dead + ": no such process (it exited, or never ran)",
                    Cli.run("serve", "--port", "0", Long.toString(dead)).badInput());
            assertEquals("tslab: file " + dir.resolve("missing.json") + ": no such file",
                    Cli.run("serve", "--port", "0", "--file", dir.resolve("missing.json").toString()).badInput());
            Path bad = dir.resolve("bad.json");
            Files.writeString(bad, "{\"schema_version\": 1,");
            assertTrue(Cli.run("serve", "--port", "0", "--file", bad.toString()).badInput()
                    .startsWith("tslab: file " + bad + ": not JSON ("));
            assertEquals("tslab: --port: 70000 (expected: 0..65535)", Cli.run("serve", "--port", "70000").badInput());
            assertEquals("tslab: --label-limit: -1 (expected: 0..100000)",
                    Cli.run("serve", "--port", "0", "--label-limit", "-1", pid).badInput());
        });
        assertTrue(serve.process.isAlive(), "the running server is untouched");
    }
}
