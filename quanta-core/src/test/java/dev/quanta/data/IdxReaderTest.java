package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.UsesFixtures;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path tmp;

    @Test
    @UsesFixtures
    void mnistTestSet() {
        Path images = Fixtures.require("mnist/t10k-images-idx3-ubyte.gz");
        Path labels = Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz");
        Dataset d = IdxReader.load(images, labels, Preprocessing.scale(1 / 255f));
        assertThat(d.size()).isEqualTo(10000);
        assertThat(d.sampleShape()).containsExactly(28, 28);
        assertThat(d.sampleSize()).isEqualTo(784);
        assertThat(d.numClasses()).isEqualTo(10);
        assertThat(d.label(0)).isEqualTo(7);
        assertThat(d.labels()).startsWith(7, 2, 1, 0, 4, 1, 4, 9, 5, 9);
        assertThat(TestFiles.counts(d.labels(), 10))
                .containsExactly(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009);
        assertThat(TestFiles.max(d.features())).isEqualTo(1.0f);
        assertThat(d.name()).isEqualTo("t10k-images-idx3-ubyte.gz");
        // row 7 of the first digit, columns 6..9: 84 185 159 151
        float[] first = d.sample(0);
        assertThat(first[7 * 28 + 6]).isEqualTo(84 * (1 / 255f));
        assertThat(first[7 * 28 + 7] * 255f).isCloseTo(185f, org.assertj.core.data.Offset.offset(1e-4f));
        double sum = 0;
        for (float v : first) {
            sum += v * 255.0;
        }
        assertThat(sum).isCloseTo(18454.0, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    @UsesFixtures
    void mnistReshapedToFlatAndChannelsLast() {
        Path images = Fixtures.require("mnist/t10k-images-idx3-ubyte.gz");
        Dataset flat = IdxReader.load(images, null, Preprocessing.identity().withReshape(784));
        assertThat(flat.sampleShape()).containsExactly(784);
        assertThat(flat.hasLabels()).isFalse();
        assertThat(TestFiles.max(flat.features())).isEqualTo(255f);
        Dataset hwc = IdxReader.load(images, null, Preprocessing.identity().withReshape(28, 28, 1));
        assertThat(hwc.sampleShape()).containsExactly(28, 28, 1);
    }

    @Test
    @UsesFixtures
    void fashionMnistHasThousandPerClass() {
        Dataset d = IdxReader.load(
                Fixtures.require("fashion-mnist/t10k-images-idx3-ubyte.gz"),
                Fixtures.require("fashion-mnist/t10k-labels-idx1-ubyte.gz"),
                null);
        assertThat(d.size()).isEqualTo(10000);
        assertThat(TestFiles.counts(d.labels(), 10)).containsOnly(1000);
        assertThat(d.labels()).startsWith(9, 2, 1, 1, 6);
    }

    @Test
    void rawIdxOfOtherTypesBigEndian() {
        ByteBuffer shorts = ByteBuffer.allocate(8)
                .putShort((short) -300)
                .putShort((short) 2)
                .putShort((short) 7)
                .putShort((short) 32767);
        Path x = TestFiles.write(tmp.resolve("x.idx"), TestFiles.idx(0x0B, new int[] {2, 2}, shorts.array()));
        ByteBuffer ylabels = ByteBuffer.allocate(8).putInt(4).putInt(1);
        Path y = TestFiles.write(tmp.resolve("y.idx"), TestFiles.idx(0x0C, new int[] {2}, ylabels.array()));
        Dataset d = IdxReader.load(x, y, Preprocessing.scale(2f).withOffset(1f));
        assertThat(d.features()).containsExactly(-599f, 5f, 15f, 65535f);
        assertThat(d.labels()).containsExactly(4, 1);
        assertThat(d.numClasses()).isEqualTo(5);

        ByteBuffer floats = ByteBuffer.allocate(12).putFloat(0.5f).putFloat(-1f).putFloat(3e-3f);
        Path f = TestFiles.write(tmp.resolve("f.idx"), TestFiles.idx(0x0D, new int[] {3}, floats.array()));
        assertThat(IdxReader.load(f, null, null).features()).containsExactly(0.5f, -1f, 3e-3f);
        ByteBuffer doubles = ByteBuffer.allocate(16).putDouble(2.0).putDouble(-0.25);
        Path dd = TestFiles.write(tmp.resolve("d.idx"), TestFiles.idx(0x0E, new int[] {1, 2}, doubles.array()));
        assertThat(IdxReader.load(dd, null, null).features()).containsExactly(2f, -0.25f);
        Path sb =
                TestFiles.write(tmp.resolve("s.idx"), TestFiles.idx(0x09, new int[] {2, 1}, CoreArrays.bytes(-5, 127)));
        assertThat(IdxReader.load(sb, null, null).features()).containsExactly(-5f, 127f);
    }

    @Test
    void gzipIsDetectedByMagicNotName() {
        byte[] idx = TestFiles.idx(0x08, new int[] {2, 3}, CoreArrays.bytes(1, 2, 3, 4, 5, 255));
        Path x = TestFiles.write(tmp.resolve("images.idx"), HostileFiles.gzipBytes(idx));
        Dataset d = IdxReader.load(x, null, null);
        assertThat(d.features()).containsExactly(1, 2, 3, 4, 5, 255);
        assertThat(d.sampleShape()).containsExactly(3);
    }

    @Test
    @UsesFixtures
    void truncatedGzipIsReported() {
        Path src = Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz");
        Path cut = TestFiles.truncatedCopy(src, tmp.resolve("t10k-labels-idx1-ubyte.gz"), 2000);
        assertThatThrownBy(() -> IdxReader.readLabels(cut))
                .isInstanceOf(QuantaException.class)
                .hasMessage(cut + ": truncated gzip data (2000 compressed bytes end before the end of the stream)");
    }

    @Test
    void truncatedDataIsReportedWithOffsets() {
        byte[] idx = TestFiles.idx(0x08, new int[] {3, 2, 2}, new byte[12]);
        Path cut = TestFiles.write(tmp.resolve("cut.idx"), java.util.Arrays.copyOf(idx, idx.length - 5));
        assertThatThrownBy(() -> IdxReader.load(cut, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(cut + ": truncated: header declares 3x2x2 uint8 = 12 data bytes from offset 16, found 7");
        Path gz = TestFiles.write(tmp.resolve("cut.gz"), HostileFiles.gzipBytes(java.util.Arrays.copyOf(idx, 10)));
        assertThatThrownBy(() -> IdxReader.load(gz, null, null))
                .hasMessage(gz + ": truncated header: 3 dimensions need 16 bytes, found 10 (after gzip decompression)");
        Path extra = TestFiles.write(tmp.resolve("extra.idx"), java.util.Arrays.copyOf(idx, idx.length + 1));
        assertThatThrownBy(() -> IdxReader.load(extra, null, null))
                .hasMessageContaining("but 13 bytes follow (trailing data)");
    }

    @Test
    @UsesFixtures
    void badMagicAndWrongKindOfFile() {
        Path bad = TestFiles.write(tmp.resolve("bad.idx"), CoreArrays.bytes(0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0));
        assertThatThrownBy(() -> IdxReader.load(bad, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(bad + ": bad magic 0x12340801 at offset 0: expected an IDX header");
        Path badType = TestFiles.write(tmp.resolve("t.idx"), CoreArrays.bytes(0, 0, 0x07, 0x01, 0, 0, 0, 0));
        assertThatThrownBy(() -> IdxReader.load(badType, null, null)).hasMessageContaining("bad magic 0x00000701");
        Path images = Fixtures.require("mnist/t10k-images-idx3-ubyte.gz");
        assertThatThrownBy(() -> IdxReader.readLabels(images))
                .isInstanceOf(QuantaException.class)
                .hasMessage(images + ": expected a 1-D IDX label file (magic 0x00000801), found magic 0x00000803 "
                        + "(3-D, 10000x28x28); are images and labels swapped?");
        Path tiny = TestFiles.write(tmp.resolve("tiny.idx"), CoreArrays.bytes(0, 0));
        assertThatThrownBy(() -> IdxReader.load(tiny, null, null)).hasMessageContaining("needs at least 4");
    }

    @Test
    void missingFileAndCountMismatch() {
        Path missing = tmp.resolve("nope-images-idx3-ubyte.gz");
        assertThatThrownBy(() -> IdxReader.load(missing, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(missing + ": IDX images file not found");
        assertThatThrownBy(() -> IdxReader.load(tmp, null, null))
                .hasMessage(tmp + ": is a directory; expected the IDX images file");
        Path x = TestFiles.write(tmp.resolve("x.idx"), TestFiles.idx(0x08, new int[] {3, 1}, new byte[3]));
        Path y = TestFiles.write(tmp.resolve("y.idx"), TestFiles.idx(0x08, new int[] {2}, new byte[2]));
        assertThatThrownBy(() -> IdxReader.load(x, y, null))
                .hasMessage(y + ": has 2 labels but the images file x.idx has 3 samples");
    }

    @Test
    void nonIntegerLabelIsAnError() {
        Path x = TestFiles.write(tmp.resolve("x.idx"), TestFiles.idx(0x08, new int[] {2, 1}, new byte[2]));
        ByteBuffer f = ByteBuffer.allocate(8).putFloat(1f).putFloat(1.5f);
        Path y = TestFiles.write(tmp.resolve("y.idx"), TestFiles.idx(0x0D, new int[] {2}, f.array()));
        assertThatThrownBy(() -> IdxReader.load(x, y, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(y + ": label 1.5 at sample 1 is not an integer");
        Path neg = TestFiles.write(tmp.resolve("neg.idx"), TestFiles.idx(0x09, new int[] {2}, CoreArrays.bytes(0, -1)));
        assertThatThrownBy(() -> IdxReader.load(x, neg, null))
                .hasMessageContaining("label -1 at sample 1 is not a valid class index");
    }

    @Test
    void emptyDatasetIsAnError() {
        Path x = TestFiles.write(tmp.resolve("x.idx"), TestFiles.idx(0x08, new int[] {0, 28, 28}, new byte[0]));
        assertThatThrownBy(() -> IdxReader.load(x, null, null)).hasMessage(x + ": the dataset contains no samples");
    }
}
