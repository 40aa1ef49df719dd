package io.tslab.internal.jmx;

import io.tslab.internal.LiveAllocators;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Publishing channel: one {@link AllocatorBean} per open allocator in the platform MBean server,
 * registered when the allocator opens and unregistered when it closes. See {@link
 * io.tslab.internal.Channels} and {@code package-info}.
 */
public final class MXBeanChannel implements LiveAllocators.Listener {
    /** The domain of every tslab ObjectName. */
    public static final String DOMAIN = "io.tslab";
    /** Highest {@code id} key tried for allocators sharing one name. */
    private static final int MAX_ID = 1 << 16;
    private static final System.Logger LOG = System.getLogger(MXBeanChannel.class.getName());

    private static boolean installed;

    // Guarded by this.
    private final Map<LiveAllocators.Entry, Registered> registered = new IdentityHashMap<>();
    private MBeanServer server;
    private boolean disabled;

    private record Registered(ObjectName name, AllocatorBean bean) {
    }

    private MXBeanChannel() {
    }

    /** Adds the channel to {@link io.tslab.internal.LiveAllocators}; later calls do nothing. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        LiveAllocators.addListener(new MXBeanChannel());
    }

    /**
     * {@code io.tslab:type=Allocator,name="<name>"} for {@code id} 1, with {@code ,id=<id>} appended
     * for the later allocators of the same name.
     */
    static ObjectName objectName(String allocatorName, int id) throws JMException {
        return new ObjectName(DOMAIN + ":type=Allocator,name=" + ObjectName.quote(allocatorName)
                + (id == 1 ? "" : ",id=" + id));
    }

    @Override
    public synchronized void opened(LiveAllocators.Entry allocator) {
        if (!allocator.registerMXBean() || !serverAvailable()) {
            return;
        }
        AllocatorBean bean = new AllocatorBean(allocator);
        try {
            for (int id = 1; id <= MAX_ID; id++) {
                ObjectName name = objectName(allocator.name(), id);
                try {
                    server.registerMBean(bean, name);
                    registered.put(allocator, new Registered(name, bean));
                    return;
                } catch (InstanceAlreadyExistsException taken) {
                    // another allocator of that name: try the next id
                }
            }
            LOG.log(System.Logger.Level.WARNING, "tslab: no MXBean for allocator '" + allocator.name()
                    + "': " + MAX_ID + " allocators already carry that name");
        } catch (JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "tslab: no MXBean for allocator '" + allocator.name()
                    + "'; the allocator is unaffected", e);
        }
    }

    /** Unregisters the bean, then waits for its reads in flight: the allocator unmaps only after this. */
    @Override
    public synchronized void closed(LiveAllocators.Entry allocator) {
        Registered r = registered.remove(allocator);
        if (r == null) {
            return;
        }
        try {
            server.unregisterMBean(r.name());
        } catch (InstanceNotFoundException alreadyGone) {
            // unregistered by someone else: nothing left behind
        } catch (JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "tslab: could not unregister " + r.name(), e);
        } finally {
            r.bean().retire();
        }
    }

    /** Finds the platform MBean server on first use (it costs its own start-up); false if there is none. */
    private boolean serverAvailable() {
        if (server == null && !disabled) {
            try {
                server = ManagementFactory.getPlatformMBeanServer();
            } catch (RuntimeException | LinkageError e) {
                disabled = true;
                LOG.log(System.Logger.Level.WARNING, "tslab: no platform MBean server, MXBeans are off", e);
            }
        }
        return server != null;
    }
}
