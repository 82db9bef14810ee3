package dev.quanta.kernels.elementwise;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.function.Function;

/**
 * Element-wise kernels on stored values, as TFLite's reference kernels compute them for each type: float32 in
 * float32 (transcendental functions through the JDK's double versions, rounded once to float32); integers in the
 * type's width with wrap-around; BOOL as 0/1. Integer FLOOR_DIV and FLOOR_MOD round the quotient toward −∞ (the
 * remainder takes the divisor's sign) and refuse a zero divisor, as TFLite does; integer POW multiplies by
 * repeated squaring and refuses a negative exponent.
 *
 * <p>Comparisons of quantized int8/uint8 operands compare TFLite's rescaled values
 * {@code MBQM((x − zp)·2^8, QM(s))} of each side (so operands with different parameters compare by real value);
 * every other type compares stored values.
 */
final class PlainElementwise {
    private PlainElementwise() {}

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        OpType type = op.type();
        Tensor out = op.output(0);
        Object y = buffer.apply(out);
        int[] ys = shape.apply(out);
        return switch (type) {
            case SQRT, RSQRT, ABS, NEG, EXP, LOG, FLOOR, CEIL, ROUND, LOGICAL_NOT ->
                unary(op, buffer.apply(op.input(0)), y);
            case SELECT, SELECT_V2 -> select(op, buffer, shape, y, ys);
            case LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL -> comparison(op, buffer, shape, y, ys);
            default -> binary(op, buffer, shape, y, ys);
        };
    }

    private static Kernel unary(Op op, Object x, Object y) {
        DType t = op.input(0).dtype();
        int n = dev.quanta.kernels.Buffers.length(y);
        OpType type = op.type();
        String where = op.describe();
        if (Elements.isFloat(t)) {
            return p -> {
                for (int i = 0; i < n; i++) {
                    float v = (float) Elements.getDouble(x, t, i);
                    float r = switch (type) {
                        case SQRT -> (float) Math.sqrt(v);
                        case RSQRT -> 1f / (float) Math.sqrt(v);
                        case ABS -> Math.abs(v);
                        case NEG -> -v;
                        case EXP -> (float) Math.exp(v);
                        case LOG -> (float) Math.log(v);
                        case FLOOR -> (float) Math.floor(v);
                        case CEIL -> (float) Math.ceil(v);
                        case ROUND -> (float) Math.rint(v);
                        default -> throw new IllegalStateException(where + ": " + type);
                    };
                    Elements.setDouble(y, t, i, r);
                }
            };
        }
        return p -> {
            for (int i = 0; i < n; i++) {
                long v = Elements.getLong(x, t, i);
                long r = switch (type) {
                    case ABS -> Math.abs(v);
                    case NEG -> -v;
                    case LOGICAL_NOT -> v == 0 ? 1 : 0;
                    default -> throw new IllegalStateException(where + ": " + type);
                };
                Elements.setLong(y, t, i, r);
            }
        };
    }

    private static Kernel binary(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, Object y, int[] ys) {
        OpType type = op.type();
        DType t = op.output(0).dtype();
        Object a = buffer.apply(op.input(0));
        Object b = buffer.apply(op.input(1));
        Activation act = op.attributes() instanceof OpAttributes.Arithmetic ar ? ar.activation() : Activation.NONE;
        String where = op.describe();
        return PlainBinary.of(
                a,
                t,
                shape.apply(op.input(0)),
                b,
                t,
                shape.apply(op.input(1)),
                y,
                t,
                ys,
                act,
                (u, v) -> switch (type) {
                    case SUB -> u - v;
                    case SQUARED_DIFFERENCE -> (u - v) * (u - v);
                    case FLOOR_DIV -> (float) Math.floor(u / v);
                    case FLOOR_MOD -> {
                        float m = u % v;
                        yield m != 0 && (v < 0) != (m < 0) ? m + v : m;
                    }
                    case POW -> (float) Math.pow(u, v);
                    default -> throw new IllegalStateException(where + ": " + type);
                },
                (u, v) -> switch (type) {
                    case SUB -> u - v;
                    case SQUARED_DIFFERENCE -> PlainBinary.wrap((u - v), t) * PlainBinary.wrap((u - v), t);
                    case FLOOR_DIV, FLOOR_MOD -> {
                        if (v == 0) {
                            throw new QuantaException(where + ": integer division by zero");
                        }
                        yield type == OpType.FLOOR_DIV ? Math.floorDiv(u, v) : Math.floorMod(u, v);
                    }
                    case POW -> power(u, v, t, where);
                    case LOGICAL_AND -> (u != 0 && v != 0) ? 1 : 0;
                    case LOGICAL_OR -> (u != 0 || v != 0) ? 1 : 0;
                    default -> throw new IllegalStateException(where + ": " + type);
                });
    }

    /** uᵛ in the width of {@code t} by repeated squaring (wrap-around), as TFLite's IntegerPow. */
    private static long power(long u, long v, DType t, String where) {
        if (v < 0) {
            throw new QuantaException(where + ": integer to a negative power (" + v + ")");
        }
        long result = 1;
        long base = u;
        while (v != 0) {
            if ((v & 1) != 0) {
                result = PlainBinary.wrap(result * base, t);
            }
            base = PlainBinary.wrap(base * base, t);
            v >>= 1;
        }
        return result;
    }

    private static Kernel comparison(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, Object y, int[] ys) {
        OpType type = op.type();
        Tensor ta = op.input(0);
        Tensor tb = op.input(1);
        Object a = buffer.apply(ta);
        Object b = buffer.apply(tb);
        int[] aStrides = Broadcast.strides(shape.apply(ta), ys);
        int[] bStrides = Broadcast.strides(shape.apply(tb), ys);
        int[] outShape = ys.clone();
        DType t = ta.dtype();
        if (Elements.isFloat(t)) {
            return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
                double u = Elements.getDouble(a, t, ia);
                double v = Elements.getDouble(b, t, ib);
                ((byte[]) y)[i] = (byte) (compare(type, u, v) ? 1 : 0);
            });
        }
        if (t == DType.INT8 || t == DType.UINT8) {
            Rescale ra = Rescale.of(op, ta);
            Rescale rb = Rescale.of(op, tb);
            return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
                long u = ra.apply(Quant.get(a, t, ia));
                long v = rb.apply(Quant.get(b, t, ib));
                ((byte[]) y)[i] = (byte) (compare(type, u, v) ? 1 : 0);
            });
        }
        return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
            long u = Elements.getLong(a, t, ia);
            long v = Elements.getLong(b, t, ib);
            ((byte[]) y)[i] = (byte) (compare(type, u, v) ? 1 : 0);
        });
    }

    /** TFLite's comparison rescaling of a quantized 8-bit operand: MBQM((x − zp)·2^8, QM(s)). */
    private record Rescale(int zeroPoint, int multiplier, int shift) {
        static Rescale of(Op op, Tensor t) {
            float s = Quant.scale(op, t);
            if (!(s > 0 && s < 1)) {
                throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " of quantized " + t.dtype()
                        + " needs scales in (0, 1) as TFLite does, '" + t.name() + "' has " + s);
            }
            FixedPoint.Multiplier m = FixedPoint.quantizeMultiplier(s);
            return new Rescale(Quant.zeroPoint(op, t), m.multiplier(), m.shift());
        }

        long apply(int v) {
            return FixedPoint.multiplyByQuantizedMultiplier((v - zeroPoint) * (1 << 8), multiplier, shift);
        }
    }

    private static boolean compare(OpType type, double u, double v) {
        return switch (type) {
            case LESS -> u < v;
            case LESS_EQUAL -> u <= v;
            case GREATER -> u > v;
            case GREATER_EQUAL -> u >= v;
            case EQUAL -> u == v;
            default -> u != v;
        };
    }

    private static boolean compare(OpType type, long u, long v) {
        return switch (type) {
            case LESS -> u < v;
            case LESS_EQUAL -> u <= v;
            case GREATER -> u > v;
            case GREATER_EQUAL -> u >= v;
            case EQUAL -> u == v;
            default -> u != v;
        };
    }

    /**
     * SELECT and SELECT_V2: y = cond ? a : b, stored values copied. SELECT with a vector condition over a
     * higher-rank a takes whole rows; SELECT_V2 broadcasts all three.
     */
    private static Kernel select(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, Object y, int[] ys) {
        byte[] cond = (byte[]) buffer.apply(op.input(0));
        Object a = buffer.apply(op.input(1));
        Object b = buffer.apply(op.input(2));
        int[] cs = shape.apply(op.input(0));
        int[] as = shape.apply(op.input(1));
        int[] bs = shape.apply(op.input(2));
        if (op.type() == OpType.SELECT && cs.length == 1 && as.length > 1) {
            int n = dev.quanta.kernels.Buffers.length(y);
            int rows = Math.max(1, cs[0]);
            int row = n / rows;
            return p -> {
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(cond[r] != 0 ? a : b, r * row, y, r * row, row);
                }
            };
        }
        Walk walk = new Walk(ys, new int[][] {cs, as, bs});
        Walk.Visitor copy =
                (i, at) -> System.arraycopy(cond[at[0]] != 0 ? a : b, cond[at[0]] != 0 ? at[1] : at[2], y, i, 1);
        return p -> walk.forEach(copy);
    }
}
