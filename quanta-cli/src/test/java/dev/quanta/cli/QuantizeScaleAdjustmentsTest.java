package dev.quanta.cli;

import static dev.quanta.testing.HostileFiles.idxHeader;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.keras.KerasH5Writer;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.HostileFiles;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quanta quantize} names every weight channel whose scale had to be adjusted, in text and in JSON. */
class QuantizeScaleAdjustmentsTest {
    @TempDir
    Path tmp;

    /** Input [N, 8, 8, 1] → 1×1 conv "conv2d" with a live filter and a dead one (1e-30, bias 0.5) → flatten → dense. */
    private Path modelWithADeadChannel() {
        ModelBuilder b = new ModelBuilder("dead_channel");
        Tensor x = b.input("input_1", Shape.batched(8, 8, 1));
        Tensor w = b.constant("conv2d/kernel", Shape.of(2, 1, 1, 1), new float[] {0.5f, 1e-30f});
        Tensor bias = b.constant("conv2d/bias", Shape.of(2), new float[] {0.1f, 0.5f});
        OpAttributes.Conv2D conv = new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.RELU);
        Tensor t = CoreModels.conv2d(b, "conv2d", conv, x, w, bias);
        float[] dense = CoreArrays.uniform(new SplittableRandom(3), 3 * 128, -1, 1);
        t = CoreModels.dense(b, "dense", CoreModels.flatten(b, "flatten", t), dense);
        Model m = b.output(t).build(ModelMetadata.inMemory());
        Path file = tmp.resolve("dead.h5");
        KerasH5Writer.write(m, file);
        return file;
    }

    /** 20 random 8×8 images as an IDX file, with the pixel values 0 and 255 present (input scale 1/255). */
    private Path images() {
        byte[] px = new byte[20 * 64];
        new SplittableRandom(9).nextBytes(px);
        px[0] = 0;
        px[1] = (byte) 255;
        return HostileFiles.write(tmp.resolve("cal-images-idx3-ubyte"), idxHeader(0x08, 20, 8, 8), px);
    }

    @Test
    void theReportListsTheDeadChannelWithBothScalesAndWhy() throws Exception {
        Path model = modelWithADeadChannel();
        Path out = tmp.resolve("out.tflite");
        String[] cal = {"--calibration", images().toString(), "--scale", "1/255", "--sample-shape", "8,8,1"};
        CliRunner r = CliRunner.quantize(model, out, cal);
        assertThat(r.exitCode()).as(r.err()).isZero();
        // 1e-30 / 127 = 7.87e-33; the minimum 5e-7 / 127 = 3.94e-9 still puts the bias 0.5 at 1.6e10 in int32 at the
        // input scale 1/255, so the scale becomes 0.5 / ((1/255) · 2^30) = 1.19e-7
        // the text has one line per layer; the JSON below names the channel and the numbers behind the causes
        assertThat(r.out())
                .contains("Weight scales adjusted (1 channel in 1 layer:")
                .contains("  conv2d: 1 channel (minimum scale 1, bias range 1); smallest scale 7.87e-33 -> 1.19e-07"
                        + " (channel 1)\n");

        CliRunner json = CliRunner.quantize(model, out, CliRunner.args(cal, "--json"));
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode adjusted = new ObjectMapper().readTree(json.out()).get("scale_adjustments");
        assertThat(adjusted).hasSize(1);
        JsonNode a = adjusted.get(0);
        assertThat(a.get("layer").asText()).isEqualTo("conv2d");
        assertThat(a.get("channel").asInt()).isEqualTo(1);
        assertThat(a.get("original_scale").asDouble()).isCloseTo(1e-30 / 127, Offset.offset(1e-38));
        assertThat(a.get("new_scale").asDouble()).isCloseTo(0.5 * 255 / (1 << 30), Percentage.withPercentage(1e-4));
        assertThat(a.get("causes").toString()).isEqualTo("[\"minimum_scale\",\"bias_range\"]");
        assertThat(a.get("reason").asText())
                .contains("bias 0.5000 at input scale 0.003922")
                .contains("beyond 2^30");
    }
}
