package dev.quanta.kernels.elementwise;

/**
 * NumPy broadcasting over any number of operands: for each output element in row-major order, the flat index of
 * the matching element of every operand (a broadcast axis has stride 0).
 */
final class Walk {
    private Walk() {}

    /** Receives (output index, operand indices); the array is reused between calls. */
    interface Visitor {
        void visit(int out, int[] in);
    }

    /** Every output element of {@code outShape} with the indices into operands of {@code shapes}. */
    static void forEach(int[] outShape, int[][] shapes, Visitor v) {
        int rank = outShape.length;
        int k = shapes.length;
        int[][] strides = new int[k][];
        for (int j = 0; j < k; j++) {
            strides[j] = dev.quanta.kernels.Broadcast.strides(shapes[j], outShape);
        }
        long total = 1;
        for (int d : outShape) {
            total *= d;
        }
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
