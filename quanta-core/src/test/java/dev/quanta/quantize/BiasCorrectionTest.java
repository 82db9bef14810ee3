package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Empirical bias correction: the int32 bias of a layer whose weight rounding error and input mean are known by hand,
 * a convolution with SAME padding against the shift summed position by position, and the refusal outside the
 * full-integer modes.
 */
class BiasCorrectionTest {
    /** x[2] → Dense(2) "d" with kernel [[1, 0.3], [−0.5, 0.77]] and bias [0.1, −0.2]. */
    private static Model dense() {
        ModelBuilder mb = new ModelBuilder("dense");
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor y = CoreModels.dense(mb, "d", x, new float[] {1f, 0.3f, -0.5f, 0.77f}, new float[] {0.1f, -0.2f});
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /** Samples [1, 3] and [3, 5]: mean [2, 4], range [1, 5]. */
    private static Dataset denseData() {
        return Dataset.of("d", new int[] {2}, new float[] {1, 3, 3, 5}, null);
    }

    private static int[] int32Bias(Model q, String name) {
        return q.tensor(name).data().ints();
    }

    @Test
    void denseBiasTakesBackTheMeanRoundingShiftByHand() {
        Model f = dense();
        Model plain = CoreModels.int8(f, denseData()).convert().model();
        Converter.Conversion corrected =
                CoreModels.int8(f, denseData(), c -> c.withBiasCorrection(true)).convert();
        Model q = corrected.model();
        // per-tensor weights: s_w = max|w| / 127 = 1/127; q(w) = round(w · 127) = [[127, 38], [−64, 98]] (−63.5 rounds
        // away from zero, 97.79 to 98)
        double sw = 1f / 127;
        assertThat(q.tensor("d/kernel").quant().scale()).isEqualTo((float) sw);
        double[][] error = {{1 - 127 * sw, 0.3f - 38 * sw}, {-0.5 - -64 * sw, 0.77f - 98 * sw}};
        double[] mean = {2, 4};
        double[] bias = {0.1f, -0.2f};
        // input range [0, 5] (widened to hold 0) on [−128, 127]: s_in = 5 / 255
        double sIn = q.tensor("x/quantized").quant().scale();
        assertThat(sIn).isCloseTo(5.0 / 255, org.assertj.core.api.Assertions.within(1e-7));
        float sb = (float) sIn * (float) sw;
        int[] expected = new int[2];
        int[] uncorrected = new int[2];
        for (int c = 0; c < 2; c++) {
            double shift = error[c][0] * mean[0] + error[c][1] * mean[1];
            expected[c] = (int) QuantMath.round((bias[c] + shift) / sb);
            uncorrected[c] = (int) QuantMath.round(bias[c] / sb);
        }
        // shifts: 4 · 0.1/127 = +3.15e-3 and 2 · 0.5/127 − 4 · 0.21/127 = +1.26e-3, 20 and 8 bias steps
        assertThat(expected[0] - uncorrected[0]).isEqualTo(20);
        assertThat(expected[1] - uncorrected[1]).isEqualTo(8);
        assertThat(int32Bias(plain, "d/bias")).containsExactly(uncorrected);
        assertThat(int32Bias(q, "d/bias")).containsExactly(expected);
        assertThat(corrected.report().techniques()).hasSize(1);
        assertThat(corrected.report().render())
                .contains("Bias correction:\n  d (FULLY_CONNECTED): largest bias shift +0.003150 at channel 0");
    }

    @Test
    void convolutionShiftCountsPaddingAsTheKernelSeesIt() {
        // x[3, 3, 1] → Conv2D 2 filters 3×3 SAME, no bias: the border positions see zeros, so the mean shift is not
        // the kernel's error times the input mean
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder mb = new ModelBuilder("conv");
        Tensor x = mb.input("x", Shape.batched(3, 3, 1));
        float[] k = CoreArrays.uniform(r, 2 * 9, -1, 1);
        Tensor y = CoreModels.conv2d(
                mb,
                "c",
                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU),
                x,
                mb.constant("c/kernel", Shape.of(2, 3, 3, 1), k));
        Model f = mb.output(y).build(ModelMetadata.inMemory());
        float[] samples = CoreArrays.uniform(r, 5 * 9, 0.5, 2);
        Dataset d = Dataset.of("d", new int[] {3, 3, 1}, samples, null);
        Model q =
                CoreModels.int8(f, d, c -> c.withBiasCorrection(true)).convert().model();
        float[] sw = q.tensor("c/kernel").quant().scales();
        double sIn = q.tensor("x/quantized").quant().scale();
        for (int c = 0; c < 2; c++) {
            double sum = 0;
            for (int s = 0; s < 5; s++) {
                for (int oy = 0; oy < 3; oy++) {
                    for (int ox = 0; ox < 3; ox++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy + ky - 1;
                                int ix = ox + kx - 1;
                                if (iy < 0 || iy > 2 || ix < 0 || ix > 2) {
                                    continue;
                                }
                                double w = k[c * 9 + ky * 3 + kx];
                                double wq = QuantMath.round(w / sw[c]) * (double) sw[c];
                                sum += (w - wq) * samples[s * 9 + iy * 3 + ix];
                            }
                        }
                    }
                }
            }
            double shift = sum / 45;
            float sb = (float) sIn * sw[c];
            assertThat(q.tensor("c/bias").quant().scales()[c]).isEqualTo(sb);
            assertThat(q.tensor("c/bias").data().ints()[c]).isEqualTo((int) QuantMath.round(shift / sb));
        }
        assertThat(q.tensor("c/bias").data().ints()).isNotEqualTo(new int[2]);
    }

    @Test
    void depthwiseAndRunsOnlyInFullIntegerModes() {
        ModelBuilder mb = new ModelBuilder("dw");
        Tensor x = mb.input("x", Shape.batched(2, 2, 2));
        Tensor y = mb.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.VALID, 1, 1, 1, 1, 1, Activation.NONE),
                x,
                mb.constant(
                        "dw/kernel", Shape.of(1, 2, 2, 2), new float[] {1f, 1f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f}),
                mb.constant("dw/bias", Shape.of(2), new float[2]));
        Model f = mb.output(y).build(ModelMetadata.inMemory());
        Dataset d = Dataset.of("d", new int[] {2, 2, 2}, new float[] {1, 1, 1, 1, 1, 1, 1, 1}, null);
        Model q =
                CoreModels.int8(f, d, c -> c.withBiasCorrection(true)).convert().model();
        // per channel s_w = 1/127; 0.3 · 127 = 38.1 → 38; error 0.1/127 for each of the three 0.3s; input all ones
        float sw = 1f / 127;
        double shift = 3 * (0.3f - 38 * (double) sw);
        float sb = q.tensor("x/quantized").quant().scale() * sw;
        assertThat(q.tensor("dw/bias").data().ints())
                .containsExactly((int) QuantMath.round(shift / sb), (int) QuantMath.round(shift / sb));
        assertThatThrownBy(() -> Converter.fromModel(f)
                        .withConfig(QuantizationConfig.defaults()
                                .withMode(QuantizationMode.DYNAMIC)
                                .withBiasCorrection(true))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessage("biasCorrection measures on calibration data and corrects int32 biases: it needs a "
                        + "full-integer mode (int8 or int16x8), not dynamic");
    }
}
