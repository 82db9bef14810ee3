package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Datasets#count} and {@link Datasets#loadRange} (issue 13): the count of every format equals the size of the
 * whole load, a range equals the same slice of the whole load (values, labels, shape), and the data outside the range
 * is never read: files before or after it may be missing or corrupt.
 */
class DatasetRangesTest {
    @TempDir
    Path tmp;

    /** Ten 2x3 uint8 samples, sample i holding 10i + j, labelled i mod 4. */
    private Path idxImages(boolean gzip) throws IOException {
        byte[] x = new byte[60];
        for (int i = 0; i < 60; i++) {
            x[i] = (byte) (10 * (i / 6) + i % 6);
        }
        byte[] y = new byte[10];
        for (int i = 0; i < 10; i++) {
            y[i] = (byte) (i % 4);
        }
        byte[] images = TestFiles.idx(0x08, new int[] {10, 2, 3}, x);
        byte[] labels = TestFiles.idx(0x08, new int[] {10}, y);
        String suffix = gzip ? ".gz" : "";
        TestFiles.write(tmp.resolve("t-labels-idx1-ubyte" + suffix), gzip ? gzip(labels) : labels);
        return TestFiles.write(tmp.resolve("t-images-idx3-ubyte" + suffix), gzip ? gzip(images) : images);
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    /** Every range of every skip and limit: the count is the whole load's size and a range is its slice. */
    private static void assertRangesAreSlices(DatasetSpec base, int[][] skipLimits) {
        for (int[] sl : skipLimits) {
            DatasetSpec spec = base.withSkip(sl[0]).withLimit(sl[1] < 0 ? null : sl[1]);
            Dataset whole = Datasets.load(spec);
            assertThat(Datasets.count(spec)).as("%s", spec).isEqualTo(whole.size());
            for (int from = 0; from < whole.size(); from++) {
                for (int to = from + 1; to <= whole.size(); to++) {
                    assertSameSamples(Datasets.loadRange(spec, from, to), whole.slice(from, to));
                }
            }
        }
    }

    private static void assertSameSamples(Dataset range, Dataset expected) {
        assertThat(range.size()).isEqualTo(expected.size());
        assertThat(range.sampleShape()).isEqualTo(expected.sampleShape());
        assertThat(range.features()).isEqualTo(expected.features());
        assertThat(range.labels()).isEqualTo(expected.labels());
        assertThat(range.name()).isEqualTo(expected.name());
        assertThat(range.preprocessing()).isEqualTo(expected.preprocessing());
    }

    private static final int[][] SKIP_LIMITS = {{0, -1}, {3, -1}, {0, 4}, {2, 5}};

    @Test
    void idxRangesPlainAndGzip() throws IOException {
        assertRangesAreSlices(DatasetSpec.of(idxImages(false)), SKIP_LIMITS);
        assertRangesAreSlices(
                DatasetSpec.of(idxImages(true)).withPreprocessing(Preprocessing.scale(0.5f)), SKIP_LIMITS);
        Path images = idxImages(false);
        assertThat(Datasets.loadRange(DatasetSpec.of(images), 7, 9).features())
                .containsExactly(70, 71, 72, 73, 74, 75, 80, 81, 82, 83, 84, 85);
        assertThat(Datasets.loadRange(DatasetSpec.of(images), 7, 9).labels()).containsExactly(3, 0);
    }

    /** A gzip file whose compressed tail is destroyed: a range before it inflates only what it needs. */
    @Test
    void gzipRangeNeverInflatesPastItsEnd() throws IOException {
        Path images = idxImages(true);
        byte[] gz = Files.readAllBytes(images);
        // 10 samples of 6 bytes deflate to a few dozen bytes: keep the head, garble the rest and the trailer
        byte[] broken = Arrays.copyOf(gz, gz.length);
        for (int i = gz.length - 12; i < gz.length; i++) {
            broken[i] = (byte) 0xA5;
        }
        Files.write(images, broken);
        DatasetSpec spec = DatasetSpec.of(images);
        assertThatThrownBy(() -> Datasets.load(spec)).isInstanceOf(QuantaException.class);
        assertThat(Datasets.loadRange(spec, 1, 2).features()).containsExactly(10, 11, 12, 13, 14, 15);
    }

    @Test
    void numpyRangesNpyAndNpzWithOneHotLabels() throws IOException {
        float[] x = new float[8 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.25f - 1;
        }
        Path npy =
                TestFiles.write(tmp.resolve("x.npy"), TestFiles.npy(1, "<f4", false, "(8, 3)", TestFiles.floatsLE(x)));
        assertRangesAreSlices(DatasetSpec.of(npy), SKIP_LIMITS);

        double[] oneHot = new double[8 * 3];
        for (int i = 0; i < 8; i++) {
            oneHot[3 * i + (i * 2) % 3] = 1;
        }
        byte[] xs = TestFiles.npy(1, "<f4", false, "(8, 3)", TestFiles.floatsLE(x));
        byte[] ys = TestFiles.npy(1, "<f8", false, "(8, 3)", TestFiles.doublesLE(oneHot));
        Path npz = TestFiles.write(tmp.resolve("d.npz"), TestFiles.zip(false, "x.npy", xs, "y.npy", ys));
        assertRangesAreSlices(DatasetSpec.of(npz), SKIP_LIMITS);
        assertThat(Datasets.loadRange(DatasetSpec.of(npz), 4, 6).labels()).containsExactly(2, 1);

        // a bad one-hot row after the range is not read; one inside it is named by its row in the array
        oneHot[3 * 7] = 1;
        byte[] bad = TestFiles.npy(1, "<f8", false, "(8, 3)", TestFiles.doublesLE(oneHot));
        Path badNpz = TestFiles.write(tmp.resolve("bad.npz"), TestFiles.zip(false, "x.npy", xs, "y.npy", bad));
        assertThat(Datasets.loadRange(DatasetSpec.of(badNpz), 2, 5).size()).isEqualTo(3);
        assertThatThrownBy(() -> Datasets.loadRange(DatasetSpec.of(badNpz), 6, 8))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("one-hot row 7 ");
    }

    /** Six raw samples; the files of samples outside the range are deleted, and the range still loads. */
    @Test
    void rawFolderRangeOpensOnlyItsFiles() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            TestFiles.write(tmp.resolve("s" + i + ".bin"), new byte[] {(byte) i, (byte) (2 * i)});
            lines.add("s" + i + ".bin," + 3 + "," + i % 3);
        }
        TestFiles.write(tmp.resolve("y_labels.csv"), String.join("\n", lines) + "\n");
        DatasetSpec spec = DatasetSpec.of(tmp).withSampleType(SampleType.UINT8);
        assertRangesAreSlices(spec, SKIP_LIMITS);
        Files.delete(tmp.resolve("s0.bin"));
        Files.delete(tmp.resolve("s5.bin"));
        assertThatThrownBy(() -> Datasets.load(spec))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("'s0.bin' not found");
        assertThat(Datasets.count(spec)).isEqualTo(6);
        Dataset range = Datasets.loadRange(spec, 1, 5);
        assertThat(range.features()).containsExactly(1, 2, 2, 4, 3, 6, 4, 8);
        assertThat(range.labels()).containsExactly(1, 2, 0, 1);
        assertThatThrownBy(() -> Datasets.loadRange(spec, 4, 7))
                .isInstanceOf(QuantaException.class)
                .hasMessageEndingWith("samples [4, 7) are not a range of its 6");
    }

    /** Two classes of three 2x2 images; an undecodable image outside the range is never opened. */
    @Test
    void imageFolderRangeDecodesOnlyItsImages() throws IOException {
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < 3; i++) {
                BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
                for (int p = 0; p < 4; p++) {
                    img.getRaster().setSample(p % 2, p / 2, 0, 40 * c + 10 * i + p);
                }
                Path f = tmp.resolve("class" + c + "/i" + i + ".png");
                Files.createDirectories(f.getParent());
                assertThat(ImageIO.write(img, "png", f.toFile())).isTrue();
            }
        }
        DatasetSpec spec = DatasetSpec.of(tmp).withGrayscale(true);
        assertRangesAreSlices(spec, SKIP_LIMITS);
        TestFiles.write(tmp.resolve("class1/i2.png"), "not a png");
        assertThatThrownBy(() -> Datasets.load(spec)).isInstanceOf(QuantaException.class);
        assertThat(Datasets.count(spec)).isEqualTo(6);
        Dataset range = Datasets.loadRange(spec, 2, 5);
        assertThat(range.features()).containsExactly(20, 21, 22, 23, 40, 41, 42, 43, 50, 51, 52, 53);
        assertThat(range.labels()).containsExactly(0, 1, 1);
    }

    /** Windowed clips: a range (cut from the windows up to its end) equals the slice; the count sums the clips. */
    @Test
    void windowRangesAndCount() throws IOException {
        Files.write(tmp.resolve("a.bin"), TestFiles.floatsLE(0, 1, 2, 3, 4)); // windows of 2 every 1: 4
        Files.write(tmp.resolve("b.bin"), TestFiles.floatsLE(100, 101, 102, 103, 104, 105)); // every 2: 3
        Path csv = TestFiles.write(tmp.resolve("y_labels.csv"), "a.bin,2,0,8,4\nb.bin,2,1,8,8\n");
        assertRangesAreSlices(DatasetSpec.of(csv), SKIP_LIMITS);
        assertThat(Datasets.count(DatasetSpec.of(csv))).isEqualTo(7);
    }

    @Test
    void countRefusesWhatLoadRefuses() throws IOException {
        Path images = idxImages(false);
        assertThatThrownBy(() -> Datasets.count(DatasetSpec.of(images).withSkip(10)))
                .isInstanceOf(QuantaException.class)
                .hasMessageEndingWith("skipping 10 samples leaves none of its 10");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(images).withSkip(10)))
                .hasMessageEndingWith("skipping 10 samples leaves none of its 10");
        assertThatThrownBy(() -> Datasets.count(DatasetSpec.of(tmp.resolve("none.idx"))))
                .isInstanceOf(QuantaException.class)
                .hasMessageEndingWith("dataset not found");
    }
}
