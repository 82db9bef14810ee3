package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;

/**
 * Integer 2-D convolution, NHWC, TensorFlow padding: int8, uint8 and 16x8 (int16 activations, int8 weights).
 *
 * <pre>
 * acc[b, oy, ox, o] = bias[o] + Σ_{ky,kx,c} (x[b, iy, ix, c] − zp_x) · (W[o, ky, kx, c] − zp_w[o])
 *                     iy = oy·sh − padT + ky·dh,  ix = ox·sw − padL + kx·dw   (taps outside the input add 0)
 * y[b, oy, ox, o]   = requantize(acc, o)          see {@link Requantizer}, fused activation as its clamp
 * </pre>
 *
 * A tap outside the input reads the input zero point, so it adds nothing: the same as TFLite's im2col padding and
 * XNNPACK's zero buffer. The accumulation is exact integer arithmetic, so the order of terms does not matter; only
 * the requantization distinguishes the paths. The input is centred once per run into an int buffer, weights are
 * packed once as [ky][kx][c][o] so the inner loop is an axpy over the output channels of one pixel.
 */
final class Conv2DInt implements Kernel {
    private final Object x;
    private final DType inType;
    private final int inZeroPoint;
    private final Object y;
    private final DType outType;
    private final int[] xc;
    private final int[] packed;
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
    /** Weights in the IR layout [O][kh][kw][C] (centred), for the dot-product form. */
    private final int[] wDot;
    /** True when the dot-product form (reduction over contiguous taps per output channel) is used. */
    private final boolean dotForm;

    Conv2DInt(Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape, OpAttributes.Conv2D a) {
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = y;
        this.outType = p.outType;
        this.rq = p.requantizer;
        this.wide = p.wide;
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
        this.biasOnly = p.xnnpack && XnnpackQuirks.sameWithNegativePadding(a.padding(), inH, inW, kh, kw, sh, sw, dh,
                dw);
        this.xc = new int[Buffers.length(x)];
        int khh = kh;
        int kww = kw;
        int ic = inC;
        int oc = outC;
        this.packed = PackedWeights.get(p.weights, "conv-int[kh][kw][C][O]", () -> {
            int[] v = new int[khh * kww * ic * oc];
            for (int o = 0; o < oc; o++) {
                for (int ky = 0; ky < khh; ky++) {
                    for (int kx = 0; kx < kww; kx++) {
                        for (int c = 0; c < ic; c++) {
                            v[((ky * kww + kx) * ic + c) * oc + o] = p.weights[((o * khh + ky) * kww + kx) * ic + c];
                        }
                    }
                }
            }
            return v;
        });
        this.wDot = p.weights;
        // the axpy form's inner loop runs over the output channels, the dot form's over a contiguous run of taps
        // (kw·C when the width dilation is 1, else C): pick the longer one so the JIT's vector loop has work
        int span = dw == 1 ? kw * inC : inC;
        this.dotForm = !wide && span >= outC;
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
                if (wide) {
                    outputRowWide(r / outH, r % outH);
                } else if (dotForm) {
                    outputRowDot(r / outH, r % outH);
                } else {
                    outputRow(r / outH, r % outH);
                }
            }
        });
    }

    private void outputRowDot(int b, int oy) {
        int taps = kh * kw * inC;
        int iy0 = oy * sh - padT;
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            int ix0 = ox * sw - padL;
            int kxLo = 0;
            int kxHi = kw;
            if (dw == 1) {
                kxLo = Math.max(0, -ix0);
                kxHi = Math.min(kw, inW - ix0);
            }
            for (int o = 0; o < outC; o++) {
                int s = biasInt[o];
                int wo = o * taps;
                for (int ky = 0; ky < kh; ky++) {
                    int iy = iy0 + ky * dh;
                    if (iy < 0 || iy >= inH) {
                        continue;
                    }
                    int row = (b * inH + iy) * inW;
                    if (dw == 1) {
                        if (kxLo < kxHi) {
                            s += dot(xc, (row + ix0 + kxLo) * inC, wDot, wo + (ky * kw + kxLo) * inC,
                                    (kxHi - kxLo) * inC);
                        }
                    } else {
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ix0 + kx * dw;
                            if (ix < 0 || ix >= inW) {
                                continue;
                            }
                            s += dot(xc, (row + ix) * inC, wDot, wo + (ky * kw + kx) * inC, inC);
                        }
                    }
                }
                Quant.set(y, outType, out + o, rq.apply(s, o));
            }
        }
    }

    private static int dot(int[] a, int ai, int[] b, int bi, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ai + i] * b[bi + i];
        }
        return s;
    }

    private void outputRow(int b, int oy) {
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            System.arraycopy(biasInt, 0, acc, out, outC);
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
                    int c = 0;
                    // four input channels per pass: one load and store of the accumulators per four products
                    for (; c + 4 <= inC; c += 4) {
                        int x0 = xc[in + c];
                        int x1 = xc[in + c + 1];
                        int x2 = xc[in + c + 2];
                        int x3 = xc[in + c + 3];
                        int w0 = w + c * outC;
                        int w1 = w0 + outC;
                        int w2 = w1 + outC;
                        int w3 = w2 + outC;
                        for (int o = 0; o < outC; o++) {
                            acc[out + o] += x0 * packed[w0 + o] + x1 * packed[w1 + o] + x2 * packed[w2 + o]
                                    + x3 * packed[w3 + o];
                        }
                    }
                    for (; c < inC; c++) {
                        int xv = xc[in + c];
                        int wc = w + c * outC;
                        for (int o = 0; o < outC; o++) {
                            acc[out + o] += xv * packed[wc + o];
                        }
                    }
                }
            }
            for (int o = 0; o < outC; o++) {
                Quant.set(y, outType, out + o, rq.apply(acc[out + o], o));
            }
        }
    }

    private void outputRowWide(int b, int oy) {
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            System.arraycopy(bias, 0, accWide, out, outC);
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
                        long xv = xc[in + c];
                        int wc = w + c * outC;
                        for (int o = 0; o < outC; o++) {
                            accWide[out + o] += xv * packed[wc + o];
                        }
                    }
                }
            }
            for (int o = 0; o < outC; o++) {
                Quant.set(y, outType, out + o, rq.apply(accWide[out + o], o));
            }
        }
    }
}
