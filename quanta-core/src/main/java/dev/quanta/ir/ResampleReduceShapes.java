package dev.quanta.ir;

import java.util.Arrays;

/**
 * Output shapes of the resampling and reduction ops (RESIZE_*, ARG_MAX/ARG_MIN, SUM, REDUCE_*,
 * L2_NORMALIZATION), for {@link ShapeInference}. Each throws {@link IllegalArgumentException} with a one-line reason.
 */
public final class ResampleReduceShapes {
    private ResampleReduceShapes() {}

    /**
     * RESIZE_*: [N, H, W, C] → [N, height, width, C]; for RESIZE_BILINEAR align_corners and half_pixel_centers exclude
     * each other (TFLite's nearest-neighbour kernel takes both).
     */
    public static Shape resize(Shape x, OpAttributes.Resize a, boolean bilinear) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("input must have rank 4 (NHWC) but has shape " + x);
        }
        if (a.height() < 1 || a.width() < 1) {
            throw new IllegalArgumentException("output size " + a.height() + "x" + a.width() + " is not positive");
        }
        if (bilinear && a.alignCorners() && a.halfPixelCenters()) {
            throw new IllegalArgumentException("align_corners and half_pixel_centers cannot both be set");
        }
        return Shape.of(x.dim(0), a.height(), a.width(), x.dim(3));
    }

    /** ARG_MAX/ARG_MIN: the input shape without the axis. */
    public static Shape argMinMax(Shape x, OpAttributes.ArgMinMax a) {
        int rank = x.rank();
        int axis = a.axis() < 0 ? a.axis() + rank : a.axis();
        if (axis < 0 || axis >= rank) {
            throw new IllegalArgumentException("axis " + a.axis() + " does not fit input " + x);
        }
        if (x.dim(axis) == Shape.DYNAMIC) {
            throw new IllegalArgumentException("cannot take the index along the dynamic axis " + axis + " of " + x);
        }
        int[] d = new int[rank - 1];
        for (int i = 0, k = 0; i < rank; i++) {
            if (i != axis) {
                d[k++] = x.dim(i);
            }
        }
        return Shape.of(d);
    }

    /** The reduced axes of {@code x} as flags; repeated axes count once, as in TFLite. */
    public static boolean[] reducedAxes(Shape x, int[] axes) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int axis : axes) {
            int ax = axis < 0 ? axis + rank : axis;
            if (ax < 0 || ax >= rank) {
                throw new IllegalArgumentException("cannot reduce axis " + axis + " of " + x);
            }
            reduced[ax] = true;
        }
        return reduced;
    }

    /** SUM/REDUCE_*: reduced axes dropped, or kept as 1 with keep_dims. */
    public static Shape reduce(Shape x, OpAttributes.Reduce a) {
        boolean[] reduced = reducedAxes(x, a.axes());
        int[] out = new int[x.rank()];
        int k = 0;
        for (int i = 0; i < x.rank(); i++) {
            if (!reduced[i]) {
                out[k++] = x.dim(i);
            } else if (a.keepDims()) {
                out[k++] = 1;
            }
        }
        return Shape.of(Arrays.copyOf(out, k));
    }

    /** L2_NORMALIZATION: the input shape (at least rank 1). */
    public static Shape l2Normalization(Shape x) {
        if (x.rank() < 1) {
            throw new IllegalArgumentException("input must have rank 1 or more but is a scalar");
        }
        return x;
    }
}
