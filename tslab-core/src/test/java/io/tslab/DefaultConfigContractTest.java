package io.tslab;

/** {@link SlabAllocatorContract} for the default configuration (`SlabAllocator.builder()` with only a name). */
class DefaultConfigContractTest extends SlabAllocatorContract {
    @Override
    SlabAllocator.Builder configure(SlabAllocator.Builder builder) {
        return builder;
    }
}
