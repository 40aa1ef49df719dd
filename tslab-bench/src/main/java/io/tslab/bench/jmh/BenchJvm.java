package io.tslab.bench.jmh;

/**
 * JVM options of every benchmark fork. Annotation values must be constants, hence strings here;
 * {@code run.sh} must not pass {@code -jvmArgs*} on the command line, which would replace them.
 */
public final class BenchJvm {
    private BenchJvm() {
    }

    /** tslab and the malloc peers make restricted FFM calls. */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** Netty's sampling leak detector allocates per sampled buffer; production setups turn it off. */
    public static final String NETTY_LEAK_DETECTION_OFF = "-Dio.netty.leakDetection.level=disabled";
    /** A fixed heap, so that the GC-managed peers run the same way in every fork. */
    public static final String HEAP_MIN = "-Xms1g";
    public static final String HEAP_MAX = "-Xmx1g";
    /** No warning if a library touches sun.misc.Unsafe memory methods (JDK 24+ prints one otherwise). */
    public static final String UNSAFE_QUIET = "--sun-misc-unsafe-memory-access=allow";
    /** JMH worker threads are Netty FastThreadLocalThreads: see {@link FastThreadLocalExecutor}. */
    public static final String EXECUTOR = "-Djmh.executor=CUSTOM";
    public static final String EXECUTOR_CLASS = "-Djmh.executor.class=io.tslab.bench.jmh.FastThreadLocalExecutor";
}
