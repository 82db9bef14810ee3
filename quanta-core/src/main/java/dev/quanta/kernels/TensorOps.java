package dev.quanta.kernels;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import java.util.function.Function;

/**
 * Type-generic reference kernels for ops on plain (not quantized) tensors of any element type: CAST,
 * STRIDED_SLICE, element-wise MUL, DIV, MINIMUM, MAXIMUM (NumPy broadcasting), and ADD, CONCATENATION, RESHAPE on
 * integer tensors. Arithmetic is TFLite's reference arithmetic for the type: float32 ops in float32; integer ops
 * in the type's width with wrap-around (C++ on two's complement), integer DIV truncating toward zero; a fused
 * activation clamps to the activation's range (integers: NONE is no clamp).
 *
 * <p>These are the ops of tflite-micro's audio preprocessor around its signal ops (int32 and uint32 tensors), and
 * float MUL, DIV, MINIMUM, MAXIMUM anywhere.
 */
public final class TensorOps {
    private TensorOps() {}

    /**
     * True when {@code op} is one of the ops these kernels take: CAST and STRIDED_SLICE of any type (stored values
     * are converted or copied, quantization parameters play no part, as in TFLite); ADD and CONCATENATION on 32-
     * and 64-bit integer tensors; RESHAPE and IDENTITY on those and on any integer tensor without quantization; MUL,
     * DIV, MINIMUM, MAXIMUM on tensors none of which is quantized.
     */
    public static boolean handles(Op op) {
        return switch (op.type()) {
            case CAST, STRIDED_SLICE -> true;
            case ADD, CONCATENATION -> isPlainInteger(op.output(0).dtype());
            case RESHAPE, IDENTITY ->
                isPlainInteger(op.output(0).dtype())
                        || op.output(0).quant() == null
                                && !Elements.isFloat(op.output(0).dtype());
            case MUL, DIV, MINIMUM, MAXIMUM -> {
                boolean plain = op.output(0).quant() == null
                        || Elements.isFloat(op.output(0).dtype());
                for (Tensor t : op.inputs()) {
                    plain &= t.quant() == null || Elements.isFloat(t.dtype());
                }
                yield plain;
            }
            default -> false;
        };
    }

    private static boolean isPlainInteger(DType t) {
        return t == DType.INT32 || t == DType.UINT32 || t == DType.INT64 || t == DType.UINT64;
    }

