package dev.quanta.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * For the tests of what writes files: FIFOs made with {@code mkfifo}, the file type of a path (a FIFO, a character
 * device such as {@code /dev/full}), and the names a folder holds.
 */
public final class SpecialFiles {
    /** The file type bits (S_IFMT of {@code unix:mode}) of a FIFO. */
    public static final int FIFO = 0010000;

    /** The file type bits of a character device. */
    public static final int CHARACTER_DEVICE = 0020000;

    private SpecialFiles() {}

    /** Makes the FIFO {@code fifo} with {@code mkfifo}. */
    public static Path mkfifo(Path fifo) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("mkfifo exit code").isZero();
        assertThat(fileType(fifo)).as("file type of %s", fifo).isEqualTo(FIFO);
        return fifo;
    }

    /** The file type bits of {@code p}'s mode, following a symbolic link: {@link #FIFO}, {@link #CHARACTER_DEVICE}… */
    public static int fileType(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode") & 0170000;
    }

    /** The names of the entries of {@code dir}, sorted. */
    public static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
