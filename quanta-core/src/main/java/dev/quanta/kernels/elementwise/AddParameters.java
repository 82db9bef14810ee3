package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.arithmetic.FixedPoint;

/**
 * The parameters of TFLite's two integer addition arithmetics ({@link AddInt}; SUB and SQUARED_DIFFERENCE in
 * {@link QuantizedBinary} reuse them): the built-in kernel's multipliers, computed in double,
 *
 * <pre>
 *   twice_max = 2 · max(s_a, s_b),  (m_a, e_a) = QM(s_a / twice_max),  (m_b, e_b) = QM(s_b / twice_max)
 *   (m_y, e_y) = QM(real),  real = twice_max / (2^L · s_y)   (squared: twice_max² / (2^2L · s_y))
 * </pre>
 *
 * and XNNPACK's (qs8/qu8 vadd), computed in float from the scale ratios r_a, r_b:
 *
 * <pre>
 *   shift = 20 − ⌊log2 max(|r_a|, |r_b|)⌋,  M_a = rint(r_a · 2^shift),  M_b = rint(r_b · 2^shift)
 *   bias = 2^(shift−1) − M_a·zp_a − M_b·zp_b
 * </pre>
 */
final class AddParameters {
    private AddParameters() {}

    /** The built-in kernel's left shift L and multipliers. */
    record Builtin(int leftShift, int mA, int eA, int mB, int eB, int mY, int eY) {}

    /** XNNPACK's multipliers, bias and shift ({@link #NONE}: all 0, when XNNPACK does not run the op). */
    record Xnnpack(int mulA, int mulB, int bias, int shift) {
        static final Xnnpack NONE = new Xnnpack(0, 0, 0, 0);
    }

    /**
     * The built-in multipliers for scales {@code sA, sB, sY} and left shift L; {@code squared} for
     * SQUARED_DIFFERENCE, which TFLite refuses unless its real output multiplier is below 1.
     */
    static Builtin builtin(float sA, float sB, float sY, int leftShift, boolean squared) {
        double twiceMax = 2 * (double) Math.max(sA, sB);
        FixedPoint.Multiplier qa = FixedPoint.quantizeMultiplier((double) sA / twiceMax);
        FixedPoint.Multiplier qb = FixedPoint.quantizeMultiplier((double) sB / twiceMax);
        double realOutput = squared
                ? twiceMax * twiceMax / ((1 << 2 * leftShift) * (double) sY)
                : twiceMax / ((1 << leftShift) * (double) sY);
        if (squared && realOutput >= 1) {
            throw new UnsupportedOperationException("SQUARED_DIFFERENCE: (2·max(s_a, s_b))² / (2^14 · s_y) = "
                    + realOutput + " must be below 1, as TFLite requires");
        }
        FixedPoint.Multiplier qy = FixedPoint.quantizeMultiplier(realOutput);
        return new Builtin(
                leftShift, qa.multiplier(), qa.shift(), qb.multiplier(), qb.shift(), qy.multiplier(), qy.shift());
    }

    /** True when XNNPACK takes an addition with scale ratios {@code ra = s_a / s_y}, {@code rb = s_b / s_y}. */
    static boolean xnnpackTakes(float ra, float rb) {
        return ra >= 0x1p-10f && rb >= 0x1p-10f && ra < 0x1p8f && rb < 0x1p8f;
    }

    /** XNNPACK's parameters for the ratios {@code ra = s_a / s_y}, {@code rb = ±s_b / s_y} (|r| in [2⁻¹⁰, 2⁸)). */
    static Xnnpack xnnpack(float ra, float rb, int zpA, int zpB) {
        int shift = 20 - Math.getExponent(Math.max(Math.abs(ra), Math.abs(rb)));
        int mulA = (int) Math.rint(Math.scalb(ra, shift));
        int mulB = (int) Math.rint(Math.scalb(rb, shift));
        return new Xnnpack(mulA, mulB, (1 << (shift - 1)) - mulA * zpA - mulB * zpB, shift);
    }
}
