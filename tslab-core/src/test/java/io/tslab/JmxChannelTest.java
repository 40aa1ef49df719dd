package io.tslab;

import io.tslab.stats.AllocatorMXBean;
import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.ClassEpochStats;
import io.tslab.stats.GlobalStats;
import io.tslab.stats.LastEpochClose;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.management.Attribute;
import javax.management.AttributeNotFoundException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.JMX;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenMBeanAttributeInfo;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The JMX channel, read the way jconsole and VisualVM read it: through an RMI connector (stub
 * address on loopback, ephemeral port, no registry), as open types. One MXBean per open allocator
 * at {@code io.tslab:type=Allocator,name=<quoted name>}, attributes the snapshot records, nothing
 * left registered after {@code close()}.
 */
class JmxChannelTest {
    /** A name that needs quoting in an ObjectName: quote, comma, star, question mark, equals, backslash. */
    private static final String AWKWARD = "jmx \"quoted\", a*b?=c\\d";

    private static final MBeanServer PLATFORM = ManagementFactory.getPlatformMBeanServer();
    private static JMXConnectorServer connectorServer;
    private static JMXConnector connector;
    private static MBeanServerConnection jmx;

    @BeforeAll
    static void startConnector() throws IOException {
        connectorServer = JMXConnectorServerFactory.newJMXConnectorServer(
                new JMXServiceURL("service:jmx:rmi://127.0.0.1"), null, PLATFORM);
        connectorServer.start();
        connector = JMXConnectorFactory.connect(connectorServer.getAddress());
        jmx = connector.getMBeanServerConnection();
    }

    @AfterAll
    static void stopConnector() throws IOException {
        if (connector != null) {
            connector.close();
        }
        if (connectorServer != null) {
            connectorServer.stop();
        }
    }

    private static ObjectName nameOf(String allocator) throws Exception {
        return new ObjectName("io.tslab:type=Allocator,name=" + ObjectName.quote(allocator));
    }

    private static ObjectName nameOf(String allocator, int id) throws Exception {
        return new ObjectName("io.tslab:type=Allocator,name=" + ObjectName.quote(allocator) + ",id=" + id);
    }

    /** The registered tslab beans whose Name attribute is {@code allocator}. */
    private static Set<ObjectName> beansNamed(String allocator) throws Exception {
        Set<ObjectName> found = new TreeSet<>();
        for (ObjectName n : jmx.queryNames(new ObjectName("io.tslab:type=Allocator,*"), null)) {
            try {
                if (allocator.equals(jmx.getAttribute(n, "Name"))) {
                    found.add(n);
                }
            } catch (InstanceNotFoundException | AttributeNotFoundException closedOrForeign) {
                // another test's allocator went away, or a bean that is not an allocator's
            }
        }
        return found;
    }

