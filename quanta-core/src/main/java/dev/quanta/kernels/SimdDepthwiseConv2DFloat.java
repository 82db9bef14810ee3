package dev.quanta.kernels;

import dev.quanta.ir.OpAttributes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float depthwise 2-D convolution with depth multiplier 1, vectorised across channels: the same math as {@link
 * DepthwiseConv2DFloat}, up to float reassociation.
 *
 * <pre>
 * y[b, oy, ox, c] = act( bias[c] + Σ_{ky,kx inside} x[b, iy, ix, c] · W[0, ky, kx, c] )
 * </pre>
 *
 * The weights are packed once as [kh·kw][C'] and the bias as [C'], C' = C rounded up to the vector length (zeros
 * past C). For each output pixel the taps inside the input are a rectangle [ky0, ky1) × [kx0, kx1) (per output row
 * and per output column, worked out once), so the channel loop has no padding test: blocks of 4 vectors of
 * channels accumulate over the taps in registers with FMA, then single vectors, then the last partial vector
 * under a mask; bias and clamp are the accumulators' start and the store's epilogue. Only loaded when {@link
 * Simd#enabled()}.
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
    private final Parallel.RangeBody body = this::rows;

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
        parallel.forRange(batch * outH, 1, body);
    }

    private void rows(int from, int to) {
        for (int r = from; r < to; r++) {
            outputRow(r / outH, r % outH);
        }
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
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int c = outC;
        int full = c - c % L;
        for (int ox = 0; ox < outW; ox++) {
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
