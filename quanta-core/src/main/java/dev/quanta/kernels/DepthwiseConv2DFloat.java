package dev.quanta.kernels;

import dev.quanta.ir.OpAttributes;

/**
 * Float depthwise 2-D convolution, NHWC, TensorFlow padding. Output channel {@code o = c·M + m} reads input
 * channel c (M = depth multiplier).
 *
 * <pre>
 * y[b, oy, ox, o] = act( bias[o] + Σ_{ky,kx} x[b, oy·sh − padT + ky·dh, ox·sw − padL + kx·dw, o / M] · W[0, ky, kx, o] )
 * </pre>
 */
final class DepthwiseConv2DFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final float[] w;
    private final float[] bias;
    private final int batch;
    private final int inH;
    private final int inW;
    private final int inC;
    private final int mult;
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

    DepthwiseConv2DFloat(float[] x, int[] xShape, float[] weights, int[] wShape, float[] bias, float[] y,
            int[] yShape, OpAttributes.DepthwiseConv2D a) {
        this.x = x;
        this.y = y;
        this.w = weights;
        this.batch = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.inC = xShape[3];
        this.mult = a.depthMultiplier();
        this.kh = wShape[1];
        this.kw = wShape[2];
        this.outC = wShape[3];
        this.outH = yShape[1];
        this.outW = yShape[2];
        this.sh = a.strideH();
        this.sw = a.strideW();
        this.dh = a.dilationH();
        this.dw = a.dilationW();
        this.padT = a.padding().padBefore(inH, kh, sh, dh);
        this.padL = a.padding().padBefore(inW, kw, sw, dw);
        this.bias = bias != null ? bias.clone() : new float[outC];
        this.lo = a.activation().min();
        this.hi = a.activation().max();
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
                    int wo = (ky * kw + kx) * outC;
                    if (mult == 1) {
                        for (int c = 0; c < inC; c++) {
                            y[out + c] += x[in + c] * w[wo + c];
                        }
                    } else {
                        for (int o = 0; o < outC; o++) {
                            y[out + o] += x[in + o / mult] * w[wo + o];
                        }
                    }
                }
            }
            Clamp.apply(y, out, out + outC, lo, hi);
        }
    }
}
