package io.tslab.internal.statsfile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Where stats files live, and which of them belong to live processes.
 *
 * <p>The directory is {@code /dev/shm/tslab-<user>} (memory-backed, so publishing never waits on a
 * disk), or {@code <java.io.tmpdir>/tslab-<user>} on systems without {@code /dev/shm}; the system
 * property {@value #DIRECTORY_PROPERTY} overrides both. A writer creates it with mode 0700 and refuses
 * one that is a symbolic link or belongs to another user. {@code <user>} is {@code user.name} with
 * every character outside {@code [A-Za-z0-9._-]} replaced by {@code _}.
 *
 * <p>A file belongs to a live writer when its pid is alive and, if the header records the JVM's start
 * time, the process with that pid started then (within a second): a pid reused by another process
 * does not keep a dead JVM's file alive.
 */
public final class StatsFileDirectory {
    private StatsFileDirectory() {
    }

    /** System property naming the stats directory, overriding the default. */
    public static final String DIRECTORY_PROPERTY = "tslab.statsFile.dir";
    static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final long START_TOLERANCE_MS = 1_000;

    /** The stats directory readers and writers of this user use. */
    public static Path defaultDirectory() {
        String configured = System.getProperty(DIRECTORY_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String leaf = "tslab-" + userPart(System.getProperty("user.name", ""));
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm)) {
            return shm.resolve(leaf);
        }
        return Path.of(System.getProperty("java.io.tmpdir", "/tmp")).resolve(leaf);
    }

    static String userPart(String user) {
        StringBuilder out = new StringBuilder(user.length());
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            out.append(safe ? c : '_');
        }
        String s = out.toString();
        return s.isEmpty() || s.chars().allMatch(c -> c == '.') ? "unknown" : s;
    }

    /**
     * Creates {@code dir} (mode 0700) if it does not exist, and checks that it is a real directory
     * owned by this process's user; tightens its mode to 0700 if needed.
     *
     * @throws IOException naming what is wrong
     */
    public static void prepare(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new IOException(p + " is not a directory");
            }
        }
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory (or is a symbolic link)");
        }
        Object ownUid = ownUid();
        Object dirUid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (ownUid != null && !ownUid.equals(dirUid)) {
            throw new IOException(dir + " belongs to uid " + dirUid + ", not to this process's uid " + ownUid);
        }
        if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIRECTORY)) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIRECTORY);
        }
        if (!Files.isWritable(dir)) {
            throw new IOException(dir + " is not writable");
        }
    }

    /** This process's effective uid, as the owner of {@code /proc/self}; null if unknown. */
    private static Object ownUid() {
        try {
            return Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** When this JVM's process started, in ms since the Unix epoch; 0 if the OS does not say. */
    public static long currentJvmStartMs() {
        return ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Whether {@code pid} is a live process that started at {@code jvmStartMs} (within a second;
     * any start matches when {@code jvmStartMs} is 0 or the OS does not tell).
     */
    public static boolean isAlive(long pid, long jvmStartMs) {
        Optional<ProcessHandle> handle = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        if (jvmStartMs <= 0) {
            return true;
        }
        Optional<Instant> start = handle.get().info().startInstant();
        return start.isEmpty() || Math.abs(start.get().toEpochMilli() - jvmStartMs) <= START_TOLERANCE_MS;
    }

    /**
     * The process's main class, {@code -jar} file or {@code -m} module, else its executable's name;
     * empty if the OS does not tell.
     */
    public static Optional<String> command(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return Optional.empty();
        }
        ProcessHandle.Info info = handle.get().info();
        Optional<String> launched = info.arguments().flatMap(StatsFileDirectory::launchTarget);
        if (launched.isPresent()) {
            return launched;
        }
        return info.command().map(c -> {
            Path name = Path.of(c).getFileName();
            return name == null ? c : name.toString();
        });
    }

    private static final Set<String> OPTIONS_WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p",
            "--module-path", "--upgrade-module-path", "--add-modules", "--add-opens", "--add-exports",
            "--add-reads", "--patch-module", "--limit-modules", "--enable-native-access", "--source");

    /** The main class, jar or module of a {@code java} command line, from its arguments. */
    static Optional<String> launchTarget(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("-jar") || a.equals("-m") || a.equals("--module")) && i + 1 < args.length) {
                return Optional.of(a.equals("-jar") ? fileName(args[i + 1]) : args[i + 1]);
            }
            if (OPTIONS_WITH_VALUE.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    private static String fileName(String path) {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    /**
     * Deletes the stats files (and leftover temporary files) of processes that are gone, except
     * {@code selfPid}'s. Best effort: a file that cannot be read or deleted is left alone.
     *
     * @return how many files were deleted
     */
    public static int removeDeadFiles(Path dir, long selfPid) {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                long pid = StatsFileLayout.pidOf(name);
                boolean temporary = pid < 0;
                if (temporary) {
                    pid = StatsFileLayout.pidOfTemporary(name);
                }
                if (pid < 0 || pid == selfPid) {
                    continue;
                }
                long start = temporary ? 0 : recordedJvmStart(f, pid);
                if (!isAlive(pid, start)) {
                    try {
                        if (Files.deleteIfExists(f)) {
                            removed++;
                        }
                    } catch (IOException e) {
                        // someone else's problem; readers ignore the file anyway
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort
        }
        return removed;
    }

    /** The JVM start time the header of {@code file} records, if it is a stats file of {@code pid}; else 0. */
    static long recordedJvmStart(Path file, long pid) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(StatsFileLayout.SEQUENCE_OFFSET).order(StatsFileLayout.ORDER);
            while (head.hasRemaining()) {
                if (ch.read(head, head.position()) < 0) {
                    return 0;
                }
            }
            if (head.getLong(StatsFileLayout.MAGIC_OFFSET) != StatsFileLayout.MAGIC
                    || head.getLong(StatsFileLayout.PID_OFFSET) != pid) {
                return 0;
            }
            return Math.max(0, head.getLong(StatsFileLayout.JVM_START_OFFSET));
        } catch (IOException | RuntimeException e) {
            return 0; // unreadable: judge by the pid alone
        }
    }
}
