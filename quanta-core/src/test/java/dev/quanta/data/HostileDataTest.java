package dev.quanta.data;

import static dev.quanta.testing.HostileFiles.concat;
import static dev.quanta.testing.HostileFiles.idxHeader;
import static dev.quanta.testing.HostileFiles.npyHeader;
import static dev.quanta.testing.HostileFiles.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quanta.QuantaException;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.HostileFiles.ZipItem;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile data (issue 8): a limit bounds what is read, declared sizes are checked against the file and the heap
 * before anything is allocated, refusals are quick one-liners naming the file, declared class counts must match the
 * model, and label errors name the labels file.
 *
 * <p>The big files are cheap: {@link HostileFiles} writes gigabytes of zeros as about a megabyte of deflate data.
 * The heap refusals assume less than 7.3 GiB of heap (the build runs tests with -Xmx6g).
 */
class HostileDataTest {
    private static final Duration QUICK = Duration.ofSeconds(2);
    private static final int N = 2_500_000;
    private static final long PIXELS = (long) N * 784;

    @TempDir
    Path tmp;

    /** The first three 28x28 samples: distinct, recognisable values. */
    private static byte[] firstSamples() {
        byte[] b = new byte[3 * 784];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    private static void assertFirstSamples(Dataset d, int... labels) {
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.sampleShape()).containsExactly(28, 28);
        assertThat(d.labels()).containsExactly(labels);
        byte[] first = firstSamples();
        float[] f = d.features();
        assertThat(f).hasSize(first.length);
        for (int i = 0; i < first.length; i++) {
            assertThat(f[i]).as("value %d", i).isEqualTo(first[i] & 0xFF);
        }
    }

    // ---- finding 4: --limit bounds what is read; sizes are checked before allocating ------------------------------

    @Test
    void limitedGzipIdxDecodesOnlyTheFirstSamplesAndUnlimitedIsRefusedByTheHeapCheck() {
        Path images = HostileFiles.gzipZeros(
                tmp.resolve("big-images-idx3-ubyte.gz"),
                concat(idxHeader(0x08, N, 28, 28), firstSamples()),
                PIXELS - 3 * 784);
        Path labels = HostileFiles.gzipZeros(
                tmp.resolve("big-labels-idx1-ubyte.gz"), concat(idxHeader(0x08, N), CoreArrays.bytes(7, 2, 1)), N - 3);
        assertThat(images.toFile().length()).isLessThan(3_000_000);
        // inflating all 1.96 GB takes several seconds: a quick answer shows that only the first samples were read
        Dataset d = assertTimeoutPreemptively(
                QUICK,
                () -> Datasets.load(DatasetSpec.of(images).withLabels(labels).withLimit(3)));
        assertFirstSamples(d, 7, 2, 1);
        assertThat(d.labelsSource()).isEqualTo(labels);

        QuantaException e = refusal(() -> Datasets.load(DatasetSpec.of(images).withLabels(labels)));
        assertThat(e.getMessage())
                .startsWith(images + ": 2,500,000 samples of 28x28 need 7.3 GiB as float32, more than the ")
                .endsWith(" of heap available; use a sample limit");
    }

    @Test
    void limitedNpzDecodesOnlyTheFirstSamplesOfBothArrays() {
        Path npz = HostileFiles.zip(
                tmp.resolve("big.npz"),
                ZipItem.deflated(
                        "x.npy",
                        HostileFiles.deflate(
                                concat(npyHeader("|u1", "(2500000, 28, 28)"), firstSamples()),
                                0,
                                PIXELS - 3 * 784,
                                new byte[0])),
                ZipItem.deflated(
                        "y.npy",
                        HostileFiles.deflate(
                                concat(npyHeader("|u1", "(2500000,)"), CoreArrays.bytes(4, 0, 9)),
                                0,
                                N - 3,
                                new byte[0])));
        assertThat(npz.toFile().length()).isLessThan(3_000_000);
        Dataset d = assertTimeoutPreemptively(
                QUICK, () -> Datasets.load(DatasetSpec.of(npz).withLimit(3)));
        assertFirstSamples(d, 4, 0, 9);
        assertThat(d.name()).isEqualTo("big.npz[x]");
        assertThat(d.labelsSource()).isEqualTo(npz);
        assertThat(d.labelsArray()).isEqualTo("y");

        QuantaException e = refusal(() -> Datasets.load(DatasetSpec.of(npz)));
        assertThat(e.getMessage())
                .startsWith(npz + ": array 'x': 2,500,000 samples of 28x28 need 7.3 GiB as float32, more than the ")
                .endsWith(" of heap available; use a sample limit");
    }