    /** The kernel of {@code op}; {@link #handles} must be true. */
    public static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        Object x = buffer.apply(in);
        Object y = buffer.apply(out);
        DType tx = in.dtype();
        DType ty = out.dtype();
        int n = Buffers.length(y);
        return switch (op.type()) {
            case CAST ->
                p -> {
                    if (Elements.isFloat(tx)) {
                        for (int i = 0; i < n; i++) {
                            Elements.setDouble(y, ty, i, Elements.getDouble(x, tx, i));
                        }
                    } else {
                        for (int i = 0; i < n; i++) {
                            long v = Elements.getLong(x, tx, i);
                            if (Elements.isFloat(ty)) {
                                Elements.setDouble(y, ty, i, tx == DType.UINT64 ? Elements.getDouble(x, tx, i) : v);
                            } else {
                                Elements.setLong(y, ty, i, v);
                            }
                        }
                    }
                };
            case RESHAPE, IDENTITY -> p -> System.arraycopy(x, 0, y, 0, n);
            case STRIDED_SLICE -> stridedSlice(x, shape.apply(in), y, op.attrs(OpAttributes.StridedSlice.class));
            case CONCATENATION -> concatenation(op, buffer, shape, y, shape.apply(out));
            case ADD, MUL, DIV, MINIMUM, MAXIMUM ->
                binary(
                        op,
                        x,
                        shape.apply(in),
                        buffer.apply(op.input(1)),
                        shape.apply(op.input(1)),
                        y,
                        shape.apply(out));
            default ->
                throw new UnsupportedOperationException(
                        op.describe() + ": " + op.type() + " has no type-generic kernel");
        };
    }

    private static Kernel stridedSlice(Object x, int[] xs, Object y, OpAttributes.StridedSlice a) {
        ShapeInference.SliceGeometry g = ShapeInference.stridedSlice(Shape.of(xs), a);
        int rank = xs.length;
        int[] xStrides = new int[rank];
        for (int i = rank - 1, s = 1; i >= 0; s *= xs[i], i--) {
            xStrides[i] = s;
        }
        // the source of every output element, found once
        int[] source = new int[Buffers.length(y)];
        int[] idx = new int[rank];
        for (int o = 0; o < source.length; o++) {
            int src = 0;
            for (int d = 0; d < rank; d++) {
                src += (g.start()[d] + idx[d] * g.stride()[d]) * xStrides[d];
            }
            source[o] = src;
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < g.count()[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return p -> {
            for (int o = 0; o < source.length; o++) {
                System.arraycopy(x, source[o], y, o, 1);
            }
        };
    }

    private static Kernel concatenation(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, Object y, int[] ys) {
        OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
        int axis = a.axis() < 0 ? a.axis() + ys.length : a.axis();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= ys[i];
        }
        int inputs = op.inputs().size();
        Object[] xs = new Object[inputs];
        int[] chunk = new int[inputs];
        for (int k = 0; k < inputs; k++) {
            xs[k] = buffer.apply(op.input(k));
            chunk[k] = Buffers.length(xs[k]) / Math.max(1, outer);
        }
        int outers = outer;
        return p -> {
            int pos = 0;
            for (int o = 0; o < outers; o++) {
                for (int k = 0; k < inputs; k++) {
                    System.arraycopy(xs[k], o * chunk[k], y, pos, chunk[k]);
                    pos += chunk[k];
                }
            }
        };
    }

    private static Kernel binary(Op op, Object a, int[] as, Object b, int[] bs, Object y, int[] ys) {
        OpType type = op.type();
        DType t = op.output(0).dtype();
        DType ta = op.input(0).dtype();
        DType tb = op.input(1).dtype();
        Activation act = switch (op.attributes()) {
            case OpAttributes.Arithmetic ar -> ar.activation();
            case OpAttributes.Add ad -> ad.activation();
            default -> Activation.NONE;
        };
        int[] aStrides = Broadcast.strides(as, ys);
        int[] bStrides = Broadcast.strides(bs, ys);
        int[] outShape = ys.clone();
        if (Elements.isFloat(t)) {
            float lo = act.min();
            float hi = act.max();
            return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
                float u = (float) Elements.getDouble(a, ta, ia);
                float v = (float) Elements.getDouble(b, tb, ib);
                float r = switch (type) {
                    case ADD -> u + v;
                    case MUL -> u * v;
                    case DIV -> u / v;
                    case MINIMUM -> Math.min(u, v);
                    default -> Math.max(u, v);
                };
                Elements.setDouble(y, t, i, Math.max(lo, Math.min(hi, r)));
            });
        }
        boolean clamp = act != Activation.NONE;
        long lo = (long) act.min();
        long hi = (long) act.max();
        String where = op.describe();
        return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
            long u = Elements.getLong(a, ta, ia);
            long v = Elements.getLong(b, tb, ib);
            long r = switch (type) {
                case ADD -> u + v;
                case MUL -> u * v;
                case DIV -> {
                    if (v == 0) {
                        throw new QuantaException(where + ": integer division by zero");
                    }
                    yield wrap(u, t) / wrap(v, t);
                }
                case MINIMUM -> Math.min(u, v);
                default -> Math.max(u, v);
            };
            r = wrap(r, t);
            if (clamp) {
                r = Math.max(lo, Math.min(hi, r));
            }
            Elements.setLong(y, t, i, r);
        });
    }

    /** {@code v} reduced to the value range of integer type {@code t}, as storing and reloading it would. */
    private static long wrap(long v, DType t) {
        return switch (t) {
            case INT8 -> (byte) v;
            case UINT8 -> v & 0xFF;
            case INT16 -> (short) v;
            case INT32 -> (int) v;
            case UINT32 -> v & 0xFFFF_FFFFL;
            default -> v;
        };
    }
}
