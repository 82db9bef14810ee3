package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NumpyDatasetsTest {
    @TempDir
    Path tmp;

    @Test
    @UsesFixtures
    void swwCalibrationNpzWithFloatLabels() {
        Path file = Fixtures.require("mlperf-tiny/sww/calibration_samples.npz");
        Dataset d = NumpyDatasets.load(file, Preprocessing.identity());
        assertThat(d.name()).isEqualTo("calibration_samples.npz[specs]");
        assertThat(d.size()).isEqualTo(45);
        assertThat(d.sampleShape()).containsExactly(30, 1, 40);
        assertThat(d.numClasses()).isEqualTo(3);
        assertThat(d.labels()).startsWith(2, 2).endsWith(1, 1);
        assertThat(TestFiles.counts(d.labels(), 3)).containsExactly(15, 15, 15);
        assertThat(d.label(15)).isZero();
        assertThat(d.sample(0)[10 * 40 + 5]).isEqualTo(0.003549933433532715f);
        assertThat(TestFiles.max(d.features())).isEqualTo(0.9437658786773682f);
        double sum0 = 0;
        for (float v : d.sample(0)) {
            sum0 += v;
        }
        assertThat(sum0).isCloseTo(99.7465, org.assertj.core.data.Offset.offset(1e-3));
        d.validateLabels(3, file);
        assertThatThrownBy(() -> d.validateLabels(2, file))
                .hasMessage(file + ": label 2 at sample 0 is out of range for a model with 2 classes");
    }

    @Test
    @UsesFixtures
    void explicitKeysAndScaling() {
        Path file = Fixtures.require("mlperf-tiny/sww/calibration_samples.npz");
        Dataset d = NumpyDatasets.load(file, "specs", "labels", null, LabelFormat.INDEX, Preprocessing.scale(2f));
        assertThat(TestFiles.max(d.features())).isEqualTo(2 * 0.9437658786773682f);
        assertThatThrownBy(() -> NumpyDatasets.load(file, "images", null, null, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(file + ": no feature array 'images' in the archive; it holds [specs, labels]");
        assertThatThrownBy(() -> NumpyDatasets.load(file, null, "labels", null, LabelFormat.ONE_HOT, null))
                .hasMessage(file + ": array 'labels': one-hot labels must have shape (N, classes), found (45,)");
    }

    @Test
    void npyFeaturesWithSeparateLabels() {
        Path x = TestFiles.write(
                tmp.resolve("x.npy"),
                TestFiles.npy(1, "|u1", false, "(3, 2)", CoreArrays.bytes(0, 255, 10, 20, 30, 40)));
        Path y = TestFiles.write(
                tmp.resolve("y.npy"),
                TestFiles.npy(
                        1,
                        "<i8",
                        false,
                        "(3,)",
                        TestFiles.buffer(24, false)
                                .putLong(1)
                                .putLong(0)
                                .putLong(4)
                                .array()));
        Dataset d = NumpyDatasets.load(
                x, null, null, y, null, Preprocessing.scale(1 / 255f).withReshape(2, 1));
        assertThat(d.sampleShape()).containsExactly(2, 1);
        assertThat(d.labels()).containsExactly(1, 0, 4);
        assertThat(d.features()[1]).isEqualTo(1f);
        assertThat(d.name()).isEqualTo("x.npy");
        Dataset unlabelled = NumpyDatasets.load(x, null);
        assertThat(unlabelled.hasLabels()).isFalse();
        Path y2 =
                TestFiles.write(tmp.resolve("y2.npy"), TestFiles.npy(1, "|u1", false, "(2,)", CoreArrays.bytes(0, 1)));
        assertThatThrownBy(() -> NumpyDatasets.load(x, null, null, y2, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(y2 + ": has 2 labels but x.npy has 3 samples");
    }

    @Test
    void oneHotLabelsInNpz() {
        byte[] x = TestFiles.npy(1, "<f4", false, "(3,)", TestFiles.floatsLE(1, 2, 3));
        byte[] y = TestFiles.npy(1, "<f4", false, "(3, 4)", TestFiles.floatsLE(0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1));
        Path z = TestFiles.write(tmp.resolve("d.npz"), TestFiles.zip(false, "x_test.npy", x, "y_test.npy", y));
        Dataset d = NumpyDatasets.load(z, null);
        assertThat(d.sampleShape()).containsExactly(1);
        assertThat(d.labels()).containsExactly(2, 0, 3);
        assertThat(d.numClasses()).isEqualTo(4);
    }

    @Test
    void invalidOneHotRowsAreNamed() {
        byte[] x = TestFiles.npy(1, "<f4", false, "(3,)", TestFiles.floatsLE(1, 2, 3));
        byte[] twoOnes = TestFiles.npy(1, "|u1", false, "(3, 3)", CoreArrays.bytes(1, 0, 0, 0, 1, 1, 0, 0, 1));
        Path z = TestFiles.write(tmp.resolve("a.npz"), TestFiles.zip(true, "x.npy", x, "y.npy", twoOnes));
        assertThatThrownBy(() -> NumpyDatasets.load(z, null, null, null, LabelFormat.ONE_HOT, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(z
                        + ": array 'y': one-hot row 1 is not a one-hot vector: expected exactly one 1 "
                        + "in 3 columns, found 2");
        byte[] none = TestFiles.npy(1, "|u1", false, "(3, 2)", CoreArrays.bytes(1, 0, 0, 1, 0, 0));
        Path z2 = TestFiles.write(tmp.resolve("b.npz"), TestFiles.zip(true, "x.npy", x, "y.npy", none));
        assertThatThrownBy(() -> NumpyDatasets.load(z2, null))
                .hasMessageEndingWith(
                        "one-hot row 2 is not a one-hot vector: expected exactly one 1 in 2 columns, found 0");
        byte[] soft = TestFiles.npy(1, "<f4", false, "(3, 2)", TestFiles.floatsLE(1, 0, 0.9f, 0.1f, 0, 1));
        Path z3 = TestFiles.write(tmp.resolve("c.npz"), TestFiles.zip(true, "x.npy", x, "y.npy", soft));
        assertThatThrownBy(() -> NumpyDatasets.load(z3, null))
                .hasMessageEndingWith(
                        "one-hot row 1 is not a one-hot vector: column 0 holds 0.8999999761581421 (expected 0 or 1)");
    }

    @Test
    void nonIntegerIndexLabels() {
        byte[] x = TestFiles.npy(1, "<f4", false, "(2,)", TestFiles.floatsLE(1, 2));
        byte[] y = TestFiles.npy(1, "<f8", false, "(2, 1)", TestFiles.doublesLE(3, 2.5));
        Path z = TestFiles.write(tmp.resolve("n.npz"), TestFiles.zip(false, "data.npy", x, "labels.npy", y));
        assertThatThrownBy(() -> NumpyDatasets.load(z, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(z + ": array 'labels': label 2.5 at sample 1 is not an integer");
    }

    @Test
    void defaultKeysFallBackToFirstArray() {
        byte[] a = TestFiles.npy(1, "<f4", false, "(2, 2)", TestFiles.floatsLE(1, 2, 3, 4));
        Path z = TestFiles.write(tmp.resolve("f.npz"), TestFiles.zip(false, "arr_0.npy", a));
        Dataset d = NumpyDatasets.load(z, null);
        assertThat(d.name()).isEqualTo("f.npz[arr_0]");
        assertThat(d.hasLabels()).isFalse();
        assertThat(d.sampleShape()).containsExactly(2);
    }

    @Test
    void labelsFromSeparateNpz() {
        Path x =
                TestFiles.write(tmp.resolve("x.npy"), TestFiles.npy(1, "<f4", false, "(2,)", TestFiles.floatsLE(1, 2)));
        Path yz = TestFiles.write(
                tmp.resolve("y.npz"),
                TestFiles.zip(false, "y.npy", TestFiles.npy(1, "|u1", false, "(2,)", CoreArrays.bytes(1, 0))));
        assertThat(NumpyDatasets.load(x, null, null, yz, null, null).labels()).containsExactly(1, 0);
    }
}
