package dev.quanta.kernels.elementwise;

import dev.quanta.ir.OpType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float element-wise activations.
 *
 * <pre>
 * RELU: max(x, 0)    RELU6: min(max(x, 0), 6)    LEAKY_RELU: x ≥ 0 ? x : α·x
 * LOGISTIC: 1 / (1 + e^−x)    TANH: tanh(x)    IDENTITY: x
 * </pre>
 */
final class ActivationFloat implements Kernel {
    private final OpType type;
    private final float alpha;
    private final float[] x;
    private final float[] y;

    ActivationFloat(OpType type, float alpha, float[] x, float[] y) {
        this.type = type;
        this.alpha = alpha;
        this.x = x;
        this.y = y;
    }

    /** The body of {@link #run}, made once: a method reference per run would be an allocation per run. */
    private final Parallel.RangeBody body = this::range;

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length, 4096, body);
    }

    private void range(int from, int to) {
        switch (type) {
            case RELU -> {
                for (int i = from; i < to; i++) {
                    y[i] = Math.max(x[i], 0f);
                }
            }
            case RELU6 -> {
                for (int i = from; i < to; i++) {
                    y[i] = Math.min(Math.max(x[i], 0f), 6f);
                }
            }
            case LEAKY_RELU -> {
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    y[i] = v >= 0f ? v : alpha * v;
                }
            }
            case LOGISTIC -> {
                for (int i = from; i < to; i++) {
                    y[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
                }
            }
            case TANH -> {
                for (int i = from; i < to; i++) {
                    y[i] = (float) Math.tanh(x[i]);
                }
            }
            case IDENTITY, RESHAPE -> System.arraycopy(x, from, y, from, to - from);
            default -> throw new IllegalStateException("not an element-wise op: " + type);
        }
    }
}
