/**
 * Measurements that JMH does not fit: the latency of every single operation (HdrHistogram) and
 * memory phases read from the OS. Each row runs in a fresh child JVM ({@code ChildJvm}) with the
 * same options, so contenders share neither JIT profiles nor heap nor native heap state.
 */
package io.tslab.bench.harness;
