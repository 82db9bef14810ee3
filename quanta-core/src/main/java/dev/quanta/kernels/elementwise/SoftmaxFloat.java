package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float softmax along the last axis.
 *
 * <pre>
 * m = max_j x_j,   y_i = e^{β(x_i − m)} / Σ_j e^{β(x_j − m)}
 * </pre>
 */
final class SoftmaxFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int depth;
    private final float beta;
    /** The body of {@link #run} over a range of rows. */
    private final Parallel.RangeBody rows;

    SoftmaxFloat(float[] x, float[] y, int depth, float beta) {
        this.x = x;
        this.y = y;
        this.depth = depth;
        this.beta = beta;
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
                    y[base + i] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int i = 0; i < depth; i++) {
                    y[base + i] *= inv;
                }
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length / depth, 64, rows);
    }
}
