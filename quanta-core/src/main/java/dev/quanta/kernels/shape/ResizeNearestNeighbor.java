package dev.quanta.kernels.shape;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * RESIZE_NEAREST_NEIGHBOR on NHWC tensors of any element type: a copy of the nearest input pixel, as the official
 * runtime picks it.
 *
 * <pre>
 * reference (float32, int8, int16; uint8 with align_corners or half_pixel_centers):
 *   s = in / out, or (in − 1)/(out − 1) with align_corners and out > 1;  o = ½ with half-pixel centres, else 0
 *   i_in = min(align_corners ? round((i + o)·s) : ⌊(i + o)·s⌋, in − 1), then max(·, 0) with half-pixel centres
 * fixed point (TFLite's optimized uint8 kernel, neither flag):
 *   s16 = (in ≪ 16) / out + 1;   i_in = min((i·s16) ≫ 16, in − 1)
 * </pre>
 */
final class ResizeNearestNeighbor implements Kernel {
    private final Object x;
    private final Object y;
    private final int batches;
    private final int inH;
    private final int inW;
    private final int depth;
    private final int[] rows;
    private final int[] cols;

    ResizeNearestNeighbor(
            Object x,
            int[] xShape,
            Object y,
            int outH,
            int outW,
            boolean alignCorners,
            boolean halfPixel,
            boolean fixedPoint) {
        this.x = x;
        this.y = y;
        this.batches = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.depth = xShape[3];
        this.rows = indices(inH, outH, alignCorners, halfPixel, fixedPoint);
        this.cols = indices(inW, outW, alignCorners, halfPixel, fixedPoint);
    }

    /** The input index each output index copies. */
    static int[] indices(int in, int out, boolean alignCorners, boolean halfPixel, boolean fixedPoint) {
        int[] idx = new int[out];
        if (fixedPoint && !alignCorners && !halfPixel) {
            int s = (in << 16) / out + 1;
            for (int i = 0; i < out; i++) {
                idx[i] = Math.min((i * s) >> 16, in - 1);
            }
            return idx;
        }
        float scale = alignCorners && out > 1 ? (in - 1) / (float) (out - 1) : in / (float) out;
        float offset = halfPixel ? 0.5f : 0f;
        for (int i = 0; i < out; i++) {
            float p = (i + offset) * scale;
            // p ≥ 0, so rounding half up is TFLite's round half away from zero
            int v = alignCorners ? (int) Math.round((double) p) : (int) Math.floor(p);
            v = Math.min(v, in - 1);
            if (halfPixel) {
                v = Math.max(0, v);
            }
            idx[i] = v;
        }
        return idx;
    }

    @Override
    public void run(Parallel parallel) {
        int o = 0;
        for (int b = 0; b < batches; b++) {
            for (int row : rows) {
                for (int col : cols) {
                    System.arraycopy(x, ((b * inH + row) * inW + col) * depth, y, o, depth);
                    o += depth;
                }
            }
        }
    }
}
