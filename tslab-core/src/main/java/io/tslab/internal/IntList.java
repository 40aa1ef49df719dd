package io.tslab.internal;

import java.util.Arrays;

/** A growable list of ints for slow paths (sweeps collecting slabs to recycle). */
final class IntList {
    int[] values = new int[16];
    int size;

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }
}
