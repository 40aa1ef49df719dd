package io.tslab;

import io.tslab.internal.os.OsMemory;
import io.tslab.stats.GlobalStats;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tslab.TestSupport.CLASS_SIZES;
import static io.tslab.TestSupport.assertNoBrokenInvariants;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Builder settings and argument checks, {@code create()}, and the static size-class methods. */
class BuilderAndStaticApiTest {

    // ---- defaults and create() ------------------------------------------------------------------

    @Test
    void createUsesEveryDefault() {
        try (SlabAllocator a = SlabAllocator.create()) {
            assertEquals("default", a.name());
            assertEquals(SlabAllocator.Builder.DEFAULT_EPOCHS, a.epochCount());
            assertEquals(16, SlabAllocator.Builder.DEFAULT_EPOCHS);
            assertEquals(SlabAllocator.Builder.DEFAULT_RESERVE_BYTES, a.memory().byteSize());
            assertEquals(16L << 30, SlabAllocator.Builder.DEFAULT_RESERVE_BYTES);
            assertEquals(SlabAllocator.Builder.DEFAULT_CACHE_CAPACITY, a.engine().cacheCapacity());
            assertEquals(32, SlabAllocator.Builder.DEFAULT_CACHE_CAPACITY);
            assertEquals(ObservedPolicy.DONTNEED, ObservedPolicy.of(a));
            assertNotEquals(0L, a.alloc(64));
        }
    }

    @Test
    void builderWithoutSettingsEqualsCreate() {
        try (SlabAllocator a = SlabAllocator.builder().build()) {
            assertEquals("default", a.name());
            assertEquals(16, a.epochCount());
            assertEquals(16L << 30, a.snapshot().global().mappedBytes());
        }
    }

    @Test
    void builderMethodsReturnTheBuilder() {
        SlabAllocator.Builder b = SlabAllocator.builder();
        assertSame(b, b.name("x"));
        assertSame(b, b.reserveBytes(1 << 20));
        assertSame(b, b.epochs(4));
        assertSame(b, b.cacheCapacity(3));
        assertSame(b, b.reclaimPolicy(ReclaimPolicy.NONE));
        assertSame(b, b.leakDetection(true));
        assertSame(b, b.autoCloseDomains(true));
    }

    @Test
    void eachAllocatorOfOneBuilderIsIndependent() {
        SlabAllocator.Builder b = SlabAllocator.builder().reserveBytes(1 << 20);
        try (SlabAllocator a1 = b.build(); SlabAllocator a2 = b.build()) {
            long h = a1.alloc(64);
            assertNotEquals(0L, h);
            assertEquals(0, a2.snapshot().global().liveObjects());
        }
    }

    // ---- name ---------------------------------------------------------------------------------

    @Test
    void nameShowsInTheAllocatorAndItsSnapshot() {
        String longest = "n".repeat(64);
        for (String name : List.of("sessions", "a", longest, "order book / level 2", "épée-✓")) {
            try (SlabAllocator a = SlabAllocator.builder().name(name).reserveBytes(1 << 20).build()) {
                assertEquals(name, a.name());
                assertEquals(name, a.snapshot().allocator());
                assertTrue(a.toString().contains(name));
            }
        }
    }

