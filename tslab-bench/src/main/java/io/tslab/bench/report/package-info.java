/**
 * From result files to {@code docs/BENCHMARKS.md}: a small JSON reader/writer, JMH result
 * loading, markdown tables and the JFreeChart latency chart. Every number in the report is read
 * from the files of one run.
 */
package io.tslab.bench.report;
