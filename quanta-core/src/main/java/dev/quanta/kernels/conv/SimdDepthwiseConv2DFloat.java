package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float depthwise 2-D convolution with depth multiplier 1, vectorised across channels: the same math as {@link
 * DepthwiseConv2DFloat} in the same order of terms, up to the FMA's single rounding.
 *
 * <pre>
 * y[b, oy, ox, c] = act( bias[c] + Σ_{ky,kx inside} x[b, iy, ix, c] · W[0, ky, kx, c] )
 * </pre>
 *
 * The weights are packed once as [kh·kw][C'] and the bias as [C'], C' = C rounded up to the vector length (zeros
 * past C). For each output pixel the taps inside the input are a rectangle [ky0, ky1) × [kx0, kx1) (per output row
 * and per output column, worked out once), so the channel loop has no padding test. Output columns whose window
 * lies inside the input go 4 pixels at a time (4 FMA chains per channel vector, sharing the weight vector); the
 * others one pixel at a time in blocks of 4 channel vectors, then single vectors, then the last partial vector
 * under a mask. A stride-1 row whose channels are not whole vectors (C = 8 on 16 lanes) runs its inside columns
 * as one run of ox·C + c elements over weights tiled along the row. Every output sums bias, then its inside taps
 * in (ky, kx) order with FMA, whichever path computes it; bias and clamp are the accumulators' start and the
 * store's epilogue. Only loaded when {@link Simd#enabled()}.
 */
final class SimdDepthwiseConv2DFloat extends FloatConvKernel {
    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();

    /** Channels rounded up to a whole vector. */
    private final int padded;

    private final float[] packed;
    private final float[] paddedBias;
    /** Per output column ox: the first and past-the-last kx whose input column is inside. */
    private final int[] kx0;

    private final int[] kx1;
    private final VectorMask<Float> tail;
    /**
     * Output columns whose whole window row lies inside the input, [interiorFrom, interiorTo), and for stride-1
     * kernels with channels that are not whole vectors, the weights and bias tiled along an output row (element
     * ox·C + c holds channel c), or null.
     */
    private final int interiorFrom;

    private final int interiorTo;
    private final float[] rowWeights;
    private final float[] rowBias;
    /** Largest tiled weights (floats) the row form may take. */
    private static final int MAX_ROW_WEIGHTS = 1 << 16;

    SimdDepthwiseConv2DFloat(Tensors t, OpAttributes.DepthwiseConv2D a) {
        super(t, t.wShape()[3], Window.of(t.wShape(), a), a.activation());
        if (a.depthMultiplier() != 1 || inC != outC) {
            throw new IllegalArgumentException("the vector depthwise kernel takes depth multiplier 1 only");
        }
        int c = outC;
        int cp = (c + L - 1) / L * L;
        this.padded = cp;
        int taps = kh * kw;
        float[] w = weights;
        this.packed = PackedWeights.get(weights, "dw-float[taps][C" + L + "]", () -> {
            float[] p = new float[taps * cp];
            for (int tap = 0; tap < taps; tap++) {
                System.arraycopy(w, tap * c, p, tap * cp, c);
            }
            return p;
        });
        this.paddedBias = new float[cp];
        System.arraycopy(bias, 0, paddedBias, 0, c);
        this.kx0 = new int[outW];
        this.kx1 = new int[outW];
        for (int ox = 0; ox < outW; ox++) {
            int[] range = inside(ox * sw - padL, kw, dw, inW);
            kx0[ox] = range[0];
            kx1[ox] = range[1];
        }
        this.tail = S.indexInRange(c - c % L, c);
        int from = 0;
        while (from < outW && kx0[from] != 0) {
            from++;
        }
        int to = from;
        while (to < outW && kx0[to] == 0 && kx1[to] == kw) {
            to++;
        }
        this.interiorFrom = from;
        this.interiorTo = to;
        int rowLength = outW * c;
        if (sw == 1 && c % L != 0 && (long) taps * rowLength <= MAX_ROW_WEIGHTS) {
            float[] tiled = new float[taps * rowLength];
            for (int tap = 0; tap < taps; tap++) {
                for (int f = 0; f < rowLength; f++) {
                    tiled[tap * rowLength + f] = w[tap * c + f % c];
                }
            }
            this.rowWeights = tiled;
            this.rowBias = new float[rowLength];
            for (int f = 0; f < rowLength; f++) {
                rowBias[f] = bias[f % c];
            }
        } else {
            this.rowWeights = null;
            this.rowBias = null;
        }
    }

    /** The window positions [first, past-last) whose input index start + k·dilation lies in [0, size). */
    private static int[] inside(int start, int k, int dilation, int size) {
        int first = 0;
        while (first < k && start + first * dilation < 0) {
            first++;
        }
        int end = first;
        while (end < k && start + end * dilation < size) {
            end++;
        }
        return new int[] {first, end};
    }

    @Override
    public void run(Parallel parallel) {
        forEachOutputRow(parallel);
    }

