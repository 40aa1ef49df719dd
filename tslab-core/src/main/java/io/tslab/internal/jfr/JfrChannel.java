package io.tslab.internal.jfr;

/** Publishing channel; see {@link io.tslab.internal.Channels}. */
public final class JfrChannel {
    private JfrChannel() {
    }

    /** Adds the channel to {@link io.tslab.internal.LiveAllocators}. */
    public static void install() {
        // Not written yet.
    }
}
