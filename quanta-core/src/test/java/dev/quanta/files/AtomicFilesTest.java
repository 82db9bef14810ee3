package dev.quanta.files;

import static dev.quanta.testing.SpecialFiles.CHARACTER_DEVICE;
import static dev.quanta.testing.SpecialFiles.FIFO;
import static dev.quanta.testing.SpecialFiles.fileType;
import static dev.quanta.testing.SpecialFiles.mkfifo;
import static dev.quanta.testing.SpecialFiles.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AtomicFiles}: modes, atomic replacement, cleanup on failure, refused targets and inputs. */
class AtomicFilesTest {
    @TempDir
    Path tmp;

    private static final byte[] NEW = "new contents".getBytes(StandardCharsets.UTF_8);

    private static Set<PosixFilePermission> mode(Path p) throws IOException {
        return Files.getPosixFilePermissions(p);
    }

    private static String modeString(Path p) throws IOException {
        return PosixFilePermissions.toString(mode(p));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Modes

    @Test
    void aNewFileGetsTheModeOfAFileCreatedPlainlyInTheSameDirectory() throws IOException {
        Path plain = Files.createFile(tmp.resolve("plain")); // open(O_CREAT, 0666) under the umask
        Path bytes = tmp.resolve("bytes.bin");
        Path stream = tmp.resolve("stream.bin");
        Path file = tmp.resolve("file.bin");
        AtomicFiles.writeBytes(bytes, NEW);
        AtomicFiles.writeStream(stream, out -> out.write(NEW));
        AtomicFiles.writeFile(file, f -> Files.write(f, NEW));
        for (Path p : List.of(bytes, stream, file)) {
            assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
            assertThat(modeString(p)).as(p.toString()).isEqualTo(modeString(plain));
        }
        assertThat(names(tmp)).containsExactly("bytes.bin", "file.bin", "plain", "stream.bin");
    }

    @Test
    void anOverwrittenFileKeepsItsMode() throws IOException {
        for (String m : List.of("rw-r--r--", "rw-r-----", "rw-------", "rwxr-xr-x", "rw-rw-rw-")) {
            Path p = tmp.resolve("old-" + m);
            Files.writeString(p, "old");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(m));
            AtomicFiles.writeBytes(p, NEW);
            assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
            assertThat(modeString(p)).isEqualTo(m);
        }
        Path viaPath = tmp.resolve("via-path");
        Files.writeString(viaPath, "old");
        Files.setPosixFilePermissions(viaPath, PosixFilePermissions.fromString("rw-r-----"));
        // a path writer that replaces the file by one of its own (owner-only) still ends with the target's mode
        AtomicFiles.writeFile(viaPath, f -> {
            Files.delete(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(f, NEW);
        });
        assertThat(modeString(viaPath)).isEqualTo("rw-r-----");
        assertThat(names(tmp)).allMatch(n -> !n.endsWith(".tmp"));
    }

    @Test
    void aReadOnlyTargetIsRefusedUnlessTheProcessMayWriteIt() throws IOException {
        Path p = tmp.resolve("read-only");
        Files.writeString(p, "old");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--r--r--"));
        if (Files.isWritable(p)) { // root may write anything: then the mode is kept like any other
            AtomicFiles.writeBytes(p, NEW);
            assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
            assertThat(modeString(p)).isEqualTo("r--r--r--");
        } else {
            assertThatThrownBy(() -> AtomicFiles.writeBytes(p, NEW))
                    .isInstanceOf(QuantaException.class)
                    .hasMessage(p + ": is read-only; refusing to replace it");
            assertThat(Files.readString(p)).isEqualTo("old");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Replacement and failures

    @Test
    void replacesTheFileByANewOneAtomically() throws IOException {
        Path p = tmp.resolve("model.bin");
        Files.writeString(p, "old");
        Path hardLink = Files.createLink(tmp.resolve("old-name"), p);
        Object before = Files.readAttributes(p, "unix:ino").get("ino");
        AtomicFiles.writeBytes(p, NEW);
        assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
        // a new inode took the name: the old one (still reachable through the hard link) was never written
        assertThat(Files.readAttributes(p, "unix:ino").get("ino")).isNotEqualTo(before);
        assertThat(Files.readString(hardLink)).isEqualTo("old");
        assertThat(names(tmp)).containsExactly("model.bin", "old-name");
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path p = tmp.resolve("model.bin");
        Files.writeString(p, "old");
        assertThatThrownBy(() -> AtomicFiles.writeStream(p, out -> {
                    out.write(new byte[100_000]);
                    throw new IOException("disk on fire");
                }))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(p + ": cannot write: ")
                .hasMessageContaining("disk on fire")
                .hasMessageNotContaining("\n");
        IllegalStateException bug = new IllegalStateException("writer bug");
        assertThatThrownBy(() -> AtomicFiles.writeFile(p, f -> {
                    Files.write(f, NEW);
                    throw bug;
                }))
                .isSameAs(bug);
        QuantaException bad = new QuantaException("model: cannot be expressed");
        assertThatThrownBy(() -> AtomicFiles.writeStream(p, out -> {
                    out.write(NEW);
                    throw bad;
                }))
                .isSameAs(bad);
        assertThatThrownBy(() -> AtomicFiles.writeStream(p, out -> {
                    throw new UncheckedIOException(new IOException("late"));
                }))
                .isInstanceOf(UncheckedIOException.class);
        assertThat(Files.readString(p)).isEqualTo("old");
        assertThat(names(tmp)).containsExactly("model.bin");
        // a new target is not created either
        Path fresh = tmp.resolve("fresh.bin");
        assertThatThrownBy(() -> AtomicFiles.writeFile(fresh, f -> {
                    throw new IOException("no");
                }))
                .isInstanceOf(QuantaException.class);
        assertThat(names(tmp)).containsExactly("model.bin");
    }

    @Test
    void theWriterGetsAnEmptyTemporaryFileNextToTheTarget() throws IOException {
        Path p = tmp.resolve("out.h5");
        List<Path> seen = new ArrayList<>();
        AtomicFiles.writeFile(p, f -> {
            seen.add(f);
            assertThat(f.getParent()).isEqualTo(tmp.toRealPath());
            assertThat(f.getFileName().toString()).startsWith(".out.h5.").endsWith(".tmp");
            assertThat(Files.size(f)).isZero();
            Files.write(f, NEW);
        });
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0)).doesNotExist();
        assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
    }

    @Test
    void aTargetWithTheLongestFileNameStillGetsATemporaryFile() throws IOException {
        Path p = tmp.resolve("m".repeat(250) + ".bin"); // 254 bytes: "." + name + ".tmp" would exceed 255
        AtomicFiles.writeBytes(p, NEW);
        assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
        assertThat(names(tmp)).containsExactly(p.getFileName().toString());
    }

    @Test
    void aSymbolicLinkIsFollowedAndTheFileItNamesReplaced() throws IOException {
        Path real = Files.createDirectory(tmp.resolve("store")).resolve("v3.bin");
        Files.writeString(real, "old");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-r-----"));
        Path link = Files.createSymbolicLink(tmp.resolve("current.bin"), Path.of("store/v3.bin"));
        AtomicFiles.writeBytes(link, NEW);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readAllBytes(real)).isEqualTo(NEW);
        assertThat(modeString(real)).isEqualTo("rw-r-----");
        assertThat(names(real.getParent())).containsExactly(real.getFileName().toString());
    }

