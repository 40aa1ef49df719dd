package io.tslab;

import io.tslab.internal.SlabEngine;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A named handle on one epoch <em>era</em>: the epoch that was current when the domain was made.
 * Work enters the domain with {@link #enter()}, allocates with {@link #alloc(int)}, and leaves by
 * closing the scope. The epoch's refcount counts the open scopes of all its domains, so an epoch
 * whose refcount stays above zero after its work should be done points at a scope someone forgot
 * to close (the label says whose).
 *
 * <pre>{@code
 * EpochDomain batch = slabs.newDomain("batch-7");
 * try (EpochDomain.Scope scope = batch.enter()) {
 *     long h = batch.alloc(256);          // in the domain's epoch
 * }
 * }</pre>
 *
 * <p>Rules: scopes nest and close in LIFO order on the thread that entered them; closing one out of
 * order, on another thread, or twice throws {@link IllegalStateException} and changes nothing. A
 * domain is bound to its era: once the ring has moved past it, {@code alloc} returns 0 and {@code
 * enter} throws. With auto-close, the epoch is closed as soon as its refcount is 0 and it is no
 * longer the current epoch (if it still is, at the next advance), and only while its era is
 * unchanged.
 */
public final class EpochDomain {
    private static final ThreadLocal<ArrayDeque<Scope>> OPEN_SCOPES = ThreadLocal.withInitial(ArrayDeque::new);
    private static final AtomicLong SCOPE_IDS = new AtomicLong();
    private static final StackWalker WALKER = StackWalker.getInstance();

    private final SlabAllocator allocator;
    private final SlabEngine engine;
    private final int epoch;
    private final long era;
    private final String label;
    private final boolean autoClose;

    EpochDomain(SlabAllocator allocator, SlabEngine engine, int epoch, long era, String label, boolean autoClose) {
        this.allocator = allocator;
        this.engine = engine;
        this.epoch = epoch;
        this.era = era;
        this.label = label;
        this.autoClose = autoClose;
    }

    /**
     * Opens a scope on the calling thread: the epoch's refcount goes up by one until the scope is
     * closed.
     *
     * @throws IllegalStateException when the domain's era is over (the ring has moved past it)
     */
    public Scope enter() {
        if (!engine.incRefcount(epoch, era)) {
            throw new IllegalStateException("domain '" + label + "': epoch " + epoch + " era " + era
                    + " is over (the slot is in era " + engine.era(epoch) + "); make a new domain");
        }
        Scope scope = new Scope(SCOPE_IDS.incrementAndGet());
        if (engine.leakDetection()) {
            engine.scopeOpened(epoch, era, scope.id, callSite());
        }
        OPEN_SCOPES.get().push(scope);
        return scope;
    }

    /**
     * Allocates {@code size} bytes in the domain's epoch.
     *
     * @return the handle, or 0 when the domain's era is closed or the reservation is full
     * @throws IllegalArgumentException when {@code size} is outside 1..768
     */
    public long alloc(int size) {
        int sizeClass = SlabAllocator.sizeClassOf(size);
        if (sizeClass < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: 1.." + SlabAllocator.MAX_OBJECT_SIZE + ")");
        }
        return engine.allocInEra(sizeClass, epoch, era);
    }

    /** The allocator this domain allocates from. */
    public SlabAllocator allocator() {
        return allocator;
    }

    /** The ring slot of the domain's epoch. */
    public int epoch() {
        return epoch;
    }

    /** The era the domain is bound to. */
    public long era() {
        return era;
    }

    /** The domain's label. */
    public String label() {
        return label;
    }

    /** Whether the epoch is closed automatically once idle. */
    public boolean autoClose() {
        return autoClose;
    }

    @Override
    public String toString() {
        return "EpochDomain[" + label + ", epoch " + epoch + " era " + era + (autoClose ? ", auto-close]" : "]");
    }

    private static String callSite() {
        return WALKER.walk(frames -> frames
                .filter(f -> !f.getClassName().startsWith("io.tslab.EpochDomain"))
                .limit(4)
                .map(f -> f.getClassName() + "." + f.getMethodName() + ":" + f.getLineNumber())
                .reduce((a, b) -> a + " < " + b)
                .orElse("?"));
    }

    /** An open scope of the domain; close it (try-with-resources) on the thread that opened it. */
    public final class Scope implements AutoCloseable {
        private final long id;
        private final Thread thread = Thread.currentThread();
        private boolean closed;

        private Scope(long id) {
            this.id = id;
        }

        /** The domain of this scope. */
        public EpochDomain domain() {
            return EpochDomain.this;
        }

        /**
         * Leaves the scope: the epoch's refcount goes down by one.
         *
         * @throws IllegalStateException on another thread than the one that entered, when a scope
         *                               entered later on this thread is still open, or when already
         *                               closed; nothing changes then
         */
        @Override
        public void close() {
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("scope of domain '" + label + "' entered on thread '"
                        + thread.getName() + "' (expected: closed on that thread, not '"
                        + Thread.currentThread().getName() + "')");
            }
            if (closed) {
                throw new IllegalStateException("scope of domain '" + label + "' is already closed");
            }
            ArrayDeque<Scope> open = OPEN_SCOPES.get();
            if (open.peek() != this) {
                Scope inner = open.peek();
                throw new IllegalStateException("scope of domain '" + label + "' closed out of order (expected: "
                        + "scopes close in LIFO order; the innermost open scope is domain '"
                        + (inner == null ? "?" : inner.domain().label) + "')");
            }
            open.pop();
            closed = true;
            engine.scopeClosed(epoch, id);
            if (engine.isClosed()) {
                return;
            }
            engine.decRefcount(epoch, era); // the last holder to leave closes an auto-close epoch
        }
    }
}