    @Test
    void nameRejectsEmptyTooLongAndControlCharactersNamingTheRule() {
        SlabAllocator.Builder b = SlabAllocator.builder();
        String rule = " (expected: 1..64 characters, no control characters)";
        assertEquals("name: \"\"" + rule, assertThrows(IllegalArgumentException.class, () -> b.name("")).getMessage());
        String tooLong = "n".repeat(65);
        assertEquals("name: \"" + tooLong + "\"" + rule,
                assertThrows(IllegalArgumentException.class, () -> b.name(tooLong)).getMessage());
        assertEquals("name: \"a?b\"" + rule,
                assertThrows(IllegalArgumentException.class, () -> b.name("a\nb")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.name("tab\there"));
        assertThrows(IllegalArgumentException.class, () -> b.name("del\u007f"));
        assertThrows(IllegalArgumentException.class, () -> b.name("nul\0"));
        NullPointerException npe = assertThrows(NullPointerException.class, () -> b.name(null));
        assertEquals("name", npe.getMessage());
        try (SlabAllocator a = b.reserveBytes(1 << 20).build()) {
            assertEquals("default", a.name(), "rejected names leave the setting alone");
        }
    }

    // ---- reserveBytes ---------------------------------------------------------------------------

    @Test
    void reserveBytesSetsTheReservationRoundedUpToWholePages() {
        long page = Math.max(OsMemory.pageSize(), SlabAllocator.SLAB_SIZE);
        for (long bytes : new long[] {1L << 20, (1L << 20) + 1, 3L << 20, 5_000_000L, 1L << 34}) {
            try (SlabAllocator a = SlabAllocator.builder().reserveBytes(bytes).build()) {
                long expected = (bytes + page - 1) / page * page;
                assertEquals(expected, a.memory().byteSize(), "reserve " + bytes);
                assertEquals(expected, a.snapshot().global().mappedBytes());
            }
        }
    }

    @Test
    void reserveBytesAcceptsTheUpperBoundOfOneTebibyte() {
        SlabAllocator.Builder b = SlabAllocator.builder().reserveBytes(1L << 40);
        try (SlabAllocator a = b.build()) { // MAP_NORESERVE: a virtual reservation only
            assertEquals(1L << 40, a.memory().byteSize());
            long h = a.alloc(768);
            a.segment(h).fill((byte) 1);
            assertTrue(a.free(h));
        } catch (OsCallException e) {
            // A host may forbid a 1 TiB virtual mapping; the builder accepted the value, which is the contract.
            assertEquals("mmap", e.call());
        }
    }

    @Test
    void reserveBytesRejectsValuesOutsideOneMebibyteToOneTebibyteNamingTheRule() {
        SlabAllocator.Builder b = SlabAllocator.builder();
        for (long bytes : new long[] {0, -1, (1L << 20) - 1, 4096, (1L << 40) + 1, Long.MAX_VALUE, Long.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.reserveBytes(bytes));
            assertEquals("reserveBytes: " + bytes + " (expected: 1048576..1099511627776)", e.getMessage());
        }
    }

    // ---- epochs ---------------------------------------------------------------------------------

    @Test
    void epochsSetsTheRingSize() {
        for (int epochs = 2; epochs <= 256; epochs <<= 1) {
            try (SlabAllocator a = SlabAllocator.builder().epochs(epochs).reserveBytes(1 << 20).build()) {
                assertEquals(epochs, a.epochCount());
                assertEquals(epochs, a.snapshot().epochCount());
                for (int i = 0; i < epochs; i++) {
                    a.advanceEpoch();
                }
                assertEquals(0, a.currentEpoch(), "the ring wraps after epochs advances");
            }
        }
    }

    @Test
    void epochsRejectsAnythingButPowersOfTwoFromTwoTo256NamingTheRule() {
        SlabAllocator.Builder b = SlabAllocator.builder();
        for (int epochs : new int[] {0, 1, 3, 6, 100, 255, 257, 512, -2, -16, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.epochs(epochs));
            assertEquals("epochs: " + epochs + " (expected: a power of two, 2..256)", e.getMessage());
        }
    }

    // ---- cacheCapacity --------------------------------------------------------------------------

    /** Objects of the 64-byte class filling {@code slabs} slabs of the current epoch. */
    private static List<Long> fillSlabs(SlabAllocator a, int slabs) {
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < slabs * 64; i++) {
            handles.add(a.alloc(64));
        }
        return handles;
    }

    @Test
    void cacheCapacityBoundsTheEmptySlabsKeptInAnActiveEpoch() {
        for (int capacity : new int[] {0, 1, 5, 32}) {
            try (SlabAllocator a = SlabAllocator.builder().cacheCapacity(capacity).reserveBytes(4 << 20).build()) {
                assertEquals(capacity, a.engine().cacheCapacity());
                List<Long> handles = fillSlabs(a, 40);
                assertEquals(40, a.snapshot().global().netSlabs());
                for (long h : handles) {
                    assertTrue(a.free(h));
                }
                GlobalStats g = a.snapshot().global();
                // Kept: up to the capacity, plus possibly the bin's current slab, which is never released.
                assertTrue(g.netSlabs() >= capacity && g.netSlabs() <= capacity + 1,
                        "capacity " + capacity + ": " + g.netSlabs() + " empty slabs kept");
                assertEquals(40 - g.netSlabs(), g.totalSlabsRecycled());
                assertNoBrokenInvariants(a);
                a.closeEpoch(a.currentEpoch());
                assertEquals(0, a.snapshot().global().netSlabs(), "closing releases the cached slabs");
            }
        }
    }

