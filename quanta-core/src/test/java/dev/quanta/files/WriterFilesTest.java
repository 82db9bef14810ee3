package dev.quanta.files;

import static dev.quanta.testing.SpecialFiles.CHARACTER_DEVICE;
import static dev.quanta.testing.SpecialFiles.FIFO;
import static dev.quanta.testing.SpecialFiles.fileType;
import static dev.quanta.testing.SpecialFiles.mkfifo;
import static dev.quanta.testing.SpecialFiles.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.keras.KerasH5Writer;
import dev.quanta.testing.CoreModels;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writers that go through {@link AtomicFiles} ({@link TfliteWriter}, {@link KerasH5Writer}): the modes of what
 * they write, refused targets, and the model's own source file. (The demo files' writer, in quanta-examples, is
 * checked by its DemoExampleTest.)
 */
class WriterFilesTest {
    @TempDir
    Path tmp;

    private static final List<BiConsumer<Model, Path>> WRITERS =
            List.of(TfliteWriter::write, (m, p) -> KerasH5Writer.write(m, p));

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void newFilesGetTheUmaskModeAndReplacedFilesKeepTheirs() throws IOException {
        String plain = mode(Files.createFile(tmp.resolve("plain")));
        Path tflite = tmp.resolve("new.tflite");
        Path h5 = tmp.resolve("new.h5");
        TfliteWriter.write(CoreModels.tinyDense(), tflite);
        KerasH5Writer.write(CoreModels.tinyDense(), h5);
        assertThat(mode(tflite)).isEqualTo(plain);
        assertThat(mode(h5)).isEqualTo(plain);
        for (String m : List.of("rw-r-----", "rw-rw-r--")) {
            for (Path p : List.of(tflite, h5)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(m));
            }
            TfliteWriter.write(CoreModels.tinyDense(), tflite);
            KerasH5Writer.write(CoreModels.tinyDense(), h5);
            assertThat(mode(tflite)).isEqualTo(m);
            assertThat(mode(h5)).isEqualTo(m);
        }
        assertThat(ModelFiles.load(tflite).ops()).hasSize(1);
        assertThat(ModelFiles.load(h5).ops()).hasSize(1);
        assertThat(names(tmp)).containsExactly("new.h5", "new.tflite", "plain");
    }

    @Test
    void aTargetThatIsNotARegularFileIsRefused() throws Exception {
        Path fifo = mkfifo(tmp.resolve("fifo"));
        Path dir = Files.createDirectory(tmp.resolve("dir"));
        for (BiConsumer<Model, Path> writer : WRITERS) {
            assertThatThrownBy(() -> writer.accept(CoreModels.tinyDense(), fifo))
                    .isInstanceOf(QuantaException.class)
                    .hasMessage(fifo + ": is a FIFO (named pipe), not a regular file; refusing to replace it");
            assertThatThrownBy(() -> writer.accept(CoreModels.tinyDense(), dir))
                    .isInstanceOf(QuantaException.class)
                    .hasMessage(dir + ": is a directory, not a regular file; refusing to replace it");
            Path full = Path.of("/dev/full");
            assertThatThrownBy(() -> writer.accept(CoreModels.tinyDense(), full))
                    .isInstanceOf(QuantaException.class)
                    .hasMessage(full + ": is a character device, not a regular file; refusing to replace it");
        }
        assertThat(fileType(fifo)).isEqualTo(FIFO);
        assertThat(fileType(Path.of("/dev/full"))).isEqualTo(CHARACTER_DEVICE);
        assertThat(names(tmp)).containsExactly("dir", "fifo");
        assertThat(names(dir)).isEmpty();
    }

    @Test
    void neitherWriterReplacesTheModelsSourceThroughAHardLink() throws IOException {
        Path tflite = tmp.resolve("m.tflite");
        Path h5 = tmp.resolve("m.h5");
        TfliteWriter.write(CoreModels.tinyDense(), tflite);
        KerasH5Writer.write(CoreModels.tinyDense(), h5);
        for (Path source : List.of(tflite, h5)) {
            byte[] before = Files.readAllBytes(source);
            Model loaded = ModelFiles.load(source);
            Path hard = Files.createLink(tmp.resolve("hard-" + source.getFileName()), source);
            for (BiConsumer<Model, Path> writer : WRITERS) {
                assertThatThrownBy(() -> writer.accept(loaded, hard))
                        .isInstanceOf(QuantaException.class)
                        .hasMessage("output " + hard + " is the same file as the input model source " + source
                                + "; write to another path");
            }
            assertThat(Files.readAllBytes(source)).isEqualTo(before);
        }
        Model fromTflite = TfliteReader.read(tflite);
        TfliteWriter.write(fromTflite, tmp.resolve("copy.tflite")); // another file is fine
        assertThat(names(tmp)).containsExactly("copy.tflite", "hard-m.h5", "hard-m.tflite", "m.h5", "m.tflite");
    }
}
