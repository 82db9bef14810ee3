package dev.quanta.kernels.shape;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/** Float zero padding: {@code y[i + before] = x[i]} on every axis, zeros elsewhere. */
final class PadFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int[] xShape;
    private final int[] yStrides;
    private final int offset;

    PadFloat(float[] x, int[] xShape, float[] y, int[] yShape, int[][] paddings) {
        this.x = x;
        this.y = y;
        this.xShape = xShape.clone();
        int rank = yShape.length;
        this.yStrides = new int[rank];
        int stride = 1;
        int off = 0;
        for (int i = rank - 1; i >= 0; i--) {
            yStrides[i] = stride;
            off += paddings[i][0] * stride;
            stride *= yShape[i];
        }
        this.offset = off;
    }

    @Override
    public void run(Parallel parallel) {
        java.util.Arrays.fill(y, 0f);
        int rank = xShape.length;
        int row = xShape[rank - 1];
        int rows = x.length / Math.max(1, row);
        int[] idx = new int[rank];
        for (int r = 0; r < rows; r++) {
            int dst = offset;
            int rem = r;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d] = rem % xShape[d];
                rem /= xShape[d];
                dst += idx[d] * yStrides[d];
            }
            System.arraycopy(x, r * row, y, dst, row);
        }
    }
}
