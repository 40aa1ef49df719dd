/**
 * Micrometer binding of temporal-slab allocators: {@link io.tslab.micrometer.TslabMetrics}.
 *
 * <p>micrometer-core is an automatic module ({@code Automatic-Module-Name: micrometer.core}); it is
 * required transitively because {@code MeterBinder} is part of this module's API.
 */
module io.tslab.micrometer {
    requires transitive io.tslab;
    requires transitive micrometer.core;

    exports io.tslab.micrometer;
}
