package dev.quanta.kernels.elementwise;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;
import java.util.function.Function;

/**
 * Type-generic reference kernels on plain (not quantized) tensors of any element type: CAST, and element-wise ADD,
 * MUL, DIV, MINIMUM, MAXIMUM with NumPy broadcasting. Arithmetic is TFLite's reference arithmetic for the type:
 * float32 ops in float32; integer ops in the type's width with wrap-around (C++ on two's complement), integer DIV
 * truncating toward zero; a fused activation clamps to the activation's range (integers: NONE is no clamp). CAST
 * converts stored values; quantization parameters play no part, as in TFLite.
 *
 * <p>These are the ops of tflite-micro's audio preprocessor around its signal ops (int32 and uint32 tensors), and
 * float MUL, DIV, MINIMUM, MAXIMUM anywhere.
 */
final class PlainArithmetic {
    private PlainArithmetic() {}

    /** True when no input or output of {@code op} is a quantized integer tensor. */
    static boolean isPlain(Op op) {
        boolean plain =
                op.output(0).quant() == null || Elements.isFloat(op.output(0).dtype());
        for (Tensor t : op.inputs()) {
            plain &= t.quant() == null || Elements.isFloat(t.dtype());
        }
        return plain;
    }

    /** True for the 32- and 64-bit integer types, which are never quantized activations. */
    static boolean isPlainInteger(DType t) {
        return t == DType.INT32 || t == DType.UINT32 || t == DType.INT64 || t == DType.UINT64;
    }

    /** The kernel of a CAST, ADD, MUL, DIV, MINIMUM or MAXIMUM on plain tensors. */
    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        Object x = buffer.apply(in);
        Object y = buffer.apply(out);
        DType tx = in.dtype();
        DType ty = out.dtype();
        int n = Buffers.length(y);
        if (op.type() == OpType.CAST) {
            return p -> {
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
        }
        return binary(op, x, shape.apply(in), buffer.apply(op.input(1)), shape.apply(op.input(1)), y, shape.apply(out));
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
        String where = op.describe();
        return PlainBinary.of(
                a,
                ta,
                as,
                b,
                tb,
                bs,
                y,
                t,
                ys,
                act,
                (u, v) -> switch (type) {
                    case ADD -> u + v;
                    case MUL -> u * v;
                    case DIV -> u / v;
                    case MINIMUM -> Math.min(u, v);
                    default -> Math.max(u, v);
                },
                (u, v) -> switch (type) {
                    case ADD -> u + v;
                    case MUL -> u * v;
                    case DIV -> {
                        if (v == 0) {
                            throw new QuantaException(where + ": integer division by zero");
                        }
                        yield PlainBinary.wrap(u, t) / PlainBinary.wrap(v, t);
                    }
                    case MINIMUM -> Math.min(u, v);
                    default -> Math.max(u, v);
                });
    }
}
