package io.tslab.prometheus;

import io.tslab.stats.AllocatorSnapshot;

import java.util.List;

/**
 * One allocator as the families see it: its snapshot, the {@code allocator} label value (made unique
 * within its target), and the epoch labels after the cardinality cap.
 *
 * @param epochLabels    per ring slot, the {@code label} value to export ("" when none, {@code other}
 *                       when over the cap)
 * @param labelValues    distinct epoch labels the cap has admitted for this allocator
 * @param labelOverflows epoch eras whose label was exported as {@code other}, since the cap first saw
 *                       this allocator
 * @param labelLimit     the cap
 */
record AllocatorView(AllocatorSnapshot snapshot, String allocator, List<String> epochLabels, long labelValues,
                     long labelOverflows, int labelLimit) {

    AllocatorView {
        epochLabels = List.copyOf(epochLabels);
    }

    /** The exported {@code label} of ring slot {@code epoch}. */
    String epochLabel(int epoch) {
        return epoch >= 0 && epoch < epochLabels.size() ? epochLabels.get(epoch) : "";
    }
}
