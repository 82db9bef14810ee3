package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.HybridRows;

/**
 * Hybrid ("dynamic range") FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: float32 input and output, int8
 * symmetric weights (per tensor or per output channel), float32 bias. As TFLite's hybrid kernels with
 * {@code asymmetric_quantize_inputs}, each batch row of the input is quantized on the fly to int8:
 *
 * <pre>
 * AsymmetricQuantizeFloats (double arithmetic for the parameters, float for the values):
 *   r_min = min(0, min x),  r_max = max(0, max x);  if r_min = r_max: q = 0, s = 1, z = 0
 *   s = (r_max − r_min) / 255,   z₁ = −128 − r_min / s,   z₂ = 127 − r_max / s
 *   z = (|−128| + |r_min / s| &lt; |127| + |r_max / s|) ? z₁ : z₂, nudged to [−128, 127], round (ties away)
 *   q = clamp(round(z + x · float(1 / s)), −128, 127)
 * accumulate:   acc[o] = Σ q · w[o] − z · Σ w[o]                       exact int32 (taps outside the input add 0)
 * FULLY_CONNECTED (tensor_utils::MatrixBatchVectorMultiplyAccumulate):
 *   per-tensor:  y = b[o] + float(acc) · (float(s) · s_w)
 *   per-channel: y = b[o] + float(acc) · (s_w[o] · float(s))
 * CONV_2D (HybridConvPerChannel):                    y = float(acc) · (s_w[o] · float(s)) + b[o]
 * DEPTHWISE_CONV_2D (DepthwiseConvHybridPerChannel):  y = (float(acc) · float(s)) · s_w[o] + b[o]
 * then the fused activation's float clamp.
 * </pre>
 *
 * With {@code asymmetric_quantize_inputs = false} (older converters' FULLY_CONNECTED), and for CONV_2D with
 * per-tensor weights (TFLite's EvalHybrid), the row is quantized
 * symmetrically instead: {@code s = max|x| / 127}, {@code q = clamp(round(x · (127 / max|x|)), −127, 127)},
 * {@code z = 0}. The IR records the flag on FULLY_CONNECTED ({@code OpAttributes.FullyConnected}); Quanta writes
 * hybrid layers with it set, as current converters do.
 *
 * <p>This is the built-in path's arithmetic. XNNPACK's dynamic-range path ("qd8") quantizes with float parameters
 * and requantizes differently; Quanta does not reproduce it, so hybrid ops follow the built-in path on both
 * {@link QuantizedPath}s.
 */
final class HybridInt extends WindowKernel {
    /**
     * A hybrid op's tensors: the float input and output, the int8 weights with their scales (one, or one per output
     * channel) and the float bias (null: none). FULLY_CONNECTED's weights are [n, k] and its input is rows of k
     * values, whatever its shape.
     */
    record Tensors(float[] x, int[] xShape, byte[] weights, int[] wShape, float[] scales, float[] bias, float[] y) {}

    private final OpType type;
    private final float[] x;
    private final float[] y;
    private final int[] w;
    private final float[] weightScales;
    private final boolean perChannel;
    private final float[] bias;
    private final int[] rowSums;
    private final byte[] xq;
    private final float[] rowScale;
    private final int[] rowOffset;
    private final int[] acc;
    private final float lo;
    private final float hi;
    /**
     * Inputs per batch row: H·W·C. FULLY_CONNECTED (rows x k -> rows x n) runs as a 1x1 convolution over
     * [rows, 1, 1, k], so its rows are {@link #batch} and its n is {@link #outC}.
     */
    private final int k;

    private final int outC;
    private final int mult;
    private final boolean asymmetric;

    /** FULLY_CONNECTED: x [rows, k], weights [n, k]. */
    static HybridInt fullyConnected(Tensors t, Activation act, boolean asymmetric) {
        return new HybridInt(OpType.FULLY_CONNECTED, t, Window.POINT, act, 1, asymmetric);
    }

    static HybridInt conv(Tensors t, OpAttributes.Conv2D a, boolean xnnpack) {
        // TFLite's built-in conv: per-channel weights go to EvalHybridPerChannel (asymmetric input quantization),
        // per-tensor weights to the older EvalHybrid, which quantizes each batch row symmetrically. XNNPACK
        // quantizes inputs asymmetrically in both cases, so that setting keeps the asymmetric form (closer to it).
        boolean asymmetric = t.scales().length > 1 || xnnpack;
        return new HybridInt(OpType.CONV_2D, t, Window.of(t.wShape(), a), a.activation(), 1, asymmetric);
    }

    static HybridInt depthwise(Tensors t, OpAttributes.DepthwiseConv2D a) {
        return new HybridInt(
                OpType.DEPTHWISE_CONV_2D, t, Window.of(t.wShape(), a), a.activation(), a.depthMultiplier(), true);
    }

