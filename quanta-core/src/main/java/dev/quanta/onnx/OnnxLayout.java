package dev.quanta.onnx;

import dev.quanta.ir.TensorData;

/**
 * The two axis orders an imported value may have in the IR. ONNX order is the file's (NCHW, NCW); channels-last
 * moves axis 1 to the end (NHWC, NWC), the order the IR's spatial ops (TFLite's) take:
 *
 * <pre>
 * to channels-last   perm = [0, 2, …, r−1, 1]     (rank 4: [0,2,3,1]; rank 3: [0,2,1])
 * to ONNX order      perm = [0, r−1, 1, …, r−2]   (rank 4: [0,3,1,2])
 * ONNX axis a of a channels-last value is IR axis: 0 → 0, 1 → r−1, a ≥ 2 → a−1
 * </pre>
 */
public enum OnnxLayout {
    /** The IR tensor has the ONNX value's axis order. */
    ONNX,
    /** The IR tensor is the ONNX value with axis 1 moved last. */
    CHANNELS_LAST;

    /** The permutation that makes a rank-{@code r} ONNX-order tensor channels-last. */
    public static int[] toChannelsLast(int rank) {
        int[] p = new int[rank];
        p[0] = 0;
        for (int i = 1; i < rank - 1; i++) {
            p[i] = i + 1;
        }
        p[rank - 1] = 1;
        return p;
    }

    /** The permutation that brings a rank-{@code r} channels-last tensor back to ONNX order. */
    public static int[] toOnnx(int rank) {
        int[] p = new int[rank];
        p[0] = 0;
        p[1] = rank - 1;
        for (int i = 2; i < rank; i++) {
            p[i] = i - 1;
        }
        return p;
    }

    /** The IR axis of ONNX axis {@code a} (already non-negative) of a rank-{@code r} channels-last value. */
    public static int channelsLastAxis(int a, int rank) {
        return a == 0 ? 0 : a == 1 ? rank - 1 : a - 1;
    }

    /** Dims permuted: {@code out[i] = dims[perm[i]]}. */
    public static int[] permute(int[] dims, int[] perm) {
        int[] out = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = dims[perm[i]];
        }
        return out;
    }

    /**
     * True when permuting {@code dims} by {@code perm} keeps the order of the axes longer than 1, so that the
     * transpose moves no element and a reshape does the same.
     */
    public static boolean isPureReshape(int[] dims, int[] perm) {
        int last = -1;
        for (int p : perm) {
            if (dims[p] != 1) {
                if (p < last) {
                    return false;
                }
                last = p;
            }
        }
        return true;
    }

    /** Constant data of shape {@code dims} transposed by {@code perm} (y axis i = x axis perm[i]), any type. */
    public static TensorData permute(TensorData data, int[] dims, int[] perm) {
        int rank = dims.length;
        int size = data.dtype().byteSize();
        byte[] src = data.bytes();
        byte[] dst = new byte[src.length];
        int[] outDims = permute(dims, perm);
        long[] inStrides = new long[rank];
        long s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            inStrides[i] = s;
            s *= dims[i];
        }
        int n = src.length / size;
        int[] idx = new int[rank];
        for (int o = 0; o < n; o++) {
            long in = 0;
            for (int i = 0; i < rank; i++) {
                in += idx[i] * inStrides[perm[i]];
            }
            System.arraycopy(src, (int) in * size, dst, o * size, size);
            for (int i = rank - 1; i >= 0; i--) {
                if (++idx[i] < outDims[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        return TensorData.ofBytes(data.dtype(), dst);
    }
}