    @Test
    void limitedNpyAndRawIdxReadOnlyTheFirstSamples() {
        int n = 1000;
        byte[] rest = new byte[(n - 3) * 784];
        Path npy = HostileFiles.write(tmp.resolve("x.npy"), npyHeader("|u1", "(1000, 28, 28)"), firstSamples(), rest);
        Path y = HostileFiles.write(
                tmp.resolve("y.npy"),
                npyHeader("<i8", "(1000,)"),
                TestFiles.buffer(8 * n, false).putLong(3).putLong(1).putLong(8).array());
        assertFirstSamples(Datasets.load(DatasetSpec.of(npy).withLabels(y).withLimit(3)), 3, 1, 8);
        Path idx = HostileFiles.write(
                tmp.resolve("x-images-idx3-ubyte"), idxHeader(0x08, n, 28, 28), firstSamples(), rest);
        Path idxLabels = HostileFiles.write(
                tmp.resolve("x-labels-idx1-ubyte"), idxHeader(0x08, n), CoreArrays.bytes(5, 5, 6), new byte[n - 3]);
        Dataset d = Datasets.load(DatasetSpec.of(idx).withLimit(3));
        assertFirstSamples(d, 5, 5, 6);
        assertThat(d.labelsSource()).isEqualTo(idxLabels);
    }

    @Test
    void headersImpossibleForTheFileAreRefusedEvenWithALimit() {
        Path npy = HostileFiles.write(tmp.resolve("claims.npy"), npyHeader("|u1", "(2500000, 28, 28)"), new byte[10]);
        assertThat(refusal(() -> Datasets.load(DatasetSpec.of(npy).withLimit(1))))
                .hasMessage(npy
                        + ": truncated: shape (2500000, 28, 28) |u1 needs 1960000000 data bytes from "
                        + "offset 128, found 10");

        Path npz = HostileFiles.zip(
                tmp.resolve("claims.npz"),
                ZipItem.stored("x.npy", concat(npyHeader("|u1", "(2500000, 28, 28)"), new byte[10])));
        assertThat(refusal(() -> Datasets.load(DatasetSpec.of(npz).withLimit(1))))
                .hasMessage(npz + ": array 'x': "
                        + "truncated: shape (2500000, 28, 28) |u1 needs 1960000000 data bytes from "
                        + "offset 128, found 10");

        // an archive whose directory declares far more than its compressed entry can hold
        HostileFiles.Deflated small = HostileFiles.deflate(npyHeader("|u1", "(2500000, 28, 28)"), 0, 100, new byte[0]);
        Path lying = HostileFiles.zip(
                tmp.resolve("lying.npz"), ZipItem.deflated("x.npy", small).declaring(1_960_000_128L));
        assertThat(refusal(() -> Datasets.load(DatasetSpec.of(lying).withLimit(1)))
                        .getMessage())
                .startsWith(lying + ": array 'x': entry x.npy declares 1,960,000,128 bytes, more than its "
                        + small.data().length + " deflated bytes can hold (at most ");

        Path idx = HostileFiles.write(
                tmp.resolve("claims-images-idx3-ubyte"), idxHeader(0x08, Integer.MAX_VALUE, 28, 28), new byte[100]);
        assertThat(refusal(() -> Datasets.load(DatasetSpec.of(idx).withLimit(5))))
                .hasMessage(idx
                        + ": truncated: header declares 2147483647x28x28 uint8 = 1683627179248 data bytes from "
                        + "offset 16, "
                        + "found 100");

        // claimed sizes whose product overflows a long do not wrap around
        Path overflow = HostileFiles.write(
                tmp.resolve("overflow.idx"),
                idxHeader(0x08, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 4),
                new byte[16]);
        assertThat(refusal(() -> IdxReader.load(overflow, null, null)).getMessage())
                .startsWith(overflow + ": truncated: header declares 2147483647x2147483647x2147483647x4 uint8 = ");
    }

