package dev.quanta.kernels.shape;

import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * RESHAPE and IDENTITY of a quantized tensor: the values are copied unchanged (input and output share their
 * quantization parameters).
 *
 * <pre>
 * y[i] = x[i]
 * </pre>
 */
final class CopyInt implements Kernel {
    private final Object x;
    private final Object y;

    CopyInt(Object x, Object y) {
        this.x = x;
        this.y = y;
    }

    @Override
    public void run(Parallel parallel) {
        System.arraycopy(x, 0, y, 0, Buffers.length(y));
    }
}
