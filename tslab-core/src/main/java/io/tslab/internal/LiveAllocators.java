package io.tslab.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The allocators open in this JVM, and the channels that publish them (stats file, JMX, JFR). An
 * allocator registers when it is built and unregisters when closed; a channel adds a {@link
 * Listener} once (at its class initialisation) and is told about every allocator, including those
 * registered before it. Nothing here is on the allocation path.
 */
public final class LiveAllocators {
    private LiveAllocators() {
    }

    /** What a channel needs of an allocator: its name, a snapshot on demand, whether it is closed. */
    public interface Entry {
        String name();

        /** A fresh snapshot; throws {@link IllegalStateException} once the allocator is closed. */
        io.tslab.stats.AllocatorSnapshot snapshot();

        boolean isClosed();

        /** The engine, for channels inside this module (JFR close events, leak checks). */
        SlabEngine engine();

        /** Whether this allocator goes into the stats file ({@code /dev/shm/tslab-<user>/<pid>}). */
        boolean publishStatsFile();

        /** Whether this allocator gets an MXBean. */
        boolean registerMXBean();
    }

    /** A publishing channel. Callbacks must not throw and must not block for long. */
    public interface Listener {
        void opened(Entry allocator);

        void closed(Entry allocator);
    }

    private static final List<Entry> OPEN = new CopyOnWriteArrayList<>();
    private static final List<Listener> LISTENERS = new CopyOnWriteArrayList<>();

    /** Adds a channel; it is told about every allocator already open. */
    public static synchronized void addListener(Listener listener) {
        LISTENERS.add(listener);
        for (Entry e : OPEN) {
            notifyOpened(listener, e);
        }
    }

    public static synchronized void register(Entry allocator) {
        OPEN.add(allocator);
        for (Listener l : LISTENERS) {
            notifyOpened(l, allocator);
        }
    }

    public static synchronized void unregister(Entry allocator) {
        if (OPEN.remove(allocator)) {
            for (Listener l : LISTENERS) {
                try {
                    l.closed(allocator);
                } catch (RuntimeException e) {
                    System.getLogger(LiveAllocators.class.getName()).log(System.Logger.Level.WARNING,
                            "tslab: a stats channel failed on close of '" + allocator.name() + "'", e);
                }
            }
        }
    }

    /** The allocators open now. */
    public static List<Entry> open() {
        return List.copyOf(OPEN);
    }

    private static void notifyOpened(Listener l, Entry e) {
        try {
            l.opened(e);
        } catch (RuntimeException ex) {
            System.getLogger(LiveAllocators.class.getName()).log(System.Logger.Level.WARNING,
                    "tslab: a stats channel failed on '" + e.name() + "'; the allocator is unaffected", ex);
        }
    }

}