    @Test
    void gzipIdxThatDoesNotMatchItsTrailerIsInflatedOnceWithoutStoring() {
        // a complete gzip stream whose content is shorter than its header claims: the trailer disagrees with the
        // header, and the data is inflated (not stored) to report what is wrong
        byte[] noise = new byte[10 * 784];
        new SplittableRandom(8).nextBytes(noise);
        Path shortGz = TestFiles.write(
                tmp.resolve("short.gz"), HostileFiles.gzipBytes(concat(idxHeader(0x08, 1000, 28, 28), noise)));
        assertThat(refusal(() -> IdxReader.load(shortGz, null, null)))
                .hasMessage(shortGz + ": truncated: header "
                        + "declares 1000x28x28 uint8 = 784000 data bytes from offset 16, found 7840 (after gzip "
                        + "decompression)");
        // two gzip members (as `cat a.gz b.gz` makes): the last trailer covers only the second member, yet it loads
        byte[] header = idxHeader(0x08, 2, 2);
        Path twoMembers = TestFiles.write(
                tmp.resolve("two.gz"),
                concat(HostileFiles.gzipBytes(header), HostileFiles.gzipBytes(CoreArrays.bytes(9, 8, 7, 6))));
        assertThat(IdxReader.load(twoMembers, null, null).features()).containsExactly(9, 8, 7, 6);
    }

    // ---- finding 9: refusals are quick and cheap ----------------------------------------------------------------

    @Test
    void gzipIdxClaimingTwoBillionImagesIsRefusedAtOnce() {
        // a gzip bomb: 1 GiB of zeros in about a megabyte, under a header that claims 2^31-1 images
        Path bomb = HostileFiles.gzipZeros(
                tmp.resolve("bomb-images-idx3-ubyte.gz"), idxHeader(0x08, Integer.MAX_VALUE, 28, 28), 1L << 30);
        long size = bomb.toFile().length();
        assertThat(refusal(() -> Datasets.load(DatasetSpec.of(bomb))))
                .hasMessage(bomb + ": header declares "
                        + "2147483647x28x28 uint8 = 1683627179248 data bytes from offset 16, but a gzip file of "
                        + DataIo.count(size) + " bytes inflates to at most " + DataIo.count(1032 * size) + " bytes");
        Path labels = HostileFiles.gzipZeros(
                tmp.resolve("bomb-labels-idx1-ubyte.gz"), idxHeader(0x08, Integer.MAX_VALUE), 1L << 30);
        assertThat(refusal(() -> IdxReader.readLabels(labels)).getMessage())
                .startsWith(labels + ": header declares 2147483647 uint8 = 2147483647 data bytes from offset 8, but a "
                        + "gzip file of ");
    }

