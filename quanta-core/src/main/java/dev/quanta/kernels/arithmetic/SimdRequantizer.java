package dev.quanta.kernels.arithmetic;

import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector form of {@link Requantizer} for XNNPACK's {@link Requantizer.Rounding#FP32} rounding, over
 * {@link SimdSpecies#INT} lanes of consecutive output channels:
 *
 * <pre>
 * y[c] = clamp(rint(float(acc[c]) · scale[c]), lo − zp, hi − zp) + zp
 * </pre>
 *
 * bit for bit the scalar {@link FixedPoint#requantizeFp32}: the int→float conversion rounds to nearest as the scalar
 * cast does, the clamp comes before the rounding, and {@code rint} is the magic-number addition {@code (v + 1.5·2^23)
 * − 1.5·2^23}, which rounds half to even for |v| ≤ 2^22 (the clamped value is within ±2^16). The fixed-point modes
 * of the built-in path stay scalar ({@link #supports}).
 */
public final class SimdRequantizer {
    private static final VectorSpecies<Integer> INT = SimdSpecies.INT;
    private static final VectorSpecies<Float> FLOAT = SimdSpecies.FLOAT;
    /**
     * Bytes for one int vector's lanes: a quarter of the width, at least 64 bits (at 128 bits the 4 int lanes
     * land in the low half of an 8-byte vector and stores are masked to them).
     */
    private static final VectorSpecies<Byte> BYTE_QUARTER = ByteVector.SPECIES_PREFERRED.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, INT.length() * 8)));

    /** True when BYTE_QUARTER has exactly one lane per int lane. */
    private static final boolean WHOLE = BYTE_QUARTER.length() == INT.length();

    /** The byte lanes that hold the int lanes. */
    private static final VectorMask<Byte> INT_LANES = BYTE_QUARTER.indexInRange(0, INT.length());

    /**
     * 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to the nearest integer, ties to even (its low
     * mantissa bits then hold that integer); subtracting it again gives the rounded float.
     */
    public static final float MAGIC = 12582912f;

    /** Per channel scales, padded with zeros to a whole number of vectors. */
    private final float[] scales;

    private final float lo;
    private final float hi;
    private final int zeroPoint;

    /** True when {@code rq} rounds as XNNPACK does, the only mode this class vectorises. */
    public static boolean supports(Requantizer rq) {
        return rq.mode() == Requantizer.Rounding.FP32;
    }

    public SimdRequantizer(Requantizer rq) {
        if (!supports(rq)) {
            throw new IllegalArgumentException("only FP32 requantization is vectorised, got " + rq.mode());
        }
        int n = rq.channels();
        int padded = (n + INT.length() - 1) / INT.length() * INT.length();
        this.scales = new float[Math.max(padded, INT.length())];
        for (int c = 0; c < n; c++) {
            scales[c] = rq.scale(c);
        }
        this.zeroPoint = rq.zeroPoint();
        this.lo = rq.lo - zeroPoint;
        this.hi = rq.hi - zeroPoint;
    }

    /** Lanes per vector. */
    public static int lanes() {
        return INT.length();
    }

    /** The quantized values (zero point added, not yet narrowed) of the accumulators of channels c.. c+lanes−1. */
    public IntVector apply(IntVector acc, int c) {
        FloatVector v =
                ((FloatVector) acc.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FLOAT, scales, c));
        v = v.max(lo).min(hi).add(MAGIC).sub(MAGIC);
        return ((IntVector) v.convert(VectorOperators.F2I, 0)).add(zeroPoint);
    }

    /**
     * Requantizes the accumulators of channels {@code c ..} (as many as {@code mask} selects, from lane 0) and
     * stores them as bytes (int8, or uint8 in [0, 255]) at {@code y[at ..]}.
     */
    public void store(IntVector acc, int c, byte[] y, int at, VectorMask<Integer> mask) {
        IntVector q = apply(acc, c);
        ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
        if (!WHOLE) {
            b.intoArray(y, at, INT_LANES.and(BYTE_QUARTER.indexInRange(0, mask.trueCount())));
        } else if (mask.allTrue()) {
            b.intoArray(y, at);
        } else {
            b.intoArray(y, at, mask.cast(BYTE_QUARTER));
        }
    }

    /** As {@link #store(IntVector, int, byte[], int, VectorMask)} for a whole vector of channels. */
    public void store(IntVector acc, int c, byte[] y, int at) {
        IntVector q = apply(acc, c);
        ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
        if (WHOLE) {
            b.intoArray(y, at);
        } else {
            b.intoArray(y, at, INT_LANES);
        }
    }
}
