package dev.quanta.kernels.reduce;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float mean over a set of axes (Keras GlobalAveragePooling2D is the mean over H and W).
 *
 * <pre>
 * y[j] = Σ_{i ↦ j} x[i] / (number of x elements that map to y[j])
 * </pre>
 *
 * Elements are summed in row-major order of x, so the result does not depend on the thread count.
 */
final class MeanFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int[] xShape;
    private final boolean[] reduced;
    private final int[] outStrides;
    private final float count;

    MeanFloat(float[] x, int[] xShape, float[] y, int[] axes) {
        this.x = x;
        this.y = y;
        this.xShape = xShape.clone();
        int rank = xShape.length;
        this.reduced = new boolean[rank];
        long n = 1;
        for (int a : axes) {
            int ax = a < 0 ? a + rank : a;
            if (!reduced[ax]) {
                reduced[ax] = true;
                n *= xShape[ax];
            }
        }
        this.count = (float) n;
        // stride in y of each x axis (0 for reduced axes)
        this.outStrides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (!reduced[i]) {
                outStrides[i] = stride;
                stride *= xShape[i];
            }
        }
    }

    @Override
    public void run(Parallel parallel) {
        java.util.Arrays.fill(y, 0f);
        int rank = xShape.length;
        int[] idx = new int[rank];
        int outIndex = 0;
        for (int i = 0; i < x.length; i++) {
            y[outIndex] += x[i];
            // advance the multi-index and the output index
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                outIndex += outStrides[d];
                if (idx[d] < xShape[d]) {
                    break;
                }
                outIndex -= outStrides[d] * xShape[d];
                idx[d] = 0;
            }
        }
        for (int j = 0; j < y.length; j++) {
            y[j] /= count;
        }
    }
}
