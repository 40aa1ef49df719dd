package io.tslab;

/** {@link SlabAllocatorContract} for the smallest ring (2 epochs), no empty-slab cache, a 4 MiB reservation. */
class SmallRingContractTest extends SlabAllocatorContract {
    @Override
    SlabAllocator.Builder configure(SlabAllocator.Builder builder) {
        return builder.epochs(2).cacheCapacity(0).reserveBytes(4L << 20);
    }
}
