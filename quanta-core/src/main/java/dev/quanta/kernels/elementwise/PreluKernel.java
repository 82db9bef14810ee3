package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;

/**
 * PRELU with NumPy broadcasting of input and slopes. Float: {@code y = x ≥ 0 ? x : x·α}. int8, uint8 and int16
 * (TFLite reference_ops::Prelu / BroadcastPrelu4DSlow):
 *
 * <pre>
 * (m₁, e₁) = QM(double(float(s_x / s_y))),   (m₂, e₂) = QM(double(float(s_x · s_α / s_y)))
 * c = x − zp_x;   y = zp_y + (c ≥ 0 ? MBQM(c, m₁, e₁) : MBQM(c · (α − zp_α), m₂, e₂))   clamped to the type
 * </pre>
 */
final class PreluKernel implements Kernel {
    private final int[] outShape;
    private final int[] xStrides;
    private final int[] aStrides;
    private final Broadcast.Visitor visitor;

    private PreluKernel(int[] xs, int[] as, int[] ys, Broadcast.Visitor visitor) {
        this.outShape = ys;
        this.xStrides = Broadcast.strides(xs, ys);
        this.aStrides = Broadcast.strides(as, ys);
        this.visitor = visitor;
    }

    static PreluKernel ofFloat(float[] x, int[] xs, float[] alpha, int[] as, float[] y, int[] ys) {
        return new PreluKernel(xs, as, ys, (o, i, a) -> {
            float v = x[i];
            y[o] = v >= 0 ? v : v * alpha[a];
        });
    }

    /** Stored values as ints: {@code signed} for int8, unsigned for uint8. */
    static PreluKernel ofBytes(
            boolean signed,
            byte[] x,
            int[] xs,
            float sx,
            int zx,
            byte[] alpha,
            int[] as,
            float sa,
            int za,
            byte[] y,
            int[] ys,
            float sy,
            int zy) {
        FixedPoint.Multiplier identity = FixedPoint.quantizeMultiplier((double) (sx / sy));
        FixedPoint.Multiplier slope = FixedPoint.quantizeMultiplier((double) (sx * sa / sy));
        int lo = signed ? -128 : 0;
        int hi = signed ? 127 : 255;
        return new PreluKernel(xs, as, ys, (o, i, a) -> {
            int c = (signed ? x[i] : x[i] & 0xFF) - zx;
            int r;
            if (c >= 0) {
                r = FixedPoint.multiplyByQuantizedMultiplier(c, identity.multiplier(), identity.shift());
            } else {
                int av = (signed ? alpha[a] : alpha[a] & 0xFF) - za;
                r = FixedPoint.multiplyByQuantizedMultiplier(c * av, slope.multiplier(), slope.shift());
            }
            y[o] = (byte) Math.max(lo, Math.min(hi, r + zy));
        });
    }

    /**
     * int16 PRELU (the 16x8 scheme: int8 slopes): the same arithmetic as {@link #ofBytes}, clamped to
     * [−32768, 32767].
     */
    static PreluKernel ofShorts(
            short[] x,
            int[] xs,
            float sx,
            int zx,
            byte[] alpha,
            int[] as,
            float sa,
            int za,
            short[] y,
            int[] ys,
            float sy,
            int zy) {
        FixedPoint.Multiplier identity = FixedPoint.quantizeMultiplier((double) (sx / sy));
        FixedPoint.Multiplier slope = FixedPoint.quantizeMultiplier((double) (sx * sa / sy));
        return new PreluKernel(xs, as, ys, (o, i, a) -> {
            int c = x[i] - zx;
            int r = c >= 0
                    ? FixedPoint.multiplyByQuantizedMultiplier(c, identity.multiplier(), identity.shift())
                    : FixedPoint.multiplyByQuantizedMultiplier(c * (alpha[a] - za), slope.multiplier(), slope.shift());
            y[o] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r + zy));
        });
    }

    @Override
    public void run(Parallel parallel) {
        Broadcast.forEach(outShape, xStrides, aStrides, visitor);
    }
}
