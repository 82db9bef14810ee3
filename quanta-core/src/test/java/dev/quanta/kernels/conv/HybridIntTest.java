package dev.quanta.kernels.conv;

import static dev.quanta.testing.CoreArrays.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Padding;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.SingleOpModels;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Hybrid FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: exact results for hand-picked rows (each batch row
 * quantized on the fly, symmetrically with s = max|x| / 127 or asymmetrically over [min(x, 0), max(x, 0)]), and
 * for seeded random layers the distance to the float layer on the dequantized weights, which the input's rounding
 * bounds: half a step of the row's scale per weight for symmetric rows, one step for asymmetric ones (whose zero
 * point is rounded too).
 */
class HybridIntTest {

    private static float[] fc(
            float[] x,
            int rows,
            int k,
            int n,
            byte[] w,
            float[] scales,
            float[] bias,
            Activation act,
            boolean asymmetric) {
        float[] y = new float[rows * n];
        var t = new HybridInt.Tensors(x, new int[] {rows, k}, w, new int[] {n, k}, scales, bias, y);
        HybridInt.fullyConnected(t, act, asymmetric).run(Parallel.of(1));
        return y;
    }

    /**
     * Symmetric row: x = [2, −1, 0.5], s = 2/127, q = round(x·127/2) = [127, −64 (−63.5, ties away), 32 (31.75)].
     * W = [[1, 2, 3], [−1, 0, 1]], s_w = 0.5: acc = [95, −95], y = b + acc·(s·s_w).
     */
    @Test
    void symmetricRowQuantization() {
        float[] x = {2f, -1f, 0.5f};
        byte[] w = bytes(1, 2, 3, -1, 0, 1);
        float[] b = {0.25f, -1f};
        float[] y = fc(x, 1, 3, 2, w, new float[] {0.5f}, b, Activation.NONE, false);
        float scale = (2f / 127) * 0.5f;
        assertThat(y).containsExactly(0.25f + 95f * scale, -1f + -95f * scale);
        // the float layer gives [1, −1.75]
        assertThat(y[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(y[1]).isCloseTo(-1.75f, org.assertj.core.data.Offset.offset(0.01f));
    }

    /**
     * Asymmetric row: x = [0.25, 1] (r_min = 0, r_max = 1): s = 1/255, z = −128, q = [round(−128 + 63.75), 127] =
     * [−64, 127]; W = [[2, −1]], s_w = 0.25: acc = Σ (q − z)·w = 64·2 − 255 = −127, y = b + acc·(s·s_w).
     */
    @Test
    void asymmetricRowQuantization() {
        float[] x = {0.25f, 1f};
        byte[] w = bytes(2, -1);
        float[] scales = {0.25f};
        float[] b = {0.5f};
        float[] y = fc(x, 1, 2, 1, w, scales, b, Activation.NONE, true);
        assertThat(y).containsExactly(0.5f + -127f * ((float) (1.0 / 255) * 0.25f));
        // symmetric rows would give q = [32 (31.75), 127]: acc = −63, y = 0.5 − 63·(0.25/127)
        float[] sym = fc(x, 1, 2, 1, w, scales, b, Activation.NONE, false);
        assertThat(sym).containsExactly(0.5f + -63f * ((1f / 127) * 0.25f));
    }

    /** Per-channel weights: y[o] = b[o] + acc[o]·(s_w[o]·s). */
    @Test
    void perChannelWeightScales() {
        float[] x = {2f, -1f, 0.5f};
        float[] y = fc(x, 1, 3, 2, bytes(1, 2, 3, -1, 0, 1), new float[] {0.5f, 0.125f}, null, Activation.NONE, false);
        float s = 2f / 127;
        assertThat(y).containsExactly(95f * (0.5f * s), -95f * (0.125f * s));
    }

    /** A row of zeros quantizes to zeros with scale 1; a fused ReLU6 clamps the float result. */
    @Test
    void zeroRowsAndFusedActivation() {
        float[] y = fc(
                new float[] {0f, 0f, 10f, -10f},
                2,
                2,
                1,
                bytes(100, 1),
                new float[] {0.1f},
                new float[] {-0.5f},
                Activation.RELU6,
                true);
        // row 0: zeros → y = b = −0.5 → ReLU6 → 0; row 1: ≈ 10·10 − 10·0.1 = 99 → 6
        assertThat(y).containsExactly(0f, 6f);
        float[] none = fc(
                new float[] {0f, 0f},
                1,
                2,
                1,
                bytes(100, 1),
                new float[] {0.1f},
                new float[] {-0.5f},
                Activation.NONE,
                false);
        assertThat(none).containsExactly(-0.5f);
    }

    /**
     * Each row has its own scale: a row 10⁴ times smaller than its neighbour keeps its precision (with one scale
     * for the batch it would quantize to zeros and give the bias).
     */
    @Test
    void eachBatchRowIsQuantizedWithItsOwnScale() {
        float[] x = {100f, -50f, 25f, 0.01f, -0.005f, 0.0025f};
        byte[] w = bytes(127, -127, 64);
        float[] bias = {0f};
        for (boolean asymmetric : new boolean[] {false, true}) {
            float[] y = fc(x, 2, 3, 1, w, new float[] {0.01f}, bias, Activation.NONE, asymmetric);
            double exact1 = 0.01 * (0.01 * 127 + 0.005 * 127 + 0.0025 * 64);
            double step1 = asymmetric ? 0.015 / 255 : 0.01 / 127;
            assertThat(Math.abs(y[1] - exact1))
                    .as("asymmetric " + asymmetric)
                    .isLessThanOrEqualTo((asymmetric ? 1 : 0.5) * step1 * 0.01 * (127 + 127 + 64) + 1e-9);
            assertThat(y[1]).isNotZero();
            assertThat(y[0] / y[1]).isCloseTo(10000f, org.assertj.core.data.Offset.offset(100f));
        }
    }

    /** Seeded random Dense layers: the distance to the float layer stays within the input rounding's bound. */
    @Property(seed = "7", tries = 200)
    void fullyConnectedIsTheFloatLayerUpToInputRounding(
            @ForAll @IntRange(min = 1, max = 3) int rows,
            @ForAll @IntRange(min = 1, max = 40) int k,
            @ForAll @IntRange(min = 1, max = 6) int n,
            @ForAll boolean perChannel,
            @ForAll boolean asymmetric,
            @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 2 + (r.nextBoolean() ? 1 : -0.5));
        }
        byte[] w = new byte[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (r.nextInt(255) - 127);
        }
        float[] scales = new float[perChannel ? n : 1];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = 0.001f + r.nextFloat() * 0.05f;
        }
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) {
            bias[i] = (float) r.nextGaussian();
        }
        float[] y = fc(x, rows, k, n, w, scales, bias, Activation.NONE, asymmetric);
        for (int b = 0; b < rows; b++) {
            double min = 0;
            double max = 0;
            for (int i = 0; i < k; i++) {
                min = Math.min(min, x[b * k + i]);
                max = Math.max(max, x[b * k + i]);
            }
            double step = asymmetric ? (max - min) / 255 : Math.max(-min, max) / 127;
            for (int o = 0; o < n; o++) {
                double sw = scales[perChannel ? o : 0];
                double exact = bias[o];
                double weightSum = 0;
                double magnitude = Math.abs(bias[o]);
                for (int i = 0; i < k; i++) {
                    exact += x[b * k + i] * (w[o * k + i] * sw);
                    weightSum += Math.abs(w[o * k + i]) * sw;
                    magnitude += Math.abs(x[b * k + i] * w[o * k + i] * sw);
                }
                double bound = (asymmetric ? 1 : 0.5) * step * weightSum + 1e-5 * magnitude;
                assertThat(Math.abs(y[b * n + o] - exact))
                        .as("row %d output %d", b, o)
                        .isLessThanOrEqualTo(bound);
            }
        }
    }

    /**
     * One input pixel [1, 3] through a 1×1 convolution W = [1, 1] (s_w = 1): symmetric rows (TFLite's built-in
     * EvalHybrid for per-tensor weights) give q = [42, 127], s = 3/127, y = 169·s; asymmetric rows (XNNPACK's
     * form, and per-channel weights) give q − z = [85, 255], s = 3/255, y = 340·s.
     */
    @Test
    void convolutionRowQuantizationDependsOnThePath() {
        int[] xs = {1, 1, 1, 2};
        int[] ws = {1, 1, 1, 2};
        var a = new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE);
        float[] builtin = new float[1];
        HybridInt.conv(conv1x1(xs, ws, builtin), a, false).run(Parallel.of(1));
        assertThat(builtin).containsExactly(169f * (1f * (3f / 127)));
        float[] xnnpack = new float[1];
        HybridInt.conv(conv1x1(xs, ws, xnnpack), a, true).run(Parallel.of(1));
        assertThat(xnnpack).containsExactly(340f * (1f * (float) (3.0 / 255)));
    }

    /** The input [1, 3] through the weights [1, 1] (scale 1, bias 0) into {@code y}. */
    private static HybridInt.Tensors conv1x1(int[] xs, int[] ws, float[] y) {
        return new HybridInt.Tensors(new float[] {1f, 3f}, xs, bytes(1, 1), ws, new float[] {1f}, new float[] {0f}, y);
    }

    /**
     * Seeded convolutions (SAME padding, strides 1 and 2) and depthwise convolutions (multiplier 1 and 2) against
     * the float convolution of the dequantized weights with zero padding. The inputs are all positive, so the row's
     * zero point is −128: a padded tap read as the stored value 0 instead of real 0 would be off by 128 steps.
     */
    @Test
    void convolutionsAreTheFloatLayerUpToInputRounding() {
        Random r = new Random(31);
        for (int trial = 0; trial < 40; trial++) {
            boolean depthwise = trial % 2 == 1;
            int h = 2 + r.nextInt(5);
            int wd = 2 + r.nextInt(5);
            int c = 1 + r.nextInt(3);
            int mult = depthwise ? 1 + r.nextInt(2) : 1;
            int oc = depthwise ? c * mult : 1 + r.nextInt(4);
            int kh = 1 + r.nextInt(3);
            int kw = 1 + r.nextInt(3);
            int stride = 1 + r.nextInt(2);
            Padding pad = SingleOpModels.padding(r.nextBoolean(), h, wd, kh, kw);
            float[] x = new float[h * wd * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = 0.5f + r.nextFloat() * 3;
            }
            int[] ws = depthwise ? new int[] {1, kh, kw, oc} : new int[] {oc, kh, kw, c};
            byte[] w = new byte[kh * kw * oc * (depthwise ? 1 : c)];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) (r.nextInt(255) - 127);
            }
            float[] scales = new float[oc];
            for (int o = 0; o < oc; o++) {
                scales[o] = 0.002f + r.nextFloat() * 0.02f;
            }
            float[] bias = new float[oc];
            for (int o = 0; o < oc; o++) {
                bias[o] = (float) r.nextGaussian();
            }
            int oh = pad.outputSize(h, kh, stride, 1);
            int ow = pad.outputSize(wd, kw, stride, 1);
            float[] y = new float[oh * ow * oc];
            int[] xs = {1, h, wd, c};
            var t = new HybridInt.Tensors(x, xs, w, ws, scales, bias, y);
            Kernel kernel = depthwise
                    ? HybridInt.depthwise(
                            t, new OpAttributes.DepthwiseConv2D(pad, stride, stride, 1, 1, mult, Activation.NONE))
                    : HybridInt.conv(t, new OpAttributes.Conv2D(pad, stride, stride, 1, 1, Activation.NONE), true);
            kernel.run(Parallel.of(1));
            double max = 0;
            for (float v : x) {
                max = Math.max(max, v);
            }
            double step = max / 255; // the row's range is [0, max(x)]
            int padT = pad.padBefore(h, kh, stride, 1);
            int padL = pad.padBefore(wd, kw, stride, 1);
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int o = 0; o < oc; o++) {
                        double exact = bias[o];
                        double weightSum = 0;
                        for (int ky = 0; ky < kh; ky++) {
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * stride - padT + ky;
                                int ix = ox * stride - padL + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                                    continue; // zero padding
                                }
                                for (int ci = 0; ci < (depthwise ? 1 : c); ci++) {
                                    int inC = depthwise ? o / mult : ci;
                                    int wi = depthwise ? (ky * kw + kx) * oc + o : ((o * kh + ky) * kw + kx) * c + ci;
                                    double wv = w[wi] * (double) scales[o];
                                    exact += x[(iy * wd + ix) * c + inC] * wv;
                                    weightSum += Math.abs(wv);
                                }
                            }
                        }
                        float got = y[(oy * ow + ox) * oc + o];
                        assertThat(Math.abs(got - exact))
                                .as("trial %d (%s) at (%d, %d, %d)", trial, depthwise ? "depthwise" : "conv", oy, ox, o)
                                .isLessThanOrEqualTo(step * weightSum + 1e-4);
                    }
                }
            }
        }
    }
}
