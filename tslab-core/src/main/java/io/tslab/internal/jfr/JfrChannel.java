package io.tslab.internal.jfr;

import io.tslab.internal.LiveAllocators;
import io.tslab.internal.SlabEngine;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.EpochStats;
import io.tslab.stats.LastEpochClose;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Publishing channel for JDK Flight Recorder: the periodic {@code io.tslab.AllocatorStatistics} and
 * {@code io.tslab.EpochLeakSuspect} events, and {@code io.tslab.EpochClose} through {@link
 * #epochClosed}. Nothing of JFR beyond a listener is touched until a recording starts in this JVM;
 * see {@code package-info}.
 */
public final class JfrChannel {
    /** System property: age in seconds past which an epoch with open scopes is reported (read at every period). */
    public static final String LEAK_SUSPECT_SECONDS_PROPERTY = "tslab.leakSuspectSeconds";
    /** Default of {@link #LEAK_SUSPECT_SECONDS_PROPERTY}. */
    public static final long DEFAULT_LEAK_SUSPECT_SECONDS = 60;

    private static final System.Logger LOG = System.getLogger(JfrChannel.class.getName());

    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final AtomicBoolean EVENTS_REGISTERED = new AtomicBoolean();
    /** The open allocators the periodic hooks may read; see {@link Gate}. */
    private static final Map<LiveAllocators.Entry, Gate> GATES = new ConcurrentHashMap<>();
    /** Volatile: set once the flight recorder has started in this JVM; until then no event class is loaded. */
    private static volatile boolean recorderStarted;
    /** Volatile: one warning for a failing hook, not one per period. */
    private static volatile boolean hookFailureLogged;
    /** Volatile: the last bad threshold value warned about. */
    private static volatile String badThresholdLogged;

    private JfrChannel() {
    }

    /**
     * Starts listening for allocators and for the flight recorder; later calls do nothing. Costs two
     * listeners, nothing else: no event class is loaded and the recorder is not started.
     */
    public static void install() {
        if (!INSTALLED.compareAndSet(false, true)) {
            return;
        }
        LiveAllocators.addListener(new Gates());
        try {
            FlightRecorder.addListener(new RecorderStart());
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "tslab: JFR events are off (" + e + ")");
        }
    }

    /**
     * Commits an {@code io.tslab.EpochClose} event if a recording enables it; otherwise costs a
     * volatile read (no recording has ever run) or an event's enabled check. Called by the engine at
     * the end of every epoch close, under its ring lock; never throws.
     *
     * @param allocator the allocator's name
     * @param label     the closed epoch's label ("" if none)
     * @param close     what the close did
     */
    public static void epochClosed(String allocator, String label, LastEpochClose close) {
        if (recorderStarted) {
            try {
                EpochCloseEvent.emit(allocator, label, close);
            } catch (RuntimeException e) {
                logHookFailure(e);
            }
        }
    }

    /**
     * Keeps the periodic hooks, which run on JFR's thread, off an allocator that is being closed: a
     * hook reads an allocator only inside its gate, and the allocator's {@code close()} retires the
     * gate (waiting for a read in flight) before it unmaps, so a snapshot's {@code mincore} never
     * holds the mapping while it is being closed.
     */
    private static final class Gate {
        private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        // Guarded by lock.
        private boolean retired;

        /** True if the allocator may be read; then {@link #exit()} must follow. */
        boolean enter() {
            lock.readLock().lock();
            if (retired) {
                lock.readLock().unlock();
                return false;
            }
            return true;
        }

        void exit() {
            lock.readLock().unlock();
        }

        void retire() {
            lock.writeLock().lock();
            try {
                retired = true;
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    private static final class Gates implements LiveAllocators.Listener {
        @Override
        public void opened(LiveAllocators.Entry allocator) {
            GATES.put(allocator, new Gate());
        }

        @Override
        public void closed(LiveAllocators.Entry allocator) {
            Gate gate = GATES.remove(allocator);
            if (gate != null) {
                gate.retire();
            }
        }
    }

    /** Called by JFR once, when the recorder starts (or at once, if it already runs). */
    private static final class RecorderStart implements FlightRecorderListener {
        @Override
        public void recorderInitialized(FlightRecorder recorder) {
            registerEvents();
        }
    }

    /** Makes the three event types known (JMC lists them) and opens the {@link #epochClosed} gate. */
    private static void registerEvents() {
        if (!EVENTS_REGISTERED.compareAndSet(false, true)) {
            return; // no lock: this runs inside JFR's own start-up
        }
        FlightRecorder.register(EpochCloseEvent.class);
        FlightRecorder.addPeriodicEvent(AllocatorStatisticsEvent.class, JfrChannel::emitStatistics);
        FlightRecorder.addPeriodicEvent(EpochLeakSuspectEvent.class, JfrChannel::emitLeakSuspects);
        recorderStarted = true;
    }

    /** Periodic hook: JFR runs it only while a recording enables {@code io.tslab.AllocatorStatistics}. */
    private static void emitStatistics() {
        for (LiveAllocators.Entry allocator : LiveAllocators.open()) {
            Gate gate = GATES.get(allocator);
            if (gate == null || !gate.enter()) {
                continue; // closing
            }
            try {
                AllocatorStatisticsEvent.emit(allocator.snapshot());
            } catch (RuntimeException e) {
                logHookFailure(e);
            } finally {
                gate.exit();
            }
        }
    }

    /** Periodic hook: JFR runs it only while a recording enables {@code io.tslab.EpochLeakSuspect}. */
    private static void emitLeakSuspects() {
        long thresholdSeconds = leakSuspectSeconds();
        for (LiveAllocators.Entry allocator : LiveAllocators.open()) {
            Gate gate = GATES.get(allocator);
            if (gate == null || !gate.enter()) {
                continue;
            }
            try {
                if (!hasOpenScopes(allocator.engine())) {
                    continue; // the common case: no snapshot taken
                }
                AllocatorSnapshot snapshot = allocator.snapshot();
                for (EpochStats epoch : snapshot.epochs()) {
                    if (epoch.refcount() > 0 && epoch.ageSec() > thresholdSeconds) {
                        EpochLeakSuspectEvent.emit(snapshot.allocator(), epoch, thresholdSeconds);
                    }
                }
            } catch (RuntimeException e) {
                logHookFailure(e);
            } finally {
                gate.exit();
            }
        }
    }

    private static boolean hasOpenScopes(SlabEngine engine) {
        for (int epoch = 0; epoch < engine.epochCount(); epoch++) {
            if (engine.refcount(epoch) > 0) {
                return true;
            }
        }
        return false;
    }

    /** {@value #LEAK_SUSPECT_SECONDS_PROPERTY} as a number of seconds ≥ 0, else the default (with one warning). */
    private static long leakSuspectSeconds() {
        String value = System.getProperty(LEAK_SUSPECT_SECONDS_PROPERTY);
        if (value == null) {
            return DEFAULT_LEAK_SUSPECT_SECONDS;
        }
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds >= 0) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        if (!value.equals(badThresholdLogged)) {
            badThresholdLogged = value;
            LOG.log(System.Logger.Level.WARNING, "tslab: " + LEAK_SUSPECT_SECONDS_PROPERTY + ": \"" + value
                    + "\" (expected: a whole number of seconds >= 0); using " + DEFAULT_LEAK_SUSPECT_SECONDS);
        }
        return DEFAULT_LEAK_SUSPECT_SECONDS;
    }

    private static void logHookFailure(RuntimeException e) {
        if (!hookFailureLogged) {
            hookFailureLogged = true;
            LOG.log(System.Logger.Level.WARNING,
                    "tslab: a JFR event could not be emitted; the allocator is unaffected", e);
        }
    }
}
