/**
 * The JDK Flight Recorder channel: events of category {@code tslab}, visible in JDK Mission Control
 * and {@code jfr print --categories tslab}.
 *
 * <table>
 *   <caption>Events</caption>
 *   <tr><th>name</th><th>when</th><th>default</th></tr>
 *   <tr><td>{@code io.tslab.AllocatorStatistics}</td><td>periodic, one event per open allocator</td>
 *       <td>period 1 s</td></tr>
 *   <tr><td>{@code io.tslab.EpochClose}</td><td>at the end of every epoch close, by the closing
 *       thread (with its stack trace)</td><td>enabled</td></tr>
 *   <tr><td>{@code io.tslab.EpochLeakSuspect}</td><td>periodic, one event per epoch open longer than
 *       {@code -Dtslab.leakSuspectSeconds} (default 60) with open domain scopes</td><td>period 10 s</td></tr>
 * </table>
 *
 * <h2>No cost without a recording</h2>
 * {@link io.tslab.internal.jfr.JfrChannel#install()} only adds listeners: loading the first event
 * class costs JFR's own start-up (hundreds of milliseconds), which an application that never records
 * must not pay. When the recorder starts (a {@code Recording}, {@code -XX:StartFlightRecording},
 * {@code jcmd JFR.start}), the listener registers the three event types and opens the gate of {@link
 * io.tslab.internal.jfr.JfrChannel#epochClosed}; until then that method is one volatile read.
 *
 * <h2>Threads</h2>
 * The periodic hooks run on JFR's own thread, only while a recording enables their event, and read
 * the allocators of {@link io.tslab.internal.LiveAllocators}. Each reads an allocator inside that
 * allocator's gate (a read-write lock): the allocator's {@code close()} retires the gate before it
 * unmaps, waiting for a read in flight, so a hook never holds the mapping (an FFM downcall such as
 * {@code mincore} keeps it acquired) while it is being closed. The leak hook takes a snapshot only of
 * allocators with an open scope. {@code EpochClose} is committed by the thread that closes the epoch.
 *
 * <h2>Fields</h2>
 * Units are annotated ({@code @DataAmount(BYTES)}, {@code @Timespan}, {@code @Timestamp}); counters
 * are totals since the allocator was built (JMC charts their rate). Statistics field names are the
 * {@link io.tslab.stats.GlobalStats} component names. Event classes need not be exported: JFR gives
 * itself access to them, on the class path and on the module path alike.
 */
package io.tslab.internal.jfr;
