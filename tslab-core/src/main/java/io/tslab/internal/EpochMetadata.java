package io.tslab.internal;

import io.tslab.stats.LastEpochClose;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the allocator knows about each ring slot's current era beyond its slabs: label, refcount of
 * open domain scopes, when it opened, what its close did, and (with leak detection) where its open
 * scopes were entered. Everything is reset when the slot is activated in a new era.
 *
 * <p>The refcount word packs the era with the count ({@code era << 24 | count}), so a domain of an
 * earlier era can never move the count of the era that replaced it. Close telemetry is written under
 * the engine's ring lock and read under it.
 */
final class EpochMetadata {
    private static final int COUNT_BITS = 24;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    final boolean leakDetection;
    private final AtomicReferenceArray<String> labels;
    private final long[] refWords;
    private final AtomicLong refcountUnderflows = new AtomicLong();
    private final AtomicLong closeCalls = new AtomicLong();
    private final List<Map<Long, Site>> openScopes;

    /** Per slot: the era an auto-closing domain asked to close (0: none). Read without the ring lock as a hint. */
    private final java.util.concurrent.atomic.AtomicLongArray autoCloseEras;

    // Guarded by the ring lock.
    private final long[] openSinceWallNanos;
    private final long[][] closeFigures;
    private volatile LastEpochClose lastClose = LastEpochClose.NONE;

    static final int CLOSE_COUNT = 0;
    static final int RSS_BEFORE = 1;
    static final int RSS_AFTER = 2;
    static final int RESIDENT_BEFORE = 3;
    static final int RESIDENT_AFTER = 4;
    static final int MADVISE_BYTES = 5;
    private static final int CLOSE_FIGURES = 6;

    private record Site(long era, String where) {
    }

    EpochMetadata(int epochs, boolean leakDetection) {
        this.leakDetection = leakDetection;
        this.labels = new AtomicReferenceArray<>(epochs);
        this.refWords = new long[epochs];
        this.autoCloseEras = new java.util.concurrent.atomic.AtomicLongArray(epochs);
        this.openSinceWallNanos = new long[epochs];
        this.closeFigures = new long[epochs][CLOSE_FIGURES];
        this.openScopes = new ArrayList<>(epochs);
        for (int e = 0; e < epochs; e++) {
            labels.set(e, "");
            openScopes.add(leakDetection ? new ConcurrentHashMap<>() : Map.of());
        }
    }

    /** Under the ring lock: slot {@code epoch} starts era {@code era}. */
    void activate(int epoch, long era) {
        labels.set(epoch, "");
        LONGS.setVolatile(refWords, epoch, era << COUNT_BITS);
        autoCloseEras.set(epoch, 0);
        Instant now = Instant.now();
        openSinceWallNanos[epoch] = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        java.util.Arrays.fill(closeFigures[epoch], 0);
        if (leakDetection) {
            openScopes.get(epoch).clear();
        }
    }

    // ---- labels ---------------------------------------------------------------------------

    void setLabel(int epoch, String label) {
        labels.set(epoch, label);
    }

    String label(int epoch) {
        return labels.get(epoch);
    }

    void labelIfUnset(int epoch, long era, String label) {
        if (eraOf(epoch) == era) {
            labels.compareAndSet(epoch, "", label);
        }
    }

    // ---- refcounts ------------------------------------------------------------------------

    private long eraOf(int epoch) {
        return (long) LONGS.getVolatile(refWords, epoch) >>> COUNT_BITS;
    }

    boolean incRefcount(int epoch, long era) {
        for (;;) {
            long word = (long) LONGS.getVolatile(refWords, epoch);
            if (era != SlabEngine.ANY_ERA && word >>> COUNT_BITS != era) {
                return false;
            }
            if ((word & COUNT_MASK) == COUNT_MASK) {
                throw new IllegalStateException("epoch " + epoch + " refcount: " + COUNT_MASK
                        + " open scopes (expected: fewer; are scopes being closed?)");
            }
            if (LONGS.compareAndSet(refWords, epoch, word, word + 1)) {
                return true;
            }
        }
    }

    long decRefcount(int epoch, long era) {
        for (;;) {
            long word = (long) LONGS.getVolatile(refWords, epoch);
            if (era != SlabEngine.ANY_ERA && word >>> COUNT_BITS != era) {
                return -1;
            }
            if ((word & COUNT_MASK) == 0) {
                refcountUnderflows.incrementAndGet();
                return 0;
            }
            if (LONGS.compareAndSet(refWords, epoch, word, word - 1)) {
                return (word & COUNT_MASK) - 1;
            }
        }
    }

    long refcount(int epoch) {
        return (long) LONGS.getVolatile(refWords, epoch) & COUNT_MASK;
    }

    long refcountUnderflows() {
        return refcountUnderflows.get();
    }

    // ---- auto-close -----------------------------------------------------------------------

    void requestAutoClose(int epoch, long era) {
        autoCloseEras.set(epoch, era);
    }

    long autoCloseEra(int epoch) {
        return autoCloseEras.get(epoch);
    }

    // ---- close telemetry --------------------------------------------------------------------

    void recordClose(int epoch, long era, long scanned, long recycled, long rssBefore, long rssAfter,
                     long residentBefore, long residentAfter, long madviseBytes, long durationNanos) {
        closeCalls.incrementAndGet();
        long[] f = closeFigures[epoch];
        f[CLOSE_COUNT]++;
        f[RSS_BEFORE] = rssBefore;
        f[RSS_AFTER] = rssAfter;
        f[RESIDENT_BEFORE] = residentBefore;
        f[RESIDENT_AFTER] = residentAfter;
        f[MADVISE_BYTES] = madviseBytes;
        Instant now = Instant.now();
        lastClose = new LastEpochClose(now.getEpochSecond() * 1_000_000_000L + now.getNano(), epoch, era,
                scanned, recycled, rssBefore, rssAfter, residentBefore, residentAfter, madviseBytes, durationNanos);
    }

    /** Under the ring lock. */
    long closeFigure(int epoch, int figure) {
        return closeFigures[epoch][figure];
    }

    /** Under the ring lock. */
    long openSinceWallNanos(int epoch) {
        return openSinceWallNanos[epoch];
    }

    long closeCalls() {
        return closeCalls.get();
    }

    LastEpochClose lastClose() {
        return lastClose;
    }

    // ---- leak attribution -----------------------------------------------------------------

    void scopeOpened(int epoch, long era, long scopeId, String where) {
        if (leakDetection) {
            openScopes.get(epoch).put(scopeId, new Site(era, where));
        }
    }

    void scopeClosed(int epoch, long scopeId) {
        if (leakDetection) {
            openScopes.get(epoch).remove(scopeId);
        }
    }

    /** "site (n open)" for the open scopes of {@code epoch} in {@code era}, most frequent first. */
    List<String> leakSites(int epoch, long era) {
        if (!leakDetection) {
            return List.of();
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (Site site : openScopes.get(epoch).values()) {
            if (site.era() == era) {
                counts.merge(site.where(), 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        List<String> sites = new ArrayList<>(entries.size());
        for (Map.Entry<String, Integer> e : entries) {
            sites.add(e.getKey() + " (" + e.getValue() + " open)");
        }
        return sites;
    }
}
