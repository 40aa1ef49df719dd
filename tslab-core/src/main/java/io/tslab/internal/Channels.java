package io.tslab.internal;

/**
 * Starts the built-in publishing channels once per JVM, before the first allocator registers with
 * {@link LiveAllocators}. Each channel is a {@link LiveAllocators.Listener}.
 */
public final class Channels {
    private Channels() {
    }

    private static boolean started;

    public static synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        // Channels add themselves here (stats file, JMX, JFR).
    }
}
