package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.kernels.arithmetic.FixedPoint;
import java.util.function.IntUnaryOperator;

/**
 * The per-value formulas of the activation ops, float and quantized (the quantized ones are tabulated over the 256
 * input values). x is the stored input value, {@code (s_x, zp_x)} and {@code (s_y, zp_y)} the input and output
 * parameters; every quantized result is clamped to the output type's range.
 *
 * <pre>
 * HARD_SWISH float:     y = x · min(6, max(0, x + 3)) · (1/6) (built-in); x · min(1, max(0, x/6 + 1/2)) (XNNPACK)
 * HARD_SWISH 8-bit (TFLite reference_ops::HardSwish, int16 fixed point):
 *     h = 128 · (x − zp_x)                             s_h = s_x / 128
 *     (m_o, e_o) = QM16(s_h / s_y),  (m_r, e_r) = QM16(s_h / (3 / 32768))      QM16: QM rounded to 16 bits
 *     p = SRDHM16(h, m_o)                              h on the output scale, before the shift
 *     r = h · 2^(e_r) · m_r  saturating in int16 (h · 3/32768 · …, i.e. x/3 in Q0.15), then r' = (r + 2¹⁵) / 2
 *     y = RDBPOT(SDHM16(r', p), −e_o) + zp_y          SDHM16 truncates (no rounding nudge)
 * RELU_N1_TO_1, RELU_0_TO_1 (TFLite QuantizedReluX):  (m, e) = QM(double(s_x / s_y))
 *     y = clamp(zp_y + MBQM(x − zp_x, m, e), max(qmin, zp_y + round(lo / s_y)), min(qmax, zp_y + round(hi / s_y)))
 * ELU, GELU 8-bit (TFLite LUTPopulate, float; GELU's f is ½x · erfc(−x√½) in float):
 *     y = (int) (round(f(s_x · (x − zp_x)) · (1 / s_y)) + zp_y)       round ties away from zero
 * ELU int8 on XNNPACK (delegated): y = round(f(s_x · (x − zp_x)) · (1 / s_y) + zp_y), zero point added first
 * </pre>
 */
final class ActivationFormulas {
    private ActivationFormulas() {}

    /** A float function of one float. */
    @FunctionalInterface
    interface FloatFunction {
        float apply(float x);
    }

    /** TFLite's built-in float HARD_SWISH, rounding as it does: x · min(6, max(0, x + 3)) · (1/6). */
    static float hardSwish(float x) {
        return x * Math.min(6.0f, Math.max(0.0f, x + 3.0f)) * (1.0f / 6.0f);
    }

    /** XNNPACK's float HARD_SWISH: x · min(1, max(0, fma(x, 1/6, 1/2))), the fused multiply-add rounded once. */
    static float hardSwishXnnpack(float x) {
        return x * Math.min(1.0f, Math.max(0.0f, Math.fma(x, 1.0f / 6.0f, 0.5f)));
    }

    static float elu(float x) {
        return x < 0.0f ? (float) Math.expm1(x) : x;
    }

    /** √(2/π) as TFLite's float constant. */
    private static final float SQRT_2_OVER_PI = (float) (2.0 / Math.sqrt(Math.PI) * Math.sqrt(0.5));

    /** float(−√½), TFLite's constant. */
    private static final float MINUS_SQRT_HALF = (float) -Math.sqrt(0.5);

    /**
     * GELU as TFLite computes it (float kernel and tables): ½x · erfc(−x·√½) in float, erfc correctly rounded to
     * float (erfcf).
     */
    static float gelu(float x) {
        float e = (float) erfc(x * MINUS_SQRT_HALF);
        return 0.5f * x * e;
    }

    /** The tanh form of GELU in float: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
    static float geluApproximate(float x) {
        float t = (float) Math.tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x));
        return 0.5f * x * (1.0f + t);
    }

    /**
     * erfc(x) to about 1e-15 relative: 1 − the Maclaurin series of erf for |x| < 2.5, the continued fraction
     * (modified Lentz) above; erfc(−x) = 2 − erfc(x).
     */
    static double erfc(double x) {
        double a = Math.abs(x);
        double c = a < 2.5 ? 1.0 - erfSeries(a) : erfcFraction(a);
        return x < 0 ? 2.0 - c : c;
    }

    /** erf(x) = 1 − erfc(x), with the series for |x| < 2.5. */
    static double erf(double x) {
        double a = Math.abs(x);
        double r = a < 2.5 ? erfSeries(a) : 1.0 - erfcFraction(a);
        return x < 0 ? -r : r;
    }

