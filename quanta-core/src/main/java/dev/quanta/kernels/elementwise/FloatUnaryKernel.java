package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/** An element-wise float32 function: {@code y[i] = f(x[i])}. */
final class FloatUnaryKernel implements Kernel {
    private final float[] x;
    private final float[] y;
    /** The body of {@link #run}, made once (a lambda per run would allocate). */
    private final Parallel.RangeBody body;

    FloatUnaryKernel(float[] x, float[] y, ActivationFormulas.FloatFunction f) {
        this.x = x;
        this.y = y;
        this.body = (from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = f.apply(x[i]);
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(y.length, 16384, body);
    }
}
