package io.tslab.cli;

import io.tslab.prometheus.PrometheusText;
import io.tslab.stats.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile clients of the {@code /metrics} endpoint ({@code tslab serve}, {@code tslab demo
 * --serve}): connections that send half a request and stall, and connections that send a whole
 * request and never read the answer. Forbidden: a scrape by a well-behaved client, made while they
 * are connected, not answered 200 within 5 s. ({@code scripts/load-serve.sh} measures the same
 * against a real {@code tslab serve} under load.)
 */
class FuzzSlowClientsTest {
    private static final int SLOW_CLIENTS = 16;

    @Test
    void slowClientsDoNotHoldUpOtherScrapes() throws Exception {
        AllocatorSnapshot golden = AllocatorSnapshot.fromJson(Files.readString(FuzzArgumentsTest.GOLDEN));
        List<PrometheusText.Target> targets = List.of(new PrometheusText.Target(Map.of("pid", "4242"), List.of(golden)));
        List<Socket> slow = new ArrayList<>();
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, () -> targets, 64, 0)) {
            URI metrics = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest scrape = HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).GET().build();
            assertEquals(200, client.send(scrape, HttpResponse.BodyHandlers.discarding()).statusCode());
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                slow.add(s);
                OutputStream out = s.getOutputStream();
                String request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (i % 2 == 0 ? "" : "\r\n");
                out.write(request.getBytes(StandardCharsets.US_ASCII)); // even: half a request; odd: never read
                out.flush();
            }
            Thread.sleep(500);
            List<String> failed = new ArrayList<>();
            long worst = 0;
            for (int i = 0; i < 5 && failed.isEmpty(); i++) {
                long start = System.nanoTime();
                try {
                    int status = client.send(scrape, HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status != 200) {
                        failed.add("HTTP " + status);
                    }
                } catch (IOException e) {
                    failed.add(e.toString());
                }
                worst = Math.max(worst, System.nanoTime() - start);
            }
            assertTrue(failed.isEmpty(), "with " + SLOW_CLIENTS + " slow clients connected, scrapes failed: " + failed
                    + " (the server runs exchanges on a pool that stalled clients can fill)");
            System.out.printf("slow clients: %d connected, 5 scrapes answered 200, worst %.1f ms%n", SLOW_CLIENTS,
                    worst / 1e6);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }
}
