package dev.quanta.kernels.arithmetic;

/**
 * Maps an int32 (or int64) accumulator of a convolution or fully connected layer, in units of
 * {@code s_in · s_w[c]}, to the output's quantized value, per output channel c:
 *
 * <pre>
 * DOUBLE_ROUNDING (gemmlowp; TFLite's int8 depthwise and uint8 kernels):
 *                                               y = clamp(MBQM(acc, m[c], shift[c]) + zp, lo, hi)
 * SINGLE_ROUNDING (ruy; TFLite's 16x8 FULLY_CONNECTED on its int32 accumulator):
 *                                               y = clamp(MBQM₁(acc, m[c], shift[c]) + zp, lo, hi)
 * DOUBLE_ROUNDING_UPWARD (TFLite's int8 CONV_2D and FULLY_CONNECTED on x86, measured):
 *                                               y = clamp(MBQM↑(acc, m[c], shift[c]) + zp, lo, hi)
 * FP32 (XNNPACK):                               y = clamp(rint(float(acc) · scale[c]) + zp, lo, hi)
 * int64 accumulators (16x8 CONV_2D, DEPTHWISE_CONV_2D):
 *                                               y = clamp(MBQM₆₄(acc, m[c], shift[c]) + zp, lo, hi)
 * </pre>
 *
 * with {@code (m[c], shift[c]) = QuantizeMultiplier(s_in · s_w[c] / s_out)} (see {@link FixedPoint}) and
 * {@code scale[c]} the float {@code (s_in · s_w[c]) / s_out}.
 */
public final class Requantizer {
    /** How an int32 accumulator is rounded to the output's scale (the formulas above). */
    public enum Rounding {
        /** gemmlowp's rounding doubling high multiply, then a rounding right shift. */
        DOUBLE_ROUNDING,
        /** ruy's single rounding of the 64-bit product. */
        SINGLE_ROUNDING,
        /** XNNPACK's float multiply and round to nearest even. */
        FP32,
        /** As {@link #DOUBLE_ROUNDING}, with ties of the final shift rounded upwards. */
        DOUBLE_ROUNDING_UPWARD
    }

    private final Rounding mode;
    private final int[] multipliers;
    private final int[] shifts;
    private final float[] scales;
    private final int zeroPoint;
    public final int lo;
    public final int hi;

    private Requantizer(Rounding mode, int[] multipliers, int[] shifts, float[] scales, int zeroPoint, int lo, int hi) {
        this.mode = mode;
        this.multipliers = multipliers;
        this.shifts = shifts;
        this.scales = scales;
        this.zeroPoint = zeroPoint;
        this.lo = lo;
        this.hi = hi;
    }

    /**
     * @param realMultipliers per channel, the double {@code s_in·s_w[c]/s_out} the fixed-point modes quantize
     * @param floatScales per channel, the float scale the FP32 mode multiplies by
     */
    public static Requantizer of(
            Rounding mode, double[] realMultipliers, float[] floatScales, int zeroPoint, int lo, int hi) {
        int n = realMultipliers.length;
        int[] m = new int[n];
        int[] s = new int[n];
        for (int c = 0; c < n; c++) {
            FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(realMultipliers[c]);
            m[c] = q.multiplier();
            s[c] = q.shift();
        }
        return new Requantizer(mode, m, s, floatScales.clone(), zeroPoint, lo, hi);
    }

    public Rounding mode() {
        return mode;
    }

    /** The float scale of channel {@code c} that {@link Rounding#FP32} multiplies by. */
    public float scale(int c) {
        return scales[c];
    }

    /** The number of output channels it has parameters for. */
    public int channels() {
        return scales.length;
    }

    /** The fixed-point multiplier of channel {@code c} (the modes other than {@link Rounding#FP32}). */
    public int multiplier(int c) {
        return multipliers[c];
    }

    /** The fixed-point shift of channel {@code c}: a left shift when positive, else a right shift by its negation. */
    public int shift(int c) {
        return shifts[c];
    }

    public int zeroPoint() {
        return zeroPoint;
    }

    /** Requantizes one int32 accumulator of output channel {@code c}. */
    public int apply(int acc, int c) {
        int v;
        if (mode == Rounding.FP32) {
            return FixedPoint.requantizeFp32(acc, scales[c], zeroPoint, lo, hi);
        } else if (mode == Rounding.DOUBLE_ROUNDING_UPWARD) {
            v = FixedPoint.multiplyByQuantizedMultiplierUpward(acc, multipliers[c], shifts[c]) + zeroPoint;
        } else if (mode == Rounding.SINGLE_ROUNDING) {
            v = FixedPoint.multiplyByQuantizedMultiplierSingleRounding(acc, multipliers[c], shifts[c]) + zeroPoint;
        } else {
            v = FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[c], shifts[c]) + zeroPoint;
        }
        return v < lo ? lo : (v > hi ? hi : v);
    }

    /** Requantizes one int64 accumulator (16x8 kernels) of output channel {@code c}. */
    public int apply(long acc, int c) {
        int v = FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[c], shifts[c]) + zeroPoint;
        return v < lo ? lo : (v > hi ? hi : v);
    }
}
