package io.tslab;

/**
 * A call into the operating system failed. Carries the name of the call and the {@code errno} it
 * reported, so that the message can be acted on ({@code mmap failed: errno 12 (ENOMEM)}).
 */
public final class OsCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call  the system call, e.g. {@code "mmap"}
     * @param errno the value of {@code errno} captured right after the call
     * @param detail what was asked of the call (sizes, flags), for the message
     */
    public OsCallException(String call, int errno, String detail) {
        super(call + " failed: errno " + errno + " (" + Errno.name(errno) + ")"
                + (detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.errno = errno;
    }

    /** The failed system call. */
    public String call() {
        return call;
    }

    /** The {@code errno} the call reported. */
    public int errno() {
        return errno;
    }

    /** Symbolic names of the errno values the allocator's calls can report (Linux numbering). */
    static final class Errno {
        private Errno() {
        }

        static String name(int errno) {
            return switch (errno) {
                case 1 -> "EPERM";
                case 9 -> "EBADF";
                case 11 -> "EAGAIN";
                case 12 -> "ENOMEM";
                case 13 -> "EACCES";
                case 14 -> "EFAULT";
                case 22 -> "EINVAL";
                case 38 -> "ENOSYS";
                default -> "errno";
            };
        }
    }
}
