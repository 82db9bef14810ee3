package dev.quanta.onnx;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Constant folding at import time of the few IR ops that shape computations of exported graphs (PyTorch's
 * Shape → Gather → Unsqueeze → Concat → Reshape chains) leave with constant inputs: CONCATENATION, STRIDED_SLICE,
 * RESHAPE, IDENTITY, and ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM on INT32, INT64 and FLOAT32 with NumPy broadcasting
 * (integer DIV truncates toward zero). Formats know no runtime, so this is plain Java on constant data.
 */
final class OnnxFolding {
    private OnnxFolding() {}

    /** Whether every op is one {@link #evaluate} folds (one output of a static shape, a type it computes). */
    static boolean foldable(List<Op> ops) {
        for (Op op : ops) {
            if (op.outputs().size() != 1 || op.output(0).shape().isDynamic()) {
                return false;
            }
            switch (op.type()) {
                case IDENTITY, RESHAPE, CONCATENATION, STRIDED_SLICE, ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM -> {}
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    /** The values of {@code outputs} computed from the constant inputs of {@code ops}, or null when some op is not foldable. */
    static Map<Tensor, TensorData> evaluate(List<Op> ops) {
        Map<Tensor, TensorData> values = new IdentityHashMap<>();
        for (Op op : ops) {
            TensorData[] in = new TensorData[op.inputs().size()];
            for (int i = 0; i < in.length; i++) {
                Tensor t = op.input(i);
                in[i] = t.isConstant() ? t.data() : values.get(t);
                if (in[i] == null) {
                    return null;
                }
            }
            if (op.outputs().size() != 1 || op.output(0).shape().isDynamic()) {
                return null;
            }
            Tensor out = op.output(0);
            TensorData r = switch (op.type()) {
                case IDENTITY -> in[0];
                case RESHAPE -> in[0];
                case CONCATENATION -> concat(op, in);
                case STRIDED_SLICE ->
                    slice(op.input(0).shape().dims(), in[0], op.attrs(OpAttributes.StridedSlice.class));
                case ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM -> binary(op, in[0], in[1]);
                default -> null;
            };
            if (r == null || r.elementCount() != out.shape().elementCount() || r.dtype() != out.dtype()) {
                return null;
            }
            values.put(out, r);
        }
        return values;
    }

    private static TensorData concat(Op op, TensorData[] in) {
        int axis = op.attrs(OpAttributes.Concatenation.class).axis();
        int[] d0 = op.input(0).shape().dims();
        int rank = d0.length;
        if (axis < 0) {
            axis += rank;
        }
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= d0[i];
        }
        int size = in[0].dtype().byteSize();
        byte[][] src = new byte[in.length][];
        int[] chunk = new int[in.length];
        int total = 0;
        for (int k = 0; k < in.length; k++) {
            if (in[k].dtype() != in[0].dtype()) {
                return null;
            }
            src[k] = in[k].bytes();
            chunk[k] = src[k].length / Math.max(1, outer);
            total += src[k].length;
        }
        byte[] dst = new byte[total];
        int o = 0;
        for (int p = 0; p < outer; p++) {
            for (int k = 0; k < in.length; k++) {
                System.arraycopy(src[k], p * chunk[k], dst, o, chunk[k]);
                o += chunk[k];
            }
        }
        return size > 0 ? TensorData.ofBytes(in[0].dtype(), dst) : null;
    }

    /** STRIDED_SLICE as {@link OnnxShapeOps} emits it: begin/end masks, no shrink, no offset. */
    static TensorData slice(int[] dims, TensorData x, OpAttributes.StridedSlice a) {
        if (a.shrinkAxisMask() != 0 || a.offset()) {
            return null;
        }
        int r = dims.length;
        int[] start = new int[r];
        int[] count = new int[r];
        int[] step = a.strides();
        for (int i = 0; i < r; i++) {
            int s = step[i];
            int b = (a.beginMask() >> i & 1) != 0 ? (s > 0 ? 0 : dims[i] - 1) : a.begin()[i];
            int e = (a.endMask() >> i & 1) != 0 ? (s > 0 ? dims[i] : -1) : a.end()[i];
            start[i] = b;
            count[i] = s > 0 ? Math.max(0, (e - b + s - 1) / s) : Math.max(0, (b - e - s - 1) / -s);
        }
        int size = x.dtype().byteSize();
        byte[] src = x.bytes();
        long n = 1;
        for (int c : count) {
            n *= c;
        }
        byte[] dst = new byte[(int) n * size];
        int[] strides = new int[r];
        int st = 1;
        for (int i = r - 1; i >= 0; i--) {
            strides[i] = st;
            st *= dims[i];
        }
        int[] idx = new int[r];
        for (int o = 0; o < n; o++) {
            int at = 0;
            for (int i = 0; i < r; i++) {
                at += (start[i] + idx[i] * step[i]) * strides[i];
            }
            System.arraycopy(src, at * size, dst, o * size, size);
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < count[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        return TensorData.ofBytes(x.dtype(), dst);
    }

    private static TensorData binary(Op op, TensorData a, TensorData b) {
        DType t = op.output(0).dtype();
        if (a.dtype() != t || b.dtype() != t || (t != DType.INT64 && t != DType.INT32 && t != DType.FLOAT32)) {
            return null;
        }
        int[] da = op.input(0).shape().dims();
        int[] db = op.input(1).shape().dims();
        int[] dy = op.output(0).shape().dims();
        int r = dy.length;
        int n = 1;
        for (int d : dy) {
            n *= d;
        }
        boolean isFloat = t == DType.FLOAT32;
        float[] fa = isFloat ? a.floats() : null;
        float[] fb = isFloat ? b.floats() : null;
        long[] la = isFloat ? null : OnnxTensors.longs(a);
        long[] lb = isFloat ? null : OnnxTensors.longs(b);
        float[] fy = new float[isFloat ? n : 0];
        long[] ly = new long[isFloat ? 0 : n];
        int[] idx = new int[r];
        for (int o = 0; o < n; o++) {
            int ia = offset(idx, da, r);
            int ib = offset(idx, db, r);
            if (isFloat) {
                float u = fa[ia];
                float v = fb[ib];
                fy[o] = switch (op.type()) {
                    case ADD -> u + v;
                    case SUB -> u - v;
                    case MUL -> u * v;
                    case DIV -> u / v;
                    case MINIMUM -> Math.min(u, v);
                    default -> Math.max(u, v);
                };
            } else {
                long u = la[ia];
                long v = lb[ib];
                if (op.type() == dev.quanta.ir.OpType.DIV && v == 0) {
                    return null;
                }
                ly[o] = switch (op.type()) {
                    case ADD -> u + v;
                    case SUB -> u - v;
                    case MUL -> u * v;
                    case DIV -> u / v;
                    case MINIMUM -> Math.min(u, v);
                    default -> Math.max(u, v);
                };
            }
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < dy[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        if (isFloat) {
            return TensorData.ofFloats(fy);
        }
        if (t == DType.INT64) {
            return OnnxTensors.ofLongs(ly);
        }
        int[] iy = new int[n];
        for (int i = 0; i < n; i++) {
            iy[i] = (int) ly[i];
        }
        return TensorData.ofInts(iy);
    }

    /** The flat index into an operand of dims {@code d} (broadcast, right-aligned) of output index {@code idx}. */
    private static int offset(int[] idx, int[] d, int r) {
        int off = 0;
        int lead = r - d.length;
        for (int i = 0; i < d.length; i++) {
            int k = d[i] == 1 ? 0 : idx[lead + i];
            off = off * d[i] + k;
        }
        return off;
    }
}
