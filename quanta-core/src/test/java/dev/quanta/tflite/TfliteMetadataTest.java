package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.ir.Activation;
import dev.quanta.ir.InputNormalization;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The input normalization a written file records: TFLite's metadata and Quanta's exact entry. */
class TfliteMetadataTest {

    /** input [2, 2, 3] → Dense(2) over the flattened input. */
    private static Model tiny(InputNormalization n) {
        ModelBuilder b = new ModelBuilder("tiny");
        Tensor x = b.input("pixels", Shape.batched(2, 2, 3));
        Tensor flat = b.add(
                OpType.RESHAPE,
                "flatten",
                new Origin("flatten", "Flatten"),
                new OpAttributes.Reshape(new int[] {-1, 12}),
                x);
        float[] w = new float[24];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 5 - 2) * 0.25f;
        }
        Tensor kernel = b.constant("dense/kernel", Shape.of(2, 12), w);
        Tensor out = b.add(
                OpType.FULLY_CONNECTED,
                "dense",
                new Origin("dense", "Dense"),
                new OpAttributes.FullyConnected(Activation.NONE),
                flat,
                kernel);
        return b.output(out).build(ModelMetadata.inMemory().withInputNormalization(n));
    }

    private static Model roundTrip(Model m) {
        return TfliteReader.read(TfliteWriter.toBytes(m), Path.of("tiny.tflite"));
    }

    @Test
    void aScaleComesBackExactly() {
        InputNormalization n = new InputNormalization(1f / 255f, 0f, null, null);
        assertThat(roundTrip(tiny(n)).metadata().inputNormalization()).isEqualTo(n);
    }

    @Test
    void perChannelMeanAndStdWithScaleAndOffsetComeBackExactly() {
        InputNormalization n = new InputNormalization(
                0.00784313725f, -1f, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
        assertThat(roundTrip(tiny(n)).metadata().inputNormalization()).isEqualTo(n);
        assertThat(roundTrip(tiny(InputNormalization.identity())).metadata().inputNormalization())
                .isEqualTo(InputNormalization.identity());
    }

    @Test
    void withoutARecordedNormalizationTheFileHasNoMetadata() {
        byte[] bytes = TfliteWriter.toBytes(tiny(null));
        TfliteFile f = TfliteFile.open(Path.of("tiny.tflite"), bytes);
        assertThat(f.metadataEntry(TfliteMetadata.TFLITE_METADATA, 1 << 20)).isNull();
        assertThat(f.metadataEntry(TfliteMetadata.QUANTA_ENTRY, 1 << 20)).isNull();
        assertThat(TfliteReader.read(bytes, Path.of("tiny.tflite")).metadata().inputNormalization())
                .isNull();
    }

    /** TFLite's own entry alone, as in a file from TFLite's metadata writer: (v − mean) / std per channel. */
    @Test
    void tflitesNormalizationOptionsAreRead() {
        InputNormalization n = new InputNormalization(1f, 0f, new float[] {127.5f}, new float[] {127.5f});
        byte[] bytes = TfliteWriter.toBytes(tiny(n));
        TfliteFile f = TfliteFile.open(Path.of("tiny.tflite"), bytes);
        byte[] meta = f.metadataEntry(TfliteMetadata.TFLITE_METADATA, 1 << 20);
        assertThat(new String(meta, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("M001");
        // hide Quanta's entry by renaming it in place (same length)
        String entry = TfliteMetadata.QUANTA_ENTRY;
        byte[] renamed = replace(bytes, entry, entry.toUpperCase());
        InputNormalization read =
                TfliteReader.read(renamed, Path.of("tiny.tflite")).metadata().inputNormalization();
        assertThat(read.scale()).isEqualTo(1f);
        assertThat(read.offset()).isEqualTo(0f);
        assertThat(read.mean()).containsExactly(127.5f);
        assertThat(read.std()).containsExactly(127.5f);
        // a scale and offset become (v − (−offset/scale)) / (1/scale), up to float rounding
        InputNormalization scaled = new InputNormalization(1f / 127.5f, -1f, null, null);
        byte[] other = replace(TfliteWriter.toBytes(tiny(scaled)), entry, entry.toUpperCase());
        InputNormalization meanStd =
                TfliteReader.read(other, Path.of("tiny.tflite")).metadata().inputNormalization();
        assertThat(meanStd.mean()[0]).isCloseTo(127.5f, within(1e-3f));
        assertThat(meanStd.std()[0]).isCloseTo(127.5f, within(1e-3f));
    }

    @Test
    void corruptMetadataIsIgnoredAsTheRuntimeIgnoresIt() {
        byte[] bytes = TfliteWriter.toBytes(tiny(new InputNormalization(2f, 0f, null, null)));
        byte[] broken = replace(bytes, "\"scale\"", "\"sXale\"");
        broken = replace(broken, "M001", "M999");
        assertThat(TfliteReader.read(broken, Path.of("tiny.tflite")).metadata().inputNormalization())
                .isNull();
    }

    /** The official runtime loads a file with both entries and computes what Quanta computes. */
    @Test
    @UsesOracle
    void theOfficialRuntimeRunsTheFile() {
        Model m = tiny(new InputNormalization(1f / 255f, 0f, new float[] {0.5f}, new float[] {0.25f}));
        byte[] bytes = TfliteWriter.toBytes(m);
        float[] input = new float[12];
        for (int i = 0; i < input.length; i++) {
            input[i] = i * 0.1f - 0.5f;
        }
        float[] ours = new float[2];
        try (Interpreter it = new Interpreter(TfliteReader.read(bytes, Path.of("tiny.tflite")));
                TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            it.run(input, ours);
            float[] theirs = oracle.runFloat(input);
            for (int i = 0; i < ours.length; i++) {
                assertThat(theirs[i]).isCloseTo(ours[i], within(1e-6f));
            }
        }
    }

    private static byte[] replace(byte[] bytes, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = bytes.clone();
        outer:
        for (int i = 0; i + f.length <= out.length; i++) {
            for (int k = 0; k < f.length; k++) {
                if (out[i + k] != f[k]) {
                    continue outer;
                }
            }
            System.arraycopy(t, 0, out, i, t.length);
            return out;
        }
        throw new AssertionError("'" + from + "' not found");
    }
}