    // ---------------------------------------------------------------------------------------------------------
    // The atomic move and its fallback

    /** A file system without atomic moves: ATOMIC_MOVE fails, a plain replacing move works. */
    private static final class NoAtomicMove implements AtomicFiles.Mover {
        final List<List<CopyOption>> calls = new ArrayList<>();

        @Override
        public void move(Path source, Path target, CopyOption... options) throws IOException {
            calls.add(List.of(options));
            if (List.of(options).contains(StandardCopyOption.ATOMIC_MOVE)) {
                throw new AtomicMoveNotSupportedException(source.toString(), target.toString(), "simulated");
            }
            Files.move(source, target, options);
        }
    }

    @Test
    void withoutAtomicMoveTheFileIsMovedWithAPlainReplace() throws IOException {
        Path p = tmp.resolve("model.bin");
        Files.writeString(p, "old");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r-----"));
        NoAtomicMove mover = new NoAtomicMove();
        AtomicFiles.write(p, f -> Files.write(f, NEW), mover);
        assertThat(mover.calls)
                .containsExactly(
                        List.of(StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING),
                        List.of(StandardCopyOption.REPLACE_EXISTING));
        assertThat(Files.readAllBytes(p)).isEqualTo(NEW);
        assertThat(modeString(p)).isEqualTo("rw-r-----");
        assertThat(names(tmp)).containsExactly("model.bin");
    }

