package dev.quanta.kernels;

/**
 * DEQUANTIZE of IEEE half-precision values to float32: an exact widening, {@code y = (float) x}.
 */
final class DequantizeFloat16 implements Kernel {
    private final short[] x;
    private final float[] y;

    DequantizeFloat16(short[] x, float[] y) {
        this.x = x;
        this.y = y;
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length, 16384, (from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = Float.float16ToFloat(x[i]);
            }
        });
    }
}
