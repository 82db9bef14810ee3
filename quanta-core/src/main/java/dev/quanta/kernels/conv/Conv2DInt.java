package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

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
 * the requantization distinguishes the paths. The input is centred once per run into an int buffer. 8-bit
 * convolutions run as dot products over an im2col row per output pixel (kh·kw·C taps against the weights in
 * their own [O][kh][kw][C] layout); 16x8 ones, which accumulate in 64 bits, as an axpy over the output channels
 * with weights packed once as [ky][kx][c][o].
 */
final class Conv2DInt extends IntegerWindowKernel {
    private final int[] packed;
    private final long[] accWide;
    /** Weights in the IR layout [O][kh][kw][C] (centred), for the dot-product form. */
    private final int[] wDot;
    /** Taps per output value: kh·kw·C. */
    private final int taps;
    /** A 1×1, stride-1, unpadded convolution: each input pixel's channels are already one output's taps. */
    private final boolean pointwise;
    /** Per thread: one output row's im2col buffer [outW][kh·kw·C] (centred inputs, 0 for padding). */
    private final ThreadLocal<int[]> columns;

    private final int[] zeros;

    Conv2DInt(Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape, OpAttributes.Conv2D a) {
        super(x, xShape, p, y, yShape, wShape[0], Window.of(wShape, a));
        int khh = kh;
        int kww = kw;
        int ic = inC;
        int oc = outC;
        this.packed = !wide
                ? null
                : PackedWeights.get(p.weights, "conv-int[kh][kw][C][O]", () -> {
                    int[] v = new int[khh * kww * ic * oc];
                    for (int o = 0; o < oc; o++) {
                        for (int ky = 0; ky < khh; ky++) {
                            for (int kx = 0; kx < kww; kx++) {
                                for (int c = 0; c < ic; c++) {
                                    v[((ky * kww + kx) * ic + c) * oc + o] =
                                            p.weights[((o * khh + ky) * kww + kx) * ic + c];
                                }
                            }
                        }
                    }
                    return v;
                });
        this.wDot = p.weights;
        this.taps = kh * kw * inC;
        this.pointwise =
                kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && outH == inH && outW == inW;
        // 8-bit: every output is a dot product of length kh·kw·C over an im2col row; 16x8 accumulates in 64 bits in
        // the axpy form
        int columnLength = outW * taps;
        this.columns = ThreadLocal.withInitial(() -> new int[columnLength]);
        this.zeros = new int[kw * inC];
        int outPixels = batch * outH * outW;
        this.accWide = wide ? new long[outPixels * outC] : null;
    }

    @Override
    protected void outputRow(int b, int oy) {
        if (wide) {
            outputRowWide(b, oy);
        } else {
            outputRowDot(b, oy);
        }
    }

    /**
     * One output row as dot products: the row's im2col buffer (for each output pixel its kh·kw·C centred taps in
     * the weights' [ky][kx][c] order, 0 where the window leaves the input), then for each pixel and output
     * channel {@code bias + Σ col·W[o]}.
     */
    private void outputRowDot(int b, int oy) {
        int[] col;
        int colBase;
        if (pointwise) {
            col = xc;
            colBase = (b * inH + oy) * inW * inC;
        } else {
            col = columns.get();
            colBase = 0;
            im2colRow(xc, col, zeros, b, oy);
        }
        int out = (b * outH + oy) * outW * outC;
        for (int ox = 0; ox < outW; ox++) {
            int ci = colBase + ox * taps;
            int o = 0;
            for (; o + 4 <= outC; o += 4) {
                // four output channels per pass over the taps: each input value is loaded once for four products
                // (more accumulators than four spill registers and run slower)
                int w0 = o * taps;
                int w1 = w0 + taps;
                int w2 = w1 + taps;
                int w3 = w2 + taps;
                int s0 = 0;
                int s1 = 0;
                int s2 = 0;
                int s3 = 0;
                for (int k = 0; k < taps; k++) {
                    int v = col[ci + k];
                    s0 += v * wDot[w0 + k];
                    s1 += v * wDot[w1 + k];
                    s2 += v * wDot[w2 + k];
                    s3 += v * wDot[w3 + k];
                }
                store(out + o, o, s0, s1, s2, s3);
            }
            for (; o < outC; o++) {
                Quant.set(y, outType, out + o, rq.apply(biasInt[o] + dot(col, ci, wDot, o * taps, taps), o));
            }
            out += outC;
        }
    }

    /** Requantizes and stores four consecutive output channels from {@code o} at {@code at}. */
    private void store(int at, int o, int s0, int s1, int s2, int s3) {
        Quant.set(y, outType, at, rq.apply(biasInt[o] + s0, o));
        Quant.set(y, outType, at + 1, rq.apply(biasInt[o + 1] + s1, o + 1));
        Quant.set(y, outType, at + 2, rq.apply(biasInt[o + 2] + s2, o + 2));
        Quant.set(y, outType, at + 3, rq.apply(biasInt[o + 3] + s3, o + 3));
    }

    private static int dot(int[] a, int ai, int[] b, int bi, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ai + i] * b[bi + i];
        }
        return s;
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
