package io.tslab;

import io.tslab.internal.Handles;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static io.tslab.TestSupport.assertStamp;
import static io.tslab.TestSupport.censusText;
import static io.tslab.TestSupport.holdsStamp;
import static io.tslab.TestSupport.rejections;
import static io.tslab.TestSupport.stableGlobal;
import static io.tslab.TestSupport.stamp;
import static io.tslab.TestSupport.stampHandle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Millions of random and bit-flipped handles and forged segments: every one that does not name a
 * live object makes {@code free} return false and {@code segment} / {@code offset} throw {@link
 * IllegalArgumentException}, and nothing changes but the rejection counters (the live objects keep
 * their contents, census and figures are equal before and after, the invariants hold).
 */
class HandleFuzzTest {
    private static final long SEED = 0x7e57_51ab_f022L;

    private SlabAllocator a;
    private final SplittableRandom random = new SplittableRandom(SEED);
    /** Live objects allocated by handle, with their stamps. */
    private final Map<Long, Long> live = new HashMap<>();
    /** Live objects allocated through {@code allocate}, with their stamps (by identity). */
    private final Map<MemorySegment, Long> liveSegments = new IdentityHashMap<>();
    /** Addresses of the live segments: their slots have handles we never saw. */
    private final Set<Long> liveSegmentAddresses = new HashSet<>();
    private final List<Long> freed = new ArrayList<>();
    private long tried;
    private long skipped;

    /**
     * A population in several epochs and eras: live objects of every class, freed handles whose
     * slots were reused, freed handles whose slabs were recycled, and live {@code allocate} segments.
     */
    @BeforeEach
    void populate() {
        a = SlabAllocator.builder().name("fuzz").reserveBytes(256L << 20).epochs(4).build();
        for (int round = 0; round < 6; round++) {
            List<Long> made = new ArrayList<>();
            for (int i = 0; i < 6000; i++) {
                long h = a.alloc(1 + random.nextInt(768));
                assertTrue(h != 0);
                stampHandle(a, h, h);
                made.add(h);
            }
            for (int i = 0; i < 200; i++) {
                MemorySegment s = a.allocate(8 + random.nextInt(700), 16);
                stamp(s, 0, (int) s.byteSize(), s.address());
                liveSegments.put(s, s.address());
                liveSegmentAddresses.add(s.address());
            }
            for (long h : made) {
                if (random.nextInt(3) == 0) {
                    assertTrue(a.free(h));
                    freed.add(h);
                } else {
                    live.put(h, h);
                }
            }
            for (int i = 0; i < 1000; i++) { // reuse some freed slots: their old handles become stale
                long h = a.alloc(1 + random.nextInt(768));
                stampHandle(a, h, h);
                live.put(h, h);
            }
            if (round % 2 == 1) {
                // Drain part of the epoch being left, so that some freed handles point at recycled slabs.
                int leaving = a.currentEpoch();
                a.advanceEpoch();
                for (long h : made) {
                    if (live.containsKey(h) && random.nextInt(4) == 0) {
                        live.remove(h);
                        assertTrue(a.free(h));
                        freed.add(h);
                    }
                }
                a.closeEpoch(leaving);
            }
        }
    }

    @AfterEach
    void close() {
        a.close();
    }

    /** Expects {@code candidate} to be rejected everywhere, unless it names a live object. */
    private void fuzz(long candidate, boolean alsoAccessors) {
        if (live.containsKey(candidate)) {
            skipped++; // a flip landed on another live handle
            return;
        }
        if (a.engine().validate(candidate) < 0) {
            // The engine says it names a live object: only the (unpublished) handle of a live segment may.
            long address = a.memory().address() + a.offset(candidate);
            if (!liveSegmentAddresses.contains(address)) {
                fail("0x" + Long.toHexString(candidate) + " is accepted but names no live object");
            }
            skipped++;
            return;
        }
        tried++;
        if (a.free(candidate)) {
            fail("free(0x" + Long.toHexString(candidate) + ") succeeded for a handle that names no live object");
        }
        if (alsoAccessors) {
            try {
                a.segment(candidate);
                fail("segment(0x" + Long.toHexString(candidate) + ") did not throw");
            } catch (IllegalArgumentException expected) {
                // the rule is in the message
            }
            try {
                a.offset(candidate);
                fail("offset(0x" + Long.toHexString(candidate) + ") did not throw");
            } catch (IllegalArgumentException expected) {
                // the rule is in the message
            }
        }
    }

    private long totalRejections() {
        long total = 0;
        for (long r : rejections(a)) {
            total += r;
        }
        return total;
    }

