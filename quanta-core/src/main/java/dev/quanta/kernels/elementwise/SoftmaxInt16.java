package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;

/**
 * Softmax of INT16 inputs (zero point 0) along the last axis to an INT16 output (scale 2⁻¹⁵, zero point 0), as
 * TFLite 2.21's built-in kernel computes it ({@code SoftmaxInt16}; XNNPACK does not take it, so both paths run this)
 * with two 513-entry int16 lookup tables, interpolated.
 *
 * <h2>Tables (LUTPopulate, double precision; see {@link Int16Table})</h2>
 *
 * The tables' output scale is 2/65535 with zero point 0, so {@code o_max − o_min = (2/65535)·32767 −
 * (2/65535)·(−32768)}; each entry is the sample minus half the midpoint error of linear interpolation. The exp
 * table has f = exp on [−10·65535/65535, 0] (input scale 10/65535, zero point 32767); the reciprocal table has
 * f = 1/(1 + x) on [0, 1] (input scale 1/65535, zero point −32768). A lookup LUT(v) of v ∈ [−32768, 32767] is
 * {@link Int16Table#lookup} (9-bit index, 7-bit linear interpolation).
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
        this.expTable = Int16Table.populateDouble(10.0 / RANGE, 32767, 2.0 / RANGE, 0, Math::exp);
        this.reciprocalTable = Int16Table.populateDouble(1.0 / RANGE, -32768, 2.0 / RANGE, 0, v -> 1.0 / (1.0 + v));
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
            int e = Int16Table.lookup(FixedPoint.clamp(scaled + 32767, -32768, 32767), expTable);
            exps[j] = e;
            sum += e;
        }
        int headroomPlusOne = Integer.numberOfLeadingZeros(sum);
        int shiftedSum = (int) ((((long) sum << (headroomPlusOne - 1)) + (1 << 13)) >> 14);
        int reciprocal = Int16Table.lookup(
                FixedPoint.clamp(shiftedSum - ((1 << 15) + (1 << 16)), -32768, 32767), reciprocalTable);
        int rightShift = 31 - headroomPlusOne;
        long round = 1L << (rightShift - 1);
        for (int j = 0; j < depth; j++) {
            int result = (int) (((long) exps[j] * reciprocal + round) >> rightShift);
            y[base + j] = (short) FixedPoint.clamp(result, 0, 32767);
        }
    }
}
