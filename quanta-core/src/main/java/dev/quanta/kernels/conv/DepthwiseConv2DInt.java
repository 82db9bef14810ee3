package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * Integer depthwise 2-D convolution, NHWC, TensorFlow padding, depth multiplier M: int8, uint8 and 16x8. Output
 * channel {@code o = c·M + m} reads input channel c.
 *
 * <pre>
 * acc[b, oy, ox, o] = bias[o] + Σ_{ky,kx} (x[b, iy, ix, o / M] − zp_x) · (W[0, ky, kx, o] − zp_w[o])
 * y[b, oy, ox, o]   = requantize(acc, o)          see {@link Requantizer}
 * </pre>
 *
 * Taps outside the input add nothing (they read the zero point). Weights per-channel along axis 3.
 */
final class DepthwiseConv2DInt extends IntegerWindowKernel {
    private final int[] w;
    private final int[] acc;
    private final long[] accWide;
    private final int mult;

    DepthwiseConv2DInt(
            Object x,
            int[] xShape,
            WeightedOpParams p,
            int[] wShape,
            Object y,
            int[] yShape,
            OpAttributes.DepthwiseConv2D a) {
        super(x, xShape, p, y, yShape, wShape[3], Window.of(wShape, a));
        this.w = p.weights;
        this.mult = a.depthMultiplier();
        int outPixels = batch * outH * outW;
        this.acc = wide ? null : new int[outPixels * outC];
        this.accWide = wide ? new long[outPixels * outC] : null;
    }

    @Override
    protected void outputRow(int b, int oy) {
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            if (wide) {
                System.arraycopy(bias, 0, accWide, out, outC);
            } else {
                System.arraycopy(biasInt, 0, acc, out, outC);
            }
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
                    if (wide) {
                        for (int o = 0; o < outC; o++) {
                            accWide[out + o] += (long) xc[in + o / mult] * w[wo + o];
                        }
                    } else if (mult == 1) {
                        for (int c = 0; c < inC; c++) {
                            acc[out + c] += xc[in + c] * w[wo + c];
                        }
                    } else {
                        for (int o = 0; o < outC; o++) {
                            acc[out + o] += xc[in + o / mult] * w[wo + o];
                        }
                    }
                }
            }
            for (int o = 0; o < outC; o++) {
                int v = wide ? rq.apply(accWide[out + o], o) : rq.apply(acc[out + o], o);
                Quant.set(y, outType, out + o, v);
            }
        }
    }
}
