package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Clamp;

/**
 * Float fully connected layer over the last axis.
 *
 * <pre>
 * y[m, n] = act( b[n] + Σ_k x[m, k] · W[n, k] )      m over all leading axes, W in IR layout [N, K]
 * </pre>
 *
 * The weights are packed once as [K, N] so that the inner loop is an axpy over contiguous outputs, which the JIT
 * vectorizes. Each y[m, n] sums k = 0..K−1 in order, whatever the thread split.
 */
final class FullyConnectedFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final float[] packed; // [K][N]
    private final float[] bias; // [N] or zeros
    private final int rows;
    private final int k;
    private final int n;
    private final float lo;
    private final float hi;

    FullyConnectedFloat(
            float[] x, float[] weights, float[] bias, float[] y, int rows, int k, int n, Activation activation) {
        this.x = x;
        this.y = y;
        this.rows = rows;
        this.k = k;
        this.n = n;
        this.packed = PackedWeights.get(weights, "fc-float[K][N]", () -> {
            float[] p = new float[k * n];
            for (int o = 0; o < n; o++) {
                for (int i = 0; i < k; i++) {
                    p[i * n + o] = weights[o * k + i];
                }
            }
            return p;
        });
        this.bias = bias != null ? bias.clone() : new float[n];
        this.lo = activation.min();
        this.hi = activation.max();
    }

    @Override
    public void run(Parallel parallel) {
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
        System.arraycopy(bias, from, y, out + from, to - from);
        int in = m * k;
        for (int i = 0; i < k; i++) {
            float xv = x[in + i];
            int w = i * n;
            for (int o = from; o < to; o++) {
                y[out + o] += xv * packed[w + o];
            }
        }
        Clamp.apply(y, out + from, out + to, lo, hi);
    }
}
