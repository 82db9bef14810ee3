package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float LOG_SOFTMAX along the last axis, as TFLite's reference kernel:
 *
 * <pre>
 * m = max_j x_j,   s = Σ_j exp(x_j − m),   y_i = x_i − m − log(s)        (float32 throughout)
 * </pre>
 */
final class LogSoftmaxFloat implements Kernel {
    private final float[] y;
    private final int depth;
    private final Parallel.RangeBody rows;

    LogSoftmaxFloat(float[] x, float[] y, int depth) {
        this.y = y;
        this.depth = depth;
        this.rows = (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * depth;
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < depth; i++) {
                    m = Math.max(m, x[base + i]);
                }
                float sum = 0f;
                for (int i = 0; i < depth; i++) {
                    sum += (float) Math.exp(x[base + i] - m);
                }
                float log = (float) Math.log(sum);
                for (int i = 0; i < depth; i++) {
                    y[base + i] = x[base + i] - m - log;
                }
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(depth == 0 ? 0 : y.length / depth, 64, rows);
    }
}