    /** erf(a) = 2/√π Σ (−1)ⁿ a^(2n+1) / (n! (2n+1)), for 0 ≤ a < 2.5. */
    private static double erfSeries(double a) {
        double term = a;
        double sum = a;
        double a2 = a * a;
        for (int n = 1; n < 100; n++) {
            term *= -a2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2.0 / Math.sqrt(Math.PI) * sum;
    }

    /** erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), for a ≥ 2.5. */
    private static double erfcFraction(double a) {
        if (a > 27) {
            return 0.0; // below the smallest double
        }
        double tiny = 1e-300;
        double f = a;
        double c = a;
        double d = 0;
        for (int k = 1; k < 500; k++) {
            double ak = k / 2.0;
            d = a + ak * d;
            d = d == 0 ? tiny : d;
            c = a + ak / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    }

    static int qmin(DType t) {
        return switch (t) {
            case INT8 -> -128;
            case UINT8 -> 0;
            case INT16 -> -32768;
            default -> throw new IllegalArgumentException("not a quantized type: " + t);
        };
    }

    static int qmax(DType t) {
        return switch (t) {
            case INT8 -> 127;
            case UINT8 -> 255;
            case INT16 -> 32767;
            default -> throw new IllegalArgumentException("not a quantized type: " + t);
        };
    }

    /** How a table requantizes the op's float result r = f(x) · (1 / s_y). */
    enum TableRounding {
        /** TFLite's LUTPopulate: {@code (int) (std::round(r) + zp_y)}, ties away from zero. */
        TFLITE,
        /** XNNPACK's tables: {@code round(r + zp_y)}, the zero point added first, ties away from zero. */
        XNNPACK
    }

    /** The op's float function on the dequantized input, requantized as {@code rounding} says. */
    static IntUnaryOperator table(
            DType out, float sx, int zx, float sy, int zy, FloatFunction f, TableRounding rounding) {
        float inverse = 1f / sy;
        int lo = qmin(out);
        int hi = qmax(out);
        return v -> {
            float dequantized = sx * (float) (v - zx);
            float scaled = f.apply(dequantized) * inverse;
            float q = rounding == TableRounding.TFLITE
                    ? FixedPoint.roundHalfAwayFromZero(scaled) + (float) zy
                    : FixedPoint.roundHalfAwayFromZero(scaled + (float) zy);
            return FixedPoint.clamp((int) q, lo, hi);
        };
    }

    /** TFLite's QuantizedReluX with the real bounds {@code [lo, hi]}. */
    static IntUnaryOperator reluRange(DType out, float sx, int zx, float sy, int zy, float lo, float hi) {
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier((double) (sx / sy));
        int qlo = Math.max(qmin(out), zy + (int) FixedPoint.roundHalfAwayFromZero(lo / sy));
        int qhi = Math.min(qmax(out), zy + (int) FixedPoint.roundHalfAwayFromZero(hi / sy));
        return v -> Math.min(
                qhi, Math.max(qlo, zy + FixedPoint.multiplyByQuantizedMultiplier(v - zx, q.multiplier(), q.shift())));
    }

    /**
     * TFLite's {@code DownScaleInt32ToInt16Multiplier}: the Q31 multiplier rounded to Q15 (saturating at 32767).
     */
    static int toInt16Multiplier(int m) {
        if (m >= Integer.MAX_VALUE - (1 << 15)) {
            return Short.MAX_VALUE;
        }
        return (m + (1 << 15)) >> 16;
    }

    /** gemmlowp's int16 SaturatingRoundingDoublingHighMul. */
    static int srdhm16(int a, int b) {
        if (a == b && a == Short.MIN_VALUE) {
            return Short.MAX_VALUE;
        }
        int ab = a * b;
        int nudge = ab >= 0 ? (1 << 14) : 1 - (1 << 14);
        return (short) ((ab + nudge) / (1 << 15));
    }

    /** TFLite's int16 SaturatingDoublingHighMul: as {@link #srdhm16} but truncating toward zero. */
    static int sdhm16(int a, int b) {
        if (a == b && a == Short.MIN_VALUE) {
            return Short.MAX_VALUE;
        }
        return (short) ((a * b) / (1 << 15));
    }

    /** int16 left shift saturating to [−32768, 32767]. */
    static int saturatingLeftShift16(int v, int amount) {
        long r = (long) v << amount;
        return (int) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r));
    }

    /**
     * TFLite's quantized HARD_SWISH (reference_ops::HardSwish, also the scalar path of the optimized kernel).
     *
     * @throws UnsupportedOperationException when s_x / (128 s_y) ≥ 1, which TFLite refuses
     */
    static IntUnaryOperator hardSwish(DType out, float sx, int zx, float sy, int zy) {
        float hiresInputScale = (1.0f / 128.0f) * sx;
        float reluishScale = 3.0f / 32768.0f;
        FixedPoint.Multiplier o = FixedPoint.quantizeMultiplier((double) (hiresInputScale / sy));
        if (o.shift() > 0) {
            throw new UnsupportedOperationException(
                    "HARD_SWISH needs s_x / s_y < 128 (TFLite requires it), it is " + (sx / sy));
        }
        FixedPoint.Multiplier r = FixedPoint.quantizeMultiplier((double) (hiresInputScale / reluishScale));
        int outM = toInt16Multiplier(o.multiplier());
        int outShift = -o.shift();
        int reluM = toInt16Multiplier(r.multiplier());
        int reluE = r.shift();
        int lo = qmin(out);
        int hi = qmax(out);
        return v -> {
            int hires = (short) ((v - zx) * 128);
            int preshiftOut = srdhm16(hires, outM);
            int reluish = hires;
            if (reluE > 0) {
                reluish = saturatingLeftShift16(reluish, reluE - 1);
            }
            reluish = srdhm16(reluish, reluM);
            if (reluE > 0) {
                reluish = saturatingLeftShift16(reluish, 1);
            }
            if (reluE < 0) {
                reluish = FixedPoint.roundingDivideByPOT(reluish, -reluE);
            }
            reluish = (reluish + (1 << 15)) >> 1;
            int pre = sdhm16(reluish, preshiftOut);
            int y = (short) (FixedPoint.roundingDivideByPOT(pre, outShift) + zy);
            return Math.max(lo, Math.min(hi, y));
        };
    }
}
