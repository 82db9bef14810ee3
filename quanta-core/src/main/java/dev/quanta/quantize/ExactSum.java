package dev.quanta.quantize;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The exact sum of doubles, rounded once when read: a fixed-point accumulator wide enough for every finite double
 * (from 2⁻¹⁰⁷⁴ up), so that adding is exact, and the sum of a set of values is the same to the last bit in whatever
 * order or grouping it was added ({@link #add(ExactSum)} merges two sums exactly).
 *
 * <pre>
 * x = m · 2^(p − 1074),  m &lt; 2⁵³ an integer, p = max(biased exponent, 1) − 1
 * digit d holds the bits p ∈ [32·d, 32·d + 32) of Σ x · 2¹⁰⁷⁴, carries kept in each long's upper half
 * value() = round-to-nearest-even(Σ x)
 * </pre>
 *
 * An infinite term makes the sum infinite, NaN or infinities of both signs make it NaN, as IEEE addition does.
 */
public final class ExactSum implements Serializable {
    private static final long serialVersionUID = 1L;

    /** 2046 exponent positions plus the 53-bit significand and carry headroom, in 32-bit digits. */
    private static final int DIGITS = 70;

    private static final long LOW32 = 0xFFFF_FFFFL;

    /** Terms added to a digit between carry propagations: each moves a digit by less than 2³². */
    private static final int ADDS_BETWEEN_CARRIES = 1 << 30;

    private static final BigDecimal TWO_POW_MINUS_1074 = new BigDecimal(Double.MIN_VALUE);

    private final long[] digits = new long[DIGITS];
    private int addsSinceCarry;
    private boolean positiveInfinity;
    private boolean negativeInfinity;
    private boolean nan;

    /** Adds {@code x} exactly. */
    public void add(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int biased = (int) ((bits >>> 52) & 0x7FF);
        if (biased == 0x7FF) {
            if ((bits & 0xF_FFFF_FFFF_FFFFL) != 0) {
                nan = true;
            } else if (bits < 0) {
                negativeInfinity = true;
            } else {
                positiveInfinity = true;
            }
            return;
        }
        long m = bits & 0xF_FFFF_FFFF_FFFFL;
        if (biased != 0) {
            m |= 1L << 52;
        }
        if (m == 0) {
            return;
        }
        int p = Math.max(biased, 1) - 1;
        int d = p >>> 5;
        int s = p & 31;
        long c0 = (m << s) & LOW32;
        long c1 = (m >>> (32 - s)) & LOW32;
        long c2 = (m >>> 32) >>> (32 - s);
        if (bits < 0) {
            digits[d] -= c0;
            digits[d + 1] -= c1;
            digits[d + 2] -= c2;
        } else {
            digits[d] += c0;
            digits[d + 1] += c1;
            digits[d + 2] += c2;
        }
        if (++addsSinceCarry == ADDS_BETWEEN_CARRIES) {
            carry();
        }
    }

    /** A new sum holding what this one holds. */
    public ExactSum copy() {
        ExactSum c = new ExactSum();
        c.add(this);
        return c;
    }

    /** Adds the sum {@code other} exactly (this sum then holds both). */
    public void add(ExactSum other) {
        carry();
        other.carry();
        for (int i = 0; i < DIGITS; i++) {
            digits[i] += other.digits[i];
        }
        carry();
        positiveInfinity |= other.positiveInfinity;
        negativeInfinity |= other.negativeInfinity;
        nan |= other.nan;
    }

    /** Leaves every digit but the top one in [0, 2³²), moving the rest up. */
    private void carry() {
        for (int i = 0; i < DIGITS - 1; i++) {
            long c = digits[i] >> 32;
            digits[i] -= c << 32;
            digits[i + 1] += c;
        }
        addsSinceCarry = 0;
    }

    /** The exact sum rounded to the nearest double (ties to even), ±infinity beyond the doubles' range. */
    public double value() {
        if (nan || (positiveInfinity && negativeInfinity)) {
            return Double.NaN;
        }
        if (positiveInfinity) {
            return Double.POSITIVE_INFINITY;
        }
        if (negativeInfinity) {
            return Double.NEGATIVE_INFINITY;
        }
        carry();
        BigInteger units = BigInteger.valueOf(digits[DIGITS - 1]);
        for (int i = DIGITS - 2; i >= 0; i--) {
            units = units.shiftLeft(32).add(BigInteger.valueOf(digits[i]));
        }
        if (units.signum() == 0) {
            return 0;
        }
        return new BigDecimal(units).multiply(TWO_POW_MINUS_1074).doubleValue();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExactSum other)) {
            return false;
        }
        carry();
        other.carry();
        return Arrays.equals(digits, other.digits)
                && positiveInfinity == other.positiveInfinity
                && negativeInfinity == other.negativeInfinity
                && nan == other.nan;
    }

    @Override
    public int hashCode() {
        carry();
        return Arrays.hashCode(digits);
    }

    @Override
    public String toString() {
        return Double.toString(value());
    }
}