    private void assertLiveSetIntact() {
        for (Map.Entry<Long, Long> e : live.entrySet()) {
            assertStamp(a, e.getKey(), e.getValue());
        }
        for (Map.Entry<MemorySegment, Long> e : liveSegments.entrySet()) {
            assertTrue(holdsStamp(e.getKey(), 0, (int) e.getKey().byteSize(), e.getValue()));
        }
    }

    @Test
    void randomAndFlippedHandlesAreRejectedAndChangeNothing() {
        String census = censusText(a);
        String global = stableGlobal(a);
        long rejectionsBefore = totalRejections();
        int tag = Handles.tag(live.keySet().iterator().next());
        int created = a.engine().slabsCreated();

        // free() sees every candidate; segment() and offset() (which throw, and throwing is slow) see one
        // in eight, rotating so that every bit position of every kind of handle is covered.
        int index = 0;
        for (long h : live.keySet()) {
            index++;
            for (int bit = 0; bit < 64; bit++) {
                fuzz(h ^ (1L << bit), (bit + index) % 8 == 0);
            }
            for (int k = 0; k < 4; k++) { // a few bits at once
                fuzz(h ^ (random.nextLong() & random.nextLong() & random.nextLong()), false);
            }
        }
        for (long h : freed) {
            index++;
            fuzz(h, true);
            for (int bit = 0; bit < 64; bit++) {
                fuzz(h ^ (1L << bit), (bit + index) % 8 == 0);
            }
        }
        for (int i = 0; i < 600_000; i++) {
            fuzz(random.nextLong(), (i & 7) == 0);
        }
        for (int i = 0; i < 600_000; i++) {
            // Our tag and a slab id in use: these reach the deeper checks.
            long forged = Handles.pack(tag, random.nextInt(created), random.nextInt(1 << Handles.GEN_BITS),
                    random.nextInt(64), random.nextInt(8));
            fuzz(forged, (i & 7) == 0);
        }
        for (long special : new long[] {0L, -1L, 1L, Long.MIN_VALUE, Long.MAX_VALUE, (long) tag << Handles.TAG_SHIFT}) {
            fuzz(special, true);
        }

        assertTrue(tried >= 3_000_000, tried + " handles tried");
        assertEquals(rejectionsBefore + tried, totalRejections(), "one rejection counted per rejected free");
        assertEquals(census, censusText(a), "no slab changed");
        assertEquals(global, stableGlobal(a), "no figure changed but the rejection counters");
        assertLiveSetIntact();
        assertEquals(List.of(), a.engine().checkInvariants());
        System.out.printf("fuzz: %d handles rejected, %d skipped (they name live objects)%n", tried, skipped);

        for (long h : live.keySet()) {
            assertTrue(a.free(h), "live objects are still freeable");
        }
        for (MemorySegment s : liveSegments.keySet()) {
            assertTrue(a.free(s));
        }
        TestSupport.closeAllEpochs(a);
        assertEquals(0, a.snapshot().global().netSlabs());
        assertEquals(List.of(), a.engine().checkInvariants());
    }

    @Test
    void forgedAndStaleSegmentsAreRejectedAndChangeNothing() {
        String census = censusText(a);
        String global = stableGlobal(a);
        long rejectionsBefore = totalRejections();
        MemorySegment memory = a.memory();
        long used = (long) a.engine().slabsCreated() * SlabAllocator.SLAB_SIZE;
        long attempts = 0;
        for (MemorySegment s : liveSegments.keySet()) {
            for (MemorySegment forged : new MemorySegment[] {
                    s.asSlice(0), // an equal view, but not the segment handed out
                    s.asSlice(0, s.byteSize() - 1), s.asSlice(1), s.asSlice(8), memory.asSlice(s.address() - memory.address(), s.byteSize()),
                    MemorySegment.ofAddress(s.address()), MemorySegment.ofArray(new byte[16])}) {
                assertTrue(!a.free(forged), "a forged view of a live segment was freed");
                attempts++;
            }
        }
        for (int i = 0; i < 300_000; i++) {
            long offset = random.nextLong(used);
            long size = 1 + random.nextInt(768);
            MemorySegment forged = random.nextBoolean()
                    ? memory.asSlice(Math.min(offset, memory.byteSize() - size), size)
                    : MemorySegment.ofAddress(random.nextLong());
            assertTrue(!a.free(forged));
            attempts++;
        }
        assertEquals(rejectionsBefore + attempts, totalRejections());
        assertEquals(census, censusText(a));
        assertEquals(global, stableGlobal(a));
        assertLiveSetIntact();
        assertEquals(List.of(), a.engine().checkInvariants());
        for (MemorySegment s : liveSegments.keySet()) {
            assertTrue(a.free(s), "the real segments are still live");
        }
    }
}
