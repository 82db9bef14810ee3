package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * Integer fully connected layer over the last axis: int8, uint8 and 16x8.
 *
 * <pre>
 * acc[m, n] = bias[n] + Σ_k (x[m, k] − zp_x) · (W[n, k] − zp_w[n])        W in IR layout [N, K]
 * y[m, n]   = requantize(acc[m, n], n)                                   see {@link Requantizer}
 * </pre>
 *
 * 16x8 (int16 activations, int8 weights, INT64 or INT32 bias), as TFLite 2.21 computes it (measured on both paths;
 * XNNPACK does not take it):
 *
 * <pre>
 * acc    = bias[n] + Σ_k x[m, k] · W[n, k]                     exact, then taken as int32
 * (m, e) = QuantizeMultiplier((double) s_x · (double) s_w[n] / (double) s_y)   double product, per-tensor too
 * y      = clamp(⌊(acc · m + 2^(30 − e)) / 2^(31 − e)⌋, act_min, act_max)    single rounding, ties up, full
 *                                                                          31-bit multiplier (not MBQM₆₄'s 16-bit)
 * </pre>
 *
 * Weights are packed once as [K, N], so the inner loop is an axpy over contiguous outputs.
 */
final class FullyConnectedInt implements Kernel {
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
    private final int rows;
    private final int k;
    private final int n;

    FullyConnectedInt(Object x, WeightedOpParams p, Object y, int rows, int k, int n) {
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = y;
        this.outType = p.outType;
        this.rq = p.requantizer;
        this.wide = p.wide;
        this.rows = rows;
        this.k = k;
        this.n = n;
        this.xc = new int[rows * k];
        this.packed = PackedWeights.get(p.weights, "fc-int[K][N]", () -> {
            int[] v = new int[k * n];
            for (int o = 0; o < n; o++) {
                for (int i = 0; i < k; i++) {
                    v[i * n + o] = p.weights[o * k + i];
                }
            }
            return v;
        });
        this.bias = p.bias;
        this.biasInt = new int[n];
        for (int o = 0; o < n; o++) {
            biasInt[o] = (int) p.bias[o];
        }
        this.acc = wide ? null : new int[rows * n];
        this.accWide = wide ? new long[rows * n] : null;
    }

    @Override
    public void run(Parallel parallel) {
        Quant.centre(x, inType, inZeroPoint, xc, 0, xc.length);
        if (rows >= parallel.threads()) {
            parallel.forRange(rows, 1, byRows);
        } else {
            parallel.forRange(n, 64, byChannels);
        }
    }

    /** Whole rows per thread (bodies made once, so that a run allocates nothing). */
    private final Parallel.RangeBody byRows = this::runByRows;

    private void runByRows(int from, int to) {
        for (int m = from; m < to; m++) {
            row(m, 0, n);
        }
    }

    /** Output channel ranges per thread, every row. */
    private final Parallel.RangeBody byChannels = this::runByChannels;

    private void runByChannels(int from, int to) {
        for (int m = 0; m < rows; m++) {
            row(m, from, to);
        }
    }

    private void row(int m, int from, int to) {
        int out = m * n;
        int in = m * k;
        if (wide) {
            System.arraycopy(bias, from, accWide, out + from, to - from);
            for (int i = 0; i < k; i++) {
                long xv = xc[in + i];
                int w = i * n;
                for (int o = from; o < to; o++) {
                    accWide[out + o] += xv * packed[w + o];
                }
            }
            for (int o = from; o < to; o++) {
                // TFLite's 16x8 FULLY_CONNECTED requantizes the int32 accumulator with the full 31-bit multiplier and a
                // single rounding (measured), not with the 16-bit reduced multiplier of its int64 overload.
                Quant.set(y, outType, out + o, rq.apply((int) accWide[out + o], o));
            }
            return;
        }
        System.arraycopy(biasInt, from, acc, out + from, to - from);
        for (int i = 0; i < k; i++) {
            int xv = xc[in + i];
            if (xv == 0) {
                continue;
            }
            int w = i * n;
            for (int o = from; o < to; o++) {
                acc[out + o] += xv * packed[w + o];
            }
        }
        for (int o = from; o < to; o++) {
            Quant.set(y, outType, out + o, rq.apply(acc[out + o], o));
        }
    }
}