    @Test
    void cacheCapacityRejectsValuesOutsideZeroTo65536NamingTheRule() {
        SlabAllocator.Builder b = SlabAllocator.builder();
        for (int capacity : new int[] {-1, 65_537, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.cacheCapacity(capacity));
            assertEquals("cacheCapacity: " + capacity + " (expected: 0..65536)", e.getMessage());
        }
        assertSame(b, b.cacheCapacity(0));
        assertSame(b, b.cacheCapacity(65_536));
    }

    // ---- reclaimPolicy ---------------------------------------------------------------------------

    @Test
    void reclaimPolicyChoosesWhatRecycledPagesGoThrough() {
        for (ReclaimPolicy policy : ReclaimPolicy.values()) {
            try (SlabAllocator a = SlabAllocator.builder().reclaimPolicy(policy).cacheCapacity(0)
                    .reserveBytes(4 << 20).build()) {
                List<Long> handles = fillSlabs(a, 10);
                for (long h : handles) {
                    a.segment(h).fill((byte) 7);
                }
                a.advanceEpoch();
                for (long h : handles) {
                    assertTrue(a.free(h));
                }
                GlobalStats g = a.snapshot().global();
                assertEquals(10, g.totalSlabsRecycled(), policy.name());
                assertEquals(0, g.totalMadviseFailures(), policy.name());
                if (policy == ReclaimPolicy.NONE) {
                    assertEquals(0, g.totalMadviseCalls(), "NONE never calls madvise");
                } else {
                    assertTrue(g.totalMadviseCalls() > 0, policy.name());
                    if (OsMemory.pageSize() == SlabAllocator.SLAB_SIZE) {
                        assertEquals(10L * SlabAllocator.SLAB_SIZE, g.totalMadviseBytes(), policy.name());
                    }
                }
            }
        }
    }

    @Test
    void reclaimPolicyRejectsNull() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> SlabAllocator.builder().reclaimPolicy(null));
        assertEquals("policy", e.getMessage());
    }

    // ---- sizeClassOf and classSize ------------------------------------------------------------------

    @Test
    void sizeClassOfRoundsUpToTheFirstClassThatFits() {
        int expected = 0;
        for (int size = 1; size <= 768; size++) {
            while (CLASS_SIZES[expected] < size) {
                expected++;
            }
            assertEquals(expected, SlabAllocator.sizeClassOf(size), "size " + size);
        }
        assertEquals(0, SlabAllocator.sizeClassOf(64));
        assertEquals(1, SlabAllocator.sizeClassOf(65));
        assertEquals(1, SlabAllocator.sizeClassOf(100 - 4));
        assertEquals(2, SlabAllocator.sizeClassOf(100));
        assertEquals(7, SlabAllocator.sizeClassOf(513));
        assertEquals(7, SlabAllocator.sizeClassOf(768));
    }

    @Test
    void sizeClassOfIsMinusOneOutsideOneTo768() {
        for (int size : new int[] {0, -1, 769, 1000, 4096, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertEquals(-1, SlabAllocator.sizeClassOf(size), "size " + size);
        }
    }

    @Test
    void classSizeIsTheDocumentedSize() {
        for (int c = 0; c < CLASS_SIZES.length; c++) {
            assertEquals(CLASS_SIZES[c], SlabAllocator.classSize(c));
            assertEquals(c, SlabAllocator.sizeClassOf(SlabAllocator.classSize(c)));
        }
        assertEquals(768, SlabAllocator.MAX_OBJECT_SIZE);
        assertEquals(4096, SlabAllocator.SLAB_SIZE);
    }

    @Test
    void classSizeRejectsIndicesOutsideZeroToSeven() {
        for (int c : new int[] {-1, 8, 100, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> SlabAllocator.classSize(c));
            assertTrue(e.getMessage().contains(Integer.toString(c)) && e.getMessage().contains("8"), e.getMessage());
        }
    }

    /** The configured reclaim policy, read back through what a recycle does. */
    private enum ObservedPolicy {
        DONTNEED, OTHER;

        static ObservedPolicy of(SlabAllocator a) {
            int e = a.currentEpoch();
            long h = a.alloc(64);
            a.segment(h).fill((byte) 1);
            a.advanceEpoch();
            a.free(h);
            a.closeEpoch(e);
            GlobalStats g = a.snapshot().global();
            // DONTNEED drops the page at once: it is no longer resident.
            return g.totalMadviseCalls() > 0 && g.residentBytes() == 0 ? DONTNEED : OTHER;
        }
    }
}
