package io.tslab.bench.jmh;

import io.netty.util.concurrent.FastThreadLocalThread;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JMH worker pool whose threads are Netty {@link FastThreadLocalThread}s, the kind of thread
 * Netty's event loops run on. Netty 4.2's pooled allocator recycles its {@code ByteBuf} objects
 * only on such threads (on a plain thread each allocation creates a new object), so this is the
 * setting in which Netty is at its best; for every other contender it is just a thread.
 * Selected in each fork by {@code -Djmh.executor=CUSTOM -Djmh.executor.class=<this class>}.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {
    /** Constructor JMH calls: pool size and thread name prefix. */
    public FastThreadLocalExecutor(int threads, String prefix) {
        super(threads, threads, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), factory(prefix));
    }

    private static ThreadFactory factory(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return task -> {
            Thread thread = new FastThreadLocalThread(task, prefix + "-ftl-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
