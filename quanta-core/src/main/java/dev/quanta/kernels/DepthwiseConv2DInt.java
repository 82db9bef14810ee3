package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;

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
final class DepthwiseConv2DInt implements Kernel {
    private final Object x;
    private final DType inType;
    private final int inZeroPoint;
    private final Object y;
    private final DType outType;
    private final int[] xc;
    private final int[] w;
    private final long[] bias;
    private final int[] biasInt;
    private final int[] acc;
    private final long[] accWide;
    private final Requantizer rq;
    private final boolean wide;
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
    private final boolean biasOnly;

    DepthwiseConv2DInt(Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape,
            OpAttributes.DepthwiseConv2D a) {
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = y;
        this.outType = p.outType;
        this.rq = p.requantizer;
        this.wide = p.wide;
        this.w = p.weights;
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
        this.biasOnly = p.xnnpack && XnnpackQuirks.sameWithNegativePadding(a.padding(), inH, inW, kh, kw, sh, sw, dh,
                dw);
        this.xc = new int[Buffers.length(x)];
        this.bias = p.bias;
        this.biasInt = new int[outC];
        for (int o = 0; o < outC; o++) {
            biasInt[o] = (int) p.bias[o];
        }
        int outPixels = batch * outH * outW;
        this.acc = wide ? null : new int[outPixels * outC];
        this.accWide = wide ? new long[outPixels * outC] : null;
    }

    @Override
    public void run(Parallel parallel) {
        if (biasOnly) {
            XnnpackQuirks.fillWithRequantizedBias(y, outType, biasInt, rq);
            return;
        }
        parallel.forRange(xc.length, 16384, (from, to) -> Quant.centre(x, inType, inZeroPoint, xc, from, to));
        parallel.forRange(batch * outH, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                outputRow(r / outH, r % outH);
            }
        });
    }

    private void outputRow(int b, int oy) {
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
