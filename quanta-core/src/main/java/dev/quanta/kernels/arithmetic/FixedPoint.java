package dev.quanta.kernels.arithmetic;

/**
 * The integer arithmetic of TFLite's quantized kernels: real multipliers as Q31 fixed-point numbers with a
 * power-of-two exponent, and the rounding rules that apply them.
 *
 * <h2>Quantized multipliers</h2>
 *
 * A positive real multiplier {@code M} (for example {@code s_in·s_w / s_out}) is written {@code M = q · 2^shift}
 * with {@code q ∈ [0.5, 1)} ({@code frexp}); {@code q} is stored as the Q31 integer {@code m = round(q · 2³¹)}
 * (ties away from zero). When rounding carries {@code m} to {@code 2³¹}, it becomes {@code 2³⁰} and the shift
 * grows by one; a shift below −31 flushes the multiplier to zero ({@code M < 2⁻³²}, roughly). This is TFLite's
 * {@code QuantizeMultiplier}.
 *
 * <h2>Applying them</h2>
 *
 * <pre>
 * double rounding (TFLite reference kernels, gemmlowp):
 *   SRDHM(a, b)       = round((a·b) / 2³¹)           ties towards +∞ (the nudge is 2³⁰, or 1 − 2³⁰ for negative
 *                                                     products, then division truncates); SRDHM(−2³¹, −2³¹) = 2³¹ − 1
 *   RDBPOT(x, e)      = round(x / 2^e)               ties away from zero
 *   MBQM(x, m, shift) = RDBPOT(SRDHM(x · 2^max(shift, 0), m), max(−shift, 0))
 *
 * double rounding with an upward final tie (TFLite 2.21's int8 CONV_2D and FULLY_CONNECTED on x86, measured):
 *   RRS↑(v, e)         = ⌊(v + 2^(e−1)) / 2^e⌋        saturating at 2³¹ − 1
 *   MBQM↑(x, m, shift) = RRS↑(SRDHM(x · 2^max(shift, 0), m), max(−shift, 0))
 *
 * single rounding (ruy, and TFLite built with TFLITE_SINGLE_ROUNDING; TFLite's 16x8 FULLY_CONNECTED):
 *   MBQM₁(x, m, shift) = ⌊(x·m + 2^(30 − shift)) / 2^(31 − shift)⌋      ties towards +∞
 *
 * 64-bit accumulators (16x8 kernels):
 *   m₁₅ = m &lt; 0x7FFF0000 ? (m + 2¹⁵) &gt;&gt; 16 : 0x7FFF
 *   MBQM₆₄(x, m, shift) = ⌊(x·m₁₅ + 2^(14 − shift)) / 2^(15 − shift)⌋
 * </pre>
 *
 * The double-rounding form rounds twice: once to 31 fractional bits of the product, once by the right shift. So it
 * can differ by one from the exactly rounded {@code x·M}, whenever the first rounding lands on a tie of the
 * second; the single-rounding form rounds once but breaks ties upwards, also for negative values.
 *
 * <h2>XNNPACK</h2>
 *
 * XNNPACK requantizes in single-precision floating point instead ({@link #requantizeFp32}):
 * {@code y = clamp(rint(float(acc) · scale) + zp, qmin, qmax)} with {@code scale} the float product
 * {@code (s_in · s_w) / s_out} and {@code rint} rounding half to even, as {@code cvtps2dq} and the magic-number
 * trick do.
 */
public final class FixedPoint {
    private FixedPoint() {}

    /** A Q31 multiplier and its power-of-two exponent: the real value is {@code multiplier · 2^(shift − 31)}. */
    public record Multiplier(int multiplier, int shift) {
        /** The real number this multiplier stands for. */
        public double value() {
            return Math.scalb((double) multiplier, shift - 31);
        }
    }

    /**
     * TFLite's {@code QuantizeMultiplier}: {@code real = q·2^shift}, {@code q ∈ [0.5, 1)}, multiplier
     * {@code round(q·2³¹)}. Zero gives (0, 0); multipliers below about 2⁻³² flush to (0, 0). Negative reals give a
     * negative multiplier (only the double-rounding form accepts them).
     *
     * @throws IllegalArgumentException for NaN or infinite multipliers
     */
    public static Multiplier quantizeMultiplier(double real) {
        if (Double.isNaN(real) || Double.isInfinite(real)) {
            throw new IllegalArgumentException("cannot quantize multiplier " + real);
        }
        if (real == 0.0) {
            return new Multiplier(0, 0);
        }
        int shift = frexpExponent(real);
        double q = Math.scalb(real, -shift); // in [0.5, 1) by magnitude
        long qFixed = roundHalfAwayFromZero(q * (1L << 31));
        if (Math.abs(qFixed) == (1L << 31)) {
            qFixed /= 2;
            shift++;
        }
        if (shift < -31) {
            return new Multiplier(0, 0);
        }
        if (qFixed > Integer.MAX_VALUE || qFixed < Integer.MIN_VALUE) {
            throw new IllegalStateException("multiplier " + real + " out of range");
        }
        return new Multiplier((int) qFixed, shift);
    }