    @Override
    protected void outputRow(int b, int oy) {
        int iy0 = oy * sh - padT;
        int ky0 = 0;
        while (ky0 < kh && iy0 + ky0 * dh < 0) {
            ky0++;
        }
        int ky1 = ky0;
        while (ky1 < kh && iy0 + ky1 * dh < inH) {
            ky1++;
        }
        if (rowWeights != null && interiorFrom < interiorTo) {
            pixels(b, oy, iy0, ky0, ky1, 0, interiorFrom);
            interior(b, oy, iy0, ky0, ky1);
            pixels(b, oy, iy0, ky0, ky1, interiorTo, outW);
        } else if (interiorTo - interiorFrom >= 4) {
            pixels(b, oy, iy0, ky0, ky1, 0, interiorFrom);
            int ox = interiorFrom;
            for (; ox + 4 <= interiorTo; ox += 4) {
                fourPixels(b, oy, iy0, ky0, ky1, ox);
            }
            pixels(b, oy, iy0, ky0, ky1, ox, outW);
        } else {
            pixels(b, oy, iy0, ky0, ky1, 0, outW);
        }
    }

    /**
     * Output columns ox .. ox+3, all with their whole window row inside the input: for each vector of channels the
     * 4 pixels are 4 independent FMA chains sharing each tap's weight vector.
     */
    private void fourPixels(int b, int oy, int iy0, int ky0, int ky1, int ox) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int c = outC;
        int step = sw * c;
        int out = ((b * outH + oy) * outW + ox) * c;
        int ix0 = ox * sw - padL;
        for (int ch = 0; ch < c; ch += L) {
            boolean whole = ch + L <= c;
            FloatVector start = FloatVector.fromArray(S, paddedBias, ch);
            FloatVector a0 = start;
            FloatVector a1 = start;
            FloatVector a2 = start;
            FloatVector a3 = start;
            for (int ky = ky0; ky < ky1; ky++) {
                int row = (b * inH + iy0 + ky * dh) * inW;
                for (int kx = 0; kx < kw; kx++) {
                    int in = (row + ix0 + kx * dw) * c + ch;
                    FloatVector w = FloatVector.fromArray(S, packed, (ky * kw + kx) * padded + ch);
                    if (whole) {
                        a0 = FloatVector.fromArray(S, x, in).fma(w, a0);
                        a1 = FloatVector.fromArray(S, x, in + step).fma(w, a1);
                        a2 = FloatVector.fromArray(S, x, in + 2 * step).fma(w, a2);
                        a3 = FloatVector.fromArray(S, x, in + 3 * step).fma(w, a3);
                    } else {
                        a0 = FloatVector.fromArray(S, x, in, tail).fma(w, a0);
                        a1 = FloatVector.fromArray(S, x, in + step, tail).fma(w, a1);
                        a2 = FloatVector.fromArray(S, x, in + 2 * step, tail).fma(w, a2);
                        a3 = FloatVector.fromArray(S, x, in + 3 * step, tail).fma(w, a3);
                    }
                }
            }
            if (whole) {
                a0.max(vlo).min(vhi).intoArray(y, out + ch);
                a1.max(vlo).min(vhi).intoArray(y, out + c + ch);
                a2.max(vlo).min(vhi).intoArray(y, out + 2 * c + ch);
                a3.max(vlo).min(vhi).intoArray(y, out + 3 * c + ch);
            } else {
                a0.max(vlo).min(vhi).intoArray(y, out + ch, tail);
                a1.max(vlo).min(vhi).intoArray(y, out + c + ch, tail);
                a2.max(vlo).min(vhi).intoArray(y, out + 2 * c + ch, tail);
                a3.max(vlo).min(vhi).intoArray(y, out + 3 * c + ch, tail);
            }
        }
    }

    /**
     * Output columns [interiorFrom, interiorTo) of a stride-1 row as one run of ox·C + c elements: at tap (ky, kx)
     * element f reads x at the row's f + (kx·dw − padL)·C, so whole vectors span several pixels.
     */
    private void interior(int b, int oy, int iy0, int ky0, int ky1) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int c = outC;
        int rowLength = outW * c;
        int f0 = interiorFrom * c;
        int f1 = interiorTo * c;
        int out = (b * outH + oy) * rowLength;
        int f = f0;
        for (; f + 4 * L <= f1; f += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(S, rowBias, f);
            FloatVector a1 = FloatVector.fromArray(S, rowBias, f + L);
            FloatVector a2 = FloatVector.fromArray(S, rowBias, f + 2 * L);
            FloatVector a3 = FloatVector.fromArray(S, rowBias, f + 3 * L);
            for (int ky = ky0; ky < ky1; ky++) {
                int row = (b * inH + iy0 + ky * dh) * inW * c + f - padL * c;
                for (int kx = 0; kx < kw; kx++) {
                    int in = row + kx * dw * c;
                    int w = (ky * kw + kx) * rowLength + f;
                    a0 = FloatVector.fromArray(S, x, in).fma(FloatVector.fromArray(S, rowWeights, w), a0);
                    a1 = FloatVector.fromArray(S, x, in + L).fma(FloatVector.fromArray(S, rowWeights, w + L), a1);
                    a2 = FloatVector.fromArray(S, x, in + 2 * L)
                            .fma(FloatVector.fromArray(S, rowWeights, w + 2 * L), a2);
                    a3 = FloatVector.fromArray(S, x, in + 3 * L)
                            .fma(FloatVector.fromArray(S, rowWeights, w + 3 * L), a3);
                }
            }
            a0.max(vlo).min(vhi).intoArray(y, out + f);
            a1.max(vlo).min(vhi).intoArray(y, out + f + L);
            a2.max(vlo).min(vhi).intoArray(y, out + f + 2 * L);
            a3.max(vlo).min(vhi).intoArray(y, out + f + 3 * L);
        }
        for (; f < f1; f += L) {
            VectorMask<Float> m = S.indexInRange(f, f1);
            FloatVector a0 = FloatVector.fromArray(S, rowBias, f, m);
            for (int ky = ky0; ky < ky1; ky++) {
                int row = (b * inH + iy0 + ky * dh) * inW * c + f - padL * c;
                for (int kx = 0; kx < kw; kx++) {
                    int w = (ky * kw + kx) * rowLength + f;
                    a0 = FloatVector.fromArray(S, x, row + kx * dw * c, m)
                            .fma(FloatVector.fromArray(S, rowWeights, w, m), a0);
                }
            }
            a0.max(vlo).min(vhi).intoArray(y, out + f, m);
        }
    }

    /** Output columns [oxFrom, oxTo) pixel by pixel, channels in vectors. */
    private void pixels(int b, int oy, int iy0, int ky0, int ky1, int oxFrom, int oxTo) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int c = outC;
        int full = c - c % L;
        for (int ox = oxFrom; ox < oxTo; ox++) {
            int out = ((b * outH + oy) * outW + ox) * c;
            int ix0 = ox * sw - padL;
            int kxa = kx0[ox];
            int kxb = kx1[ox];
            int ch = 0;
            for (; ch + 4 * L <= full; ch += 4 * L) {
                FloatVector a0 = FloatVector.fromArray(S, paddedBias, ch);
                FloatVector a1 = FloatVector.fromArray(S, paddedBias, ch + L);
                FloatVector a2 = FloatVector.fromArray(S, paddedBias, ch + 2 * L);
                FloatVector a3 = FloatVector.fromArray(S, paddedBias, ch + 3 * L);
                for (int ky = ky0; ky < ky1; ky++) {
                    int row = (b * inH + iy0 + ky * dh) * inW;
                    for (int kx = kxa; kx < kxb; kx++) {
                        int in = (row + ix0 + kx * dw) * c + ch;
                        int w = (ky * kw + kx) * padded + ch;
                        a0 = FloatVector.fromArray(S, x, in).fma(FloatVector.fromArray(S, packed, w), a0);
                        a1 = FloatVector.fromArray(S, x, in + L).fma(FloatVector.fromArray(S, packed, w + L), a1);
                        a2 = FloatVector.fromArray(S, x, in + 2 * L)
                                .fma(FloatVector.fromArray(S, packed, w + 2 * L), a2);
                        a3 = FloatVector.fromArray(S, x, in + 3 * L)
                                .fma(FloatVector.fromArray(S, packed, w + 3 * L), a3);
                    }
                }
                a0.max(vlo).min(vhi).intoArray(y, out + ch);
                a1.max(vlo).min(vhi).intoArray(y, out + ch + L);
                a2.max(vlo).min(vhi).intoArray(y, out + ch + 2 * L);
                a3.max(vlo).min(vhi).intoArray(y, out + ch + 3 * L);
            }
            for (; ch < full; ch += L) {
                FloatVector a0 = FloatVector.fromArray(S, paddedBias, ch);
                for (int ky = ky0; ky < ky1; ky++) {
                    int row = (b * inH + iy0 + ky * dh) * inW;
                    for (int kx = kxa; kx < kxb; kx++) {
                        int in = (row + ix0 + kx * dw) * c + ch;
                        int w = (ky * kw + kx) * padded + ch;
                        a0 = FloatVector.fromArray(S, x, in).fma(FloatVector.fromArray(S, packed, w), a0);
                    }
                }
                a0.max(vlo).min(vhi).intoArray(y, out + ch);
            }
            if (full < c) {
                FloatVector a0 = FloatVector.fromArray(S, paddedBias, full);
                for (int ky = ky0; ky < ky1; ky++) {
                    int row = (b * inH + iy0 + ky * dh) * inW;
                    for (int kx = kxa; kx < kxb; kx++) {
                        int in = (row + ix0 + kx * dw) * c + full;
                        int w = (ky * kw + kx) * padded + full;
                        a0 = FloatVector.fromArray(S, x, in, tail).fma(FloatVector.fromArray(S, packed, w), a0);
                    }
                }
                a0.max(vlo).min(vhi).intoArray(y, out + full, tail);
            }
        }
    }
}
