package dev.quanta.kernels;

/** NumPy broadcasting helpers: walks an output shape with the matching element index of each operand. */
public final class Broadcast {
    private Broadcast() {}

    /** Visitor of (output index, index in a, index in b). */
    public interface Visitor {
        void visit(int out, int ia, int ib);
    }

    /** Strides of {@code shape} aligned right to {@code outShape}; a broadcast axis has stride 0. */
    public static int[] strides(int[] shape, int[] outShape) {
        int rank = outShape.length;
        int[] strides = new int[rank];
        int stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            int o = i + rank - shape.length;
            strides[o] = shape[i] == 1 && outShape[o] != 1 ? 0 : stride;
            stride *= shape[i];
        }
        return strides;
    }

    public static void forEach(int[] outShape, int[] aStrides, int[] bStrides, Visitor v) {
        int rank = outShape.length;
        long total = 1;
        for (int d : outShape) {
            total *= d;
        }
        int[] idx = new int[rank];
        int ia = 0;
        int ib = 0;
        for (int i = 0; i < total; i++) {
            v.visit(i, ia, ib);
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                ia += aStrides[d];
                ib += bStrides[d];
                if (idx[d] < outShape[d]) {
                    break;
                }
                ia -= aStrides[d] * outShape[d];
                ib -= bStrides[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }
}
