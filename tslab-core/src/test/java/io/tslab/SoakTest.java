package io.tslab;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short soak that runs in {@code mvn verify}: {@link Soak} for 10 seconds (scaled by {@code
 * -Dtslab.soak.seconds}). The long one is {@code scripts/soak.sh --minutes N}. Forbidden: any
 * finding of the soak (see its javadoc: an object losing its stamp or sharing memory, a live count
 * that disagrees with the snapshot, a broken invariant at a checkpoint or at the end, an injected
 * {@code madvise} failure not counted, a stale handle freeing anything, a snapshot breaking its
 * rules or a counter going back, a stats-file read failing, anything left live or in service after
 * freeing everything), or a run that does not end in time.
 */
class SoakTest {
    @Test
    void aShortSoakFindsNothing() {
        long seconds = Long.getLong("tslab.soak.seconds", 10);
        Soak.Config config = Soak.Config.defaults().withDuration(Duration.ofSeconds(seconds)).withThreads(3)
                .withReserveBytes(128L << 20).withCheckpointEvery(Duration.ofSeconds(2)).withMaxOwned(3000)
                .withSeed(System.nanoTime());
        Soak.Result r = assertTimeoutPreemptively(Duration.ofSeconds(seconds + 90), () -> Soak.run(config));
        System.out.println(r.summary());
        assertEquals(java.util.List.of(), r.errors(), "seed " + config.seed());
        assertTrue(r.counts().get("checkpoints (full invariant walks)") >= 2, r.summary());
        assertTrue(r.counts().get("frees by another thread") > 0, r.summary());
        assertTrue(r.counts().get("epoch advances") > 0 && r.counts().get("epoch closes") > 0, r.summary());
        assertTrue(r.operations() > 100_000, r.summary());
    }
}
