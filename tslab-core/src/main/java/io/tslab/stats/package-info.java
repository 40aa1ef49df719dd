/**
 * Snapshot records: immutable, exact at the time they were taken, one type feeding every output.
 */
package io.tslab.stats;
