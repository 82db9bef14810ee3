package dev.quanta.examples.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.keras.KerasImporter;
import dev.quanta.testing.Hdf5Reading;
import dev.quanta.testing.ModelChecks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded example of {@code quanta demo}: the shipped files are exactly what {@link DemoExample} makes, and
 * the shipped model reaches the recorded accuracy through the importer and the {@code Interpreter}.
 */
class DemoExampleTest {
    /** Test images the shipped model classifies correctly (float32, pixels / 255), out of 1000. */
    static final int EXPECTED_CORRECT = 973;

    private static final List<String> IDX_FILES = List.of(
            DemoExample.TEST_IMAGES, DemoExample.TEST_LABELS, DemoExample.TRAIN_IMAGES, DemoExample.TRAIN_LABELS);

    @TempDir
    Path tmp;

    @Test
    void regenerationReproducesTheShippedFiles() throws IOException {
        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        DemoExample.Generated g = DemoExample.generate(first);
        DemoExample.writeData(second);

        for (String name : IDX_FILES) {
            byte[] a = Files.readAllBytes(first.resolve(name));
            // byte-identical gzip files from two generations
            assertThat(Files.readAllBytes(second.resolve(name))).as(name).isEqualTo(a);
            // and the same IDX content as the shipped copy (its gzip bytes depend on the JDK's zlib)
            assertThat(IdxFiles.gunzip(a)).as(name).isEqualTo(IdxFiles.gunzip(DemoFiles.shipped(name)));
        }

        // the retrained weights equal the shipped ones exactly, read back with jhdf
        Map<String, float[]> generated = Hdf5Reading.weights(first.resolve(DemoExample.MODEL_FILE));
        Map<String, float[]> shipped = Hdf5Reading.weights(DemoFiles.shipped(DemoExample.MODEL_FILE));
        assertThat(generated.keySet()).isEqualTo(shipped.keySet()).hasSize(8);
        int params = 0;
        for (String k : shipped.keySet()) {
            assertThat(generated.get(k)).as(k).isEqualTo(shipped.get(k));
            params += shipped.get(k).length;
        }
        assertThat(params).isEqualTo(ShapesTrainer.PARAMS).isEqualTo(9604);
        // jhdf's writer is pure Java, so the whole file is stable too, as is the README
        assertThat(Files.readAllBytes(first.resolve(DemoExample.MODEL_FILE)))
                .isEqualTo(DemoFiles.shipped(DemoExample.MODEL_FILE));
        assertThat(Files.readString(first.resolve(DemoExample.README)))
                .isEqualTo(new String(DemoFiles.shipped(DemoExample.README), StandardCharsets.UTF_8));

        // accuracy of the in-memory model, through the Interpreter
        assertThat(g.testCorrect()).isEqualTo(EXPECTED_CORRECT);
        double[] acc = g.training().epochAccuracy();
        assertThat(acc[acc.length - 1]).isGreaterThan(0.95);

        // the written file imports back to the same weights and the same outputs
        Model trained = g.training().model();
        Model imported = KerasImporter.load(first.resolve(DemoExample.MODEL_FILE));
        ModelChecks.assertSameConstants(imported, trained);
        float[] x = DemoExample.testSet().scaledPixels();
        assertThat(ModelChecks.outputs(imported, x, DemoExample.TEST_COUNT))
                .isEqualTo(ModelChecks.outputs(trained, x, DemoExample.TEST_COUNT));
    }

