package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawSampleFolderTest {
    @TempDir
    Path tmp;

    @Test
    @UsesFixtures
    void imageClassificationPerfSamples() throws IOException {
        Path dir = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        Dataset d = RawSampleFolder.load(dir, SampleType.UINT8, new int[] {32, 32, 3}, Preprocessing.identity());
        assertThat(d.size()).isEqualTo(200);
        assertThat(d.sampleShape()).containsExactly(32, 32, 3);
        assertThat(d.numClasses()).isEqualTo(10);
        assertThat(TestFiles.counts(d.labels(), 10)).containsExactly(21, 17, 28, 25, 14, 22, 14, 17, 26, 16);
        // first CSV line: lippizaner_s_000613.bin,10,7 ; last: felis_catus_s_001124.bin,10,3
        assertThat(d.label(0)).isEqualTo(7);
        assertThat(d.label(199)).isEqualTo(3);
        byte[] first = Files.readAllBytes(dir.resolve("lippizaner_s_000613.bin"));
        float[] s0 = d.sample(0);
        for (int i = 0; i < first.length; i++) {
            assertThat(s0[i]).isEqualTo(first[i] & 0xFF);
        }
        assertThat(s0).startsWith(51, 43, 62, 74, 77, 95);
        double sum = 0;
        for (float v : s0) {
            sum += v;
        }
        assertThat(sum).isEqualTo(403763.0);
        assertThat(d.source()).isEqualTo(dir);
        assertThat(d.name()).isEqualTo("perf_samples_v0.5");
    }

    @Test
    @UsesFixtures
    void perChannelNormalisationOfHwcPixels() {
        Path dir = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        Preprocessing p = Preprocessing.meanStd(new float[] {50, 40, 60}, new float[] {2, 1, 4});
        Dataset d = RawSampleFolder.load(dir, null, SampleType.UINT8, new int[] {32, 32, 3}, true, p, 3);
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.sample(0)).startsWith((51 - 50) / 2f, (43 - 40) / 1f, (62 - 60) / 4f, (74 - 50) / 2f);
    }

    @Test
    @UsesFixtures
    void keywordSpottingInt8IsSigned() {
        Path dir = Fixtures.require("mlperf-tiny/kws/kws01_mfcc");
        Dataset d = RawSampleFolder.load(dir, SampleType.INT8, new int[] {49, 10}, null);
        assertThat(d.size()).isEqualTo(1000);
        assertThat(d.numClasses()).isEqualTo(12);
        assertThat(TestFiles.counts(d.labels(), 12)).containsExactly(92, 92, 81, 89, 70, 84, 75, 78, 84, 89, 80, 86);
        assertThat(d.label(0)).isEqualTo(7);
        assertThat(d.label(999)).isEqualTo(8);
        assertThat(d.sample(0)).startsWith(2, 85, 81, 81, 79, 81, 82, 81, 83, 84, 0, 82);
        // tst_000001_Left_2.bin starts with byte 248 = int8 -8
        assertThat(d.sample(1)).startsWith(-8, 82, 83, 82, 84, 85, 83, 82, 84, 83, -6, 81);
        float min = Float.MAX_VALUE;
        for (float v : d.features()) {
            min = Math.min(min, v);
        }
        assertThat(min).isEqualTo(-128f);
        assertThat(TestFiles.max(d.features())).isEqualTo(127f);
        // dequantize with the model's input scale / zero point: (q - 83) * 0.5847029
        Dataset deq = RawSampleFolder.load(
                dir,
                null,
                SampleType.INT8,
                new int[] {49, 10, 1},
                true,
                Preprocessing.scale(0.5847029f).withOffset(-83 * 0.5847029f),
                2);
        assertThat(deq.sample(1)[0]).isCloseTo((-8 - 83) * 0.5847029f, org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void twoColumnCsvWhitespaceAndFloatLittleAndBigEndian() {
        TestFiles.write(tmp.resolve("a.bin"), TestFiles.floatsLE(1.5f, -2f));
        TestFiles.write(tmp.resolve("b.bin"), TestFiles.floatsLE(3f, 4f));
        Path csv = TestFiles.write(
                tmp.resolve("labels.txt"), "\uFEFF# name,class\r\n a.bin , 4 \r\n\r\nb.bin,1\r\n\r\n  \n");
        Dataset d = RawSampleFolder.load(tmp, csv, SampleType.FLOAT32, new int[] {2}, true, null);
        assertThat(d.features()).containsExactly(1.5f, -2f, 3f, 4f);
        assertThat(d.labels()).containsExactly(4, 1);
        assertThat(d.numClasses()).isEqualTo(5);
        Dataset be = RawSampleFolder.load(tmp, csv, SampleType.FLOAT32, null, false, null);
        assertThat(be.sampleShape()).containsExactly(2);
        assertThat(be.features()[0]).isEqualTo(Float.intBitsToFloat(Integer.reverseBytes(Float.floatToIntBits(1.5f))));
    }

    @Test
    void wrongSizeBinNamesFileAndBytes() {
        TestFiles.write(tmp.resolve("a.bin"), new byte[3072]);
        Path bad = TestFiles.write(tmp.resolve("b.bin"), new byte[3000]);
        TestFiles.write(tmp.resolve("y_labels.csv"), "a.bin,10,1\nb.bin,10,2\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, new int[] {32, 32, 3}, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(bad + ": expected 3072 bytes (32x32x3 uint8), found 3000");
    }

    @Test
    void csvErrorsNameTheLine() {
        TestFiles.write(tmp.resolve("a.bin"), new byte[4]);
        Path csv = tmp.resolve("y_labels.csv");
        TestFiles.write(csv, "a.bin,10,1\na.bin,10,cat\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(csv + ": line 2: label 'cat' is not an integer");
        TestFiles.write(csv, "a.bin,10,1\n\na.bin,10,1,extra\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .hasMessage(csv
                        + ": line 3: expected 'file,count,class' or 'file,class', found 4 fields in "
                        + "'a.bin,10,1,extra'");
        TestFiles.write(csv, "a.bin,10,10\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .hasMessage(csv + ": line 1: label 10 is out of range for 10 classes");
        TestFiles.write(csv, "a.bin,10,1\na.bin,12,1\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .hasMessage(csv + ": line 2: class count 12 differs from 10 on line 1");
        TestFiles.write(csv, "a.bin,10,1\nmissing.bin,10,1\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .hasMessage(csv + ": line 2: sample file 'missing.bin' not found in " + tmp);
        TestFiles.write(csv, "a.bin,10,-1\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .hasMessage(csv + ": line 1: label -1 is negative");
        TestFiles.write(csv, "\n\n");
        assertThatThrownBy(() -> RawSampleFolder.load(tmp, SampleType.UINT8, null, null))
                .hasMessage(csv + ": no samples listed");
    }

    @Test
    void missingFolderCsvOrType() throws IOException {
        Path none = tmp.resolve("none");
        assertThatThrownBy(() -> RawSampleFolder.load(none, SampleType.UINT8, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(none + ": sample folder not found");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> RawSampleFolder.load(empty, SampleType.UINT8, null, null))
                .hasMessage(empty.resolve("y_labels.csv")
                        + ": labels CSV not found (expected lines 'file.bin,count,class')");
        assertThatThrownBy(
                        () -> RawSampleFolder.load(empty, empty.resolve("l.csv"), SampleType.UINT8, null, true, null))
                .hasMessage(empty.resolve("l.csv") + ": labels CSV file not found");
        assertThatThrownBy(() -> RawSampleFolder.load(empty, null, null, null))
                .hasMessageContaining("raw samples need a sample type");
    }
}