    @Test
    void moveIntoPlaceTriesTheAtomicMoveFirst() throws IOException {
        Path from = Files.writeString(tmp.resolve("from"), "new");
        Path to = Files.writeString(tmp.resolve("to"), "old");
        List<List<CopyOption>> calls = new ArrayList<>();
        AtomicFiles.moveIntoPlace(from, to, (s, t, o) -> {
            calls.add(List.of(o));
            Files.move(s, t, o);
        });
        assertThat(calls).containsExactly(List.of(StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING));
        assertThat(Files.readString(to)).isEqualTo("new");
        assertThat(names(tmp)).containsExactly("to");
    }

    @Test
    void aFailingMoveLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path p = tmp.resolve("model.bin");
        Files.writeString(p, "old");
        assertThatThrownBy(() -> AtomicFiles.write(p, f -> Files.write(f, NEW), (s, t, o) -> {
                    throw new java.nio.file.FileSystemException(s.toString(), t.toString(), "Read-only file system");
                }))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(p + ": cannot write: Read-only file system");
        assertThat(Files.readString(p)).isEqualTo("old");
        assertThat(names(tmp)).containsExactly("model.bin");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Refused targets

    @Test
    void aTargetThatIsNotARegularFileIsRefusedAndLeftAsItWas() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("a-dir"));
        Path fifo = mkfifo(tmp.resolve("a-fifo"));
        Path linkToFifo = Files.createSymbolicLink(tmp.resolve("link-to-fifo"), fifo);
        Path linkToDir = Files.createSymbolicLink(tmp.resolve("link-to-dir"), dir);
        Path dangling = Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nothing-here"));
        Map<Path, String> expected = new LinkedHashMap<>();
        expected.put(dir, "is a directory, not a regular file; refusing to replace it");
        expected.put(fifo, "is a FIFO (named pipe), not a regular file; refusing to replace it");
        expected.put(linkToFifo, "is a symbolic link to a FIFO (named pipe), not a regular file");
        expected.put(linkToDir, "is a symbolic link to a directory, not a regular file");
        expected.put(dangling, "is a symbolic link to a missing file");
        expected.put(Path.of("/dev/full"), "is a character device, not a regular file; refusing to replace it");
        for (Map.Entry<Path, String> e : expected.entrySet()) {
            Path target = e.getKey();
            for (Runnable write : List.<Runnable>of(
                    () -> AtomicFiles.writeBytes(target, NEW),
                    () -> AtomicFiles.writeStream(target, out -> out.write(NEW)),
                    () -> AtomicFiles.writeFile(target, f -> Files.write(f, NEW)),
                    () -> AtomicFiles.requireWritableTarget(target))) {
                assertThatThrownBy(write::run)
                        .isInstanceOf(QuantaException.class)
                        .hasMessageStartingWith(target + ": " + e.getValue())
                        .hasMessageNotContaining("\n");
            }
        }
        assertThat(fileType(fifo)).isEqualTo(FIFO);
        assertThat(fileType(Path.of("/dev/full"))).isEqualTo(CHARACTER_DEVICE);
        assertThat(Files.isDirectory(dir)).isTrue();
        assertThat(names(dir)).isEmpty();
        assertThat(Files.isSymbolicLink(dangling)).isTrue();
        assertThat(names(tmp)).containsExactly("a-dir", "a-fifo", "dangling", "link-to-dir", "link-to-fifo");
    }

    @Test
    void aMissingDirectoryOrAFileAsDirectoryIsAOneLineError() throws IOException {
        Path plain = Files.writeString(tmp.resolve("plain"), "x");
        Path underFile = plain.resolve("out.bin");
        assertThatThrownBy(() -> AtomicFiles.writeBytes(underFile, NEW))
                .isInstanceOf(QuantaException.class)
                .hasMessage(underFile + ": cannot write: " + plain + " is not a directory");
        Path missing = tmp.resolve("no/such/out.bin");
        assertThatThrownBy(() -> AtomicFiles.writeBytes(missing, NEW))
                .isInstanceOf(QuantaException.class)
                .hasMessage(missing + ": cannot write: directory " + missing.getParent() + " does not exist");
        assertThat(names(tmp)).containsExactly("plain");
    }

    @Test
    void requireWritableTargetGivesThePathToReplace() throws IOException {
        Path sub = Files.createDirectory(tmp.resolve("sub"));
        Path real = tmp.toRealPath();
        assertThat(AtomicFiles.requireWritableTarget(sub.resolve("../new.bin"))).isEqualTo(real.resolve("new.bin"));
        Path file = Files.writeString(tmp.resolve("file.bin"), "x");
        Path link = Files.createSymbolicLink(tmp.resolve("link.bin"), file);
        assertThat(AtomicFiles.requireWritableTarget(link)).isEqualTo(real.resolve("file.bin"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inputs

    @Test
    void anInputIsRecognisedThroughDotDotSymbolicLinksAndHardLinks() throws IOException {
        Path data = Files.write(tmp.resolve("cal-images-idx3-ubyte.gz"), new byte[] {1, 2, 3});
        Path sub = Files.createDirectory(tmp.resolve("sub"));
        Path link = Files.createSymbolicLink(tmp.resolve("link.gz"), data);
        Path hard = Files.createLink(tmp.resolve("hard.gz"), data);
        Path other = Files.write(tmp.resolve("other.bin"), new byte[] {4});
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("model", other.resolveSibling("missing.h5")); // a missing input is skipped
        inputs.put("config", null); // an absent one too
        inputs.put("calibration data", data);
        for (Path target : List.of(
                data,
                sub.resolve("../cal-images-idx3-ubyte.gz"),
                tmp.resolve("./cal-images-idx3-ubyte.gz"),
                link,
                hard,
                tmp.toAbsolutePath().resolve(data))) {
            assertThatThrownBy(() -> AtomicFiles.requireNotAnInput(target, inputs))
                    .isInstanceOf(QuantaException.class)
                    .hasMessage("output " + target + " is the same file as the input calibration data " + data
                            + "; write to another path");
        }
        AtomicFiles.requireNotAnInput(other, inputs); // another file is fine
        AtomicFiles.requireNotAnInput(tmp.resolve("new.bin"), inputs); // so is a new one
        assertThat(Files.readAllBytes(data)).containsExactly(1, 2, 3);
    }

    @Test
    void noTargetInsideAnInputFolder() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("images/cats"));
        Path image = Files.write(folder.resolve("1.png"), new byte[] {1});
        Path link = Files.createSymbolicLink(tmp.resolve("shortcut"), folder);
        Map<String, Path> inputs = Map.of("calibration data", tmp.resolve("images"));
        for (Path target :
                List.of(image, folder.resolve("new.tflite"), link.resolve("x.tflite"), tmp.resolve("images"))) {
            assertThatThrownBy(() -> AtomicFiles.requireNotAnInput(target, inputs))
                    .isInstanceOf(QuantaException.class)
                    .hasMessage("output " + target + " is inside the input calibration data folder "
                            + tmp.resolve("images") + "; write to another path");
        }
        AtomicFiles.requireNotAnInput(tmp.resolve("beside.tflite"), inputs);
        AtomicFiles.requireNotAnInput(tmp.resolve("no/such/dir/x.tflite"), inputs);
    }
}
