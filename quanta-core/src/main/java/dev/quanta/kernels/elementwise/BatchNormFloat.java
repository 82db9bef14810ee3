package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float batch normalization at inference, along the last axis (channels_last), as Keras computes it.
 *
 * <pre>
 * inv[c] = gamma[c] / √(var[c] + ε)
 * y      = x · inv[c] + (beta[c] − mean[c] · inv[c])
 * </pre>
 */
final class BatchNormFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final float[] scale;
    private final float[] shift;
    private final int channels;
    private final int inner;

    /**
     * @param inner number of elements after the channel axis (1 for channels_last)
     */
    BatchNormFloat(
            float[] x,
            float[] y,
            float[] gamma,
            float[] beta,
            float[] mean,
            float[] var,
            float epsilon,
            int channels,
            int inner) {
        this.x = x;
        this.y = y;
        this.channels = channels;
        this.inner = inner;
        this.scale = new float[channels];
        this.shift = new float[channels];
        for (int c = 0; c < channels; c++) {
            float inv = (float) (1.0 / Math.sqrt((double) var[c] + epsilon));
            if (gamma != null) {
                inv *= gamma[c];
            }
            scale[c] = inv;
            shift[c] = (beta != null ? beta[c] : 0f) - mean[c] * inv;
        }
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length / (channels * inner), 16, blocks);
    }

    /** The body over outer blocks of channels·inner values, made once so that a run allocates nothing. */
    private final Parallel.RangeBody blocks = this::runBlocks;

    private void runBlocks(int from, int to) {
        int block = channels * inner;
        for (int o = from; o < to; o++) {
            int base = o * block;
            if (inner == 1) {
                for (int c = 0; c < channels; c++) {
                    y[base + c] = x[base + c] * scale[c] + shift[c];
                }
            } else {
                for (int c = 0; c < channels; c++) {
                    int b = base + c * inner;
                    for (int i = 0; i < inner; i++) {
                        y[b + i] = x[b + i] * scale[c] + shift[c];
                    }
                }
            }
        }
    }
}
