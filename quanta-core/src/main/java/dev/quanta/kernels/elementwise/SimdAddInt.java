package dev.quanta.kernels.elementwise;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import dev.quanta.kernels.arithmetic.FixedPoint;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast int8/uint8 ADD of two same-shape operands, both arithmetics of {@link AddInt} bit for bit:
 *
 * <pre>
 * XNNPACK, int32 lanes:  y = clamp(((bias + a·M_a + b·M_b) &gt;&gt; shift) + zp_y, lo, hi)     (int wrap-around as scalar)
 * TFLite,  int64 lanes:  a' = MBQM((a − zp_a)·2^L, m_a, e_a), b' likewise, y = clamp(MBQM(a' + b', m_y, e_y) + zp_y)
 * </pre>
 *
 * Each block of {@link SimdSpecies#INT}-many bytes is widened into an int vector (and that into two long halves on
 * the TFLite path), computed, and narrowed back; the last partial block runs the scalar formula. Below 256-bit
 * vectors (no byte vector as short as a quarter of the width) the scalar kernel runs. The TFLite path's {@code MBQM} in long lanes is gemmlowp's {@code SaturatingRoundingDoublingHighMul}
 * (exact 64-bit product, nudge, truncating division by 2^31) followed by {@code RoundingDivideByPOT}; it is used
 * only when every shift is a right shift (e ≤ 0, always so for the operands' multipliers below ½), else the scalar
 * kernel runs. Broadcasting and int16 stay scalar. Only loaded when {@link Simd#enabled()}.
 */
final class SimdAddInt implements Kernel {
    private static final VectorSpecies<Integer> INT = SimdSpecies.INT;
    /** Bytes of one int vector's lanes (a quarter of the width); none below 256 bits, where the kernel stays scalar. */
    private static final VectorSpecies<Byte> BYTE_QUARTER = INT.length() * 8 >= 64
            ? ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(INT.length() * 8))
            : null;

    private final AddInt s;
    private final byte[] a;
    private final byte[] b;
    private final byte[] y;
    private final boolean unsigned;
    private final Parallel.RangeBody body = this::range;

    /** The fast kernel for same-shape 8-bit operands (and right shifts only on the TFLite path), else the scalar. */
    static Kernel create(
            AddInt.Operand a,
            AddInt.Operand b,
            AddInt.Operand y,
            DType type,
            Activation activation,
            boolean xnnpackRequested) {
        AddInt scalar = new AddInt(a, b, y, type, activation, xnnpackRequested);
        return applies(scalar) ? new SimdAddInt(scalar) : scalar;
    }

    static boolean applies(AddInt s) {
        boolean bytes = s.type == DType.INT8 || s.type == DType.UINT8;
        boolean rightShifts = s.eA <= 0 && s.eB <= 0 && s.eY <= 0;
        return BYTE_QUARTER != null && bytes && s.sameShape && (s.xnnpack || rightShifts);
    }

    SimdAddInt(AddInt scalar) {
        if (!applies(scalar)) {
            throw new IllegalArgumentException("the fast ADD takes same-shape 8-bit operands");
        }
        this.s = scalar;
        this.a = (byte[]) scalar.a;
        this.b = (byte[]) scalar.b;
        this.y = (byte[]) scalar.y;
        this.unsigned = scalar.type == DType.UINT8;
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(y.length, 4096, body);
    }

    private void range(int from, int to) {
        int step = INT.length();
        int i = from;
        for (; i + step <= to; i += step) {
            block(i);
        }
        for (; i < to; i++) {
            int va = unsigned ? a[i] & 0xFF : a[i];
            int vb = unsigned ? b[i] & 0xFF : b[i];
            y[i] = (byte) s.add(va, vb);
        }
    }

    /**
     * One block of {@link SimdSpecies#INT}-many elements from {@code i}. A method of its own, invoked once per block, so
     * that the JIT compiles it fully (vectors in registers) after a few thousand blocks rather than after the tens of
     * thousands of loop iterations an on-stack replacement of the caller's loop waits for; until then Vector API code
     * runs far slower than scalar code. No vector crosses its boundary.
     */
    private void block(int i) {
        IntVector ia = (IntVector) ByteVector.fromArray(BYTE_QUARTER, a, i).convertShape(VectorOperators.B2I, INT, 0);
        IntVector ib = (IntVector) ByteVector.fromArray(BYTE_QUARTER, b, i).convertShape(VectorOperators.B2I, INT, 0);
        if (unsigned) {
            ia = ia.and(0xFF);
            ib = ib.and(0xFF);
        }
        IntVector v;
        if (s.xnnpack) {
            v = ia.mul(s.xMulA)
                    .add(s.xBias)
                    .add(ib.mul(s.xMulB))
                    .lanewise(VectorOperators.ASHR, s.xShift)
                    .add(s.zpY);
        } else {
            v = tflite(ia, ib, 0).or(tflite(ia, ib, 1));
        }
        ((ByteVector) v.max(s.lo).min(s.hi).convertShape(VectorOperators.I2B, BYTE_QUARTER, 0)).intoArray(y, i);
    }

    /** TFLite's sum (not yet clamped) of long part {@code q} of the int lanes, in the same lanes of an int vector. */
    private IntVector tflite(IntVector ia, IntVector ib, int q) {
        LongVector la = ((LongVector) ia.convert(VectorOperators.I2L, q)).sub(s.zpA);
        LongVector lb = ((LongVector) ib.convert(VectorOperators.I2L, q)).sub(s.zpB);
        LongVector sa = mbqm(la.lanewise(VectorOperators.LSHL, s.leftShift), s.mA, -s.eA);
        LongVector sb = mbqm(lb.lanewise(VectorOperators.LSHL, s.leftShift), s.mB, -s.eB);
        LongVector v = mbqm(sa.add(sb), s.mY, -s.eY).add(s.zpY);
        return (IntVector) v.convert(VectorOperators.L2I, -q);
    }

    /**
     * {@link FixedPoint#multiplyByQuantizedMultiplier(int, int, int)} with shift {@code −rightShift} ≤ 0, on int
     * values held in long lanes: {@code RoundingDivideByPOT(SRDHM(x, m), rightShift)}.
     */
    static LongVector mbqm(LongVector x, int m, int rightShift) {
        LongVector ab = x.mul(m);
        LongVector zero = LongVector.zero(x.species());
        LongVector t = ab.add(LongVector.broadcast(x.species(), 1L << 30).blend(1L - (1L << 30), ab.lt(0)));
        // truncating division by 2^31: add 2^31 − 1 to negative dividends before the arithmetic shift
        LongVector high = t.add(zero.blend((1L << 31) - 1, t.lt(0))).lanewise(VectorOperators.ASHR, 31);
        if (rightShift == 0) {
            return high;
        }
        long mask = (1L << rightShift) - 1;
        LongVector remainder = high.and(mask);
        LongVector threshold = zero.add(mask >> 1).add(zero.blend(1, high.lt(0)));
        return high.lanewise(VectorOperators.ASHR, rightShift)
                .add(zero.blend(1, remainder.compare(VectorOperators.GT, threshold)));
    }
}
