package io.tslab;

/** {@link SlabAllocatorContract} for the largest ring (256 epochs), MADV_FREE reclamation, a large empty-slab cache. */
class WideRingLazyReclaimContractTest extends SlabAllocatorContract {
    @Override
    SlabAllocator.Builder configure(SlabAllocator.Builder builder) {
        return builder.epochs(256).reclaimPolicy(ReclaimPolicy.FREE).cacheCapacity(65_536).reserveBytes(64L << 20);
    }
}