    private static Set<String> componentNames(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).collect(Collectors.toSet());
    }

    /**
     * Epoch 0 (labelled) gets 100 objects of 128 bytes, is advanced past, drained and closed; epoch 1
     * keeps 10 objects of 768 bytes, written to.
     */
    private static SlabAllocator populated(String name) {
        SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(64L << 20).epochs(4).build();
        a.setEpochLabel(0, "jmx-label");
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            handles.add(a.alloc(128));
        }
        assertEquals(1, a.advanceEpoch());
        for (long h : handles) {
            assertTrue(a.free(h));
        }
        a.closeEpoch(0);
        for (int i = 0; i < 10; i++) {
            long h = a.alloc(768);
            assertNotEquals(0L, h);
            TestSupport.stampHandle(a, h, i); // touched: its page is resident
        }
        return a;
    }

    @Test
    void attributesAreTheSnapshotRecordsAsOpenTypes() throws Exception {
        try (SlabAllocator a = populated(AWKWARD)) {
            ObjectName name = nameOf(AWKWARD);
            assertTrue(jmx.isRegistered(name), name + " registered");
            AllocatorSnapshot local = a.snapshot();

            assertEquals(AWKWARD, jmx.getAttribute(name, "Name"));
            assertEquals(10L, jmx.getAttribute(name, "LiveObjects"));
            assertEquals(7680L, jmx.getAttribute(name, "LiveBytes"));
            assertEquals(local.global().netSlabs(), jmx.getAttribute(name, "NetSlabs"));
            assertEquals(1, jmx.getAttribute(name, "CurrentEpoch"));
            assertEquals(a.epochEra(1), jmx.getAttribute(name, "CurrentEra"));
            long resident = (Long) jmx.getAttribute(name, "ResidentBytes");
            long committedPages = Math.ceilDiv(local.global().committedBytes(), local.pageSize()) * local.pageSize();
            assertTrue(resident > 0 && resident <= committedPages, "resident " + resident + " of " + committedPages);

            CompositeData global = (CompositeData) jmx.getAttribute(name, "Global");
            assertEquals(componentNames(GlobalStats.class), global.getCompositeType().keySet());
            assertEquals(10L, global.get("liveObjects"));
            assertEquals(1, global.get("currentEpoch"));
            assertEquals(local.global().totalAllocations(), global.get("totalAllocations"));
            TabularData invalidFrees = (TabularData) global.get("invalidFreesByReason");
            assertEquals(local.global().invalidFreesByReason().size(), invalidFrees.size());

            CompositeData[] classes = (CompositeData[]) jmx.getAttribute(name, "Classes");
            assertEquals(8, classes.length);
            assertArrayEquals(TestSupport.CLASS_SIZES,
                    Arrays.stream(classes).mapToInt(c -> (Integer) c.get("objectSize")).toArray());
            assertEquals(10L, classes[7].get("liveObjects"));
            assertEquals(0L, classes[2].get("liveObjects"));
            assertEquals(local.classStats(2).newSlabCount(), classes[2].get("newSlabCount"));

            CompositeData[] epochs = (CompositeData[]) jmx.getAttribute(name, "Epochs");
            assertEquals(4, epochs.length);
            assertEquals("jmx-label", epochs[0].get("label"));
            assertEquals("CLOSING", epochs[0].get("state"));
            assertEquals("ACTIVE", epochs[1].get("state"));
            assertEquals(10L, epochs[1].get("allocCount"));
            assertArrayEquals(new String[0], (String[]) epochs[1].get("leakSites"));

            CompositeData[] classEpochs = (CompositeData[]) jmx.getAttribute(name, "ClassEpochs");
            CompositeData big = Arrays.stream(classEpochs)
                    .filter(c -> (Integer) c.get("classIndex") == 7 && (Integer) c.get("epochId") == 1)
                    .findFirst().orElseThrow(() -> new AssertionError("no (768, epoch 1) entry"));
            assertEquals(10L, big.get("liveObjects"));
            assertArrayEquals(new Long[] {a.epochEra(1)}, (Long[]) big.get("erasPresent"));

            CompositeData close = (CompositeData) jmx.getAttribute(name, "LastEpochClose");
            assertEquals(componentNames(LastEpochClose.class), close.getCompositeType().keySet());
            assertEquals(0, close.get("epochId"));
            assertEquals(local.lastEpochClose().epochEra(), close.get("epochEra"));

            Map<String, Object> json = StatsJson.parseObject((String) jmx.invoke(name, "snapshotJson", null, null));
            assertEquals(AWKWARD, json.get("allocator"));
            assertEquals(10L, json.get("live_objects"));
            assertEquals(4, ((List<?>) json.get("epochs")).size());
        }
    }

    @Test
    void mbeanInfoDescribesOpenTypesForConsoles() throws Exception {
        try (SlabAllocator a = populated(AWKWARD)) {
            MBeanInfo info = jmx.getMBeanInfo(nameOf(AWKWARD));
            assertTrue(info.getDescription().contains(AWKWARD), info.getDescription());
            Map<String, MBeanAttributeInfo> attributes = Arrays.stream(info.getAttributes())
                    .collect(Collectors.toMap(MBeanAttributeInfo::getName, x -> x));
            assertEquals(Set.of("Name", "LiveObjects", "LiveBytes", "ResidentBytes", "NetSlabs", "CurrentEpoch",
                    "CurrentEra", "Global", "Classes", "Epochs", "ClassEpochs", "LastEpochClose"), attributes.keySet());
            for (MBeanAttributeInfo attribute : attributes.values()) {
                assertTrue(attribute.isReadable() && !attribute.isWritable(), attribute.getName() + " read-only");
                assertNotEquals(attribute.getName(), attribute.getDescription(), "described: " + attribute.getName());
            }
            assertInstanceOf(CompositeType.class, ((OpenMBeanAttributeInfo) attributes.get("Global")).getOpenType());
            ArrayType<?> classes = (ArrayType<?>) ((OpenMBeanAttributeInfo) attributes.get("Classes")).getOpenType();
            assertInstanceOf(CompositeType.class, classes.getElementOpenType());
            assertEquals(List.of("snapshotJson"), Arrays.stream(info.getOperations()).map(o -> o.getName()).toList());
            assertEquals(a.snapshot().allocator(), jmx.getAttribute(nameOf(AWKWARD), "Name"));
        }
    }

    @Test
    void anMXBeanProxyReadsTheRecordsBack() throws Exception {
        try (SlabAllocator a = populated("jmx-proxy")) {
            AllocatorMXBean proxy = JMX.newMXBeanProxy(jmx, nameOf("jmx-proxy"), AllocatorMXBean.class);
            AllocatorSnapshot local = a.snapshot();
            assertEquals("jmx-proxy", proxy.getName());
            assertEquals(local.lastEpochClose(), proxy.getLastEpochClose());
            List<ClassEpochStats> classEpochs = proxy.getClassEpochs();
            assertEquals(local.classEpochs(), classEpochs);
            GlobalStats global = proxy.getGlobal();
            assertEquals(10, global.liveObjects());
            assertEquals(local.global().invalidFreesByReason(), global.invalidFreesByReason());
            assertEquals(EpochState.CLOSING, proxy.getEpochs().get(0).state());
            assertEquals(local.classes().get(7).liveObjects(), proxy.getClasses().get(7).liveObjects());
        }
    }

    @Test
    void closeUnregistersTheMBean() throws Exception {
        SlabAllocator a = populated("jmx-close");
        ObjectName name = nameOf("jmx-close");
        assertEquals(Set.of(name), beansNamed("jmx-close"));
        a.close();
        assertFalse(jmx.isRegistered(name));
        assertEquals(Set.of(), beansNamed("jmx-close"));
        assertThrows(InstanceNotFoundException.class, () -> jmx.getAttribute(name, "LiveObjects"));
        a.close(); // idempotent, and nothing to unregister twice
        assertFalse(jmx.isRegistered(name));
    }

    @Test
    void allocatorsSharingANameGetTheFirstFreeId() throws Exception {
        String shared = "jmx-shared";
        List<SlabAllocator> open = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                SlabAllocator a = SlabAllocator.builder().name(shared).reserveBytes(16L << 20).build();
                open.add(a);
                for (int n = 0; n < i; n++) {
                    a.alloc(64);
                }
            }
            assertEquals(Set.of(nameOf(shared), nameOf(shared, 2), nameOf(shared, 3)), beansNamed(shared));
            assertEquals(1L, jmx.getAttribute(nameOf(shared), "LiveObjects"));
            assertEquals(2L, jmx.getAttribute(nameOf(shared, 2), "LiveObjects"));
            assertEquals(3L, jmx.getAttribute(nameOf(shared, 3), "LiveObjects"));

            open.remove(1).close();
            assertEquals(Set.of(nameOf(shared), nameOf(shared, 3)), beansNamed(shared));
            assertEquals(3L, jmx.getAttribute(nameOf(shared, 3), "LiveObjects"));

            SlabAllocator fourth = SlabAllocator.builder().name(shared).reserveBytes(16L << 20).build();
            open.add(fourth);
            assertEquals(Set.of(nameOf(shared), nameOf(shared, 2), nameOf(shared, 3)), beansNamed(shared));
            assertEquals(0L, jmx.getAttribute(nameOf(shared, 2), "LiveObjects"));
        } finally {
            open.forEach(SlabAllocator::close);
        }
        assertEquals(Set.of(), beansNamed(shared));
    }

    /**
     * Forbidden outcome: {@code close()} throws, or leaves the mapping or the bean behind, because a
     * JMX client was reading the allocator (a snapshot's {@code mincore} holds the mapping) at that
     * moment. Allocators are opened and closed while another thread reads their bean without pause.
     */
    @Test
    void closeWaitsForAReadInFlight() throws Exception {
        ObjectName name = nameOf("jmx-stress");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        Thread reader = Thread.ofPlatform().name("jmx-stress-reader").start(() -> {
            while (!stop.get()) {
                try {
                    PLATFORM.getAttribute(name, "ResidentBytes");
                    reads.incrementAndGet();
                } catch (JMException | RuntimeException notThereOrClosing) {
                    Thread.onSpinWait();
                }
            }
        });
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        int cycles = 0;
        try {
            while (System.nanoTime() - start < 20_000_000_000L
                    && (System.nanoTime() - start < 2_000_000_000L || reads.get() < 100)) {
                SlabAllocator a = SlabAllocator.builder().name("jmx-stress").reserveBytes(16L << 20).build();
                for (int i = 0; i < 2000; i++) {
                    TestSupport.stampHandle(a, a.alloc(64), i);
                }
                try {
                    a.close();
                } catch (RuntimeException e) {
                    failures.add(e.toString());
                }
                cycles++;
            }
        } finally {
            stop.set(true);
            reader.join();
        }
        assertEquals(List.of(), failures, "close() failures in " + cycles + " cycles");
        assertTrue(reads.get() > 0, "the reader read some beans");
        assertEquals(Set.of(), beansNamed("jmx-stress"));
    }

    /** A foreign bean under the allocator's name is neither replaced nor unregistered by the allocator's close. */
    public interface ForeignMBean {
        String getOwner();
    }

    @Test
    void aForeignBeanUnderTheNameIsLeftAlone() throws Exception {
        ObjectName plain = nameOf("jmx-foreign");
        PLATFORM.registerMBean(new StandardMBean((ForeignMBean) () -> "someone else", ForeignMBean.class), plain);
        try {
            try (SlabAllocator a = SlabAllocator.builder().name("jmx-foreign").reserveBytes(16L << 20).build()) {
                assertEquals("jmx-foreign", a.snapshot().allocator());
                assertEquals(Set.of(nameOf("jmx-foreign", 2)), beansNamed("jmx-foreign"));
            }
            assertEquals(Set.of(), beansNamed("jmx-foreign"));
            assertEquals("someone else", jmx.getAttribute(plain, "Owner"));
        } finally {
            PLATFORM.unregisterMBean(plain);
        }
    }

    @Test
    void registerMXBeanFalseRegistersNothing() throws Exception {
        try (SlabAllocator a = SlabAllocator.builder().name("jmx-off").registerMXBean(false)
                .reserveBytes(16L << 20).build()) {
            assertNotEquals(0L, a.alloc(64));
            assertFalse(jmx.isRegistered(nameOf("jmx-off")));
            assertEquals(Set.of(), beansNamed("jmx-off"));
        }
    }

    @Test
    void attributeWritesAreRefused() throws Exception {
        try (SlabAllocator a = populated("jmx-readonly")) {
            assertThrows(AttributeNotFoundException.class,
                    () -> jmx.setAttribute(nameOf("jmx-readonly"), new Attribute("LiveObjects", 0L)));
            assertEquals(10L, a.snapshot().global().liveObjects());
        }
    }
}