    /** The exponent {@code e} of {@code frexp}: {@code |x| = q·2^e} with {@code q ∈ [0.5, 1)}. */
    public static int frexpExponent(double x) {
        int e = Math.getExponent(x);
        if (e == Double.MIN_EXPONENT - 1) { // subnormal
            return frexpExponent(x * 0x1p54) - 54;
        }
        return e + 1;
    }

    /** {@code std::round} on doubles: to the nearest integer, ties away from zero. */
    public static long roundHalfAwayFromZero(double x) {
        return x >= 0 ? (long) Math.floor(x + 0.5) : -(long) Math.floor(-x + 0.5);
    }

    /**
     * {@code std::round} on floats (TFLite's {@code TfLiteRound}): to the nearest integer, ties away from zero.
     * Computed without the {@code x + 0.5} error of naive floor-based rounding.
     */
    public static float roundHalfAwayFromZero(float x) {
        float t = (float) Math.rint(x);
        float diff = t - x;
        if (Math.abs(diff) == 0.5f) { // an exact tie: rint went to even, move away from zero instead
            return x >= 0 ? (float) Math.floor(x) + 1f : (float) Math.ceil(x) - 1f;
        }
        return t;
    }

    /**
     * gemmlowp's {@code SaturatingRoundingDoublingHighMul}: {@code round(a·b / 2³¹)}; the nudge of −2³⁰ + 1 for
     * negative products makes exact ties go towards +∞ ({@code −1.5 → −1}).
     */
    public static int saturatingRoundingDoublingHighMul(int a, int b) {
        if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) {
            return Integer.MAX_VALUE;
        }
        long ab = (long) a * (long) b;
        long nudge = ab >= 0 ? (1L << 30) : (1L - (1L << 30));
        return (int) ((ab + nudge) / (1L << 31)); // Java division truncates towards zero, as C++ does
    }

    /** gemmlowp's {@code RoundingDivideByPOT}: {@code round(x / 2^exponent)}, ties away from zero; 0 ≤ e ≤ 31. */
    public static int roundingDivideByPOT(int x, int exponent) {
        int mask = (int) ((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /** TFLite's double-rounding {@code MultiplyByQuantizedMultiplier} (int32 accumulators). */
    public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
        int leftShift = shift > 0 ? shift : 0;
        int rightShift = shift > 0 ? 0 : -shift;
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier), rightShift);
    }

    /**
     * {@code round(x / 2^exponent)} with ties towards +∞: {@code (x + 2^(e−1)) >> e}, saturating at
     * {@code Integer.MAX_VALUE} when the addition would overflow (the SIMD "rounding right shift" of TFLite's
     * optimized kernels); 0 ≤ e ≤ 31.
     */
    public static int roundingRightShiftUpward(int x, int exponent) {
        if (exponent == 0) {
            return x;
        }
        int nudge = 1 << (exponent - 1);
        if (x > Integer.MAX_VALUE - nudge) {
            return Integer.MAX_VALUE >> exponent;
        }
        return (x + nudge) >> exponent;
    }

    /**
     * {@code MultiplyByQuantizedMultiplier} as TFLite's optimized x86 integer kernels apply it: the rounding doubling
     * high multiply, then a rounding right shift whose ties go towards +∞ (not away from zero):
     * {@code MBQM↑(x, m, shift) = RRS↑(SRDHM(x · 2^max(shift, 0), m), max(−shift, 0))}.
     */
    public static int multiplyByQuantizedMultiplierUpward(int x, int multiplier, int shift) {
        int leftShift = shift > 0 ? shift : 0;
        int rightShift = shift > 0 ? 0 : -shift;
        return roundingRightShiftUpward(
                saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier), rightShift);
    }

    /** The single-rounding {@code MultiplyByQuantizedMultiplier} of ruy and {@code TFLITE_SINGLE_ROUNDING}. */
    public static int multiplyByQuantizedMultiplierSingleRounding(int x, int multiplier, int shift) {
        int totalShift = 31 - shift;
        long round = 1L << (totalShift - 1);
        return (int) (((long) x * multiplier + round) >> totalShift);
    }

    /** TFLite's {@code MultiplyByQuantizedMultiplier} for int64 accumulators (16x8 kernels), both builds. */
    public static int multiplyByQuantizedMultiplier(long x, int multiplier, int shift) {
        long reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
        int totalShift = 15 - shift;
        return (int) ((x * reduced + (1L << (totalShift - 1))) >> totalShift);
    }

    /**
     * XNNPACK's fp32 requantization: {@code clamp(rint(float(acc) · scale) + zeroPoint, qmin, qmax)}, rounding
     * half to even. The int32 → float conversion rounds to nearest even too, as {@code cvtdq2ps} does.
     */
    public static int requantizeFp32(int acc, float scale, int zeroPoint, int qmin, int qmax) {
        float scaled = (float) acc * scale;
        float lo = qmin - zeroPoint;
        float hi = qmax - zeroPoint;
        scaled = scaled < lo ? lo : (scaled > hi ? hi : scaled);
        return (int) Math.rint(scaled) + zeroPoint;
    }

    /** {@code clamp(v, lo, hi)}. */
    public static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : (v > hi ? hi : v);
    }
}
