package io.tslab.internal.statsfile;

import io.tslab.internal.LiveAllocators;
import io.tslab.stats.AllocatorSnapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes every allocator that asks for it ({@link LiveAllocators.Entry#publishStatsFile()}) into
 * this JVM's stats file, {@code <stats directory>/<pid>} ({@link StatsFileDirectory}), from one
 * shared daemon thread, {@value #THREAD_NAME}.
 *
 * <h2>Threads and the one lock</h2>
 * The publisher thread starts when the first publishing allocator opens. Every {@code
 * tslab.statsFile.intervalMs} ms (default 1000, bounded to 10 ms..1 h) it takes a snapshot of each
 * allocator, then writes them all with one heartbeat through a {@link StatsFileWriter}. The
 * channel's lock guards the writer and is held around each single {@code snapshot()} call; it is
 * taken by nothing on the allocation path, only by this thread and by {@link #closed} (an allocator's
 * {@code close()}), which therefore waits for an in-flight snapshot of that allocator to end before
 * the allocator unmaps its memory. {@link #opened} takes no lock: it appends to a copy-on-write list
 * and wakes the thread. So publishing never blocks allocation, and a snapshot never races the unmap.
 *
 * <h2>Life of the file</h2>
 * Created at the first publication (after the directory was prepared and the files of dead
 * processes removed from it); rewritten without an allocator when that allocator closes (the other
 * allocators keep their last snapshots and the heartbeat is unchanged); deleted when the last one
 * closes, and by a shutdown hook at JVM exit. A {@code kill -9} leaves it behind: readers ignore
 * files of dead processes and the next writer in that directory deletes it.
 *
 * <h2>Failures</h2>
 * A file deleted by someone else is written again at the next publication; a directory removed is
 * created again once. If the directory cannot be prepared or the file cannot be written, the channel
 * logs one warning through {@link System.Logger} and disables itself for the life of the JVM;
 * allocators never notice.
 * A snapshot that fails (the allocator is closing) is skipped for that round.
 */
public final class StatsFileChannel implements LiveAllocators.Listener {
    /** The publisher thread's name. */
    public static final String THREAD_NAME = "tslab-stats-publisher";
    /** System property: ms between publications. */
    public static final String INTERVAL_PROPERTY = "tslab.statsFile.intervalMs";
    /** The default interval, ms. */
    public static final int DEFAULT_INTERVAL_MS = 1000;

    private static final System.Logger LOG = System.getLogger(StatsFileChannel.class.getName());
    private static volatile StatsFileChannel installed;

    private final Path directory;
    private final int intervalMs;
    private final long pid;
    private final long jvmStartMs;

    /** Open allocators that publish, in open order. Appended without the lock, removed under it. */
    private final List<LiveAllocators.Entry> entries = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Object threadStart = new Object();
    private volatile Thread thread;
    private volatile boolean disabled;
    private volatile boolean shuttingDown;

    // Guarded by lock.
    private final Map<LiveAllocators.Entry, AllocatorSnapshot> lastSnapshots = new IdentityHashMap<>();
    private StatsFileWriter writer;
    private boolean directoryPrepared;
    private long lastSequence;
    private long lastHeartbeatNs;
    private boolean warnedOversize;
    private int historyLimit;
    private final ArrayDeque<Publication> history = new ArrayDeque<>();

    /** What one publication wrote (kept only when a test asks, see {@link #keepPublications}). */
    public record Publication(long sequence, long heartbeatNs, List<AllocatorSnapshot> snapshots) {
        public Publication {
            snapshots = List.copyOf(snapshots);
        }
    }

    StatsFileChannel(Path directory, int intervalMs, long pid, long jvmStartMs) {
        this.directory = directory;
        this.intervalMs = intervalMs;
        this.pid = pid;
        this.jvmStartMs = jvmStartMs;
    }

    /** Adds the channel to {@link LiveAllocators}; called once per JVM by {@link io.tslab.internal.Channels}. */
    public static synchronized void install() {
        if (installed != null) {
            return;
        }
        StatsFileChannel channel = new StatsFileChannel(StatsFileDirectory.defaultDirectory(), intervalFromProperty(),
                ProcessHandle.current().pid(), StatsFileDirectory.currentJvmStartMs());
        installed = channel;
        LiveAllocators.addListener(channel);
    }

    static int intervalFromProperty() {
        String value = System.getProperty(INTERVAL_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_INTERVAL_MS;
        }
        try {
            long ms = Long.parseLong(value.trim());
            return Math.clamp(ms, StatsFileLayout.MIN_INTERVAL_MS, StatsFileLayout.MAX_INTERVAL_MS);
        } catch (NumberFormatException e) {
            LOG.log(System.Logger.Level.WARNING, "tslab: -D" + INTERVAL_PROPERTY + "=" + value
                    + " is not a number of ms; using " + DEFAULT_INTERVAL_MS);
            return DEFAULT_INTERVAL_MS;
        }
    }

    // ---- test and diagnostic hooks (this JVM's channel) -------------------------------------------

    /** The file this JVM publishes to right now, if any. */
    public static Optional<Path> publishedFile() {
        StatsFileChannel c = installed;
        if (c == null) {
            return Optional.empty();
        }
        c.lock.lock();
        try {
            return c.writer == null ? Optional.empty() : Optional.of(c.writer.file());
        } finally {
            c.lock.unlock();
        }
    }

    /** Whether this JVM's channel disabled itself. */
    public static boolean isDisabled() {
        StatsFileChannel c = installed;
        return c != null && c.disabled;
    }

    /** Keeps the last {@code count} publications in memory (0, the default, keeps none); for tests. */
    public static void keepPublications(int count) {
        StatsFileChannel c = installed;
        if (c == null) {
            throw new IllegalStateException("the stats file channel is not installed yet");
        }
        c.lock.lock();
        try {
            c.historyLimit = Math.max(0, count);
            while (c.history.size() > c.historyLimit) {
                c.history.removeFirst();
            }
        } finally {
            c.lock.unlock();
        }
    }

    /** The kept publication with sequence number {@code sequence}, if still kept. */
    public static Optional<Publication> publication(long sequence) {
        StatsFileChannel c = installed;
        if (c == null) {
            return Optional.empty();
        }
        c.lock.lock();
        try {
            return c.history.stream().filter(p -> p.sequence() == sequence).findFirst();
        } finally {
            c.lock.unlock();
        }
    }

    // ---- listener ---------------------------------------------------------------------------------

    @Override
    public void opened(LiveAllocators.Entry allocator) {
        if (!allocator.publishStatsFile() || disabled || shuttingDown) {
            return;
        }
        entries.add(allocator);
        Thread t = thread;
        if (t == null) {
            synchronized (threadStart) {
                t = thread;
                if (t == null) {
                    t = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(this::run);
                    thread = t;
                    t.start();
                    return;
                }
            }
        }
        LockSupport.unpark(t);
    }

    @Override
    public void closed(LiveAllocators.Entry allocator) {
        if (!allocator.publishStatsFile()) {
            return;
        }
        lock.lock(); // waits for an in-flight snapshot of this allocator
        try {
            if (!entries.remove(allocator)) {
                return;
            }
            lastSnapshots.remove(allocator);
            if (writer == null || disabled || shuttingDown) {
                return;
            }
            if (entries.isEmpty()) {
                deleteFileLocked();
            } else {
                writeLocked(lastHeartbeatNs);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- the publisher thread ---------------------------------------------------------------------

    private void run() {
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        long next = System.nanoTime();
        while (!disabled && !shuttingDown) {
            if (entries.isEmpty()) {
                LockSupport.park(this);
                next = System.nanoTime(); // publish a newly opened allocator at once
                continue;
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            try {
                publishOnce();
            } catch (RuntimeException e) {
                disable("publishing failed: " + e);
            }
            next = System.nanoTime() + intervalNanos;
        }
    }

    /** One round: a snapshot of each allocator (each under the lock), then one write. */
    void publishOnce() {
        for (LiveAllocators.Entry e : List.copyOf(entries)) {
            lock.lock();
            try {
                if (disabled || shuttingDown) {
                    return;
                }
                if (!entries.contains(e)) {
                    continue; // closed meanwhile
                }
                AllocatorSnapshot s = snapshotOf(e);
                if (s != null) {
                    lastSnapshots.put(e, s);
                }
            } finally {
                lock.unlock();
            }
        }
        lock.lock();
        try {
            if (!disabled && !shuttingDown) {
                writeLocked(wallClockNanos());
            }
        } finally {
            lock.unlock();
        }
    }

    private static AllocatorSnapshot snapshotOf(LiveAllocators.Entry e) {
        if (e.isClosed()) {
            return null;
        }
        try {
            return e.snapshot();
        } catch (RuntimeException ex) {
            return null; // closing under us; the next round no longer sees it
        }
    }

    private void writeLocked(long heartbeatNs) {
        assert lock.isHeldByCurrentThread();
        List<AllocatorSnapshot> snapshots = new ArrayList<>(entries.size());
        for (LiveAllocators.Entry e : entries) {
            AllocatorSnapshot s = lastSnapshots.get(e);
            if (s != null) {
                snapshots.add(s);
            }
        }
        if (snapshots.isEmpty()) {
            return;
        }
        if (writer == null) {
            if (!prepareDirectoryLocked()) {
                return;
            }
            writer = new StatsFileWriter(directory, pid, jvmStartMs, intervalMs, lastSequence);
        }
        StatsFileWriter.Payload payload;
        try {
            payload = writer.publish(snapshots, heartbeatNs);
        } catch (IOException | RuntimeException first) {
            try { // the directory may have been removed: make it again, once
                StatsFileDirectory.prepare(directory);
                payload = writer.publish(snapshots, heartbeatNs);
            } catch (IOException | RuntimeException e) {
                disable("cannot write " + writer.file() + ": " + e);
                return;
            }
        }
        lastSequence = writer.sequence();
        lastHeartbeatNs = heartbeatNs;
        if (payload.dropped() > 0 && !warnedOversize) {
            warnedOversize = true;
            LOG.log(System.Logger.Level.WARNING, "tslab: the stats file holds at most "
                    + StatsFileLayout.MAX_PAYLOAD_BYTES + " bytes; " + payload.dropped()
                    + " allocator(s) left out of " + writer.file());
        }
        if (historyLimit > 0) {
            history.addLast(new Publication(lastSequence, heartbeatNs, snapshots.subList(0, payload.allocatorCount())));
            while (history.size() > historyLimit) {
                history.removeFirst();
            }
        }
    }

    private boolean prepareDirectoryLocked() {
        if (directoryPrepared) {
            return true;
        }
        try {
            StatsFileDirectory.prepare(directory);
        } catch (IOException | RuntimeException e) {
            disable("cannot use the stats directory " + directory + ": " + e);
            return false;
        }
        directoryPrepared = true;
        StatsFileDirectory.removeDeadFiles(directory, pid);
        try {
            Runtime.getRuntime().addShutdownHook(
                    Thread.ofPlatform().name("tslab-stats-file-cleanup").unstarted(this::deleteAtExit));
        } catch (IllegalStateException e) {
            return false; // the JVM is already exiting
        }
        return true;
    }

    private void deleteFileLocked() {
        StatsFileWriter w = writer;
        writer = null;
        try {
            w.delete();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "tslab: cannot delete " + w.file() + ": " + e);
        }
    }

    /** Shutdown hook: delete the file. Does not wait more than a second for the publisher. */
    private void deleteAtExit() {
        shuttingDown = true;
        boolean locked = false;
        try {
            locked = lock.tryLock(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (locked && writer != null) {
                deleteFileLocked();
            } else {
                Files.deleteIfExists(directory.resolve(StatsFileLayout.fileName(pid)));
            }
        } catch (IOException | RuntimeException e) {
            // exiting anyway
        } finally {
            if (locked) {
                lock.unlock();
            }
        }
    }

    /** Logs the one warning, turns publishing off for good and removes the file if there is one. */
    private void disable(String reason) {
        lock.lock();
        try {
            if (disabled) {
                return;
            }
            disabled = true;
            entries.clear();
            lastSnapshots.clear();
            history.clear();
            if (writer != null) {
                deleteFileLocked();
            }
        } finally {
            lock.unlock();
        }
        LOG.log(System.Logger.Level.WARNING, "tslab: stats file publishing disabled, allocators are unaffected: "
                + reason);
    }

    private static long wallClockNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
