package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * DEQUANTIZE of IEEE half-precision values to float32: an exact widening, {@code y = (float) x}.
 */
final class DequantizeFloat16 implements Kernel {
    private final short[] x;
    private final float[] y;
    /** The body of {@link #run} over a range of elements. */
    private final Parallel.RangeBody range;

    DequantizeFloat16(short[] x, float[] y) {
        this.x = x;
        this.y = y;
        // made once here: a lambda created in run() would be an allocation per run
        this.range = (from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = Float.float16ToFloat(x[i]);
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length, 16384, range);
    }
}
