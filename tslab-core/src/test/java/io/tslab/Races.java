package io.tslab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small harness for many short races, in the spirit of jcstress: each round is a setup on the
 * calling thread, then a few actor threads released together by a spinning start line, each after
 * a random delay of its own, then a check on the calling thread once every actor is done. Actors
 * are long-lived threads, so a round costs microseconds and a test runs thousands of them.
 *
 * <p>Bounded: a run stops after {@code maxRounds} rounds or its time budget, whichever comes first;
 * an actor that does not finish a round within {@link #ROUND_TIMEOUT} fails the run as a hang, with
 * the actors' stacks. The first failure (an actor's or the check's) stops the run and is rethrown
 * with the round and the seed.
 */
final class Races {
    private Races() {
    }

    static final Duration ROUND_TIMEOUT = Duration.ofSeconds(20);

    /** One protocol under test. Actor {@code i} runs {@link #actor} once per round. */
    interface Round {
        void setup(int round, SplittableRandom random) throws Exception;

        void actor(int actor, int round) throws Exception;

        void check(int round) throws Exception;
    }

    /** What a run did. */
    record Summary(String name, int actors, int rounds, long nanos) {
        @Override
        public String toString() {
            return String.format("%s: %d rounds of %d actors in %.1f s", name, rounds, actors, nanos / 1e9);
        }
    }

    /** Random delays before an actor starts, in spin-waits: none, a few, some, many. */
    private static final int[] JITTER = {0, 0, 8, 64, 512, 4096};

    /**
     * Runs rounds until {@code budget} is spent (or {@code maxRounds} are done); on a slow or busy
     * machine, goes on past the budget until {@code minRounds} are done, up to five times the budget.
     */
    static Summary run(String name, int actors, int minRounds, int maxRounds, Duration budget, long seed, Round round)
            throws Exception {
        State state = new State(actors);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < actors; i++) {
            int id = i;
            Thread t = Thread.ofPlatform().daemon().name("race-" + name + "-" + i).unstarted(() -> state.actorLoop(id, round));
            threads.add(t);
            t.start();
        }
        SplittableRandom random = new SplittableRandom(seed);
        long start = System.nanoTime();
        long end = start + budget.toNanos();
        long hardEnd = start + 5 * budget.toNanos();
        int rounds = 0;
        try {
            for (int r = 1; r <= maxRounds && (r == 1 || System.nanoTime() < (r <= minRounds ? hardEnd : end)); r++) {
                try {
                    round.setup(r, random);
                } catch (Throwable t) {
                    throw failure(name, r, seed, "setup", t);
                }
                for (int i = 0; i < actors; i++) {
                    state.jitter[i] = JITTER[random.nextInt(JITTER.length)];
                }
                state.done.set(0);
                state.go = r; // volatile: publishes the setup and the jitter to the actors
                for (Thread t : threads) {
                    LockSupport.unpark(t);
                }
                awaitActors(state, threads, name, r, seed);
                if (!state.errors.isEmpty()) {
                    throw failure(name, r, seed, "an actor", state.errors.getFirst());
                }
                try {
                    round.check(r);
                } catch (Throwable t) {
                    throw failure(name, r, seed, "the check", t);
                }
                rounds = r;
            }
        } finally {
            state.stop = true;
            for (Thread t : threads) {
                LockSupport.unpark(t);
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
        Summary summary = new Summary(name, actors, rounds, System.nanoTime() - start);
        System.out.println("races " + summary);
        return summary;
    }

    private static void awaitActors(State state, List<Thread> threads, String name, int r, long seed) {
        long deadline = System.nanoTime() + ROUND_TIMEOUT.toNanos();
        int spins = 0;
        while (state.done.get() < threads.size()) {
            if (++spins < 200) {
                Thread.onSpinWait();
            } else if (System.nanoTime() < deadline) {
                Thread.yield();
            } else {
                StringBuilder stacks = new StringBuilder();
                for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                    if (threads.contains(e.getKey())) {
                        stacks.append('\n').append(e.getKey().getName()).append(':');
                        for (StackTraceElement frame : e.getValue()) {
                            stacks.append("\n    at ").append(frame);
                        }
                    }
                }
                throw new AssertionError(name + ": round " + r + " (seed " + seed + ") did not finish within "
                        + ROUND_TIMEOUT.toSeconds() + " s: a hang" + stacks);
            }
        }
    }

    private static AssertionError failure(String name, int round, long seed, String where, Throwable cause) {
        return new AssertionError(name + ": round " + round + " (seed " + seed + "), " + where + ": " + cause, cause);
    }

    /** Shared between the coordinator and the actors. */
    private static final class State {
        final int[] jitter;
        final AtomicInteger done = new AtomicInteger();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        volatile int go;
        volatile boolean stop;

        State(int actors) {
            this.jitter = new int[actors];
        }

        void actorLoop(int id, Round round) {
            int expected = 0;
            while (true) {
                expected++;
                int spins = 0;
                long waitingSince = 0;
                while (go < expected && !stop) {
                    if (++spins < 2_000) {
                        Thread.onSpinWait();
                    } else if (waitingSince == 0) {
                        waitingSince = System.nanoTime();
                    } else if (System.nanoTime() - waitingSince < 200_000) {
                        Thread.yield();
                    } else {
                        LockSupport.parkNanos(50_000); // the coordinator unparks at the start of a round
                    }
                }
                if (stop) {
                    return;
                }
                for (int i = jitter[id]; i > 0; i--) {
                    Thread.onSpinWait();
                }
                try {
                    round.actor(id, expected);
                } catch (Throwable t) {
                    errors.add(t);
                }
                done.incrementAndGet();
            }
        }
    }
}
