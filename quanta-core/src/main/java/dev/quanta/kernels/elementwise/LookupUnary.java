package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Quantized EXP and LOG (int8, int16) and RSQRT (int16) through TFLite's lookup tables, computed in float as its
 * {@code LUTPopulate} does (the built-in kernels; XNNPACK does not take these ops):
 *
 * <pre>
 * int8:  T[q] = clamp(int32(round(f(s_x · (q − zp_x)) · (1 / s_y)) + zp_y))       round ties away from zero; an
 *        out-of-range float → int32 conversion gives INT32_MIN, as x86's cvttss2si
 * int16: 512 interpolation nodes over the whole input range plus an end point (zero points 0),
 *        y = T[256 + (x &gt;&gt; 7)] + ((ΔT · (x &amp; 127) + 64) &gt;&gt; 7)
 * f:     EXP e^v;  LOG ln v (v ≤ 0: the output's lowest value);  RSQRT 1/√v (v ≤ 0: 32767 · s_y; a negative
 *        input is refused when the kernel runs, as TFLite does)
 * </pre>
 */
final class LookupUnary implements Kernel {
    private final Object x;
    private final Object y;
    private final DType type;
    private final int[] table8;
    private final short[] table16;
    private final boolean positiveOnly;
    private final String where;

    LookupUnary(Op op, Object x, Object y) {
        this.x = x;
        this.y = y;
        this.type = op.input(0).dtype();
        float sx = Quant.scale(op, op.input(0));
        float sy = Quant.scale(op, op.output(0));
        int zpX = Quant.zeroPoint(op, op.input(0));
        int zpY = Quant.zeroPoint(op, op.output(0));
        OpType f = op.type();
        this.positiveOnly = f == OpType.RSQRT;
        this.where = op.describe();
        if (type == DType.INT16) {
            if (zpX != 0 || zpY != 0) {
                throw new UnsupportedOperationException(op.describe() + ": int16 " + f
                        + " needs zero points 0 (TFLite refuses others), got " + zpX + " and " + zpY);
            }
            float outMin = sy * -32768f;
            this.table16 = Int16Table.populate(sx, 0, sy, 0, v -> transform(f, v, outMin, sy));
            this.table8 = null;
        } else {
            float outMin = sy * (-128 - zpY);
            float inverse = 1 / sy;
            this.table8 = new int[256];
            for (int q = -128; q <= 127; q++) {
                float real = sx * (q - zpX);
                float rescaled = FixedPoint.roundHalfAwayFromZero(transform(f, real, outMin, sy) * inverse);
                int quantized = toInt32(rescaled + zpY);
                table8[q & 0xFF] = Math.max(-128, Math.min(127, quantized));
            }
            this.table16 = null;
        }
    }

    private static float transform(OpType f, float v, float outMin, float sy) {
        return switch (f) {
            case EXP -> (float) Math.exp(v);
            case LOG -> v <= 0 ? outMin : (float) Math.log(v);
            default -> v <= 0 ? 32767 * sy : 1f / (float) Math.sqrt(v);
        };
    }

    /** C++ {@code static_cast<int32_t>(float)} on x86: truncation, INT32_MIN when out of range or NaN. */
    private static int toInt32(float v) {
        return v >= -0x1p31f && v < 0x1p31f ? (int) v : Integer.MIN_VALUE;
    }

    @Override
    public void run(Parallel parallel) {
        int n = Buffers.length(y);
        if (table16 != null) {
            short[] in = (short[]) x;
            short[] out = (short[]) y;
            for (int i = 0; i < n; i++) {
                if (positiveOnly && in[i] < 0) {
                    throw new dev.quanta.QuantaException(
                            where + ": RSQRT of a negative value (stored " + in[i] + "); TFLite refuses it too");
                }
                out[i] = (short) Int16Table.lookup(in[i], table16);
            }
            return;
        }
        byte[] in = (byte[]) x;
        byte[] out = (byte[]) y;
        for (int i = 0; i < n; i++) {
            out[i] = (byte) table8[in[i] & 0xFF];
        }
    }
}
