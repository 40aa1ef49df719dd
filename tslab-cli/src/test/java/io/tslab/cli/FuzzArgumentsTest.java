package io.tslab.cli;

import com.sun.net.httpserver.HttpServer;
import io.tslab.SlabAllocator;
import io.tslab.stats.StatsFile;
import io.tslab.stats.StatsFileException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random {@code tslab} command lines, {@code tslab} run in this JVM for each: a grammar of the real
 * commands, options and targets (this JVM publishing an allocator, dead pids, the snapshot corpus
 * of {@code tslab-core/src/test/resources/fuzz/json}, a local HTTP endpoint serving good, hostile
 * and broken documents, closed ports), with option values drawn from valid, boundary and junk
 * values, and junk tokens inserted anywhere. Forbidden: anything that breaks {@link FuzzCli}'s
 * contract (an exception escaping, an exit code other than 0/1/2, an internal error, a bad-input
 * exit whose stderr is not one {@code tslab: } line), or a command line not ending in time. Every
 * vector is bounded: long-running commands get bounded durations and counts, and {@code serve}
 * always gets one invalid setting, so that it stops before listening ({@code scripts/load-serve.sh}
 * exercises a listening one).
 *
 * <p>{@code -Dtslab.fuzz.seed} and {@code -Dtslab.fuzz.cliSeconds} change the seed and the time
 * budget (default 12 s).
 */
class FuzzArgumentsTest {
    static final Path CORE_FUZZ = Path.of("../tslab-core/src/test/resources/fuzz/json");
    static final Path GOLDEN = Path.of("../tslab-core/src/test/resources/golden/snapshot-v1.json");
    private static final String TARGET = "fuzz-target";
    private static final List<String> COMMANDS = List.of("list", "stats", "watch", "top", "export", "serve", "diff", "demo",
            "generate-completion", "help", "--help", "-h", "--version", "-V");

    private static SlabAllocator target;
    private static HttpServer http;
    static List<Path> accepted;
    static List<Path> rejected;
    /**
     * Files no reader accepts. (The CLI reads JSON with Jackson before the library's reader, so it
     * takes some documents that the library refuses: duplicate keys, trailing garbage.)
     */
    static List<Path> unreadable;

