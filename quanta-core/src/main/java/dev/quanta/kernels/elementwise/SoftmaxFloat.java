package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float SOFTMAX and LOG_SOFTMAX along the last axis, as TFLite's reference kernels:
 *
 * <pre>
 * m = max_j x_j,   e_i = exp(β(x_i − m)) (the product in double),   s = Σ_j e_j
 * SOFTMAX:      y_i = e_i · (1 / s)
 * LOG_SOFTMAX:  y_i = x_i − m − log(s)                                  (β = 1; float32 otherwise throughout)
 * </pre>
 */
final class SoftmaxFloat implements Kernel {
    private final float[] y;
    private final int depth;
    /** The body of {@link #run} over a range of rows. */
    private final Parallel.RangeBody rows;

    /** SOFTMAX with {@code beta}. */
    SoftmaxFloat(float[] x, float[] y, int depth, float beta) {
        this(x, y, depth, beta, false);
    }

    /** LOG_SOFTMAX. */
    static SoftmaxFloat logSoftmax(float[] x, float[] y, int depth) {
        return new SoftmaxFloat(x, y, depth, 1f, true);
    }

    private SoftmaxFloat(float[] x, float[] y, int depth, float beta, boolean log) {
        this.y = y;
        this.depth = depth;
        // made once here: a lambda created in run() would be an allocation per run
        this.rows = (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * depth;
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < depth; i++) {
                    m = Math.max(m, x[base + i]);
                }
                float sum = 0f;
                for (int i = 0; i < depth; i++) {
                    float e = (float) Math.exp((double) beta * (x[base + i] - m));
                    if (!log) {
                        y[base + i] = e;
                    }
                    sum += e;
                }
                if (log) {
                    float logSum = (float) Math.log(sum);
                    for (int i = 0; i < depth; i++) {
                        y[base + i] = x[base + i] - m - logSum;
                    }
                } else {
                    float inv = 1f / sum;
                    for (int i = 0; i < depth; i++) {
                        y[base + i] *= inv;
                    }
                }
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(depth == 0 ? 0 : y.length / depth, 64, rows);
    }
}
