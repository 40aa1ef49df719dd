package io.tslab.internal;

import java.util.BitSet;

/**
 * Hands out the tag that every handle of an allocator carries. Tags of live allocators are
 * distinct; a released tag is reused only after every other free tag has been handed out, so a
 * handle of a recently closed allocator does not name a slot of a new one.
 */
final class AllocatorTags {
    private AllocatorTags() {
    }

    private static final int MAX_TAG = Handles.TAG_MASK;
    private static final BitSet LIVE = new BitSet(MAX_TAG + 1);
    private static int cursor;

    static synchronized int acquire() {
        for (int i = 0; i < MAX_TAG; i++) {
            cursor = cursor % MAX_TAG + 1; // 1..MAX_TAG; 0 is never a tag
            if (!LIVE.get(cursor)) {
                LIVE.set(cursor);
                return cursor;
            }
        }
        throw new IllegalStateException("open allocators: " + MAX_TAG + " (expected: fewer; close unused ones)");
    }

    static synchronized void release(int tag) {
        LIVE.clear(tag);
    }
}
