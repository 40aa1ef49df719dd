/**
 * The JMX channel: one MXBean per open allocator, {@code io.tslab:type=Allocator,name=<quoted name>}.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>{@link io.tslab.internal.jmx.MXBeanChannel} listens to {@link io.tslab.internal.LiveAllocators}:
 *       it registers a bean when an allocator opens (if the allocator asked for one) and unregisters
 *       it in the allocator's {@code close()}, before the memory is unmapped. Callbacks come one at a
 *       time (the registry's lock) and the channel's own lock guards its name table.</li>
 *   <li>{@link io.tslab.internal.jmx.AllocatorBean} implements the public {@link
 *       io.tslab.stats.AllocatorMXBean}; the interface lives in the exported {@code io.tslab.stats}
 *       package because JMX introspects it, the implementation stays here. Attributes are the
 *       snapshot records, mapped to open types by the MXBean rules (records become {@code
 *       CompositeData}); each read takes a fresh snapshot, nothing is cached.</li>
 * </ul>
 *
 * <h2>Rules</h2>
 * The platform MBean server is looked up at the first registration, never earlier, so that an
 * application that turns JMX off ({@code -Dtslab.jmx=false}) never pays for it. Two allocators may
 * share a name: the later one gets the first free {@code ,id=N} key (N = 2, 3, ...); a name freed by a
 * close is reused. Any other registration failure is logged once per allocator as a warning and never
 * reaches the allocator. No thread is started; nothing is left registered after {@code close()}.
 */
package io.tslab.internal.jmx;
