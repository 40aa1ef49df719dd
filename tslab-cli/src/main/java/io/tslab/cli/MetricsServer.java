package io.tslab.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tslab.prometheus.PrometheusText;
import io.tslab.stats.AllocatorSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP endpoint of {@code tslab serve} and {@code tslab demo --serve}: {@code /metrics}
 * (Prometheus text format), {@code /stats.json} (the snapshot documents) and {@code /-/healthy}.
 * Targets are read at request time (or from a cache younger than {@code cacheNanos}); a target
 * that cannot be read answers 503 with the reason, never a crash. Each exchange runs on its own
 * virtual thread, so a slow client never holds up the others.
 */
final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;
    private final Supplier<List<PrometheusText.Target>> targets;
    private final PrometheusText text;
    private final long cacheNanos;
    private List<PrometheusText.Target> cached;
    private long cachedAt;

    MetricsServer(String bind, int port, Supplier<List<PrometheusText.Target>> targets, int labelLimit, long cacheNanos) {
        this.targets = targets;
        this.text = PrometheusText.withLabelLimit(labelLimit);
        this.cacheNanos = cacheNanos;
        if (port < 0 || port > 65535) {
            throw CliException.badInput("port " + port + " (expected: 0..65535)");
        }
        try {
            this.server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        } catch (IOException e) {
            throw CliException.badInput("cannot listen on " + bind + ":" + port + " ("
                    + (e.getMessage() != null ? e.getMessage() : "the address cannot be bound") + ")");
        }
        // One virtual thread per exchange: a client that sends half a request and stalls, or never reads
        // its response, holds only its own thread, so no number of slow clients holds up the others.
        this.pool = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("tslab-serve-", 0).factory());
        server.setExecutor(pool);
        server.createContext("/metrics", exchange -> respond(exchange, () -> {
            StringBuilder out = new StringBuilder(64 * 1024);
            text.render(load(), out);
            return out.toString();
        }, PrometheusText.CONTENT_TYPE));
        server.createContext("/stats.json", exchange -> respond(exchange, () -> {
            List<AllocatorSnapshot> all = new ArrayList<>();
            for (PrometheusText.Target t : load()) {
                all.addAll(t.snapshots());
            }
            return all.isEmpty() ? "{\"allocators\": []}\n" : SnapshotDocuments.write(all);
        }, "application/json"));
        server.createContext("/-/healthy", exchange -> respond(exchange, () -> "OK\n", "text/plain; charset=utf-8"));
        server.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/")) {
                respond(exchange, () -> "tslab serve: /metrics /stats.json /-/healthy\n", "text/plain; charset=utf-8");
            } else {
                send(exchange, 404, "not found: " + exchange.getRequestURI().getPath() + "\n", "text/plain; charset=utf-8");
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    String address() {
        return "http://" + server.getAddress().getHostString() + ":" + port();
    }

    private synchronized List<PrometheusText.Target> load() {
        long now = System.nanoTime();
        if (cached == null || now - cachedAt >= cacheNanos) {
            cached = targets.get();
            cachedAt = now;
        }
        return cached;
    }

    interface Body {
        String get() throws IOException;
    }

    private static void respond(HttpExchange exchange, Body body, String contentType) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                send(exchange, 405, "method not allowed\n", "text/plain; charset=utf-8");
                return;
            }
            String content;
            try {
                content = body.get();
            } catch (CliException e) {
                send(exchange, 503, "tslab serve: " + e.getMessage() + "\n", "text/plain; charset=utf-8");
                return;
            } catch (RuntimeException e) {
                send(exchange, 500, "tslab serve: internal error: " + e + "\n", "text/plain; charset=utf-8");
                return;
            }
            send(exchange, 200, content, contentType);
        }
    }

    private static void send(HttpExchange exchange, int status, String content, String contentType) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
