package io.tslab;

/** What happens to the pages of a slab that is taken out of service. */
public enum ReclaimPolicy {
    /** {@code madvise(MADV_DONTNEED)}: the pages leave the process RSS at once (default). */
    DONTNEED,
    /** {@code madvise(MADV_FREE)}: the kernel takes the pages back lazily, when it needs memory. */
    FREE,
    /** Keep the pages: recycled slabs stay resident. */
    NONE
}
