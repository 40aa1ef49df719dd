package io.tslab.internal.jfr;

import io.tslab.stats.LastEpochClose;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/**
 * One {@code closeEpoch} (explicit, by an advance, or by an auto-closing domain), committed by the
 * closing thread at the end of the close, so its stack trace shows who closed the epoch. The figures
 * are those of {@link LastEpochClose}.
 */
@Name("io.tslab.EpochClose")
@Label("Epoch Close")
@Category("tslab")
@Description("An epoch of a temporal-slab allocator was closed: its empty slabs were recycled and their pages "
        + "returned to the OS")
final class EpochCloseEvent extends Event {
    @Label("Allocator")
    String allocator;

    @Label("Epoch")
    @Description("The ring slot")
    int epoch;

    @Label("Era")
    @Description("The generation of the ring slot that was closed")
    long era;

    @Label("Epoch Label")
    String label;

    @Label("Slabs Scanned")
    long scannedSlabs;

    @Label("Slabs Recycled")
    long recycledSlabs;

    @Label("Bytes Madvised")
    @Description("Bytes the close handed back to the OS with madvise")
    @DataAmount(DataAmount.BYTES)
    long madviseBytes;

    @Label("Resident Before")
    @Description("Resident bytes of the recycled slabs before the close, from mincore (a fact)")
    @DataAmount(DataAmount.BYTES)
    long residentBefore;

    @Label("Resident After")
    @Description("Resident bytes of the recycled slabs after the close, from mincore (a fact)")
    @DataAmount(DataAmount.BYTES)
    long residentAfter;

    @Label("RSS Before")
    @Description("Resident set size of the whole process before the close (a heuristic: other threads allocate too)")
    @DataAmount(DataAmount.BYTES)
    long rssBefore;

    @Label("RSS After")
    @Description("Resident set size of the whole process after the close (a heuristic: other threads allocate too)")
    @DataAmount(DataAmount.BYTES)
    long rssAfter;

    @Label("Close Duration")
    @Timespan(Timespan.NANOSECONDS)
    long closeDuration;

    static void emit(String allocator, String label, LastEpochClose close) {
        EpochCloseEvent event = new EpochCloseEvent();
        if (!event.shouldCommit()) {
            return;
        }
        event.allocator = allocator;
        event.epoch = close.epochId();
        event.era = close.epochEra();
        event.label = label;
        event.scannedSlabs = close.scannedSlabs();
        event.recycledSlabs = close.recycledSlabs();
        event.madviseBytes = close.madviseBytes();
        event.residentBefore = close.residentBefore();
        event.residentAfter = close.residentAfter();
        event.rssBefore = close.rssBefore();
        event.rssAfter = close.rssAfter();
        event.closeDuration = close.durationNs();
        event.commit();
    }
}
