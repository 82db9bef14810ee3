package dev.quanta.kernels.arithmetic;

import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector form of {@link Requantizer}'s {@link Requantizer.Rounding#DOUBLE_ROUNDING} (gemmlowp; the built-in
 * path's int8 depthwise and uint8 layers), over {@link SimdSpecies#INT} lanes of consecutive output channels:
 *
 * <pre>
 * x    = acc · 2^left[c]                                           int32, wrapping as the scalar int multiply does
 * high = trunc((x · m[c] + (x·m[c] ≥ 0 ? 2^30 : 1 − 2^30)) / 2^31)  SaturatingRoundingDoublingHighMul, int64 lanes
 * v    = (high &gt;&gt; right[c]) + (high &amp; mask &gt; (mask &gt;&gt; 1) + (high &lt; 0 ? 1 : 0) ? 1 : 0),  mask = 2^right[c] − 1
 * y    = clamp(v + zp, lo, hi)
 * </pre>
 *
 * bit for bit {@link FixedPoint#multiplyByQuantizedMultiplier(int, int, int)}. {@link Requantizer.Rounding#DOUBLE_ROUNDING_UPWARD}
 * (the built-in path's int8 CONV_2D and FULLY_CONNECTED) replaces the last step by the upward rounding right shift
 * {@code v = min((high + nudge[c]) >> right[c], MAX >> right[c])}, {@code nudge = 2^(right − 1)} (0 when right = 0),
 * in long lanes, bit for bit {@link FixedPoint#multiplyByQuantizedMultiplierUpward}. In both: the 64-bit product is exact, the
 * truncating division adds 2^31 − 1 to negative dividends before the arithmetic shift, and the saturating case
 * (both operands −2^31) cannot occur because multipliers are non-negative. Each int vector is split into two long
 * halves for the multiply. Only loaded when {@link Simd#enabled()}.
 */
public final class SimdFixedPointRequantizer {
    private static final VectorSpecies<Integer> INT = SimdSpecies.INT;
    private static final VectorSpecies<Byte> BYTE = SimdSpecies.BYTE;
    /** Bytes of one int vector's lanes (a quarter of the width), when such a shape exists (256 bits or more). */
    private static final VectorSpecies<Byte> BYTE_QUARTER = INT.length() * 8 >= 64
            ? ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(INT.length() * 8))
            : null;

    private static final VectorSpecies<Long> LONG = LongVector.SPECIES_PREFERRED.withShape(SimdSpecies.SHAPE);

    /** Per channel, padded with zeros to whole vectors: left shift, and (as longs) multiplier, right shift, mask. */
    private final int[] left;

    private final long[] multiplier;
    private final long[] right;
    private final long[] mask;
    /** Upward rounding: 2^(right − 1) (0 when right = 0), and the saturated value Integer.MAX_VALUE >> right. */
    private final long[] nudge;

    private final long[] saturated;
    /** True for {@link Requantizer.Rounding#DOUBLE_ROUNDING_UPWARD}: use {@link #storeUpward}. */
    public final boolean upward;

    private final int zeroPoint;
    private final int lo;
    private final int hi;
    /** The first {@link SimdSpecies#INT} lanes of a byte vector. */
    private final VectorMask<Byte> intLanes;

    /** True when {@code rq} rounds as this class does. */
    public static boolean supports(Requantizer rq) {
        return rq.mode() == Requantizer.Rounding.DOUBLE_ROUNDING
                || rq.mode() == Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD;
    }

    public SimdFixedPointRequantizer(Requantizer rq) {
        if (!supports(rq)) {
            throw new IllegalArgumentException("only the double roundings are vectorised here, got " + rq.mode());
        }
        int n = rq.channels();
        int padded = Math.max(INT.length(), (n + INT.length() - 1) / INT.length() * INT.length());
        this.left = new int[padded];
        this.multiplier = new long[padded];
        this.right = new long[padded];
        this.mask = new long[padded];
        this.nudge = new long[padded];
        this.saturated = new long[padded];
        this.upward = rq.mode() == Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD;
        for (int c = 0; c < n; c++) {
            int shift = rq.shift(c);
            left[c] = Math.max(shift, 0);
            right[c] = Math.max(-shift, 0);
            multiplier[c] = rq.multiplier(c);
            mask[c] = (1L << right[c]) - 1;
            nudge[c] = right[c] == 0 ? 0 : 1L << (right[c] - 1);
            saturated[c] = Integer.MAX_VALUE >> right[c];
        }
        this.zeroPoint = rq.zeroPoint();
        this.lo = rq.lo;
        this.hi = rq.hi;
        this.intLanes = BYTE.indexInRange(0, INT.length());
    }

    /** The quantized values (zero point added, clamped) of the accumulators of channels c .. c+lanes−1. */
    public IntVector apply(IntVector acc, int c) {
        IntVector x = acc.lanewise(VectorOperators.LSHL, IntVector.fromArray(INT, left, c));
        IntVector v = half(x, c, 0).or(half(x, c, 1));
        return v.add(zeroPoint).max(lo).min(hi);
    }

    /** {@link #apply} with the upward rounding right shift ({@link Requantizer.Rounding#DOUBLE_ROUNDING_UPWARD}). */
    public IntVector applyUpward(IntVector acc, int c) {
        IntVector x = acc.lanewise(VectorOperators.LSHL, IntVector.fromArray(INT, left, c));
        IntVector v = halfUpward(x, c, 0).or(halfUpward(x, c, 1));
        return v.add(zeroPoint).max(lo).min(hi);
    }

    /** {@link #half} with the upward rounding right shift, saturating where {@code high + nudge} passes int32. */
    private IntVector halfUpward(IntVector x, int c, int q) {
        int at = c + q * LONG.length();
        LongVector ab =
                ((LongVector) x.convert(VectorOperators.I2L, q)).mul(LongVector.fromArray(LONG, multiplier, at));
        LongVector zero = LongVector.zero(LONG);
        LongVector t = ab.add(LongVector.broadcast(LONG, 1L << 30).blend(1L - (1L << 30), ab.lt(0)));
        LongVector high = t.add(zero.blend((1L << 31) - 1, t.lt(0))).lanewise(VectorOperators.ASHR, 31);
        LongVector nudged = high.add(LongVector.fromArray(LONG, nudge, at));
        LongVector v = nudged.lanewise(VectorOperators.ASHR, LongVector.fromArray(LONG, right, at))
                .blend(
                        LongVector.fromArray(LONG, saturated, at),
                        nudged.compare(VectorOperators.GT, Integer.MAX_VALUE));
        return (IntVector) v.convert(VectorOperators.L2I, -q);
    }

    /** Long part {@code q} of the int lanes, rounded, in the same lanes of an int vector. */
    private IntVector half(IntVector x, int c, int q) {
        int at = c + q * LONG.length();
        LongVector ab =
                ((LongVector) x.convert(VectorOperators.I2L, q)).mul(LongVector.fromArray(LONG, multiplier, at));
        LongVector zero = LongVector.zero(LONG);
        LongVector t = ab.add(LongVector.broadcast(LONG, 1L << 30).blend(1L - (1L << 30), ab.lt(0)));
        LongVector high = t.add(zero.blend((1L << 31) - 1, t.lt(0))).lanewise(VectorOperators.ASHR, 31);
        LongVector m = LongVector.fromArray(LONG, mask, at);
        LongVector threshold = m.lanewise(VectorOperators.ASHR, 1).add(zero.blend(1, high.lt(0)));
        LongVector up = zero.blend(1, high.and(m).compare(VectorOperators.GT, threshold));
        LongVector v = high.lanewise(VectorOperators.ASHR, LongVector.fromArray(LONG, right, at))
                .add(up);
        return (IntVector) v.convert(VectorOperators.L2I, -q);
    }

    /**
     * Requantizes the accumulators of channels {@code c ..} and stores the first {@code count} (at most a vector's
     * lanes) as bytes (int8, or uint8 in [0, 255]) at {@code y[at ..]}.
     */
    public void store(IntVector acc, int c, byte[] y, int at, int count) {
        IntVector q = apply(acc, c);
        if (BYTE_QUARTER != null) {
            // narrowing into a quarter-width byte vector is much faster than into lanes of a full-width one
            ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
            if (count == INT.length()) {
                b.intoArray(y, at);
            } else {
                b.intoArray(y, at, BYTE_QUARTER.indexInRange(0, count));
            }
            return;
        }
        ByteVector b = (ByteVector) q.convert(VectorOperators.I2B, 0);
        b.intoArray(y, at, count == INT.length() ? intLanes : BYTE.indexInRange(0, count));
    }

    /**
     * {@link #store} with the upward rounding (a method of its own: no vector is chosen between the two). Requantizes
     * the accumulators of channels {@code c ..} and stores the first {@code count} (at most a vector's
     * lanes) as bytes (int8, or uint8 in [0, 255]) at {@code y[at ..]}.
     */
    public void storeUpward(IntVector acc, int c, byte[] y, int at, int count) {
        IntVector q = applyUpward(acc, c);
        if (BYTE_QUARTER != null) {
            // narrowing into a quarter-width byte vector is much faster than into lanes of a full-width one
            ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
            if (count == INT.length()) {
                b.intoArray(y, at);
            } else {
                b.intoArray(y, at, BYTE_QUARTER.indexInRange(0, count));
            }
            return;
        }
        ByteVector b = (ByteVector) q.convert(VectorOperators.I2B, 0);
        b.intoArray(y, at, count == INT.length() ? intLanes : BYTE.indexInRange(0, count));
    }
}
