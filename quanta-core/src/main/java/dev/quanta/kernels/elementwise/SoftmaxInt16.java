package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import java.util.function.DoubleUnaryOperator;

/**
 * Softmax of INT16 inputs (zero point 0) along the last axis to an INT16 output (scale 2⁻¹⁵, zero point 0), as
 * TFLite 2.21's built-in kernel computes it ({@code SoftmaxInt16}; XNNPACK does not take it, so both paths run this)
 * with two 513-entry int16 lookup tables, interpolated.
 *
 * <h2>Tables (LUTPopulate, double precision)</h2>
 *
 * For f on [a, b] (input step {@code h = (b − a)/512}, output scale {@code κ = 65536 / (o_max − o_min)} with
 * {@code o_max − o_min = (2/65535)·32767 − (2/65535)·(−32768)}), entries i = 0..511 are
 *
 * <pre>
 * s = round(f(a + i·h)·κ),   m = round((f(a + (i+1)·h)·κ + s) / 2),   c = round(f(a + i·h + h/2)·κ)
 * T[i] = clamp(s − round((m − c) / 2), −32768, 32767),      T[512] = clamp(round(f(b)·κ))
 * </pre>
 *
 * ({@code round} ties away from zero): the sample minus half the midpoint error of linear interpolation. The exp
 * table has f = exp on [−10·65535/65535, 0] (input scale 10/65535, zero point 32767); the reciprocal table has
 * f = 1/(1 + x) on [0, 1] (input scale 1/65535, zero point −32768). A lookup of v ∈ [−32768, 32767] is
 *
 * <pre>
 * LUT(v) = T[256 + (v &gt;&gt; 7)] + ((Δ · (v &amp; 127) + 64) &gt;&gt; 7),   Δ = int16(T[j + 1] − T[j])   (int16)
 * </pre>
 *
 * <h2>Per row</h2>
 *
 * <pre>
 * (m, e) = QM(float(s_x · β) / (10/65535))              double, so that x − max ∈ [−65535, 0] maps to [−10, 0]
 * E_j = LUT_exp(clamp(MBQM(x_j − max, m, e) + 32767, −32768, 32767))                Q0.15
 * S = Σ E_j (int32),   k = clz(S)
 * R = LUT_recip(clamp(((S·2^(k−1) + 2¹³) &gt;&gt; 14) − 98304, −32768, 32767))            ≈ 1/(S·2^(k−31)), Q0.15
 * y_j = clamp((E_j · R + 2^(30−k)) &gt;&gt; (31 − k), 0, 32767)
 * </pre>
 *
 * MBQM is the double-rounding {@link FixedPoint#multiplyByQuantizedMultiplier}, QM {@link
 * FixedPoint#quantizeMultiplier}.
 */
public final class SoftmaxInt16 implements Kernel {
    private static final int RANGE = 65535;

    private final short[] x;
    private final short[] y;
    private final int depth;
    private final int multiplier;
    private final int shift;
    private final short[] expTable;
    private final short[] reciprocalTable;

    SoftmaxInt16(short[] x, float inScale, float beta, short[] y, int depth) {
        this.x = x;
        this.y = y;
        this.depth = depth;
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier((double) (inScale * beta) / (10.0 / 65535.0));
        this.multiplier = q.multiplier();
        this.shift = q.shift();
        this.expTable = populate(10.0 / RANGE, 32767, 2.0 / RANGE, 0, Math::exp);
        this.reciprocalTable = populate(1.0 / RANGE, -32768, 2.0 / RANGE, 0, v -> 1.0 / (1.0 + v));
    }

    /** TFLite's {@code LUTPopulateInt16<double>}: 512 interpolation nodes and one end point. */
    static short[] populate(double inScale, int inZp, double outScale, int outZp, DoubleUnaryOperator f) {
        double inMin = inScale * (-32768 - inZp);
        double inMax = inScale * (32767 - inZp);
        double outMin = outScale * (-32768 - outZp);
        double outMax = outScale * (32767 - outZp);
        int steps = 512;
        double step = (inMax - inMin) / steps;
        double halfStep = step / 2;
        double scaling = 65536.0 / (outMax - outMin);
        short[] lut = new short[steps + 1];
        for (int i = 0; i < steps; i++) {
            double val = f.applyAsDouble(inMin + i * step);
            double mid = f.applyAsDouble(inMin + i * step + halfStep);
            double next = f.applyAsDouble(inMin + (i + 1) * step);
            double sample = round(val * scaling);
            double midInterp = round((next * scaling + round(val * scaling)) / 2);
            double midVal = round(mid * scaling);
            double bias = round((midInterp - midVal) / 2);
            lut[i] = (short) Math.min(Math.max(sample - bias, -32768.0), 32767.0);
        }
        lut[steps] = (short) Math.min(Math.max(round(f.applyAsDouble(inMax) * scaling), -32768.0), 32767.0);
        return lut;
    }

    private static double round(double v) {
        return (double) FixedPoint.roundHalfAwayFromZero(v);
    }

    /** TFLite's int16 {@code LUTLookup}: 9-bit index, 7-bit linear interpolation. */
    public static int lookup(int v, short[] lut) {
        int index = 256 + (v >> 7);
        int offset = v & 0x7F;
        int base = lut[index];
        int slope = (short) (lut[index + 1] - lut[index]);
        int delta = (slope * offset + 64) >> 7;
        return (short) (base + delta);
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(x.length / depth, 64, rows);
    }

    /** Per thread: the exponentials of one row. */
    private final ThreadLocal<int[]> exps = ThreadLocal.withInitial(this::rowScratch);

    private int[] rowScratch() {
        return new int[depth];
    }

    /** The body over rows, made once so that a run allocates nothing. */
    private final Parallel.RangeBody rows = this::runRows;

    private void runRows(int from, int to) {
        int[] e = exps.get();
        for (int r = from; r < to; r++) {
            row(r * depth, e);
        }
    }

    private void row(int base, int[] exps) {
        int max = -32768;
        for (int j = 0; j < depth; j++) {
            max = Math.max(max, x[base + j]);
        }
        int sum = 0;
        for (int j = 0; j < depth; j++) {
            int scaled = FixedPoint.multiplyByQuantizedMultiplier(x[base + j] - max, multiplier, shift);
            int e = lookup(FixedPoint.clamp(scaled + 32767, -32768, 32767), expTable);
            exps[j] = e;
            sum += e;
        }
        int headroomPlusOne = Integer.numberOfLeadingZeros(sum);
        int shiftedSum = (int) ((((long) sum << (headroomPlusOne - 1)) + (1 << 13)) >> 14);
        int reciprocal = lookup(FixedPoint.clamp(shiftedSum - ((1 << 15) + (1 << 16)), -32768, 32767), reciprocalTable);
        int rightShift = 31 - headroomPlusOne;
        long round = 1L << (rightShift - 1);
        for (int j = 0; j < depth; j++) {
            int result = (int) (((long) exps[j] * reciprocal + round) >> rightShift);
            y[base + j] = (short) FixedPoint.clamp(result, 0, 32767);
        }
    }
}
