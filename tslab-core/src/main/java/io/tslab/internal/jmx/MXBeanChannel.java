package io.tslab.internal.jmx;

/** Publishing channel; see {@link io.tslab.internal.Channels}. */
public final class MXBeanChannel {
    private MXBeanChannel() {
    }

    /** Adds the channel to {@link io.tslab.internal.LiveAllocators}. */
    public static void install() {
        // Not written yet.
    }
}
