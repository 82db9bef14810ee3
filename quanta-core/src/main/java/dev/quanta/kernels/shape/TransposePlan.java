package dev.quanta.kernels.shape;

import java.util.Arrays;

/**
 * The index arithmetic of TRANSPOSE, shared by the float and integer kernels: output axis {@code i} is input axis
 * {@code perm[i]} (negative entries count from the end, as TFLite allows). The output is walked in order; the
 * innermost output axis reads the input with a fixed stride, the outer axes advance like an odometer.
 */
final class TransposePlan {
    /** Output dimensions. */
    final int[] outDims;
    /** For each output axis, the input stride it steps by. */
    final int[] srcStrides;
    /** Total element count. */
    final int size;

    TransposePlan(int[] xShape, int[] perm) {
        int rank = xShape.length;
        if (perm.length != rank) {
            throw new IllegalArgumentException(
                    "permutation " + Arrays.toString(perm) + " does not fit shape " + Arrays.toString(xShape));
        }
        int[] inStrides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            inStrides[i] = stride;
            stride *= xShape[i];
        }
        this.size = stride;
        this.outDims = new int[rank];
        this.srcStrides = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int p = perm[i] < 0 ? perm[i] + rank : perm[i];
            if (p < 0 || p >= rank || seen[p]) {
                throw new IllegalArgumentException("permutation " + Arrays.toString(perm) + " is not valid");
            }
            seen[p] = true;
            outDims[i] = xShape[p];
            srcStrides[i] = inStrides[p];
        }
    }

    /** Calls {@code row} for every run of the innermost output axis: (input offset, output offset). */
    interface Row {
        void copy(int src, int dst, int count, int srcStride);
    }

    void forEachRow(Row row) {
        int rank = outDims.length;
        if (size == 0) {
            return;
        }
        if (rank == 0) {
            row.copy(0, 0, 1, 1);
            return;
        }
        int inner = outDims[rank - 1];
        int innerStride = srcStrides[rank - 1];
        int[] idx = new int[rank];
        int src = 0;
        for (int dst = 0; dst < size; dst += inner) {
            row.copy(src, dst, inner, innerStride);
            // advance the outer axes (rank - 2 .. 0)
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                src += srcStrides[d];
                if (idx[d] < outDims[d]) {
                    break;
                }
                src -= srcStrides[d] * outDims[d];
                idx[d] = 0;
            }
        }
    }
}
