package io.tslab.internal.os;

import io.tslab.OsCallException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * {@code mmap}, {@code munmap}, {@code madvise}, {@code mincore} and {@code sysconf} through FFM
 * downcalls, plus the process RSS read from {@code /proc/self/statm}. Linux only (x86-64 and
 * aarch64 share the constants used here).
 */
@SuppressWarnings("restricted") // this package is where the project makes its restricted calls
public final class OsMemory {
    private OsMemory() {
    }

    /** {@code MADV_DONTNEED}: the pages are dropped; the next touch maps zero-filled pages. */
    public static final int MADV_DONTNEED = 4;
    /** {@code MADV_FREE}: the kernel may drop the pages lazily, under memory pressure. */
    public static final int MADV_FREE = 8;

    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int SC_PAGESIZE = 30;
    private static final long MAP_FAILED = -1L;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle MMAP = downcall("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle MADVISE = downcall("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MINCORE = downcall("mincore", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle SYSCONF = LINKER.downcallHandle(
            LIBC.find("sysconf").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private static final long PAGE_SIZE = readPageSize();
    private static final Path STATM = Path.of("/proc/self/statm");

    /** When positive, that many coming {@code madvise} calls fail with EAGAIN (fault injection for tests). */
    private static volatile int injectedMadviseFailures;

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO);
    }

    private static long readPageSize() {
        try {
            long size = (long) SYSCONF.invokeExact(SC_PAGESIZE);
            if (size <= 0 || Long.bitCount(size) != 1) {
                throw new OsCallException("sysconf", 0, "_SC_PAGESIZE returned " + size);
            }
            return size;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The OS page size in bytes, read once with {@code sysconf(_SC_PAGESIZE)}. */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /**
     * Reserves {@code bytes} of private anonymous memory ({@code MAP_NORESERVE}: only touched pages
     * cost RAM) and ties it to {@code arena}: closing the arena unmaps it, and every segment derived
     * from it becomes inaccessible.
     */
    public static MemorySegment reserve(long bytes, Arena arena) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, bytes,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (addr.address() == MAP_FAILED) {
                throw new OsCallException("mmap", errno(state), "reserve " + bytes + " bytes");
            }
            long base = addr.address();
            return addr.reinterpret(bytes, arena, unused -> unmap(base, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void unmap(long address, long bytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            int rc = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), bytes);
            if (rc != 0) {
                throw new OsCallException("munmap", errno(state), bytes + " bytes at 0x" + Long.toHexString(address));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Advises the kernel about {@code range} (page aligned). The arena of {@code range} is kept
     * alive during the call.
     *
     * @throws OsCallException with the errno when the call fails
     */
    public static void madvise(MemorySegment range, int advice) {
        if (injectedMadviseFailures > 0 && consumeInjectedFailure()) {
            throw new OsCallException("madvise", 11, "injected failure, " + range.byteSize() + " bytes");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            int rc = (int) MADVISE.invokeExact(state, range, range.byteSize(), advice);
            if (rc != 0) {
                throw new OsCallException("madvise", errno(state),
                        range.byteSize() + " bytes, advice " + advice);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Counts the bytes of {@code range} (page aligned) that are resident in RAM right now, with
     * {@code mincore}: an exact figure about our own pages, unlike the process RSS.
     */
    public static long residentBytes(MemorySegment range) {
        long pages = (range.byteSize() + PAGE_SIZE - 1) / PAGE_SIZE;
        if (pages == 0) {
            return 0;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            MemorySegment vec = call.allocate(pages);
            int rc = (int) MINCORE.invokeExact(state, range, range.byteSize(), vec);
            if (rc != 0) {
                throw new OsCallException("mincore", errno(state), range.byteSize() + " bytes");
            }
            long resident = 0;
            long i = 0;
            for (; i + 8 <= pages; i += 8) {
                long eight = vec.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
                resident += Long.bitCount(eight & 0x0101010101010101L);
            }
            for (; i < pages; i++) {
                resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return resident * PAGE_SIZE;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The resident set size of this process, from {@code /proc/self/statm}; 0 when it cannot be
     * read. It covers every thread and library of the JVM, so a change in it is only a heuristic
     * about this allocator. The file stays open and is re-read in place ({@code pread} at offset
     * 0), so a read costs one system call and allocates nothing.
     */
    public static long processRssBytes() {
        return StatmReader.INSTANCE.residentBytes();
    }

    /** One open {@code /proc/self/statm}, re-read in place under a lock. */
    private static final class StatmReader {
        static final StatmReader INSTANCE = new StatmReader();
        private final java.nio.channels.FileChannel channel;
        private final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(256);

        private StatmReader() {
            java.nio.channels.FileChannel open;
            try {
                open = java.nio.channels.FileChannel.open(STATM, java.nio.file.StandardOpenOption.READ);
            } catch (IOException | UnsupportedOperationException e) {
                open = null;
            }
            channel = open;
        }

        synchronized long residentBytes() {
            if (channel == null) {
                return 0;
            }
            try {
                buffer.clear();
                int n = channel.read(buffer, 0);
                // "size resident shared text lib data dt": the second field, in pages
                int i = 0;
                while (i < n && buffer.get(i) != ' ') {
                    i++;
                }
                long pages = 0;
                for (i++; i < n && buffer.get(i) >= '0' && buffer.get(i) <= '9'; i++) {
                    pages = pages * 10 + (buffer.get(i) - '0');
                }
                return pages * PAGE_SIZE;
            } catch (IOException e) {
                return 0;
            }
        }
    }

    /** Makes the next {@code count} calls to {@link #madvise} fail with EAGAIN; for tests. */
    public static void injectMadviseFailure(int count) {
        injectedMadviseFailures = count;
    }

    private static synchronized boolean consumeInjectedFailure() {
        if (injectedMadviseFailures <= 0) {
            return false;
        }
        injectedMadviseFailures--;
        return true;
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
