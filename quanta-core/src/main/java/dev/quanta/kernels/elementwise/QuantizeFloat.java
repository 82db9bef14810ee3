package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * QUANTIZE of float32 values to int8, uint8 or int16.
 *
 * <pre>
 * TFLite (AffineQuantize):      y = clamp(round(x / s_y) + zp_y, qmin, qmax)      float division, round = std::round
 * TFLite, int16 output:         y = clamp(round((double) x / (double) s_y), qmin, qmax)   double division (the
 *                               optimized int16 AffineQuantize holds the scale as a double; measured: x = −31.675272,
 *                               s = 0.002041656 gives −15514, where the float quotient is the tie −15514.5 → −15515)
 * XNNPACK (f32-qs8/qu8 vcvt):   y = clamp(rint(x · (1 / s_y)) + zp_y, qmin, qmax)  float reciprocal, ties to even
 * </pre>
 *
 * TFLite leaves the result of a NaN input unspecified; Quanta maps it to {@code zp_y} (the real value 0).
 */
final class QuantizeFloat implements Kernel {
    /** 1.5·2^23: adding it to a float of magnitude at most 2^22 rounds it to an integer, nearest even. */
    private static final float ROUNDING_MAGIC = 12582912f;

    private final float[] x;
    private final Object y;
    private final DType type;
    private final float scale;
    private final float inverse;
    private final int zp;
    private final int qmin;
    private final int qmax;
    private final boolean xnnpack;
    /** The body of {@link #run} over a range of elements. */
    private final Parallel.RangeBody range;

    QuantizeFloat(float[] x, Object y, DType type, float scale, int zp, boolean xnnpack) {
        this.x = x;
        this.y = y;
        this.type = type;
        this.scale = scale;
        this.inverse = 1.0f / scale;
        this.zp = zp;
        this.qmin = Quant.qmin(type);
        this.qmax = Quant.qmax(type);
        this.xnnpack = xnnpack && type != DType.INT16;
        // made once here: a lambda created in run() would be an allocation per run
        if (this.xnnpack && y instanceof byte[] bytes) {
            // 8-bit XNNPACK: one plain loop without Quant.set's type switch; NaN gives rint(NaN) = 0, so zp as below
            float lo = qmin - zp;
            float hi = qmax - zp;
            float inv = inverse;
            // rint(t) + zp = bits(t + 1.5·2^23) − bits(1.5·2^23) + zp, exact for |t| ≤ 2^22 (t is clamped to at most
            // 255 in magnitude): the float add rounds to nearest even, with no double rint (demo input: 0.28 µs before)
            int offset = zp - Float.floatToRawIntBits(ROUNDING_MAGIC);
            this.range = (from, to) -> {
                for (int i = from; i < to; i++) {
                    float t = x[i] * inv;
                    t = t >= lo ? (t <= hi ? t : hi) : (t < lo ? lo : 0f); // NaN: 0, so zp
                    bytes[i] = (byte) (Float.floatToRawIntBits(t + ROUNDING_MAGIC) + offset);
                }
            };
        } else {
            this.range = (from, to) -> {
                for (int i = from; i < to; i++) {
                    Quant.set(y, type, i, quantize(x[i]));
                }
            };
        }
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length, 16384, range);
    }

    int quantize(float v) {
        if (Float.isNaN(v)) {
            return zp;
        }
        if (xnnpack) {
            float t = v * inverse;
            float lo = qmin - zp;
            float hi = qmax - zp;
            t = t < lo ? lo : (t > hi ? hi : t);
            return (int) Math.rint(t) + zp;
        }
        long q;
        if (type == DType.INT16) {
            // TFLite's optimized int16 AffineQuantize keeps the scale as a double: the quotient is a double and
            // std::round rounds it, so float quotients that land on a tie need not be ties here
            q = FixedPoint.roundHalfAwayFromZero((double) v / (double) scale) + zp;
        } else {
            float r = FixedPoint.roundHalfAwayFromZero(v / scale);
            q = (long) r + zp; // (long) saturates like the int conversion would for huge values
        }
        return (int) Math.max(qmin, Math.min(qmax, q));
    }
}
