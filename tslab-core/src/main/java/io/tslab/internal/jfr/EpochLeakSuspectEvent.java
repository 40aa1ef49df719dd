package io.tslab.internal.jfr;

import io.tslab.stats.EpochStats;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

/**
 * An epoch whose era has been open longer than the threshold while domain scopes of it are still
 * open (refcount above 0): someone may have forgotten to leave it. Emitted once per period for as
 * long as the condition holds, so a recording started late still sees it.
 */
@Name("io.tslab.EpochLeakSuspect")
@Label("Epoch Leak Suspect")
@Category("tslab")
@Description("An epoch open longer than the threshold (-Dtslab.leakSuspectSeconds, default 60) with open domain scopes")
@Period("10 s")
@StackTrace(false)
final class EpochLeakSuspectEvent extends Event {
    @Label("Allocator")
    String allocator;

    @Label("Epoch")
    @Description("The ring slot")
    int epoch;

    @Label("Era")
    @Description("The generation of the ring slot")
    long era;

    @Label("Epoch Label")
    String label;

    @Label("State")
    @Description("ACTIVE or CLOSING")
    String state;

    @Label("Refcount")
    @Description("Open domain scopes of the era")
    long refcount;

    @Label("Open Since")
    @Timestamp(Timestamp.MILLISECONDS_SINCE_EPOCH)
    long openSince;

    @Label("Age")
    @Description("How long the era has been open")
    @Timespan(Timespan.NANOSECONDS)
    long age;

    @Label("Threshold")
    @Description("The age past which an epoch with open scopes is reported")
    @Timespan(Timespan.SECONDS)
    long threshold;

    @Label("Live Objects")
    long liveObjects;

    @Label("Live Bytes")
    @DataAmount(DataAmount.BYTES)
    long liveBytes;

    @Label("Leak Sites")
    @Description("Where the open scopes were entered, with counts, separated by '; ' "
            + "(needs -Dtslab.leakDetection=true)")
    String leakSites;

    static void emit(String allocator, EpochStats epoch, long thresholdSeconds) {
        EpochLeakSuspectEvent event = new EpochLeakSuspectEvent();
        event.allocator = allocator;
        event.epoch = epoch.epochId();
        event.era = epoch.epochEra();
        event.label = epoch.label();
        event.state = epoch.state().name();
        event.refcount = epoch.refcount();
        event.openSince = epoch.openSinceNs() / 1_000_000;
        event.age = (long) (epoch.ageSec() * 1e9);
        event.threshold = thresholdSeconds;
        event.liveObjects = epoch.allocCount();
        event.liveBytes = epoch.liveBytes();
        event.leakSites = String.join("; ", epoch.leakSites());
        event.commit();
    }
}
