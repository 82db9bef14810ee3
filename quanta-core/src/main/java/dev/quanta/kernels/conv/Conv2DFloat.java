package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.arithmetic.Clamp;

/**
 * Float 2-D convolution, NHWC, TensorFlow padding.
 *
 * <pre>
 * y[b, oy, ox, o] = act( bias[o] + Σ_{ky,kx,c} x[b, oy·sh − padT + ky·dh, ox·sw − padL + kx·dw, c] · W[o, ky, kx, c] )
 * </pre>
 *
 * Positions outside the input read as zero. Each output row is an im2col buffer (for each pixel its kh·kw·C
 * inputs, 0 for padding) reduced against the weights in their own [O][kh][kw][C] layout, four output channels per
 * pass; every output sums the bias, then the taps in (ky, kx, c) order (a padded tap adds 0).
 */
final class Conv2DFloat extends FloatConvKernel {
    /** Taps per output value: kh·kw·C; the weights are in the IR layout [O][kh][kw][C]. */
    private final int taps;

    private final ThreadLocal<float[]> columns;
    private final float[] zeros;

    Conv2DFloat(Tensors t, OpAttributes.Conv2D a) {
        super(t, t.wShape()[0], Window.of(t.wShape(), a), a.activation());
        this.taps = kh * kw * inC;
        int columnLength = outW * taps;
        this.columns = ThreadLocal.withInitial(() -> new float[columnLength]);
        this.zeros = new float[kw * inC];
    }

    @Override
    protected void outputRow(int b, int oy) {
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
