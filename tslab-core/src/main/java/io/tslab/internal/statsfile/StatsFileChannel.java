package io.tslab.internal.statsfile;

/** Publishing channel; see {@link io.tslab.internal.Channels}. */
public final class StatsFileChannel {
    private StatsFileChannel() {
    }

    /** Adds the channel to {@link io.tslab.internal.LiveAllocators}. */
    public static void install() {
        // Not written yet.
    }
}
