package io.tslab.internal;

import java.util.List;

/**
 * The full invariant check behind {@link SlabEngine#checkInvariants()}: run with every bin lock
 * held and no thread inside the allocator. Each broken rule is reported as one line.
 */
final class InvariantWalk {
    private final SlabTable table;
    private final SlabPool pool;
    private final Bin[] bins;
    private final long[] epochWords;
    private final int epochShift;
    private final List<String> problems;

    InvariantWalk(SlabTable table, SlabPool pool, Bin[] bins, long[] epochWords, int epochShift,
                  List<String> problems) {
        this.table = table;
        this.pool = pool;
        this.bins = bins;
        this.epochWords = epochWords;
        this.epochShift = epochShift;
        this.problems = problems;
    }

    void run() {
        int created = pool.laCreated();
        int[] listed = new int[created];
        long inService = 0;
        for (Bin bin : bins) {
            int empties = 0;
            for (byte list = SlabTable.LIST_PARTIAL; list <= SlabTable.LIST_DRAINING; list++) {
                int count = 0;
                int prev = SlabTable.NIL;
                for (int slab = bin.head(list); slab != SlabTable.NIL; slab = table.next(slab)) {
                    if (slab >= created || ++listed[slab] > 1) {
                        problems.add("slab " + slab + " listed twice or out of range in " + where(bin, list));
                        return;
                    }
                    if (table.prev(slab) != prev) {
                        problems.add("slab " + slab + ": broken prev link in " + where(bin, list));
                    }
                    prev = slab;
                    count++;
                    inService++;
                    boolean counted = checkListedSlab(bin, list, slab) && bin.stripeOf(slab) < 0;
                    if (counted) {
                        empties++;
                    }
                    if (table.lvEmptyMark(slab) != counted) {
                        problems.add("slab " + slab + " in " + where(bin, list) + ": empty mark "
                                + table.lvEmptyMark(slab) + ", expected " + counted);
                    }
                }
                if (count != bin.count(list)) {
                    problems.add(where(bin, list) + ": counted " + bin.count(list) + " slabs, holds " + count);
                }
            }
            if (empties != bin.lvEmptySlabs()) {
                problems.add("bin " + bin.sizeClass + "/" + bin.epoch + ": empty-slab count " + bin.lvEmptySlabs()
                        + ", actual " + empties + " (empty slabs other than the current one)");
            }
            for (int stripe = 0; stripe < Bin.STRIPES; stripe++) {
                int current = bin.lvCurrent(stripe);
                if (current == SlabTable.NIL) {
                    continue;
                }
                byte list = table.lvList(current);
                if ((list != SlabTable.LIST_PARTIAL && list != SlabTable.LIST_FULL)
                        || SlabTable.ownerClass(table.laOwner(current)) != bin.sizeClass
                        || SlabTable.ownerEpoch(table.laOwner(current)) != bin.epoch) {
                    problems.add("bin " + bin.sizeClass + "/" + bin.epoch + ": current slab " + current
                            + " of stripe " + stripe + " is not one of its live slabs");
                }
                if (bin.stripeOf(current) != stripe) {
                    problems.add("bin " + bin.sizeClass + "/" + bin.epoch + ": slab " + current
                            + " is the current slab of stripes " + bin.stripeOf(current) + " and " + stripe);
                }
            }
        }
        long pooled = 0;
        for (int slab = 0; slab < created; slab++) {
            if (listed[slab] == 0) {
                pooled++;
                if (table.laOwner(slab) != SlabTable.NO_OWNER || table.lvWord(slab) != SlabTable.SEALED
                        || table.lvList(slab) != SlabTable.LIST_NONE || table.lvEmptyMark(slab)) {
                    problems.add("slab " + slab + " is on no list but not sealed, unowned and unmarked");
                }
                for (int slot = 0; slot < SizeClasses.MAX_SLOTS; slot++) {
                    if ((table.laStamp(slab, slot) & 1) != 0) {
                        problems.add("pooled slab " + slab + " slot " + slot + " has an allocated stamp");
                    }
                }
            }
        }
        if (pooled != pool.pooled()) {
            problems.add("pool holds " + pool.pooled() + " slabs, " + pooled + " slabs are unlisted");
        }
        if (pooled + inService != created) {
            problems.add("slabs: " + created + " created, " + inService + " in service, " + pooled + " pooled");
        }
    }

    /** Checks one listed slab; returns whether it is empty. */
    private boolean checkListedSlab(Bin bin, byte list, int slab) {
        long owner = table.laOwner(slab);
        long word = table.lvWord(slab);
        long full = SizeClasses.fullMask(bin.sizeClass);
        String at = "slab " + slab + " in " + where(bin, list);
        if (table.lvList(slab) != list) {
            problems.add(at + ": its list id is " + table.lvList(slab));
        }
        if (owner == SlabTable.NO_OWNER || SlabTable.ownerClass(owner) != bin.sizeClass
                || SlabTable.ownerEpoch(owner) != bin.epoch) {
            problems.add(at + ": owner " + Long.toHexString(owner) + " is another bin's");
            return false;
        }
        if ((word & ~full) != 0) {
            problems.add(at + ": occupancy word 0x" + Long.toHexString(word) + " has bits beyond its slots");
            return false;
        }
        for (int slot = 0; slot < SizeClasses.slots(bin.sizeClass); slot++) {
            boolean taken = (word & (1L << slot)) != 0;
            boolean stampTaken = (table.laStamp(slab, slot) & 1) != 0;
            if (taken != stampTaken) {
                problems.add(at + ": slot " + slot + " bit " + taken + " but stamp says " + stampTaken);
            }
        }
        long epochWord = epochWords[bin.epoch];
        boolean eraOpen = epochWord == SlabTable.ownerEra(owner) << 1;
        boolean latestEra = (epochWord >>> 1) == SlabTable.ownerEra(owner);
        if (list == SlabTable.LIST_DRAINING) {
            if (eraOpen) {
                problems.add(at + ": draining but its era is open");
            }
            if (word == 0) {
                problems.add(at + ": draining slab is empty but was not recycled");
            }
        } else {
            if (!latestEra) {
                problems.add(at + ": era " + SlabTable.ownerEra(owner) + " is not the slot's latest");
            }
            if (list == SlabTable.LIST_FULL && eraOpen && word != full) {
                problems.add(at + ": on the full list with free slots in an open era");
            }
        }
        return word == 0;
    }

    private String where(Bin bin, byte list) {
        return "bin " + bin.sizeClass + "/" + bin.epoch + " list " + list + " (bins " + bins.length + ", shift " + epochShift + ")";
    }
}
