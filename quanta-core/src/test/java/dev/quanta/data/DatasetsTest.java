package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path tmp;

    @Test
    @UsesFixtures
    void idxAutoDetectedWithSiblingLabelsAndLimit() {
        Path images = Fixtures.require("mnist/t10k-images-idx3-ubyte.gz");
        assertThat(Datasets.detectFormat(images, null)).isEqualTo(Datasets.IDX);
        assertThat(Datasets.idxLabelsSibling(images)).isEqualTo(images.resolveSibling("t10k-labels-idx1-ubyte.gz"));
        Dataset d = Datasets.load(DatasetSpec.of(images)
                .withLimit(100)
                .withPreprocessing(Preprocessing.scale(1 / 255f).withReshape(784)));
        assertThat(d.size()).isEqualTo(100);
        assertThat(d.sampleShape()).containsExactly(784);
        assertThat(d.label(0)).isEqualTo(7);
        assertThat(d.numClasses()).isEqualTo(10);
    }

    @Test
    void rawIdxWithoutSiblingIsUnlabelled() {
        Path x = TestFiles.write(
                tmp.resolve("train-images-idx3-ubyte"),
                TestFiles.idx(0x08, new int[] {2, 1, 1}, CoreArrays.bytes(1, 2)));
        assertThat(Datasets.detectFormat(x, null)).isEqualTo(Datasets.IDX);
        assertThat(Datasets.load(DatasetSpec.of(x)).hasLabels()).isFalse();
        TestFiles.write(
                tmp.resolve("train-labels-idx1-ubyte"), TestFiles.idx(0x08, new int[] {2}, CoreArrays.bytes(3, 1)));
        assertThat(Datasets.load(DatasetSpec.of(x)).labels()).containsExactly(3, 1);
    }

    /** Skip leaves out the first samples and their labels; a limit counts from the first sample kept. */
    @Test
    void skipLeavesOutTheFirstSamples() {
        Path x = TestFiles.write(
                tmp.resolve("skip-images-idx3-ubyte"),
                TestFiles.idx(0x08, new int[] {6, 1, 1}, CoreArrays.bytes(10, 11, 12, 13, 14, 15)));
        TestFiles.write(
                tmp.resolve("skip-labels-idx1-ubyte"),
                TestFiles.idx(0x08, new int[] {6}, CoreArrays.bytes(0, 1, 2, 3, 4, 5)));
        Dataset rest = Datasets.load(DatasetSpec.of(x).withSkip(4));
        assertThat(rest.features()).containsExactly(14f, 15f);
        assertThat(rest.labels()).containsExactly(4, 5);
        Dataset middle = Datasets.load(DatasetSpec.of(x).withSkip(2).withLimit(3));
        assertThat(middle.features()).containsExactly(12f, 13f, 14f);
        assertThat(middle.labels()).containsExactly(2, 3, 4);
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(x).withSkip(6)))
                .isInstanceOf(QuantaException.class)
                .hasMessage(x + ": skipping 6 samples leaves none of its 6");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(x).withSkip(-1)))
                .isInstanceOf(QuantaException.class)
                .hasMessage(x + ": the samples to skip must be 0 or more, found -1");
    }

    @Test
    @UsesFixtures
    void rawFoldersAutoDetected() {
        Path ic = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        assertThat(Datasets.detectFormat(ic, null)).isEqualTo(Datasets.RAW);
        Dataset d = Datasets.load(
                DatasetSpec.of(ic).withSamples(SampleType.UINT8, 32, 32, 3).withLimit(10));
        assertThat(d.size()).isEqualTo(10);
        assertThat(d.label(0)).isEqualTo(7);
        assertThat(d.numClasses()).isEqualTo(10);
        Path kws = Fixtures.require("mlperf-tiny/kws/kws01_mfcc");
        Dataset k = Datasets.load(DatasetSpec.of(kws)
                .withLabels(kws.resolve("y_labels.csv"))
                .withFormat("raw")
                .withSamples(SampleType.parse("int8"), 49, 10, 1));
        assertThat(k.size()).isEqualTo(1000);
        assertThat(k.sampleShape()).containsExactly(49, 10, 1);
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(kws)))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("raw samples need a sample type");
    }

    @Test
    @UsesFixtures
    void numpyAutoDetected() {
        Path npz = Fixtures.require("mlperf-tiny/sww/calibration_samples.npz");
        assertThat(Datasets.detectFormat(npz, null)).isEqualTo(Datasets.NUMPY);
        Dataset d = Datasets.load(DatasetSpec.of(npz).withNumpy("specs", "labels", LabelFormat.INDEX));
        assertThat(d.size()).isEqualTo(45);
        assertThat(d.numClasses()).isEqualTo(3);
        Path npy =
                TestFiles.write(tmp.resolve("noext"), TestFiles.npy(1, "<f4", false, "(2,)", TestFiles.floatsLE(1, 2)));
        assertThat(Datasets.detectFormat(npy, null)).isEqualTo(Datasets.NUMPY);
    }

    @Test
    void imagesAutoDetectedWithShapeFromSpec() throws IOException {
        Files.createDirectories(tmp.resolve("zero"));
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(1, 1, 0, 200);
        ImageIO.write(img, "png", tmp.resolve("zero/a.png").toFile());
        assertThat(Datasets.detectFormat(tmp, null)).isEqualTo(Datasets.IMAGES);
        Dataset d = Datasets.load(DatasetSpec.of(tmp).withSamples(null, 2, 2, 1));
        assertThat(d.sampleShape()).containsExactly(2, 2, 1);
        assertThat(d.features()).containsExactly(0, 0, 0, 200);
        Dataset rgb = Datasets.load(DatasetSpec.of(tmp).withFormat("images"));
        assertThat(rgb.sampleShape()).containsExactly(2, 2, 3);
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(tmp).withSamples(null, 3, 3)))
                .hasMessageContaining("image is 2x2 (width x height), expected 3x3");
        assertThatThrownBy(() -> Datasets.load(
                        DatasetSpec.of(tmp).withSamples(null, 2, 2, 3).withGrayscale(true)))
                .hasMessageContaining("grayscale was requested but the sample shape has 3 channels");
    }

    @Test
    void errors() throws IOException {
        Path missing = tmp.resolve("missing.npz");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(missing)))
                .isInstanceOf(QuantaException.class)
                .hasMessage(missing + ": dataset not found");
        Path text = TestFiles.write(tmp.resolve("data.csv"), "a,b\n");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(text)))
                .hasMessage(text + ": unrecognised data file (first bytes 0x612c620a); expected IDX (optionally gzip), "
                        + ".npy or .npz; give the format");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(text).withFormat("tfrecord")))
                .hasMessage("unknown dataset format 'tfrecord'; expected idx, numpy, raw, windows or images");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(empty)))
                .hasMessageContaining(
                        "cannot tell the dataset format: the folder has no y_labels.csv and no class subfolders");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(text).withLimit(0)))
                .hasMessageContaining("limit must be at least 1");
    }

    @Test
    void specValueSemantics() {
        DatasetSpec a =
                DatasetSpec.of(Path.of("d")).withSamples(SampleType.UINT8, 1, 2).withLimit(3);
        DatasetSpec b =
                DatasetSpec.of(Path.of("d")).withSamples(SampleType.UINT8, 1, 2).withLimit(3);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.toString()).contains("sampleShape=[1, 2]", "limit=3");
        assertThat(a.withGrayscale(true)).isNotEqualTo(a);
        assertThat(Datasets.normalizeFormat("NPZ")).isEqualTo(Datasets.NUMPY);
        assertThat(Datasets.normalizeFormat("mlperf")).isEqualTo(Datasets.RAW);
    }
}
