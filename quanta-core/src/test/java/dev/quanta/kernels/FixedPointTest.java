package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.kernels.arithmetic.FixedPoint;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

/** Exact cases from the TFLite/gemmlowp definitions and seeded properties of {@link FixedPoint}. */
class FixedPointTest {

    // ------------------------------------------------------------------ QuantizeMultiplier

    @Test
    void quantizeMultiplierExactCases() {
        assertThat(FixedPoint.quantizeMultiplier(0.0)).isEqualTo(new FixedPoint.Multiplier(0, 0));
        assertThat(FixedPoint.quantizeMultiplier(0.5)).isEqualTo(new FixedPoint.Multiplier(1 << 30, 0));
        assertThat(FixedPoint.quantizeMultiplier(1.0)).isEqualTo(new FixedPoint.Multiplier(1 << 30, 1));
        assertThat(FixedPoint.quantizeMultiplier(0.25)).isEqualTo(new FixedPoint.Multiplier(1 << 30, -1));
        // 0.75 = 0.75 · 2^0, 0.75 · 2^31 = 1610612736
        assertThat(FixedPoint.quantizeMultiplier(0.75)).isEqualTo(new FixedPoint.Multiplier(1610612736, 0));
        // 3 = 0.75 · 2^2
        assertThat(FixedPoint.quantizeMultiplier(3.0)).isEqualTo(new FixedPoint.Multiplier(1610612736, 2));
        // negative multipliers keep their sign in the Q31 part
        assertThat(FixedPoint.quantizeMultiplier(-0.5)).isEqualTo(new FixedPoint.Multiplier(-(1 << 30), 0));
    }

    @Test
    void roundingCarryIntoTheExponent() {
        // q = 1 − 2^-40 rounds to 2^31 · 1: becomes 2^30 with the shift one higher
        assertThat(FixedPoint.quantizeMultiplier(1.0 - 0x1p-40)).isEqualTo(new FixedPoint.Multiplier(1 << 30, 1));
    }

    @Test
    void tinyMultipliersFlushToZero() {
        assertThat(FixedPoint.quantizeMultiplier(0x1p-40)).isEqualTo(new FixedPoint.Multiplier(0, 0));
        assertThat(FixedPoint.quantizeMultiplier(0x1p-32)).isEqualTo(new FixedPoint.Multiplier(1 << 30, -31));
        assertThat(FixedPoint.quantizeMultiplier(Double.MIN_VALUE)).isEqualTo(new FixedPoint.Multiplier(0, 0));
    }

