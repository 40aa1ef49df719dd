/**
 * Prometheus exposition of temporal-slab allocators: {@link io.tslab.prometheus.TslabCollector} (a
 * client_java 1.x {@code MultiCollector}) and {@link io.tslab.prometheus.PrometheusText} (the text
 * format without client_java), both driven by one catalogue of metric families.
 *
 * <p>client_java 1.x ships automatic modules with stable {@code Automatic-Module-Name}s; the model
 * is required transitively because {@code MultiCollector} is part of this module's API.
 */
module io.tslab.prometheus {
    requires transitive io.tslab;
    requires transitive io.prometheus.metrics.model;

    exports io.tslab.prometheus;
}