    @Test
    void npyHeadersThatAreHugeOrDeeplyNestedAreRefused() {
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0x20, 0};
        Path big = HostileFiles.write(tmp.resolve("big-header.npy"), prefix, new byte[(2 << 20) + 16]);
        assertThat(refusal(() -> NpyReader.read(big)))
                .hasMessage(big + ": header of 2,097,152 bytes at offset 12 is "
                        + "larger than the 1,048,576 a .npy header may have");
        String nested =
                "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(5000) + "1" + ")".repeat(5000) + "}";
        Path deep = TestFiles.write(tmp.resolve("deep.npy"), TestFiles.npyRaw(1, nested, new byte[0]));
        assertThat(refusal(() -> NpyReader.read(deep)).getMessage())
                .startsWith(deep + ": malformed header at offset 10: more than 32 nested brackets");
    }

    // ---- finding 7: declared class counts must match the model ---------------------------------------------------

    @Test
    void oneHotWidthMustEqualTheModelsClassCount() {
        byte[] x = TestFiles.npy(1, "<f4", false, "(2,)", TestFiles.floatsLE(1, 2));
        byte[] y = TestFiles.npy(
                1,
                "|u1",
                false,
                "(2, 12)",
                CoreArrays.bytes(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0));
        Path z = TestFiles.write(tmp.resolve("onehot.npz"), TestFiles.zip(false, "x.npy", x, "y.npy", y));
        Dataset d = Datasets.load(DatasetSpec.of(z).withNumpy(null, null, LabelFormat.ONE_HOT));
        assertThat(d.labels()).containsExactly(0, 3);
        d.validateLabels(12, null);
        assertThat(refusal(() -> d.validateLabels(10, null)))
                .hasMessage(z + ": array 'y': one-hot labels are 12 wide but the model has 10 classes");

        Path yFile = TestFiles.write(tmp.resolve("y.npy"), y);
        Path xFile = TestFiles.write(tmp.resolve("x.npy"), x);
        Dataset separate = NumpyDatasets.load(xFile, null, null, yFile, null, null);
        assertThat(refusal(() -> separate.validateLabels(10, null)))
                .hasMessage(yFile + ": one-hot labels are 12 wide but the model has 10 classes");
    }

    @Test
    void csvClassCountMustEqualTheModelsClassCount() {
        Path dir = tmp.resolve("raw");
        TestFiles.write(dir.resolve("a.bin"), CoreArrays.bytes(1, 2));
        TestFiles.write(dir.resolve("b.bin"), CoreArrays.bytes(3, 4));
        Path csv = TestFiles.write(dir.resolve("y_labels.csv"), "a.bin,12,3\nb.bin,12,0\n");
        Dataset d = Datasets.load(DatasetSpec.of(dir).withSamples(SampleType.UINT8, 2));
        assertThat(d.labels()).containsExactly(3, 0);
        assertThat(d.labelsSource()).isEqualTo(csv);
        d.validateLabels(12, null);
        assertThat(refusal(() -> d.validateLabels(10, null)))
                .hasMessage(csv + ": declares 12 classes (the count column) but the model has 10 classes");
    }

    @Test
    void imageFoldersMustNotHaveMoreClassesThanTheModel() throws IOException {
        for (String c : new String[] {"a", "b", "c"}) {
            Path f = tmp.resolve("img").resolve(c).resolve("0.png");
            Files.createDirectories(f.getParent());
            ImageIO.write(new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY), "png", f.toFile());
        }
        Path root = tmp.resolve("img");
        // only the first image (class 0) is loaded, so no label is out of range: the folders are what is wrong
        Dataset d = Datasets.load(DatasetSpec.of(root).withLimit(1));
        assertThat(d.labels()).containsExactly(0);
        d.validateLabels(3, null);
        d.validateLabels(4, null);
        assertThat(refusal(() -> d.validateLabels(2, null)))
                .hasMessage(root + ": 3 class folders but the model has only 2 classes");
    }

    // ---- finding 8: label errors name the file the labels came from ----------------------------------------------

    @Test
    void outOfRangeLabelsNameTheLabelsFile() {
        Path images = TestFiles.write(
                tmp.resolve("t-images-idx3-ubyte"), TestFiles.idx(0x08, new int[] {3, 1}, CoreArrays.bytes(1, 2, 3)));
        Path labels = TestFiles.write(
                tmp.resolve("t-labels-idx1-ubyte"), TestFiles.idx(0x08, new int[] {3}, CoreArrays.bytes(1, 12, 3)));
        Dataset d = Datasets.load(DatasetSpec.of(images));
        assertThat(d.source()).isEqualTo(images);
        assertThat(d.labelsSource()).isEqualTo(labels);
        assertThat(refusal(() -> d.validateLabels(10, null)))
                .hasMessage(labels + ": label 12 at sample 1 is out of range for a model with 10 classes");
        assertThat(refusal(() -> d.limit(2).validateLabels(10, null)))
                .hasMessage(labels + ": label 12 at sample 1 is out of range for a model with 10 classes");

        byte[] x = TestFiles.npy(1, "<f4", false, "(2,)", TestFiles.floatsLE(1, 2));
        byte[] y = TestFiles.npy(1, "|u1", false, "(2,)", CoreArrays.bytes(0, 11));
        Path z = TestFiles.write(tmp.resolve("d.npz"), TestFiles.zip(true, "x.npy", x, "labels.npy", y));
        Dataset n = Datasets.load(DatasetSpec.of(z));
        assertThat(refusal(() -> n.validateLabels(10, null)))
                .hasMessage(z + ": array 'labels': label 11 at sample 1 is out of range for a model with 10 classes");

        Path dir = tmp.resolve("raw");
        TestFiles.write(dir.resolve("a.bin"), CoreArrays.bytes(1));
        Path csv = TestFiles.write(dir.resolve("labels.csv"), "a.bin,10\n");
        Dataset r = Datasets.load(DatasetSpec.of(dir).withLabels(csv).withSamples(SampleType.UINT8, 1));
        assertThat(refusal(() -> r.validateLabels(10, null)))
                .hasMessage(csv + ": label 10 at sample 0 is out of range for a model with 10 classes");
    }
}
