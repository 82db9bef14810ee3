package dev.quanta.kernels;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;

/**
 * Float 2-D convolution, NHWC, TensorFlow padding.
 *
 * <pre>
 * y[b, oy, ox, o] = act( bias[o] + Σ_{ky,kx,c} x[b, oy·sh − padT + ky·dh, ox·sw − padL + kx·dw, c] · W[o, ky, kx, c] )
 * </pre>
 *
 * Positions outside the input read as zero. Weights are packed as [ky][kx][c][o] so the inner loop is an axpy
 * over the contiguous output channels of one pixel; every output sums taps in (ky, kx, c) order.
 */
final class Conv2DFloat extends WindowKernel {
    private final float[] x;
    private final float[] y;
    private final float[] packed;
    private final float[] bias;
    private final int outC;
    private final float lo;
    private final float hi;
    /** Weights in the IR layout [O][kh][kw][C], for the dot-product form (null: axpy form). */
    private final float[] weights;
    private final int taps;
    private final ThreadLocal<float[]> columns;
    private final float[] zeros;

    Conv2DFloat(float[] x, int[] xShape, float[] weights, int[] wShape, float[] bias, float[] y, int[] yShape,
            OpAttributes.Conv2D a) {
        super(xShape, yShape, wShape[1], wShape[2], a.strideH(), a.strideW(), a.dilationH(), a.dilationW(),
                a.padding());
        this.x = x;
        this.y = y;
        this.outC = wShape[0];
        int khh = kh;
        int kww = kw;
        int ic = inC;
        int oc = outC;
        this.packed = PackedWeights.get(weights, "conv-float[kh][kw][C][O]", () -> {
            float[] p = new float[khh * kww * ic * oc];
            for (int o = 0; o < oc; o++) {
                for (int ky = 0; ky < khh; ky++) {
                    for (int kx = 0; kx < kww; kx++) {
                        for (int c = 0; c < ic; c++) {
                            p[((ky * kww + kx) * ic + c) * oc + o] = weights[((o * khh + ky) * kww + kx) * ic + c];
                        }
                    }
                }
            }
            return p;
        });
        this.bias = bias != null ? bias.clone() : new float[outC];
        this.taps = kh * kw * inC;
        this.weights = outC >= 4 ? weights : null;
        int columnLength = outW * taps;
        this.columns = ThreadLocal.withInitial(() -> new float[columnLength]);
        this.zeros = new float[kw * inC];
        Activation act = a.activation();
        this.lo = act.min();
        this.hi = act.max();
    }

    @Override
    public void run(Parallel parallel) {
        forEachOutputRow(parallel);
    }

    @Override
    protected void outputRow(int b, int oy) {
        if (weights != null) {
            outputRowDot(b, oy);
            return;
        }
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            System.arraycopy(bias, 0, y, out, outC);
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
                    int in = ((b * inH + iy) * inW + ix) * inC;
                    int w = (ky * kw + kx) * inC * outC;
                    for (int c = 0; c < inC; c++) {
                        float xv = x[in + c];
                        int wc = w + c * outC;
                        for (int o = 0; o < outC; o++) {
                            y[out + o] += xv * packed[wc + o];
                        }
                    }
                }
            }
            Clamp.apply(y, out, out + outC, lo, hi);
        }
    }

    /**
     * Dot-product form: the row's im2col buffer (0 for padding), then four output channels per pass over the taps.
     * Each output still sums bias, then the taps in (ky, kx, c) order, as the axpy form does (a padded tap adds 0).
     */
    private void outputRowDot(int b, int oy) {
        float[] col = columns.get();
        im2colRow(x, col, zeros, b, oy);
        int out = (b * outH + oy) * outW * outC;
        for (int ox = 0; ox < outW; ox++) {
            int ci = ox * taps;
            int o = 0;
            for (; o + 4 <= outC; o += 4) {
                int w0 = o * taps;
                int w1 = w0 + taps;
                int w2 = w1 + taps;
                int w3 = w2 + taps;
                float s0 = bias[o];
                float s1 = bias[o + 1];
                float s2 = bias[o + 2];
                float s3 = bias[o + 3];
                for (int k = 0; k < taps; k++) {
                    float v = col[ci + k];
                    s0 += v * weights[w0 + k];
                    s1 += v * weights[w1 + k];
                    s2 += v * weights[w2 + k];
                    s3 += v * weights[w3 + k];
                }
                y[out + o] = s0;
                y[out + o + 1] = s1;
                y[out + o + 2] = s2;
                y[out + o + 3] = s3;
            }
            for (; o < outC; o++) {
                float s = bias[o];
                int wo = o * taps;
                for (int k = 0; k < taps; k++) {
                    s += col[ci + k] * weights[wo + k];
                }
                y[out + o] = s;
            }
            Clamp.apply(y, out, out + outC, lo, hi);
            out += outC;
        }
    }
}
