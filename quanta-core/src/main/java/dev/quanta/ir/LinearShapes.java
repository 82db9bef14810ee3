package dev.quanta.ir;

import java.util.List;

/** Shape inference of issue 11's linear ops (TRANSPOSE_CONV, BATCH_MATMUL); see {@link ShapeInference}. */
final class LinearShapes {
    private LinearShapes() {}

    /** TRANSPOSE_CONV: [N, outH, outW, O] for x [N, H, W, I] and weights [O, kh, kw, I]. */
    static Shape transposeConv(Shape x, List<Tensor> inputs, OpAttributes.TransposeConv a) {
        Shape w = inputs.get(1).shape();
        if (x.rank() != 4) {
            throw new IllegalArgumentException("input must have rank 4 but has shape " + x);
        }
        if (w.rank() != 4) {
            throw new IllegalArgumentException("weights must have rank 4 but have shape " + w);
        }
        if (x.dim(3) != w.dim(3)) {
            throw new IllegalArgumentException(
                    "input " + x + " has " + x.dim(3) + " channels but the kernel " + w + " expects " + w.dim(3));
        }
        if (a.outH() < 1 || a.outW() < 1 || a.strideH() < 1 || a.strideW() < 1) {
            throw new IllegalArgumentException("output " + a.outH() + "x" + a.outW() + " and strides " + a.strideH()
                    + "x" + a.strideW() + " must be positive");
        }
        if (x.dim(1) != Shape.DYNAMIC && x.dim(2) != Shape.DYNAMIC) {
            // the CONV_2D this op is the gradient of maps the output back onto the input
            int h = a.padding().outputSize(a.outH(), w.dim(1), a.strideH(), 1);
            int wd = a.padding().outputSize(a.outW(), w.dim(2), a.strideW(), 1);
            if (h != x.dim(1) || wd != x.dim(2)) {
                throw new IllegalArgumentException("output " + a.outH() + "x" + a.outW() + " with " + a.padding()
                        + " padding and strides " + a.strideH() + "x" + a.strideW() + " gives a " + h + "x" + wd
                        + " convolution input, not the " + x.dim(1) + "x" + x.dim(2) + " given");
            }
        }
        if (inputs.size() > 2 && inputs.get(2).shape().elementCount() != w.dim(0)) {
            throw new IllegalArgumentException(
                    "bias " + inputs.get(2).shape() + " does not have the " + w.dim(0) + " output channels");
        }
        return Shape.of(x.dim(0), a.outH(), a.outW(), w.dim(0));
    }

    /**
     * BATCH_MATMUL: [batch..., M, N] for a [..., M, K] (or [..., K, M] with adj_x) and b [..., K, N] (or [..., N, K]
     * with adj_y); the batch axes broadcast (a size 1 stretches; a dynamic size takes the other's unless that is 1).
     */
    static Shape batchMatMul(Shape a, Shape b, OpAttributes.BatchMatMul attrs) {
        if (a.rank() < 2 || b.rank() < 2 || a.rank() > 5 || b.rank() > 5) {
            throw new IllegalArgumentException("inputs " + a + " and " + b + " must have rank 2 to 5");
        }
        int m = a.dim(attrs.adjX() ? -1 : -2);
        int ka = a.dim(attrs.adjX() ? -2 : -1);
        int kb = b.dim(attrs.adjY() ? -1 : -2);
        int n = b.dim(attrs.adjY() ? -2 : -1);
        if (ka != kb) {
            throw new IllegalArgumentException("inputs " + a + " and " + b + " (adj_x " + attrs.adjX() + ", adj_y "
                    + attrs.adjY() + ") have inner sizes " + ka + " and " + kb);
        }
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank - 2; i++) {
            int da = i - (rank - a.rank()) >= 0 ? a.dim(i - (rank - a.rank())) : 1;
            int db = i - (rank - b.rank()) >= 0 ? b.dim(i - (rank - b.rank())) : 1;
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else if (da == Shape.DYNAMIC || db == Shape.DYNAMIC) {
                out[i] = da == Shape.DYNAMIC ? db : da;
            } else {
                throw new IllegalArgumentException(
                        "batch axes of " + a + " and " + b + " do not broadcast (" + da + " vs " + db + ")");
            }
        }
        out[rank - 2] = m;
        out[rank - 1] = n;
        return Shape.of(out);
    }
}
