/**
 * Benchmarks of tslab against the allocators a Java user would otherwise pick. Not deployed.
 *
 * <ul>
 *   <li>{@code io.tslab.bench.peer}: the contenders behind one slot-table interface, so that every
 *       benchmark loop is the same for all and allocates nothing of its own;</li>
 *   <li>{@code io.tslab.bench.jmh}: JMH benchmarks (pair, batch, cross-thread, counters on/off,
 *       tslab fast-path breakdown, snapshot cost);</li>
 *   <li>{@code io.tslab.bench.harness}: plain {@code main}s, one fresh JVM per measured row: the
 *       latency harness (every pair timed, HdrHistogram) and the memory phases (RSS from the OS);</li>
 *   <li>{@code io.tslab.bench.report}: turns one run's JSON files into {@code docs/BENCHMARKS.md}
 *       and the latency chart.</li>
 * </ul>
 *
 * {@code tslab-bench/run.sh} runs all of it; see {@code tslab-bench/README.md}.
 */
package io.tslab.bench;
