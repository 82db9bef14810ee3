package dev.quanta.kernels.shape;

import static dev.quanta.ir.DType.BOOL;
import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT16;
import static dev.quanta.ir.DType.INT32;
import static dev.quanta.ir.DType.INT64;
import static dev.quanta.ir.DType.INT8;
import static dev.quanta.ir.DType.UINT32;
import static dev.quanta.ir.DType.UINT8;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The kernels of SPLIT, SPLIT_V, UNPACK, PACK, GATHER and GATHER_ND, for {@link dev.quanta.kernels.Kernels}
 * (registered as a service). They copy stored elements, whatever the element type: quantization parameters play no
 * part (TFLite copies the stored values too, and its converter gives the outputs the input's parameters), so one
 * kernel per op serves every type and both TFLite paths. Index inputs (int16, int32 or int64) are read at run time;
 * an index outside its axis is an error naming the op, never a read out of bounds.
 */
public final class DataMovementKernels implements KernelProvider {

    /** The element types TFLite 2.21's built-in kernel of each op registers (strings and int4 aside). */
    private static final Map<OpType, Set<DType>> TYPES = new EnumMap<>(OpType.class);

    static {
        TYPES.put(OpType.SPLIT, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64));
        TYPES.put(OpType.SPLIT_V, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64));
        TYPES.put(OpType.UNPACK, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, BOOL));
        TYPES.put(OpType.PACK, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, UINT32, INT64));
        TYPES.put(OpType.GATHER, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL));
        TYPES.put(OpType.GATHER_ND, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL));
    }

    @Override
    public boolean handles(Op op) {
        Set<DType> types = TYPES.get(op.type());
        return types != null && types.contains(op.input(0).dtype());
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        TYPES.forEach((op, types) -> {
            for (DType t : types) {
                rows.add(KernelSupport.bothPaths(op, t, "copies the stored elements"));
            }
        });
        return rows;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        for (Tensor out : op.outputs()) {
            if (out.dtype() != op.input(0).dtype()) {
                throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " of "
                        + op.input(0).dtype() + " cannot produce " + out.dtype());
            }
        }
        int[] xs = shape.apply(op.input(0));
        return switch (op.type()) {
            case SPLIT, SPLIT_V, UNPACK -> split(op, buffer, shape, xs);
            case PACK -> pack(op, buffer, xs);
            case GATHER ->
                gather(
                        op,
                        buffer.apply(op.input(0)),
                        xs,
                        buffer.apply(op.input(1)),
                        shape.apply(op.input(1)),
                        buffer.apply(op.output(0)));
            case GATHER_ND ->
                gatherNd(
                        op,
                        buffer.apply(op.input(0)),
                        xs,
                        buffer.apply(op.input(1)),
                        shape.apply(op.input(1)),
                        buffer.apply(op.output(0)));
            default ->
                throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " is not handled here");
        };
    }

    private static int product(int[] dims, int from, int to) {
        int n = 1;
        for (int i = from; i < to; i++) {
            n *= dims[i];
        }
        return n;
    }

    /**
     * SPLIT, SPLIT_V, UNPACK: with the input seen as [outer, dim, inner] around the axis, output k takes rows
     * [offset_k, offset_k + size_k) of every outer block.
     */
    private static Kernel split(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, int[] xs) {
        int rawAxis = switch (op.type()) {
            case SPLIT -> op.attrs(OpAttributes.Split.class).axis();
            case SPLIT_V -> op.attrs(OpAttributes.SplitV.class).axis();
            default -> op.attrs(OpAttributes.Unpack.class).axis();
        };
        int axis = rawAxis < 0 ? rawAxis + xs.length : rawAxis;
        int outer = product(xs, 0, axis);
        int dim = xs[axis];
        int inner = product(xs, axis + 1, xs.length);
        int parts = op.outputs().size();
        Object[] ys = new Object[parts];
        int[] chunk = new int[parts];
        int[] offset = new int[parts];
        int at = 0;
        for (int k = 0; k < parts; k++) {
            ys[k] = buffer.apply(op.output(k));
            int size = op.type() == OpType.UNPACK ? 1 : shape.apply(op.output(k))[axis];
            chunk[k] = size * inner;
            offset[k] = at;
            at += chunk[k];
        }
        if (at != dim * inner) {
            throw new IllegalStateException(
                    op.describe() + ": parts of " + at + " elements do not tile an axis of " + dim * inner);
        }
        Object x = buffer.apply(op.input(0));
        int block = dim * inner;
        return p -> {
            for (int k = 0; k < parts; k++) {
                for (int o = 0; o < outer; o++) {
                    System.arraycopy(x, o * block + offset[k], ys[k], o * chunk[k], chunk[k]);
                }
            }
        };
    }

    /** PACK: with each input seen as [outer, inner] around the new axis, y[o, k, :] = x_k[o, :]. */
    private static Kernel pack(Op op, Function<Tensor, Object> buffer, int[] xs) {
        int n = op.inputs().size();
        int rawAxis = op.attrs(OpAttributes.Pack.class).axis();
        int axis = rawAxis < 0 ? rawAxis + xs.length + 1 : rawAxis;
        int outer = product(xs, 0, axis);
        int inner = product(xs, axis, xs.length);
        Object[] xk = new Object[n];
        for (int k = 0; k < n; k++) {
            xk[k] = buffer.apply(op.input(k));
        }
        Object y = buffer.apply(op.output(0));
        return p -> {
            for (int o = 0; o < outer; o++) {
                for (int k = 0; k < n; k++) {
                    System.arraycopy(xk[k], o * inner, y, (o * n + k) * inner, inner);
                }
            }
        };
    }

    /** Index {@code i} of an int16, int32 or int64 index array. */
    private static long index(Object indices, int i) {
        return switch (indices) {
            case int[] a -> a[i];
            case long[] a -> a[i];
            case short[] a -> a[i];
            default ->
                throw new IllegalStateException(
                        "indices are " + indices.getClass().getSimpleName());
        };
    }

    private static QuantaException outOfRange(Op op, long value, int position, int dim) {
        return new QuantaException(op.describe() + ": " + op.type() + " index " + value + " (element " + position
                + " of the indices) is outside [0, " + dim + ")");
    }

    /**
     * GATHER: with params seen as [batch, outer, axis, inner] and indices as [batch, coords],
     * y[b, o, i, :] = params[b, o, indices[b, i], :].
     */
    private static Kernel gather(Op op, Object x, int[] xs, Object indices, int[] is, Object y) {
        OpAttributes.Gather a = op.attrs(OpAttributes.Gather.class);
        int axis = a.axis() < 0 ? a.axis() + xs.length : a.axis();
        int batchDims = a.batchDims() < 0 ? a.batchDims() + is.length : a.batchDims();
        int batch = product(xs, 0, batchDims);
        int outer = product(xs, batchDims, axis);
        int dim = xs[axis];
        int inner = product(xs, axis + 1, xs.length);
        int coords = product(is, batchDims, is.length);
        return p -> {
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < outer; o++) {
                    int src = (b * outer + o) * dim;
                    int dst = (b * outer + o) * coords;
                    for (int i = 0; i < coords; i++) {
                        int position = b * coords + i;
                        long v = index(indices, position);
                        if (v < 0 || v >= dim) {
                            throw outOfRange(op, v, position, dim);
                        }
                        System.arraycopy(x, (src + (int) v) * inner, y, (dst + i) * inner, inner);
                    }
                }
            }
        };
    }

    /**
     * GATHER_ND: indices [n, depth] (leading axes flattened) pick slices of params' trailing axes,
     * y[j, :] = params[indices[j, 0], …, indices[j, depth − 1], :].
     */
    private static Kernel gatherNd(Op op, Object x, int[] xs, Object indices, int[] is, Object y) {
        int depth = is[is.length - 1];
        int n = product(is, 0, is.length - 1);
        int slice = product(xs, depth, xs.length);
        int[] stride = new int[depth];
        for (int t = 0; t < depth; t++) {
            stride[t] = product(xs, t + 1, depth) * slice;
        }
        return p -> {
            for (int j = 0; j < n; j++) {
                int from = 0;
                for (int t = 0; t < depth; t++) {
                    int position = j * depth + t;
                    long v = index(indices, position);
                    if (v < 0 || v >= xs[t]) {
                        throw outOfRange(op, v, position, xs[t]);
                    }
                    from += (int) v * stride[t];
                }
                System.arraycopy(x, from, y, j * slice, slice);
            }
        };
    }
}
