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
}
