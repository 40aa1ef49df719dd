package io.tslab.cli;

import io.tslab.EpochDomain;
import io.tslab.SlabAllocator;
import io.tslab.internal.os.OsMemory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The target JVM of the CLI tests: builds allocators, runs a deterministic workload, prints
 * {@code ready}, then obeys commands on standard input (one per line, each answered with {@code
 * done <command>}) until {@code exit} or the end of its input (so it never outlives a test JVM
 * that died).
 *
 * <p>Arguments: allocator names (default {@code cli-target}); {@code --leak} also leaves a domain
 * scope open on an epoch that is then advanced past (CLOSING with refcount 1, label {@code
 * leaky-batch}).
 *
 * <p>Workload of each allocator: epoch "warmup" gets 3000 objects of 64 B, is advanced past, freed
 * and closed (its slabs are recycled with madvise); with {@code --leak}, epoch "leaky-batch" gets
 * 200 objects of 256 B through a domain whose scope stays open, and is advanced past; the current
 * epoch "requests" keeps 1000 objects of 128 B (written to, so resident) and 40 of 512 B live.
 *
 * <p>Commands: {@code churn} (1000 alloc+free pairs of 128 B in the current epoch: counters move,
 * nothing regresses), {@code madvise-fail} (the next 3 madvise calls fail, then 300 objects of
 * 64 B are allocated in the current epoch, the epoch is advanced past and they are freed, so their
 * slabs are recycled and the madvise calls fail), {@code exit}.
 */
public final class TargetApp {
    static final int WARMUP_OBJECTS = 3000;
    static final int LEAKED_OBJECTS = 200;
    static final int REQUEST_OBJECTS = 1000;
    static final int LARGE_OBJECTS = 40;

    private TargetApp() {
    }

    public static void main(String[] args) throws IOException {
        boolean leak = false;
        List<String> names = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--leak")) {
                leak = true;
            } else {
                names.add(arg);
            }
        }
        if (names.isEmpty()) {
            names.add("cli-target");
        }
        List<SlabAllocator> allocators = new ArrayList<>();
        List<EpochDomain.Scope> openScopes = new ArrayList<>();
        for (String name : names) {
            SlabAllocator a = SlabAllocator.builder().name(name).epochs(8).leakDetection(true).build();
            allocators.add(a);
            workload(a, leak, openScopes);
        }
        System.out.println("ready");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String command = line.strip();
            switch (command) {
                case "churn" -> allocators.forEach(TargetApp::churn);
                case "madvise-fail" -> allocators.forEach(TargetApp::madviseFail);
                case "exit" -> {
                    System.out.println("done exit");
                    System.out.flush();
                    System.exit(0);
                }
                default -> {
                    System.out.println("unknown " + command);
                    System.out.flush();
                    continue;
                }
            }
            System.out.println("done " + command);
            System.out.flush();
        }
        System.exit(0); // the test JVM is gone
    }

    private static void workload(SlabAllocator a, boolean leak, List<EpochDomain.Scope> openScopes) {
        int warmup = a.currentEpoch();
        a.setEpochLabel(warmup, "warmup");
        long[] handles = new long[WARMUP_OBJECTS];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = require(a.alloc(64));
        }
        a.advanceEpoch();
        for (long h : handles) {
            a.free(h);
        }
        a.closeEpoch(warmup);

        if (leak) {
            EpochDomain domain = a.newDomain("leaky-batch");
            EpochDomain.Scope scope = domain.enter(); // never closed: the leak
            openScopes.add(scope);
            for (int i = 0; i < LEAKED_OBJECTS; i++) {
                require(domain.alloc(256));
            }
            a.advanceEpoch();
        }

        a.setEpochLabel(a.currentEpoch(), "requests");
        for (int i = 0; i < REQUEST_OBJECTS; i++) {
            a.segment(require(a.alloc(128))).fill((byte) 1); // touched: resident
        }
        for (int i = 0; i < LARGE_OBJECTS; i++) {
            require(a.alloc(512));
        }
    }

    private static void churn(SlabAllocator a) {
        for (int i = 0; i < 1000; i++) {
            a.free(require(a.alloc(128)));
        }
    }

    private static void madviseFail(SlabAllocator a) {
        OsMemory.injectMadviseFailure(3);
        long[] handles = new long[300];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = require(a.alloc(64));
        }
        a.advanceEpoch();
        for (long h : handles) {
            a.free(h);
        }
    }

    private static long require(long handle) {
        if (handle == 0) {
            throw new IllegalStateException("allocation refused");
        }
        return handle;
    }
}
