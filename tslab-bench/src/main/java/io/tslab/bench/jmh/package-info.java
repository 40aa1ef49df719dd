/**
 * JMH benchmarks. Fork options are in {@link io.tslab.bench.jmh.BenchJvm}; results go to JSON
 * ({@code -rf json}) and from there into the report. Scores are per second for all threads of a
 * configuration, except the fast-path and snapshot benchmarks (time per operation).
 */
package io.tslab.bench.jmh;