    @Test
    void nonFiniteMultipliersAreRefused() {
        assertThatThrownBy(() -> FixedPoint.quantizeMultiplier(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FixedPoint.quantizeMultiplier(Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Property(seed = "11")
    void quantizedMultiplierIsWithinHalfAnUlpOfQ31(@ForAll @DoubleRange(min = 1e-9, max = 1e6) @Scale(15) double m) {
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(m);
        assertThat(q.multiplier()).isBetween(1 << 30, Integer.MAX_VALUE);
        // |q·2^(shift−31) − m| ≤ 2^(shift−32)
        assertThat(Math.abs(q.value() - m)).isLessThanOrEqualTo(Math.scalb(1.0, q.shift() - 32));
    }

    // ------------------------------------------------------------------ gemmlowp primitives

    @Test
    void saturatingRoundingDoublingHighMulExactCases() {
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(Integer.MIN_VALUE, Integer.MIN_VALUE))
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(1 << 30, 1 << 30))
                .isEqualTo(1 << 29);
        // (±3 · 2^30) / 2^31 = ±1.5: gemmlowp's nudge 1 − 2^30 for negative products makes ties go up
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(3, 1 << 30)).isEqualTo(2);
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(-3, 1 << 30)).isEqualTo(-1);
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(-5, 1 << 30)).isEqualTo(-2); // −2.5 → −2
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(Integer.MAX_VALUE, Integer.MAX_VALUE))
                .isEqualTo(Integer.MAX_VALUE - 1);
    }

    @Test
    void roundingDivideByPotExactCases() {
        assertThat(FixedPoint.roundingDivideByPOT(5, 1)).isEqualTo(3); // 2.5 → 3
        assertThat(FixedPoint.roundingDivideByPOT(-5, 1)).isEqualTo(-3); // −2.5 → −3
        assertThat(FixedPoint.roundingDivideByPOT(7, 2)).isEqualTo(2); // 1.75
        assertThat(FixedPoint.roundingDivideByPOT(-6, 2)).isEqualTo(-2); // −1.5 → −2
        assertThat(FixedPoint.roundingDivideByPOT(-5, 2)).isEqualTo(-1); // −1.25
        assertThat(FixedPoint.roundingDivideByPOT(12345, 0)).isEqualTo(12345);
        assertThat(FixedPoint.roundingDivideByPOT(Integer.MIN_VALUE, 31)).isEqualTo(-1);
    }

    @Property(seed = "12")
    void roundingDivideByPotRoundsHalfAwayFromZero(@ForAll int x, @ForAll @IntRange(min = 0, max = 30) int e) {
        BigDecimal exact = new BigDecimal(x).divide(new BigDecimal(BigInteger.ONE.shiftLeft(e)));
        int expected = exact.setScale(0, RoundingMode.HALF_UP).intValueExact(); // HALF_UP is away from zero
        assertThat(FixedPoint.roundingDivideByPOT(x, e)).isEqualTo(expected);
    }

    @Test
    void roundingRightShiftUpwardBreaksTiesUp() {
        assertThat(FixedPoint.roundingRightShiftUpward(-3, 1)).isEqualTo(-1); // −1.5 → −1
        assertThat(FixedPoint.roundingRightShiftUpward(3, 1)).isEqualTo(2); // 1.5 → 2
        assertThat(FixedPoint.roundingRightShiftUpward(-5, 2)).isEqualTo(-1); // −1.25
        assertThat(FixedPoint.roundingRightShiftUpward(Integer.MAX_VALUE, 4)).isEqualTo(Integer.MAX_VALUE >> 4);
    }

    // ------------------------------------------------------------------ MultiplyByQuantizedMultiplier

    @Test
    void theThreeRoundingsOnTheirDistinguishingCases() {
        // M = 0.25 = (2^30, −1). x = 5: exactly 1.25. Double rounding: SRDHM → round(2.5) = 3, then 3/2 → 2.
        assertThat(FixedPoint.multiplyByQuantizedMultiplier(5, 1 << 30, -1)).isEqualTo(2);
        assertThat(FixedPoint.multiplyByQuantizedMultiplierUpward(5, 1 << 30, -1))
                .isEqualTo(2);
        assertThat(FixedPoint.multiplyByQuantizedMultiplierSingleRounding(5, 1 << 30, -1))
                .isEqualTo(1);
        // x = −6: exactly −1.5. Away from zero → −2; upward tie of the shift → −1; single rounding (up) → −1.
        assertThat(FixedPoint.multiplyByQuantizedMultiplier(-6, 1 << 30, -1)).isEqualTo(-2);
        assertThat(FixedPoint.multiplyByQuantizedMultiplierUpward(-6, 1 << 30, -1))
                .isEqualTo(-1);
        assertThat(FixedPoint.multiplyByQuantizedMultiplierSingleRounding(-6, 1 << 30, -1))
                .isEqualTo(-1);
        // XNNPACK: rint(−1.5) = −2 (ties to even), rint(2.5) = 2
        assertThat(FixedPoint.requantizeFp32(-6, 0.25f, 0, -128, 127)).isEqualTo(-2);
        assertThat(FixedPoint.requantizeFp32(10, 0.25f, 0, -128, 127)).isEqualTo(2);
        assertThat(FixedPoint.requantizeFp32(14, 0.25f, 0, -128, 127)).isEqualTo(4);
    }

    @Test
    void leftShiftsForMultipliersAboveOne() {
        FixedPoint.Multiplier three = FixedPoint.quantizeMultiplier(3.0);
        assertThat(FixedPoint.multiplyByQuantizedMultiplier(7, three.multiplier(), three.shift()))
                .isEqualTo(21);
        assertThat(FixedPoint.multiplyByQuantizedMultiplierSingleRounding(7, three.multiplier(), three.shift()))
                .isEqualTo(21);
        assertThat(FixedPoint.multiplyByQuantizedMultiplier(-7L, three.multiplier(), three.shift()))
                .isEqualTo(-21);
    }

    @Test
    void int64OverloadUsesTheReducedSixteenBitMultiplier() {
        // M = 0.3 → (1288490189, −1); reduced: (1288490189 + 2^15) >> 16 = 19661, total shift 16
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(0.3);
        long x = 1_000_000_000L;
        long expected = (x * 19661 + (1L << 15)) >> 16;
        assertThat(FixedPoint.multiplyByQuantizedMultiplier(x, q.multiplier(), q.shift()))
                .isEqualTo((int) expected);
    }

    @Property(seed = "13")
    void singleRoundingIsTheExactProductRoundedWithTiesUp(
            @ForAll @IntRange(min = -(1 << 24), max = 1 << 24) int x,
            @ForAll @DoubleRange(min = 1e-6, max = 0.999) @Scale(12) double m) {
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(m);
        int total = 31 - q.shift();
        BigInteger p = BigInteger.valueOf(x).multiply(BigInteger.valueOf(q.multiplier()));
        BigInteger expected = p.add(BigInteger.ONE.shiftLeft(total - 1)).shiftRight(total); // floor
        assertThat(FixedPoint.multiplyByQuantizedMultiplierSingleRounding(x, q.multiplier(), q.shift()))
                .isEqualTo(expected.intValueExact());
    }

    @Property(seed = "14")
    void doubleRoundingIsWithinOneOfSingleRoundingAndAgreesWithUpwardOnNonNegatives(
            @ForAll @IntRange(min = -(1 << 24), max = 1 << 24) int x,
            @ForAll @DoubleRange(min = 1e-6, max = 0.999) @Scale(12) double m) {
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(m);
        int d = FixedPoint.multiplyByQuantizedMultiplier(x, q.multiplier(), q.shift());
        int s = FixedPoint.multiplyByQuantizedMultiplierSingleRounding(x, q.multiplier(), q.shift());
        int u = FixedPoint.multiplyByQuantizedMultiplierUpward(x, q.multiplier(), q.shift());
        assertThat(Math.abs(d - s)).isLessThanOrEqualTo(1);
        assertThat(Math.abs(u - s)).isLessThanOrEqualTo(1);
        if (x >= 0) {
            assertThat(u).isEqualTo(d);
        }
    }

    @Property(seed = "15")
    void fp32RequantizationStaysInRangeAndIsMonotonic(
            @ForAll @IntRange(min = -(1 << 22), max = 1 << 22) int acc,
            @ForAll @DoubleRange(min = 1e-5, max = 1) @Scale(12) double scale,
            @ForAll @IntRange(min = -128, max = 127) int zp) {
        int a = FixedPoint.requantizeFp32(acc, (float) scale, zp, -128, 127);
        int b = FixedPoint.requantizeFp32(acc + 1, (float) scale, zp, -128, 127);
        assertThat(a).isBetween(-128, 127);
        assertThat(b).isGreaterThanOrEqualTo(a);
    }

    @Test
    void roundHalfAwayFromZeroOnFloats() {
        assertThat(FixedPoint.roundHalfAwayFromZero(2.5f)).isEqualTo(3f);
        assertThat(FixedPoint.roundHalfAwayFromZero(-2.5f)).isEqualTo(-3f);
        assertThat(FixedPoint.roundHalfAwayFromZero(0.49999997f)).isEqualTo(0f);
        assertThat(FixedPoint.roundHalfAwayFromZero(-0.5f)).isEqualTo(-1f);
        assertThat(FixedPoint.roundHalfAwayFromZero(8388609f)).isEqualTo(8388609f);
    }
}
