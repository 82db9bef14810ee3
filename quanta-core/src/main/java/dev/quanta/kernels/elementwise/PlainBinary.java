package dev.quanta.kernels.elementwise;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;

/**
 * The broadcasting loop of the unquantized binary ops ({@link PlainArithmetic}, {@link PlainElementwise}):
 * {@code y[i] = clamp(f(a[ia], b[ib]))} with NumPy broadcasting and the fused activation as the clamp; float types
 * compute in float32, integer types in long, the result wrapped to the output type's width before the clamp.
 */
final class PlainBinary {
    private PlainBinary() {}

    /** The element function on float values. */
    interface FloatFunction {
        float apply(float u, float v);
    }

    /** The element function on integer values. */
    interface LongFunction {
        long apply(long u, long v);
    }

    /**
     * The kernel for operands {@code a} (type {@code ta}, shape {@code as}) and {@code b} into {@code y} (type
     * {@code t}, shape {@code ys}); {@code f} runs when t is a float type, else {@code g}.
     */
    static Kernel of(
            Object a,
            DType ta,
            int[] as,
            Object b,
            DType tb,
            int[] bs,
            Object y,
            DType t,
            int[] ys,
            Activation act,
            FloatFunction f,
            LongFunction g) {
        int[] aStrides = Broadcast.strides(as, ys);
        int[] bStrides = Broadcast.strides(bs, ys);
        int[] outShape = ys.clone();
        if (Elements.isFloat(t)) {
            float lo = act.min();
            float hi = act.max();
            return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
                float r = f.apply((float) Elements.getDouble(a, ta, ia), (float) Elements.getDouble(b, tb, ib));
                Elements.setDouble(y, t, i, Math.max(lo, Math.min(hi, r)));
            });
        }
        boolean clamp = act != Activation.NONE;
        long lo = (long) act.min();
        long hi = (long) act.max();
        return p -> Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
            long r = wrap(g.apply(Elements.getLong(a, ta, ia), Elements.getLong(b, tb, ib)), t);
            if (clamp) {
                r = Math.max(lo, Math.min(hi, r));
            }
            Elements.setLong(y, t, i, r);
        });
    }

    /** {@code v} reduced to the value range of integer type {@code t}, as storing and reloading it would. */
    static long wrap(long v, DType t) {
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
