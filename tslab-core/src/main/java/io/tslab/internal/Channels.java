package io.tslab.internal;

import io.tslab.internal.jfr.JfrChannel;
import io.tslab.internal.jmx.MXBeanChannel;
import io.tslab.internal.statsfile.StatsFileChannel;

/**
 * Starts the built-in publishing channels once per JVM, before the first allocator registers with
 * {@link LiveAllocators}: the stats file, the MXBeans and the JFR events. Each is a {@link
 * LiveAllocators.Listener}; a channel that cannot start (no writable directory, no JMX) disables
 * itself with one warning and never affects allocation.
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
        StatsFileChannel.install();
        MXBeanChannel.install();
        JfrChannel.install();
    }
}
