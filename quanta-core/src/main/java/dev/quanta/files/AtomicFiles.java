package dev.quanta.files;

import dev.quanta.QuantaException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes files so that a reader sees either the old file or the complete new one, and never clobbers what must
 * not be clobbered.
 *
 * <p>Every write goes the same way: the target is checked ({@link #requireWritableTarget}), the content is written
 * to a new temporary file in the target's directory (named {@code .<name>.<random>.tmp}), the temporary file is
 * synced to disk and given its mode, then moved over the target in one atomic rename (a plain replacing move
 * where the file system has no atomic move), and the directory is synced, best effort. On any failure the
 * temporary file is deleted and the target is left as it was.
 *
 * <p>Mode: a new file gets what {@code open(O_CREAT, 0666)} gives under the process umask (as any file the user
 * creates); a replaced file keeps its POSIX permissions (its owner and group become the writing process's, as for
 * any new file). A symbolic link is followed: the file it points to is replaced, in that file's directory. A hard
 * link elsewhere to the replaced file keeps the old content, since the new file is a new inode.
 *
 * <p>Errors are {@link QuantaException}s of one line naming the target.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes content to an output stream (which the caller closes). */
    @FunctionalInterface
    public interface StreamWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes content to a file that already exists, empty (for libraries that open a path themselves). */
    @FunctionalInterface
    public interface PathWriter {
        void writeTo(Path file) throws IOException;
    }

    /** Writes {@code bytes} to {@code target}, replacing it atomically. */
    public static void writeBytes(Path target, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        writeStream(target, out -> out.write(bytes));
    }

    /** Writes what {@code writer} produces to {@code target}, replacing it atomically. */
    public static void writeStream(Path target, StreamWriter writer) {
        Objects.requireNonNull(writer, "writer");
        writeFile(target, file -> {
            try (OutputStream out = new BufferedOutputStream(
                    Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                    1 << 16)) {
                writer.writeTo(out);
            }
        });
    }

    /**
     * Lets {@code writer} fill a temporary file next to {@code target}, then moves it over {@code target}
     * atomically. The writer gets an existing empty file; it may open, truncate and rewrite it.
     */
    public static void writeFile(Path target, PathWriter writer) {
        write(target, writer, FILES_MOVE);
    }

    /**
     * Checks that {@code target} can be written: it does not exist and its directory does, or it is a regular file
     * (through symbolic links). Refuses directories, devices, FIFOs, sockets, dangling links and read-only files.
     *
     * @return the path to replace: the real path of an existing target, else the target in its real directory
     * @throws QuantaException naming {@code target} and what it is
     */
    public static Path requireWritableTarget(Path target) {
        Objects.requireNonNull(target, "target");
        Path abs = target.toAbsolutePath();
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes a = attributes(abs);
            if (a == null) {
                throw QuantaException.inFile(
                        target, "is a symbolic link to a missing file; refusing to write through it");
            }
            if (!a.isRegularFile()) {
                throw QuantaException.inFile(
                        target,
                        "is " + (Files.isSymbolicLink(abs) ? "a symbolic link to " : "") + kind(abs, a)
                                + ", not a regular file; refusing to replace it");
            }
            if (!Files.isWritable(abs)) {
                throw QuantaException.inFile(target, "is read-only; refusing to replace it");
            }
            try {
                return abs.toRealPath();
            } catch (IOException e) {
                throw QuantaException.inFile(target, "cannot write: " + reason(e, abs.getParent()), e);
            }
        }
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw QuantaException.inFile(
                    target,
                    "cannot write: "
                            + (dir != null && Files.exists(dir)
                                    ? dir + " is not a directory"
                                    : "directory " + dir + " does not exist"));
        }
        try {
            return dir.toRealPath().resolve(abs.getFileName());
        } catch (IOException e) {
            throw QuantaException.inFile(target, "cannot write: " + reason(e, dir), e);
        }
    }

    /**
     * Refuses a {@code target} that is one of the inputs, compared by file identity (device and inode where the
     * file system has them), so that {@code ..}, symbolic links and hard links are seen through; an input that is
     * a folder refuses every target inside it. Null and missing inputs are skipped.
     *
     * @param inputsByRole the inputs, keyed by what they are (e.g. {@code "calibration data"}); the key names the
     *     input in the message
     * @throws QuantaException naming the target, the role and the input
     */
    public static void requireNotAnInput(Path target, Map<String, Path> inputsByRole) {
        Objects.requireNonNull(target, "target");
        BasicFileAttributes targetAttributes = attributes(target);
        for (Map.Entry<String, Path> e : inputsByRole.entrySet()) {
            Path input = e.getValue();
            BasicFileAttributes inputAttributes = input == null ? null : attributes(input);
            if (inputAttributes == null) {
                continue;
            }
            if (inputAttributes.isDirectory()) {
                if (isInside(target, input, inputAttributes)) {
                    throw new QuantaException("output " + target + " is inside the input " + e.getKey() + " folder "
                            + input + "; write to another path");
                }
            } else if (targetAttributes != null && sameFile(target, targetAttributes, input, inputAttributes)) {
                throw new QuantaException("output " + target + " is the same file as the input " + e.getKey() + " "
                        + input + "; write to another path");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Moves a file; {@link Files#move} in production, a stand-in in tests. */
    @FunctionalInterface
    interface Mover {
        void move(Path source, Path target, CopyOption... options) throws IOException;
    }

    static final Mover FILES_MOVE = Files::move;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The whole write, with the move function as a parameter (tests simulate a file system without atomic move). */
    static void write(Path target, PathWriter writer, Mover mover) {
        Objects.requireNonNull(writer, "writer");
        Path file = requireWritableTarget(target);
        Path dir = file.getParent();
        Path tmp = null;
        try {
            tmp = createTemporary(dir, file.getFileName().toString());
            Set<PosixFilePermission> mode = permissions(Files.exists(file) ? file : tmp);
            writer.writeTo(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            if (mode != null) {
                Files.setPosixFilePermissions(tmp, mode);
            }
            moveIntoPlace(tmp, file, mover);
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw QuantaException.inFile(target, "cannot write: " + reason(e, dir), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed and that error is being reported
                }
            }
        }
    }

    /** Renames {@code tmp} over {@code target} atomically, or with a plain replacing move where that is unsupported. */
    static void moveIntoPlace(Path tmp, Path target, Mover mover) throws IOException {
        try {
            mover.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            mover.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Creates a new empty file {@code .<name>.<random>.tmp} in {@code dir} without mode attributes, so that it gets
     * the umask's mode. The name part is cut to 32 characters to stay within file name limits.
     */
    private static Path createTemporary(Path dir, String name) throws IOException {
        String stem = name;
        if (stem.length() > 32) {
            int end = Character.isHighSurrogate(stem.charAt(31)) ? 31 : 32;
            stem = stem.substring(0, end);
        }
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + stem + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                Files.newByteChannel(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
                        .close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 20) {
                    throw e;
                }
            }
        }
    }

    /** The POSIX permissions of {@code file}, or null on a file system without them. */
    private static Set<PosixFilePermission> permissions(Path file) throws IOException {
        try {
            return Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /** Syncs the directory entry of the rename; not every platform can open a directory, so best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the file itself is synced; the rename is durable on the next sync of the file system
        }
    }

    /** The attributes of {@code p} through links, or null when it (or a link's target) does not exist. */
    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean sameFile(Path a, BasicFileAttributes aa, Path b, BasicFileAttributes ba) {
        Object ka = aa.fileKey();
        Object kb = ba.fileKey();
        if (ka != null && kb != null) {
            return ka.equals(kb);
        }
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code target} (existing or not) is {@code dir} or lies below it, walking up the real path. */
    private static boolean isInside(Path target, Path dir, BasicFileAttributes dirAttributes) {
        Path p;
        try {
            Path abs = target.toAbsolutePath();
            p = Files.exists(abs)
                    ? abs.toRealPath()
                    : abs.getParent() == null ? null : abs.getParent().toRealPath();
        } catch (IOException e) {
            return false; // its directory does not exist: nothing can be written there
        }
        for (; p != null; p = p.getParent()) {
            BasicFileAttributes a = attributes(p);
            if (a != null && a.isDirectory() && sameFile(p, a, dir, dirAttributes)) {
                return true;
            }
        }
        return false;
    }

    /** What a non-regular file is, for messages: "a directory", "a character device", "a FIFO", ... */
    private static String kind(Path p, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a directory";
        }
        try {
            if (Files.getAttribute(p, "unix:mode") instanceof Integer mode) {
                String kind = switch (mode & 0170000) {
                    case 0020000 -> "a character device";
                    case 0060000 -> "a block device";
                    case 0010000 -> "a FIFO (named pipe)";
                    case 0140000 -> "a socket";
                    default -> null;
                };
                if (kind != null) {
                    return kind;
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException ignored) {
            // no unix view: fall back to the generic word
        }
        return "a special file";
    }

    /** Why an operation in {@code dir} failed, in one line. */
    private static String reason(IOException e, Path dir) {
        String why;
        if (e instanceof AccessDeniedException) {
            why = "permission denied in directory " + dir;
        } else if (e instanceof NoSuchFileException n) {
            why = "no such file or directory" + (n.getFile() == null ? "" : " (" + n.getFile() + ")");
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            why = f.getReason() + (f.getFile() == null ? "" : " (" + f.getFile() + ")");
        } else {
            why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
        }
        return why.replace('\n', ' ').replace('\r', ' ');
    }
}
