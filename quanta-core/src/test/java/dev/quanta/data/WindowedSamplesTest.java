package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Windowed samples of the MLPerf Tiny anomaly-detection label CSV ({@code file,count,label,window_bytes,
 * stride_bytes}): the windowing of the real clip, format detection, limit and skip across clips, and the one-line
 * refusals of bad rows and short or missing files.
 */
class WindowedSamplesTest {
    /** The fixture clip: 200 frames × 128 log-mel bins, float32 little-endian. */
    private static final String CLIP = "mlperf-tiny/ad/normal_id_01_00000000_hist_librosa.bin";

    @TempDir
    Path dir;

    private static float[] floats(byte[] bytes) {
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /** {@code values} as float32 little-endian bytes. */
    private static byte[] bytes(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private Path csv(String... lines) throws IOException {
        Path csv = dir.resolve("y_labels.csv");
        Files.writeString(csv, String.join("\n", lines) + "\n");
        return csv;
    }

    /** 0, 1, 2, … as floats. */
    private static float[] ramp(int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i;
        }
        return v;
    }

    /** The real clip: 196 windows of 640 floats; window i is floats [128 i, 128 i + 640) of the file. */
    @Test
    @UsesFixtures
    void theRealClipGives196WindowsOf640FloatsEvery128() throws IOException {
        byte[] clip = Files.readAllBytes(Fixtures.require(CLIP));
        Files.write(dir.resolve("normal_id_01_00000000_hist_librosa.bin"), clip);
        Path csv = csv("normal_id_01_00000000_hist_librosa.bin,2,0,2560,512");
        float[] all = floats(clip);
        assertThat(all).hasSize(25600);

        Dataset d = Datasets.load(DatasetSpec.of(csv));
        assertThat(d.size()).isEqualTo(196);
        assertThat(d.sampleShape()).containsExactly(640);
        assertThat(d.hasClips()).isTrue();
        assertThat(d.clipNames()).containsExactly("normal_id_01_00000000_hist_librosa.bin");
        assertThat(d.numClasses()).isEqualTo(2);
        for (int i = 0; i < 196; i++) {
            assertThat(d.sample(i)).as("window %d", i).isEqualTo(Arrays.copyOfRange(all, 128 * i, 128 * i + 640));
            assertThat(d.clip(i)).isZero();
            assertThat(d.label(i)).isZero();
        }
        // the folder with its y_labels.csv is the same dataset, and so is the folder with --format windows
        Dataset folder = Datasets.load(DatasetSpec.of(dir));
        assertThat(folder.features()).isEqualTo(d.features());
        assertThat(Datasets.load(DatasetSpec.of(dir).withFormat("windows")).size())
                .isEqualTo(196);
        // the model's input shape [640] fits; [2, 320] is the same 640 values
        assertThat(Datasets.load(DatasetSpec.of(csv).withSampleShape(2, 320)).sampleShape())
                .containsExactly(2, 320);
        // the acceptance split: calibrate on the first 98 windows, evaluate on the other 98
        Dataset first = Datasets.load(DatasetSpec.of(csv).withLimit(98));
        Dataset rest = Datasets.load(DatasetSpec.of(csv).withSkip(98));
        assertThat(first.size()).isEqualTo(98);
        assertThat(rest.size()).isEqualTo(98);
        assertThat(rest.sample(0)).isEqualTo(Arrays.copyOfRange(all, 128 * 98, 128 * 98 + 640));
        assertThat(rest.clip(97)).isZero();
    }

    /** A slice of the real clip that ends inside a stride: the trailing bytes that fill no window are left out. */
    @Test
    @UsesFixtures
    void aSliceOfTheClipGivesTheWindowsThatFitInIt() throws IOException {
        byte[] clip = Files.readAllBytes(Fixtures.require(CLIP));
        // 2560 + 3·512 + 100 bytes: windows at 0, 512, 1024 and 1536; the next would end at byte 4608 > 4196
        Files.write(dir.resolve("slice.bin"), Arrays.copyOf(clip, 2560 + 3 * 512 + 100));
        Dataset d = Datasets.load(DatasetSpec.of(csv("slice.bin,2,1,2560,512")));
        assertThat(d.size()).isEqualTo(4);
        float[] all = floats(clip);
        assertThat(d.sample(3)).isEqualTo(Arrays.copyOfRange(all, 384, 1024));
        assertThat(d.label(3)).isEqualTo(1);
    }

    /** Two clips: windows in CSV order, each knowing its clip; limit and skip count windows across clips. */
    @Test
    void clipsKeepTheirWindowsInOrderAndLimitAndSkipCountWindows() throws IOException {
        Files.write(dir.resolve("a.bin"), bytes(ramp(5, 0))); // windows of 2 every 1: 4 windows
        Files.write(dir.resolve("b.bin"), bytes(ramp(6, 100))); // windows of 2 every 2: 3 windows
        Path csv = csv("# clips", "a.bin,2,0,8,4", "", " b.bin , 2 , 1 , 8 , 8 ");
        Dataset d = Datasets.load(DatasetSpec.of(csv));
        assertThat(d.size()).isEqualTo(7);
        assertThat(d.features()).containsExactly(0, 1, 1, 2, 2, 3, 3, 4, 100, 101, 102, 103, 104, 105);
        assertThat(d.labels()).containsExactly(0, 0, 0, 0, 1, 1, 1);
        assertThat(List.of(d.clip(0), d.clip(3), d.clip(4), d.clip(6))).containsExactly(0, 0, 1, 1);
        assertThat(d.clipNames()).containsExactly("a.bin", "b.bin");
        assertThat(d.toString()).contains("2 clips");

        Dataset limited = Datasets.load(DatasetSpec.of(csv).withLimit(5));
        assertThat(limited.features()).containsExactly(0, 1, 1, 2, 2, 3, 3, 4, 100, 101);
        assertThat(limited.clip(4)).isEqualTo(1);
        Dataset skipped = Datasets.load(DatasetSpec.of(csv).withSkip(3).withLimit(2));
        assertThat(skipped.features()).containsExactly(3, 4, 100, 101);
        assertThat(skipped.labels()).containsExactly(0, 1);
        assertThat(List.of(skipped.clip(0), skipped.clip(1))).containsExactly(0, 1);
        // preprocessing applies to every window value
        Dataset scaled = Datasets.load(
                DatasetSpec.of(csv).withPreprocessing(Preprocessing.scale(2)).withLimit(1));
        assertThat(scaled.features()).containsExactly(0, 2);
    }

    @Test
    void detectionTellsWindowedCsvsFromRawOnes() throws IOException {
        Files.write(dir.resolve("a.bin"), bytes(ramp(4, 0)));
        Path windowed = csv("a.bin,2,0,8,4");
        assertThat(Datasets.detectFormat(dir, null)).isEqualTo(Datasets.WINDOWS);
        assertThat(Datasets.detectFormat(windowed, null)).isEqualTo(Datasets.WINDOWS);
        Path raw = dir.resolve("raw.csv");
        Files.writeString(raw, "a.bin,10,3\n");
        assertThat(Datasets.detectFormat(dir, raw)).isEqualTo(Datasets.RAW);
        assertThat(Datasets.normalizeFormat("windowed")).isEqualTo(Datasets.WINDOWS);
        // a raw CSV given as the data with the format loads the folder it is in
        Dataset d = Datasets.load(DatasetSpec.of(raw).withFormat("raw").withSampleType(SampleType.FLOAT32));
        assertThat(d.features()).containsExactly(0, 1, 2, 3);
        assertThat(d.hasClips()).isFalse();
    }

    @Test
    void badRowsAreRefusedWithTheLine() throws IOException {
        Files.write(dir.resolve("a.bin"), bytes(ramp(4, 0)));
        assertRefused(
                csv("a.bin,2,0,8,4", "a.bin,2,0,8"),
                "y_labels.csv: line 2: expected 'file,count,label,window_bytes,stride_bytes', found 4 fields in "
                        + "'a.bin,2,0,8'");
        assertRefused(csv("a.bin,2,0,8,four"), "y_labels.csv: line 1: stride_bytes 'four' is not an integer");
        assertRefused(csv("a.bin,2,2,8,4"), "y_labels.csv: line 1: label 2 is out of range for 2 classes");
        assertRefused(
                csv("a.bin,2,0,6,4"),
                "y_labels.csv: line 1: window_bytes 6 must be a positive multiple of 4 " + "(float32)");
        assertRefused(
                csv("a.bin,2,0,8,0"),
                "y_labels.csv: line 1: stride_bytes 0 must be a positive multiple of 4 " + "(float32)");
        assertRefused(csv(",2,0,8,4"), "y_labels.csv: line 1: empty file name");
        assertRefused(
                csv("a.bin,2,0,8,4", "a.bin,3,0,8,4"), "y_labels.csv: line 2: class count 3 differs from 2 on line 1");
        assertRefused(
                csv("a.bin,2,0,8,4", "a.bin,2,1,12,4"),
                "y_labels.csv: line 2: window of 12 bytes differs from the 8 bytes on line 1; all windows must have "
                        + "one size");
        assertRefused(
                csv("# nothing"),
                "y_labels.csv: no clips listed (expected lines 'file,count,label,window_bytes,stride_bytes')");
        Path csv = csv("a.bin,2,0,8,4");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(csv).withSampleShape(3)))
                .isInstanceOf(QuantaException.class)
                .hasMessage(
                        csv + ": line 1: windows of 8 bytes hold 2 float32 values, but samples of shape 3 (the model's "
                                + "input or the given sample shape) have 3");
    }

    /**
     * A missing file names the CSV line; a short file names itself, the line and the byte offset where the first
     * window would end. A CSV that claims a window of 2 GB over a 16-byte file is refused by the file's size before
     * anything is allocated.
     */
    @Test
    void missingAndShortFilesAreRefusedWithFileLineAndOffset() throws IOException {
        Files.write(dir.resolve("a.bin"), bytes(ramp(4, 0)));
        assertRefused(
                csv("a.bin,2,0,8,4", "gone.bin,2,1,8,4"),
                "y_labels.csv: line 2: clip file 'gone.bin' not found in " + dir);
        assertRefused(
                csv("a.bin,2,0,2560,512"),
                "a.bin: line 1 of y_labels.csv: 16 bytes, shorter than one window: window 0 ends at byte offset 2560");
        assertRefused(
                csv("a.bin,2,0,2147483644,4"),
                "a.bin: line 1 of y_labels.csv: 16 bytes, shorter than one window: window 0 ends at byte offset "
                        + "2147483644");
    }

    /**
     * Overlapping windows multiply a file's values: 2 MiB cut into windows of 1 MiB every 4 bytes are 262,145 windows
     * of 262,144 values, more than one float array holds. That is refused before anything is allocated, and a limit
     * loads the first windows.
     */
    @Test
    void windowsThatCannotFitAreRefusedBeforeAllocating() throws IOException {
        Files.write(dir.resolve("big.bin"), new byte[2 << 20]);
        Path csv = csv("big.bin,2,0,1048576,4");
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(csv)))
                .isInstanceOf(QuantaException.class)
                .hasMessage(
                        csv + ": 262,145 samples of 262144 are 68,719,738,880 values, more than the 2,147,483,639 a "
                                + "dataset holds in one float array; use a sample limit");
        Dataset two = Datasets.load(DatasetSpec.of(csv).withLimit(2));
        assertThat(two.size()).isEqualTo(2);
        assertThat(two.sampleSize()).isEqualTo(262144);
    }

    private static void assertRefused(Path csv, String messageEnd) {
        assertThatThrownBy(() -> Datasets.load(DatasetSpec.of(csv).withFormat("windows")))
                .isInstanceOf(QuantaException.class)
                .hasMessageEndingWith(messageEnd)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