    private HybridInt(OpType type, Tensors t, Window window, Activation act, int mult, boolean asymmetric) {
        super(inputAsNhwc(type, t), window);
        this.type = type;
        this.asymmetric = asymmetric;
        this.x = t.x();
        this.y = t.y();
        this.weightScales = t.scales().clone();
        this.perChannel = t.scales().length > 1;
        this.lo = act.min();
        this.hi = act.max();
        this.mult = mult;
        this.outC = type == OpType.DEPTHWISE_CONV_2D ? t.wShape()[3] : t.wShape()[0];
        this.k = inH * inW * inC;
        byte[] weights = t.weights();
        this.w = PackedWeights.get(weights, "hybrid-int-weights", () -> {
            int[] v = new int[weights.length];
            for (int i = 0; i < weights.length; i++) {
                v[i] = weights[i];
            }
            return v;
        });
        this.bias = t.bias() != null ? t.bias().clone() : null;
        this.rowSums = new int[outC];
        if (type == OpType.DEPTHWISE_CONV_2D) {
            for (int i = 0; i < w.length; i++) {
                rowSums[i % outC] += w[i];
            }
        } else {
            int per = w.length / outC;
            for (int o = 0; o < outC; o++) {
                for (int i = 0; i < per; i++) {
                    rowSums[o] += w[o * per + i];
                }
            }
        }
        this.xq = new byte[x.length];
        this.rowScale = new float[batch];
        this.rowOffset = new int[batch];
        this.acc = new int[y.length];
    }

    /** The input's NHWC shape; FULLY_CONNECTED's rows of k as [rows, 1, 1, k]. */
    private static int[] inputAsNhwc(OpType type, Tensors t) {
        if (type != OpType.FULLY_CONNECTED) {
            return t.xShape();
        }
        int k = t.wShape()[1];
        return new int[] {t.x().length / k, 1, 1, k};
    }

    @Override
    public void run(Parallel parallel) {
        for (int b = 0; b < batch; b++) {
            quantizeRow(b * k, k, b);
        }
        if (type == OpType.FULLY_CONNECTED) {
            parallel.forRange(outC, 16, fcChannels);
        } else {
            forEachOutputRow(parallel);
        }
    }

    /** FULLY_CONNECTED's body over output channel ranges, made once so that a run allocates nothing. */
    private final Parallel.RangeBody fcChannels = this::runFcChannels;

    private void runFcChannels(int from, int to) {
        for (int b = 0; b < batch; b++) {
            fcRow(b, from, to);
        }
    }

    /** TFLite's SymmetricQuantizeFloats (asymmetric_quantize_inputs = false) or AsymmetricQuantizeFloats. */
    private void quantizeRow(int off, int size, int b) {
        rowScale[b] = HybridRows.quantize(x, off, size, asymmetric, xq, rowOffset, b);
    }

    private float finish(float v) {
        return v < lo ? lo : (v > hi ? hi : v);
    }

    private void fcRow(int b, int from, int to) {
        int in = b * k;
        int out = b * outC;
        float s = rowScale[b];
        int z = rowOffset[b];
        for (int o = from; o < to; o++) {
            int sum = 0;
            int wr = o * k;
            for (int i = 0; i < k; i++) {
                sum += w[wr + i] * xq[in + i];
            }
            sum -= z * rowSums[o];
            float scale = perChannel ? weightScales[o] * s : s * weightScales[0];
            float v = bias != null ? bias[o] : 0f;
            v += (float) sum * scale;
            y[out + o] = finish(v);
        }
    }

    @Override
    protected void outputRow(int b, int oy) {
        float s = rowScale[b];
        int z = rowOffset[b];
        int xb = b * inH * inW * inC;
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            java.util.Arrays.fill(acc, out, out + outC, 0);
            for (int ky = 0; ky < kh; ky++) {
                int iy = oy * sh - padT + ky * dh;
                if (iy < 0 || iy >= inH) {
                    continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ox * sw - padL + kx * dw;
                    if (ix < 0 || ix >= inW) {
                        continue;
                    }
                    int in = xb + (iy * inW + ix) * inC;
                    if (type == OpType.DEPTHWISE_CONV_2D) {
                        int wo = (ky * kw + kx) * outC;
                        for (int o = 0; o < outC; o++) {
                            acc[out + o] += (xq[in + o / mult] - z) * w[wo + o];
                        }
                    } else {
                        for (int o = 0; o < outC; o++) {
                            int wo = ((o * kh + ky) * kw + kx) * inC;
                            int sum = 0;
                            for (int c = 0; c < inC; c++) {
                                sum += (xq[in + c] - z) * w[wo + c];
                            }
                            acc[out + o] += sum;
                        }
                    }
                }
            }
            for (int o = 0; o < outC; o++) {
                float ws = weightScales[perChannel ? o : 0];
                float v = type == OpType.DEPTHWISE_CONV_2D
                        ? (float) acc[out + o] * s * ws + (bias != null ? bias[o] : 0f)
                        : (float) acc[out + o] * (ws * s) + (bias != null ? bias[o] : 0f);
                y[out + o] = finish(v);
            }
        }
    }
}
