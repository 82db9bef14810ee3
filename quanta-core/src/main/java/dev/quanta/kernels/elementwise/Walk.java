package dev.quanta.kernels.elementwise;

/**
 * NumPy broadcasting over any number of operands: for each output element in row-major order, the flat index of
 * the matching element of every operand (a broadcast axis has stride 0).
 */
final class Walk {
    private final int[] outShape;
    /** Per operand, its stride along each output axis (0 where it is broadcast), computed once. */
    private final int[][] strides;

    private final long total;

    /** The walk of {@code outShape} over operands of {@code shapes}, prepared once for every run. */
    Walk(int[] outShape, int[][] shapes) {
        this.outShape = outShape.clone();
        this.strides = new int[shapes.length][];
        for (int j = 0; j < shapes.length; j++) {
            strides[j] = dev.quanta.kernels.Broadcast.strides(shapes[j], outShape);
        }
        long n = 1;
        for (int d : outShape) {
            n *= d;
        }
        this.total = n;
    }

    /** Receives (output index, operand indices); the array is reused between calls. */
    interface Visitor {
        void visit(int out, int[] in);
    }

    /** Every output element with the indices into the operands. */
    void forEach(Visitor v) {
        int rank = outShape.length;
        int k = strides.length;
        int[] idx = new int[rank];
        int[] at = new int[k];
        for (int i = 0; i < total; i++) {
            v.visit(i, at);
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                for (int j = 0; j < k; j++) {
                    at[j] += strides[j][d];
                }
                if (idx[d] < outShape[d]) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    at[j] -= strides[j][d] * outShape[d];
                }
                idx[d] = 0;
            }
        }
    }
}
