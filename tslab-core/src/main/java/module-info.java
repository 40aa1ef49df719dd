/**
 * temporal-slab: a lifetime-aware off-heap slab allocator.
 *
 * <p>Only the API packages are exported; the engine ({@code io.tslab.internal}) and the operating
 * system layer ({@code io.tslab.internal.os}, the only code making restricted FFM calls) are not.
 */
module io.tslab {
    requires java.management;
    requires jdk.jfr;

    exports io.tslab;
    exports io.tslab.stats;
}