    @Test
    void shippedModelReachesTheRecordedAccuracy() throws IOException {
        Path file = tmp.resolve(DemoExample.MODEL_FILE);
        Files.write(file, DemoFiles.shipped(DemoExample.MODEL_FILE));
        Model m = KerasImporter.load(file);
        // the network ShapesTrainer builds: each op of the same type from the same layer, the same weight shapes
        Model architecture = ShapesTrainer.architecture();
        assertThat(m.ops())
                .extracting(op -> op.origin().layerName() + " " + op.origin().layerClass() + " " + op.type())
                .isEqualTo(architecture.ops().stream()
                        .map(op -> op.origin().layerName() + " " + op.origin().layerClass() + " " + op.type())
                        .toList())
                .hasSize(8);
        assertThat(m.constants())
                .extracting(Tensor::shape)
                .isEqualTo(architecture.constants().stream().map(Tensor::shape).toList());
        assertThat(m.inputs().get(0).shape().dims()).containsExactly(-1, 16, 16, 1);
        int params = 0;
        for (var t : m.constants()) {
            params += t.data().elementCount();
        }
        assertThat(params).isEqualTo(9604);

        ShapesDataset.Samples test =
                IdxFiles.read(DemoFiles.shipped(DemoExample.TEST_IMAGES), DemoFiles.shipped(DemoExample.TEST_LABELS));
        assertThat(test.count()).isEqualTo(1000);
        assertThat(DemoExample.countCorrect(m, test)).isEqualTo(EXPECTED_CORRECT);
        assertThat(new String(DemoFiles.shipped(DemoExample.README), StandardCharsets.UTF_8))
                .contains("**" + EXPECTED_CORRECT + "/1000**");
    }

    @Test
    void shippedDataIsBalancedAndTheTrainingFilesArePrefixOfTheTrainingSet() {
        ShapesDataset.Samples test =
                IdxFiles.read(DemoFiles.shipped(DemoExample.TEST_IMAGES), DemoFiles.shipped(DemoExample.TEST_LABELS));
        ShapesDataset.Samples train =
                IdxFiles.read(DemoFiles.shipped(DemoExample.TRAIN_IMAGES), DemoFiles.shipped(DemoExample.TRAIN_LABELS));
        assertThat(counts(test.labels())).containsExactly(250, 250, 250, 250);
        assertThat(counts(train.labels())).containsExactly(125, 125, 125, 125);
        ShapesDataset.Samples all = DemoExample.trainingSet();
        assertThat(train.images()).isEqualTo(java.util.Arrays.copyOf(all.images(), 500 * 256));
        assertThat(train.labels()).isEqualTo(java.util.Arrays.copyOf(all.labels(), 500));
    }

    @Test
    void shippedFilesAreSmallAndGzipHeadersCarryNoTimestamp() throws IOException {
        assertThat(names(DemoFiles.shippedDir()))
                .containsExactlyInAnyOrder(
                        DemoExample.MODEL_FILE,
                        DemoExample.README,
                        DemoExample.TEST_IMAGES,
                        DemoExample.TEST_LABELS,
                        DemoExample.TRAIN_IMAGES,
                        DemoExample.TRAIN_LABELS);
        long total = 0;
        for (String name : List.of(
                DemoExample.MODEL_FILE,
                DemoExample.README,
                DemoExample.TEST_IMAGES,
                DemoExample.TEST_LABELS,
                DemoExample.TRAIN_IMAGES,
                DemoExample.TRAIN_LABELS)) {
            byte[] b = DemoFiles.shipped(name);
            total += b.length;
            if (name.endsWith(".gz")) {
                assertThat(java.util.Arrays.copyOf(b, 8)).as(name).containsExactly(0x1f, 0x8b, 8, 0, 0, 0, 0, 0);
            }
        }
        assertThat(total).isLessThan(300_000);
    }

    @Test
    void writtenFilesGetTheUmaskModeOrKeepTheirs() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("demo"));
        String plain = mode(Files.createFile(dir.resolve("plain")));
        Path kept = Files.writeString(dir.resolve(DemoExample.TEST_LABELS), "old");
        Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-r-----"));
        DemoExample.writeData(dir);
        assertThat(names(dir))
                .containsExactly(
                        "plain",
                        DemoExample.TEST_IMAGES,
                        DemoExample.TEST_LABELS,
                        DemoExample.TRAIN_IMAGES,
                        DemoExample.TRAIN_LABELS);
        for (String n : names(dir)) {
            assertThat(mode(dir.resolve(n))).as(n).isEqualTo(n.equals(DemoExample.TEST_LABELS) ? "rw-r-----" : plain);
        }
        assertThat(Files.size(kept)).isGreaterThan(3);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static int[] counts(int[] labels) {
        int[] c = new int[ShapesDataset.CLASSES];
        for (int l : labels) {
            c[l]++;
        }
        return c;
    }
}
