package io.tslab;

/** {@link SlabAllocatorContract} for: Recycled pages kept resident (`ReclaimPolicy.NONE`), a ring of 4, an empty-slab cache of 1. */
class NoReclaimContractTest extends SlabAllocatorContract {
    @Override
    SlabAllocator.Builder configure(SlabAllocator.Builder builder) {
        return builder.epochs(4).reclaimPolicy(ReclaimPolicy.NONE).cacheCapacity(1).reserveBytes(16L << 20);
    }
}