    @BeforeAll
    static void startTargets() throws Exception {
        accepted = list(CORE_FUZZ.resolve("accept"));
        rejected = list(CORE_FUZZ.resolve("reject"));
        unreadable = new ArrayList<>(rejected.stream().filter(p -> p.getFileName().toString().matches(
                "(truncated|empty|whitespace-only|top-level-null|top-level-number|name-unterminated).*")).toList());
        unreadable.add(Path.of("/nonexistent/file.json"));
        target = SlabAllocator.builder().name(TARGET).reserveBytes(64L << 20).build();
        for (int i = 0; i < 5000; i++) {
            long h = target.alloc(1 + i % 768);
            if (i % 3 == 0) {
                target.free(h);
            }
        }
        target.advanceEpoch();
        long deadline = System.nanoTime() + 20_000_000_000L;
        boolean published = false;
        while (!published && System.nanoTime() < deadline) {
            try {
                published = StatsFile.read(ProcessHandle.current().pid()).allocator(TARGET).isPresent();
            } catch (StatsFileException notYet) {
                // the first publication is on its way
            }
            Thread.sleep(20);
        }
        assertTrue(published, "this JVM's allocator was never published");

        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        String golden = Files.readString(GOLDEN);
        Map<String, byte[]> bodies = new TreeMap<>();
        bodies.put("/ok/stats.json", golden.getBytes(StandardCharsets.UTF_8));
        bodies.put("/allocators/stats.json", ("{\"allocators\": [" + golden + "," + golden + "]}").getBytes(StandardCharsets.UTF_8));
        bodies.put("/empty/stats.json", new byte[0]);
        bodies.put("/junk/stats.json", new byte[] {(byte) 0xff, 0, '{', '"'});
        for (int i = 0; i < accepted.size(); i++) {
            bodies.put("/hostile" + i + "/stats.json", Files.readAllBytes(accepted.get(i)));
        }
        for (int i = 0; i < rejected.size(); i++) {
            bodies.put("/broken" + i + "/stats.json", Files.readAllBytes(rejected.get(i)));
        }
        http.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                byte[] body = bodies.get(path);
                int status = body != null ? 200 : path.startsWith("/status500") ? 500 : 404;
                if (body == null) {
                    body = ("no " + path + "\n").getBytes(StandardCharsets.UTF_8);
                }
                exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }
            }
        });
        http.start();
    }

    @AfterAll
    static void stopTargets() {
        if (http != null) {
            http.stop(0);
        }
        if (target != null) {
            target.close();
        }
    }

    static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    // ---- the grammar ------------------------------------------------------------------------

    private final Random r = new Random(Long.getLong("tslab.fuzz.seed", 20251127L));

    private String pick(String... values) {
        return values[r.nextInt(values.length)];
    }

    private <T> T pick(List<T> values) {
        return values.get(r.nextInt(values.size()));
    }

    private boolean chance(int percent) {
        return r.nextInt(100) < percent;
    }

    /** Not a duration the commands accept, or not a positive one (never a long valid one). */
    private String junkDuration() {
        return pick("soon", "-1s", "0s", "0ms", "5ms", "1x", "", "PT-1S", "10", "1e3s", "ms", "-", "1 s", "\u0661s");
    }

    private String junkNumber() {
        return pick("-1", "0", "x", "", "2147483648", "-2147483649", "9999999999999999999", "0x10", "1e3", "1.5", " 1", "+3");
    }

    String url() {
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        return switch (r.nextInt(9)) {
            case 0 -> base + "/ok/stats.json";
            case 1 -> base + "/allocators/stats.json";
            case 2 -> base + "/hostile" + r.nextInt(accepted.size()) + "/stats.json";
            case 3 -> base + "/broken" + r.nextInt(rejected.size()) + "/stats.json";
            case 4 -> base + pick("/empty/stats.json", "/junk/stats.json", "/status500", "/missing", "/ok", "");
            case 5 -> "http://127.0.0.1:" + closedPort() + "/";
            default -> pick("ftp://127.0.0.1/x", "http://[::1", "not a url", "http://%zz/", "file:///etc/hostname",
                    "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "", "http:", "//127.0.0.1/");
        };
    }

    private static int closedPortCache = -1;

    static int closedPort() {
        if (closedPortCache < 0) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closedPortCache = s.getLocalPort();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return closedPortCache;
    }

    String file() {
        return switch (r.nextInt(7)) {
            case 0, 1 -> pick(accepted).toString();
            case 2, 3 -> pick(rejected).toString();
            case 4 -> GOLDEN.toString();
            case 5 -> "-";
            default -> pick("/nonexistent/file.json", ".", "/dev/null", "/proc/self/status", "", "target");
        };
    }

    private String pid() {
        long self = ProcessHandle.current().pid();
        return pick(Long.toString(self), Long.toString(self), "1", "0", "-1", "abc", "4194304", "2000000000",
                "99999999999999999999", "");
    }

    /** A target: a pid, --file, --url, or nothing (the only JVM publishing), perhaps several, and -a. */
    private void target(List<String> a) {
        int n = chance(90) ? 1 : r.nextInt(3);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(4)) {
                case 0 -> a.add(pid());
                case 1 -> a.addAll(List.of("--file", file()));
                case 2 -> a.addAll(List.of("--url", url()));
                default -> { }
            }
        }
        if (chance(20)) {
            a.addAll(List.of(pick("-a", "--allocator"), pick(TARGET, "golden", "nope", "", "fuzz-*")));
        }
    }

    List<String> vector() {
        List<String> a = new ArrayList<>();
        if (chance(3)) {
            a.add(pick("--verbose", "--help", "-h", "--version", "-V"));
        }
        switch (r.nextInt(100)) {
            case 0, 1, 2, 3, 4 -> {
                a.add("list");
                if (chance(50)) {
                    a.add("--bytes");
                }
            }
            case 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 -> {
                a.add("stats");
                target(a);
                for (String o : List.of("--json", "--doctor", "--all", "--bytes")) {
                    if (chance(25)) {
                        a.add(o);
                    }
                }
                if (chance(15)) {
                    a.addAll(List.of("--leak-age", chance(50) ? pick("1s", "60s", "1ms") : junkDuration()));
                }
            }
            case 25, 26, 27, 28, 29, 30, 31, 32 -> {
                a.add("watch");
                target(a);
                a.addAll(List.of("--count", chance(85) ? pick("1", "2") : junkNumber()));
                a.addAll(List.of("--interval", chance(85) ? pick("10ms", "20ms") : junkDuration()));
                if (chance(30)) {
                    a.add("--bytes");
                }
            }
            case 33, 34, 35, 36, 37, 38, 39, 40, 41, 42 -> {
                a.add("top");
                target(a);
                if (chance(80)) {
                    a.add("--once");
                }
                if (chance(40)) {
                    a.addAll(List.of("--by", pick("slow_path_hits", "new_slab_count", "madvise_bytes", "net_slabs",
                            "live_objects", "live_bytes", "allocations", "frees", "empty_slab_recycled",
                            "slow_path_cache_miss", "lock_contended", "rss", "age", "refcount", "reclaimable", "live",
                            "older", "bogus", "")));
                }
                if (chance(30)) {
                    a.add("--epochs");
                }
                if (chance(30)) {
                    a.addAll(List.of("--n", chance(60) ? pick("1", "3", "100") : junkNumber()));
                }
                if (chance(20)) {
                    a.addAll(List.of("--window", chance(60) ? pick("10ms", "50ms") : junkDuration()));
                }
            }
            case 43, 44, 45, 46, 47, 48, 49, 50, 51, 52 -> {
                a.addAll(List.of("export", "prometheus"));
                target(a);
                if (chance(30)) {
                    a.addAll(List.of("--label-limit", chance(50) ? pick("0", "1", "64", "100000") : junkNumber()));
                }
            }
            case 53, 54, 55, 56, 57, 58, 59, 60 -> {
                a.add("serve");
                for (int i = r.nextInt(3); i > 0; i--) {
                    a.add(pid());
                }
                if (chance(30)) {
                    a.addAll(List.of("--url", url()));
                }
                if (chance(30)) {
                    a.addAll(List.of("--interval", chance(50) ? "1s" : junkDuration()));
                }
                if (chance(30)) {
                    a.addAll(List.of("--bind", pick("127.0.0.1", "::1", "localhost")));
                }
                // One setting that fails before the server listens, so that every vector ends.
                switch (r.nextInt(3)) {
                    case 0 -> a.addAll(List.of("--port", pick("-1", "65536", "99999", "x", "", "2147483648")));
                    case 1 -> a.addAll(List.of("--label-limit", pick("-1", "100001", "x", "")));
                    default -> a.addAll(List.of("--file", pick(unreadable).toString()));
                }
                if (chance(50)) {
                    a.addAll(List.of("--port", "0"));
                }
            }
            case 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72 -> {
                a.add("diff");
                a.add(file());
                a.add(chance(90) ? file() : pick("-", ""));
                if (chance(30)) {
                    a.addAll(List.of("--fail-on", pick("regression", "regression", "x", "")));
                }
                if (chance(20)) {
                    a.addAll(List.of("--slow-path-increase", pick("10", "0", "-5", "1e308", "NaN", "x")));
                }
                if (chance(20)) {
                    a.addAll(List.of("--net-slab-growth", pick("10", "0", "-5", "Infinity", "x")));
                }
                for (String o : List.of("--allow-madvise-failures", "--allow-refcount-leaks", "--all")) {
                    if (chance(20)) {
                        a.add(o);
                    }
                }
                if (chance(15)) {
                    a.addAll(List.of("-a", pick("golden", "nope", TARGET)));
                }
            }
            case 73, 74, 75, 76, 77 -> {
                a.add("demo");
                a.addAll(List.of("--duration", chance(85) ? pick("1ms", "30ms", "120ms") : junkDuration()));
                if (chance(40)) {
                    a.addAll(List.of("--interval", chance(60) ? pick("10ms", "50ms", "1s") : junkDuration()));
                }
                if (chance(30)) {
                    a.addAll(List.of("--epoch-period", chance(60) ? pick("1ms", "10ms", "1h") : junkDuration()));
                }
                if (chance(30)) {
                    a.addAll(List.of("--threads", chance(50) ? pick("1", "2", "64") : junkNumber()));
                }
                if (chance(25)) {
                    a.addAll(List.of("--serve", pick("0", "0", "-5", "70000", "x")));
                    if (chance(40)) {
                        a.addAll(List.of("--bind", pick("127.0.0.1", "::1", "localhost", "not a host", "")));
                    }
                }
            }
            case 78, 79, 80 -> a.addAll(List.of("generate-completion"));
            case 81, 82, 83, 84 -> {
                a.add("help");
                if (chance(70)) {
                    a.add(pick("list", "stats", "watch", "top", "export", "serve", "diff", "demo", "junk", ""));
                }
            }
            default -> {
                // no command, or a misspelled one
                a.add(pick("", "stat", "STATS", "lst", "export", "prometheus", "--", "-", "run", "stats\u0000"));
            }
        }
        for (int i = chance(30) ? 1 + r.nextInt(2) : 0; i > 0; i--) {
            a.add(r.nextInt(a.size() + 1), junk());
        }
        return a;
    }

    private String junk() {
        return pick("--", "-", "--bogus", "-x", "--=", "=", "", " ", "\u0000", "\t", "a\nb", "--file=", "--json=true",
                "-a", "%n", "%s", "${env:HOME}", "@/nonexistent", "@" + pick(rejected), "x".repeat(10_000), "\u00fc\u00df",
                "\uD83D\uDE00", "-1", "9999999999999999999", "0x10", "1e3", "--count", "--interval", "--port", "-abc",
                "--json=", "--no-json", "'quoted'", "\\", "--file", "--url", "stats", "--once");
    }

    private byte[] stdin() {
        try {
            return switch (r.nextInt(4)) {
                case 0 -> Files.readAllBytes(pick(accepted));
                case 1 -> Files.readAllBytes(pick(rejected));
                case 2 -> Files.readAllBytes(GOLDEN);
                default -> {
                    byte[] junk = new byte[r.nextInt(64)];
                    r.nextBytes(junk);
                    yield junk;
                }
            };
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void randomCommandLinesKeepTheContract() {
        long seconds = Long.getLong("tslab.fuzz.cliSeconds", 12);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Map<String, int[]> byCommand = new TreeMap<>(); // command -> exits 0/1/2
        FuzzCli.Findings findings = new FuzzCli.Findings();
        int vectors = 0;
        long hardEnd = end + 2 * seconds * 1_000_000_000L; // a busy machine: go on until 200 vectors, up to 3x
        while ((System.nanoTime() < end || vectors < 200 && System.nanoTime() < hardEnd) && vectors < 20_000) {
            List<String> args = vector();
            FuzzCli.Outcome o = FuzzCli.run(args, stdin());
            findings.add(o);
            if (o.hung()) {
                break; // the runner thread is stuck: later runs would only queue behind it
            }
            String command = args.stream().filter(COMMANDS::contains).findFirst().orElse("(other)");
            if (o.exit() >= 0 && o.exit() <= 2) {
                byCommand.computeIfAbsent(command, k -> new int[3])[o.exit()]++;
            }
            vectors++;
        }
        StringBuilder summary = new StringBuilder();
        byCommand.forEach((k, v) -> summary.append(String.format(" %s %d/%d/%d", k, v[0], v[1], v[2])));
        System.out.println("fuzz cli: " + vectors + " command lines in " + seconds + " s; exits 0/1/2 by command:" + summary);
        assertTrue(findings.total() == 0, findings::report);
        assertTrue(vectors >= 100, vectors + " command lines");
        assertTrue(byCommand.values().stream().mapToInt(v -> v[0]).sum() > vectors / 10, "some command lines succeed");
    }
}
