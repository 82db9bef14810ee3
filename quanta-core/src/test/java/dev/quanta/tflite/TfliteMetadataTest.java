package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.ir.InputNormalization;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreModels;
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
        Tensor flat = CoreModels.flatten(b, "flatten", x);
        float[] w = new float[24];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 5 - 2) * 0.25f;
        }
        Tensor out = CoreModels.dense(b, "dense", flat, w);
        return b.output(out).build(ModelMetadata.inMemory().withInputNormalization(n));
    }

    private static Model roundTrip(Model m) {
        return TfliteReader.read(TfliteWriter.toBytes(m), Path.of("tiny.tflite"));
    }

    private static TfliteFile file(Model m) {
        return TfliteFile.open(Path.of("tiny.tflite"), TfliteWriter.toBytes(m));
    }

    /** A scale or an offset has no exact NormalizationOptions form: Quanta's own entry holds it, exactly. */
    @Test
    void aScaleComesBackExactlyFromQuantasEntry() {
        InputNormalization n = new InputNormalization(1f / 255f, 0f, null, null);
        assertThat(roundTrip(tiny(n)).metadata().inputNormalization()).isEqualTo(n);
        TfliteFile f = file(tiny(n));
        assertThat(new String(f.metadataEntry(TfliteMetadata.QUANTA_ENTRY, 1 << 20), StandardCharsets.UTF_8))
                .isEqualTo("{\"scale\":0.003921569,\"offset\":0.0}");
        assertThat(f.metadataEntry(TfliteMetadata.TFLITE_METADATA, 1 << 20)).isNull();
        InputNormalization perChannel = new InputNormalization(
                0.00784313725f, -1f, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
        assertThat(roundTrip(tiny(perChannel)).metadata().inputNormalization()).isEqualTo(perChannel);
    }

    /** Without scale and offset the transform is TFLite's NormalizationOptions, written as TFLite writes it. */
    @Test
    void meanAndStdAloneAreWrittenAsTflitesNormalizationOptions() {
        InputNormalization n = new InputNormalization(1f, 0f, new float[] {127.5f}, new float[] {127.5f});
        TfliteFile f = file(tiny(n));
        byte[] meta = f.metadataEntry(TfliteMetadata.TFLITE_METADATA, 1 << 20);
        assertThat(new String(meta, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("M001");
        assertThat(f.metadataEntry(TfliteMetadata.QUANTA_ENTRY, 1 << 20)).isNull();
        InputNormalization read = roundTrip(tiny(n)).metadata().inputNormalization();
        assertThat(read).isEqualTo(n);
        assertThat(read.mean()).containsExactly(127.5f);
        assertThat(read.std()).containsExactly(127.5f);
        // identity is mean 0, std 1, and reads back as identity
        assertThat(file(tiny(InputNormalization.identity())).metadataEntry(TfliteMetadata.TFLITE_METADATA, 1 << 20))
                .isNotNull();
        assertThat(roundTrip(tiny(InputNormalization.identity())).metadata().inputNormalization())
                .isEqualTo(InputNormalization.identity());
        assertThat(new InputNormalization(1f, 0f, new float[] {0f, 0f}, new float[] {1f, 1f}))
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

    @Test
    void corruptMetadataIsIgnoredAsTheRuntimeIgnoresIt() {
        byte[] quanta = replace(
                TfliteWriter.toBytes(tiny(new InputNormalization(2f, 0f, null, null))), "\"scale\"", "\"sXale\"");
        assertThat(TfliteReader.read(quanta, Path.of("tiny.tflite")).metadata().inputNormalization())
                .isNull();
        byte[] tflite = replace(TfliteWriter.toBytes(tiny(InputNormalization.identity())), "M001", "M999");
        assertThat(TfliteReader.read(tflite, Path.of("tiny.tflite")).metadata().inputNormalization())
                .isNull();
    }

    /** The official runtime loads files with either entry and computes what Quanta computes. */
    @Test
    @UsesOracle
    void theOfficialRuntimeRunsTheFile() {
        float[] input = new float[12];
        for (int i = 0; i < input.length; i++) {
            input[i] = i * 0.1f - 0.5f;
        }
        for (InputNormalization n : new InputNormalization[] {
            new InputNormalization(1f / 255f, 0f, new float[] {0.5f}, new float[] {0.25f}),
            new InputNormalization(1f, 0f, new float[] {0.5f}, new float[] {0.25f})
        }) {
            byte[] bytes = TfliteWriter.toBytes(tiny(n));
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
