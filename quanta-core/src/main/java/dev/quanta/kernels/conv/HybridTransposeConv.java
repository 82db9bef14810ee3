package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.HybridRows;

/**
 * Hybrid ("dynamic range") TRANSPOSE_CONV, as TFLite 2.21's transpose_conv kernel runs a float32 input with int8
 * weights: each batch image is quantized on the fly to int8 (AsymmetricQuantizeFloats over all H·W·C values of the
 * image, whatever the options say; see {@link HybridRows}), the taps are summed exactly in int32, and the sum is
 * scaled back to float per output channel:
 *
 * <pre>
 * (s_b, z_b) = AsymmetricQuantizeFloats(x[b]),   q = quantized x[b]
 * acc[b, oy, ox, o] = Σ (q[b, iy, ix, c] − z_b) · W[o, ky, kx, c]   over the taps of {@link TransposeConv2D}
 * y = act(float(acc) · (s_b · s_w[o]) + bias[o])                    s_w per channel, or the one scale per tensor
 * </pre>
 *
 * TFLite scatters its float products in another order; the results agree within float rounding. XNNPACK's delegate
 * runs its own dynamic quantization of these ops; Quanta computes the built-in arithmetic on both paths.
 */
final class HybridTransposeConv implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int[] w;
    private final float[] weightScales;
    private final float[] bias;
    private final float lo;
    private final float hi;
    private final int batch;
    private final int inH;
    private final int inW;
    private final int inC;
    private final int outH;
    private final int outW;
    private final int outC;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int padT;
    private final int padL;
    private final byte[] xq;
    private final float[] imageScale;
    private final int[] imageOffset;
    private final ThreadLocal<int[]> acc;

    /**
     * @param scales one weight scale, or one per output channel
     * @param bias null: none
     */
    HybridTransposeConv(
            float[] x,
            int[] xs,
            byte[] weights,
            int[] ws,
            float[] scales,
            float[] bias,
            float[] y,
            OpAttributes.TransposeConv a) {
        this.x = x;
        this.y = y;
        this.batch = xs[0];
        this.inH = xs[1];
        this.inW = xs[2];
        this.inC = xs[3];
        this.outC = ws[0];
        this.kh = ws[1];
        this.kw = ws[2];
        this.outH = a.outH();
        this.outW = a.outW();
        this.sh = a.strideH();
        this.sw = a.strideW();
        this.padT = TransposeConv2D.padBefore(a.padding(), outH, kh, sh);
        this.padL = TransposeConv2D.padBefore(a.padding(), outW, kw, sw);
        this.lo = a.activation().min();
        this.hi = a.activation().max();
        this.w = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            w[i] = weights[i];
        }
        this.weightScales = new float[outC];
        for (int o = 0; o < outC; o++) {
            weightScales[o] = scales[scales.length == 1 ? 0 : o];
        }
        this.bias = bias == null ? null : bias.clone();
        this.xq = new byte[x.length];
        this.imageScale = new float[batch];
        this.imageOffset = new int[batch];
        int channels = outC;
        this.acc = ThreadLocal.withInitial(() -> new int[channels]);
    }

    private final Parallel.RangeBody rows = this::rows;

    @Override
    public void run(Parallel parallel) {
        int size = inH * inW * inC;
        for (int b = 0; b < batch; b++) {
            imageScale[b] = HybridRows.quantize(x, b * size, size, true, xq, imageOffset, b);
        }
        parallel.forRange(batch * outH, 1, rows);
    }

    private void rows(int from, int to) {
        int[] sums = acc.get();
        int perChannel = kh * kw * inC;
        for (int r = from; r < to; r++) {
            int b = r / outH;
            int oy = r % outH;
            int z = imageOffset[b];
            float s = imageScale[b];
            for (int ox = 0; ox < outW; ox++) {
                java.util.Arrays.fill(sums, 0);
                for (int ky = 0; ky < kh; ky++) {
                    int ny = oy + padT - ky;
                    if (ny < 0 || ny % sh != 0 || ny / sh >= inH) {
                        continue;
                    }
                    for (int kx = 0; kx < kw; kx++) {
                        int nx = ox + padL - kx;
                        if (nx < 0 || nx % sw != 0 || nx / sw >= inW) {
                            continue;
                        }
                        int in = ((b * inH + ny / sh) * inW + nx / sw) * inC;
                        int tap = (ky * kw + kx) * inC;
                        for (int o = 0; o < outC; o++) {
                            int wo = o * perChannel + tap;
                            int sum = 0;
                            for (int c = 0; c < inC; c++) {
                                sum += (xq[in + c] - z) * w[wo + c];
                            }
                            sums[o] += sum;
                        }
                    }
                }
                int out = ((b * outH + oy) * outW + ox) * outC;
                for (int o = 0; o < outC; o++) {
                    float v = (float) sums[o] * (s * weightScales[o]) + (bias == null ? 0f : bias[o]);
                    y[out + o] = v < lo ? lo : (v > hi ? hi : v);
                }
            }
        }
    }
}
