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
import dev.quanta.kernels.Buffers;
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
 * The kernels of the shape and data movement ops of issue 11 (SPLIT, SPLIT_V, UNPACK, PACK, GATHER, GATHER_ND,
 * SLICE, SQUEEZE, EXPAND_DIMS, TILE, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH, REVERSE_V2, MIRROR_PAD, PADV2,
 * SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, SHAPE, FILL, ZEROS_LIKE), for {@link dev.quanta.kernels.Kernels}
 * (registered as a service). Ops whose every output element comes from a fixed input element (or is padding) find
 * those sources once, when the kernel is made. They copy stored elements, whatever the element type: quantization parameters play no
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
        TYPES.put(OpType.SLICE, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL, UINT32));
        TYPES.put(OpType.SQUEEZE, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL, UINT32));
        TYPES.put(OpType.EXPAND_DIMS, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL, UINT32));
        TYPES.put(OpType.TILE, EnumSet.of(FLOAT32, UINT8, INT8, INT32, INT64, BOOL));
        TYPES.put(OpType.BROADCAST_TO, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL, UINT32));
        TYPES.put(OpType.DEPTH_TO_SPACE, EnumSet.of(FLOAT32, UINT8, INT8, INT32, INT64));
        TYPES.put(OpType.SPACE_TO_DEPTH, EnumSet.of(FLOAT32, UINT8, INT8, INT32, INT64));
        TYPES.put(OpType.REVERSE_V2, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL));
        TYPES.put(OpType.MIRROR_PAD, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64));
        TYPES.put(OpType.PADV2, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL));
        TYPES.put(OpType.SPACE_TO_BATCH_ND, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64));
        TYPES.put(OpType.BATCH_TO_SPACE_ND, EnumSet.of(FLOAT32, UINT8, INT8, INT16, INT32, INT64));
        TYPES.put(OpType.SHAPE, EnumSet.of(FLOAT32, INT32, INT64, BOOL));
        // int8 and int16 values with the output's parameters (int16 symmetric); uint8 is not registered
        TYPES.put(OpType.FILL, EnumSet.of(FLOAT32, INT8, INT16, INT32, INT64, BOOL));
        TYPES.put(OpType.ZEROS_LIKE, EnumSet.of(FLOAT32, INT32, INT64));
    }

    /** The element types {@code op} runs with (its first input's), as TFLite 2.21 registers them. */
    public static Set<DType> types(OpType op) {
        return TYPES.getOrDefault(op, Set.of());
    }

    /** SHAPE reads no values: it runs on any input type (its rows list the unquantized ones). */
    @Override
    public boolean handles(Op op) {
        if (op.type() == OpType.SHAPE) {
            DType out = op.output(0).dtype();
            return out == INT32 || out == INT64;
        }
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
            if (out.dtype() != op.input(0).dtype() && op.type() != OpType.SHAPE) {
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
            case SQUEEZE, EXPAND_DIMS -> {
                Object x = buffer.apply(op.input(0));
                Object y = buffer.apply(op.output(0));
                int n = product(xs, 0, xs.length);
                yield p -> System.arraycopy(x, 0, y, 0, n);
            }
            case SHAPE -> {
                Object y = buffer.apply(op.output(0));
                yield p -> {
                    for (int i = 0; i < xs.length; i++) {
                        switch (y) {
                            case int[] a -> a[i] = xs[i];
                            case long[] a -> a[i] = xs[i];
                            default ->
                                throw new IllegalStateException(
                                        "SHAPE output " + op.output(0).dtype());
                        }
                    }
                };
            }
            case FILL -> {
                checkFillParams(op);
                int[] ys = shape.apply(op.output(0));
                yield mapped(
                        buffer.apply(op.input(0)),
                        buffer.apply(op.output(0)),
                        new int[product(ys, 0, ys.length)],
                        null);
            }
            case ZEROS_LIKE -> {
                Object y = buffer.apply(op.output(0));
                Object zeros = Buffers.allocate(op.output(0).dtype(), product(xs, 0, xs.length));
                yield p -> System.arraycopy(zeros, 0, y, 0, Buffers.length(zeros));
            }
            default -> {
                int[] ys = shape.apply(op.output(0));
                Object fill = op.type() == OpType.PADV2 && op.inputs().size() > 1
                        ? buffer.apply(op.input(1))
                        : zeroPoint(op.input(0));
                yield mapped(
                        buffer.apply(op.input(0)),
                        buffer.apply(op.output(0)),
                        sources(ys, xs, indexMap(op, xs, ys)),
                        fill);
            }
        };
    }

    /**
     * TFLite's FILL copies the stored value, so its output must have the value's parameters (scale and zero point),
     * and an int16 value must be symmetric (zero point 0).
     */
    private static void checkFillParams(Op op) {
        Tensor v = op.input(0);
        Tensor y = op.output(0);
        if (v.dtype() != INT8 && v.dtype() != INT16) {
            return;
        }
        float sv = v.quant() == null ? 0f : v.quant().scale();
        float sy = y.quant() == null ? 0f : y.quant().scale();
        long zv = v.quant() == null ? 0 : v.quant().zeroPoint();
        long zy = y.quant() == null ? 0 : y.quant().zeroPoint();
        if (sv != sy || zv != zy) {
            throw new UnsupportedOperationException(op.describe() + ": FILL output parameters (scale " + sy
                    + ", zero point " + zy + ") differ from its value's (scale " + sv + ", zero point " + zv
                    + "); TFLite requires them equal");
        }
        if (v.dtype() == INT16 && zv != 0) {
            throw new UnsupportedOperationException(
                    op.describe() + ": int16 FILL value must be symmetric (zero point 0), found " + zv);
        }
    }

    /** Where output element {@code out} comes from: fills {@code in} and returns true, or false for padding. */
    @FunctionalInterface
    private interface IndexMap {
        boolean source(int[] out, int[] in);
    }

    /** The flat input index of every output element, -1 for padding. */
    private static int[] sources(int[] ys, int[] xs, IndexMap map) {
        int n = product(ys, 0, ys.length);
        int[] xStride = new int[xs.length];
        for (int d = xs.length - 1, s = 1; d >= 0; s *= xs[d], d--) {
            xStride[d] = s;
        }
        int[] src = new int[n];
        int[] o = new int[ys.length];
        int[] i = new int[xs.length];
        for (int k = 0; k < n; k++) {
            if (map.source(o, i)) {
                int f = 0;
                for (int d = 0; d < xs.length; d++) {
                    f += i[d] * xStride[d];
                }
                src[k] = f;
            } else {
                src[k] = -1;
            }
            for (int d = ys.length - 1; d >= 0; d--) {
                if (++o[d] < ys[d]) {
                    break;
                }
                o[d] = 0;
            }
        }
        return src;
    }

    /** A one-element array of the input's type holding its zero point (0 when it is not quantized). */
    private static Object zeroPoint(Tensor x) {
        Object a = Buffers.allocate(x.dtype(), 1);
        long zp = x.quant() == null ? 0 : x.quant().zeroPoint();
        switch (a) {
            case byte[] b -> b[0] = (byte) zp;
            case short[] b -> b[0] = (short) zp;
            case int[] b -> b[0] = (int) zp;
            case long[] b -> b[0] = zp;
            default -> {} // float: 0
        }
        return a;
    }

    /**
     * y[k] = x[src[k]], or element 0 of {@code fill} where src[k] is -1 (read at run time: PADV2's value input);
     * a null {@code fill} means there is no padding.
     */
    private static Kernel mapped(Object x, Object y, int[] src, Object fill) {
        Object pad = fill == null ? x : fill;
        return switch (y) {
            case float[] b ->
                p -> {
                    float[] a = (float[]) x;
                    float f = ((float[]) pad)[0];
                    for (int k = 0; k < src.length; k++) {
                        b[k] = src[k] >= 0 ? a[src[k]] : f;
                    }
                };
            case byte[] b ->
                p -> {
                    byte[] a = (byte[]) x;
                    byte f = ((byte[]) pad)[0];
                    for (int k = 0; k < src.length; k++) {
                        b[k] = src[k] >= 0 ? a[src[k]] : f;
                    }
                };
            case short[] b ->
                p -> {
                    short[] a = (short[]) x;
                    short f = ((short[]) pad)[0];
                    for (int k = 0; k < src.length; k++) {
                        b[k] = src[k] >= 0 ? a[src[k]] : f;
                    }
                };
            case int[] b ->
                p -> {
                    int[] a = (int[]) x;
                    int f = ((int[]) pad)[0];
                    for (int k = 0; k < src.length; k++) {
                        b[k] = src[k] >= 0 ? a[src[k]] : f;
                    }
                };
            case long[] b ->
                p -> {
                    long[] a = (long[]) x;
                    long f = ((long[]) pad)[0];
                    for (int k = 0; k < src.length; k++) {
                        b[k] = src[k] >= 0 ? a[src[k]] : f;
                    }
                };
            default ->
                throw new IllegalStateException("no copy for " + y.getClass().getSimpleName());
        };
    }

    /** The source of each output element of the static-index ops. */
    private static IndexMap indexMap(Op op, int[] xs, int[] ys) {
        return switch (op.type()) {
            case SLICE -> {
                int[] begin = op.attrs(OpAttributes.Slice.class).begin();
                yield (o, i) -> {
                    for (int d = 0; d < o.length; d++) {
                        i[d] = o[d] + begin[d];
                    }
                    return true;
                };
            }
            case TILE ->
                (o, i) -> {
                    for (int d = 0; d < o.length; d++) {
                        i[d] = o[d] % xs[d];
                    }
                    return true;
                };
            case BROADCAST_TO ->
                (o, i) -> {
                    int shift = ys.length - xs.length;
                    for (int d = 0; d < xs.length; d++) {
                        i[d] = xs[d] == 1 ? 0 : o[d + shift];
                    }
                    return true;
                };
            case DEPTH_TO_SPACE -> {
                int b = op.attrs(OpAttributes.BlockSize.class).blockSize();
                yield (o, i) -> {
                    i[0] = o[0];
                    i[1] = o[1] / b;
                    i[2] = o[2] / b;
                    i[3] = ((o[1] % b) * b + o[2] % b) * ys[3] + o[3];
                    return true;
                };
            }
            case SPACE_TO_DEPTH -> {
                int b = op.attrs(OpAttributes.BlockSize.class).blockSize();
                yield (o, i) -> {
                    int offset = o[3] / xs[3];
                    i[0] = o[0];
                    i[1] = o[1] * b + offset / b;
                    i[2] = o[2] * b + offset % b;
                    i[3] = o[3] % xs[3];
                    return true;
                };
            }
            case REVERSE_V2 -> {
                boolean[] reversed = new boolean[xs.length];
                for (int axis : op.attrs(OpAttributes.Reverse.class).axes()) {
                    reversed[axis < 0 ? axis + xs.length : axis] = true;
                }
                yield (o, i) -> {
                    for (int d = 0; d < o.length; d++) {
                        i[d] = reversed[d] ? xs[d] - 1 - o[d] : o[d];
                    }
                    return true;
                };
            }
            case MIRROR_PAD -> {
                OpAttributes.MirrorPad a = op.attrs(OpAttributes.MirrorPad.class);
                int edge = a.symmetric() ? 1 : 0;
                yield (o, i) -> {
                    for (int d = 0; d < o.length; d++) {
                        int k = o[d] - a.paddings()[d][0];
                        if (k < 0) {
                            k = -k - edge;
                        } else if (k >= xs[d]) {
                            k = 2 * xs[d] - 2 + edge - k;
                        }
                        i[d] = k;
                    }
                    return true;
                };
            }
            case PADV2 -> {
                int[][] paddings = op.attrs(OpAttributes.Pad.class).paddings();
                yield (o, i) -> {
                    for (int d = 0; d < o.length; d++) {
                        i[d] = o[d] - paddings[d][0];
                        if (i[d] < 0 || i[d] >= xs[d]) {
                            return false;
                        }
                    }
                    return true;
                };
            }
            case SPACE_TO_BATCH_ND -> {
                OpAttributes.SpaceBatch a = op.attrs(OpAttributes.SpaceBatch.class);
                int m = a.blockShape().length;
                yield (o, i) -> {
                    i[0] = o[0] % xs[0];
                    int offset = o[0] / xs[0];
                    boolean inside = true;
                    for (int j = m - 1; j >= 0; j--) {
                        int b = a.blockShape()[j];
                        i[j + 1] = o[j + 1] * b + offset % b - a.amounts()[j][0];
                        offset /= b;
                        inside &= i[j + 1] >= 0 && i[j + 1] < xs[j + 1];
                    }
                    System.arraycopy(o, m + 1, i, m + 1, o.length - m - 1);
                    return inside;
                };
            }
            case BATCH_TO_SPACE_ND -> {
                OpAttributes.SpaceBatch a = op.attrs(OpAttributes.SpaceBatch.class);
                int m = a.blockShape().length;
                yield (o, i) -> {
                    int offset = 0;
                    for (int j = 0; j < m; j++) {
                        int b = a.blockShape()[j];
                        int pos = o[j + 1] + a.amounts()[j][0];
                        offset = offset * b + pos % b;
                        i[j + 1] = pos / b;
                    }
                    i[0] = offset * ys[0] + o[0];
                    System.arraycopy(o, m + 1, i, m + 1, o.length - m - 1);
                    return true;
                };
            }
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
