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
final class Conv2DFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final float[] packed;
    private final float[] bias;
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
    private final int dh;
    private final int dw;
    private final int padT;
    private final int padL;
    private final float lo;
    private final float hi;

    Conv2DFloat(float[] x, int[] xShape, float[] weights, int[] wShape, float[] bias, float[] y, int[] yShape,
            OpAttributes.Conv2D a) {
        this.x = x;
        this.y = y;
        this.batch = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.inC = xShape[3];
        this.outC = wShape[0];
        this.kh = wShape[1];
        this.kw = wShape[2];
        this.outH = yShape[1];
        this.outW = yShape[2];
        this.sh = a.strideH();
        this.sw = a.strideW();
        this.dh = a.dilationH();
        this.dw = a.dilationW();
        this.padT = a.padding().padBefore(inH, kh, sh, dh);
        this.padL = a.padding().padBefore(inW, kw, sw, dw);
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
        parallel.forRange(batch * outH, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                outputRow(r / outH, r % outH);
            }
        });
    }

    private void outputRow(int b, int oy) {
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
