package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;

/**
 * The fast 8-bit FULLY_CONNECTED (int8 and uint8, per-tensor or per-channel weights): {@link FullyConnectedInt}'s
 * arithmetic on {@link Int8Gemm}, equal to it bit for bit.
 *
 * <pre>
 * y[m, o] = requantize(bias[o] + Σ_k (x[m, k] − zp_x) · (W[o, k] − zp_w[o]), o)
 * </pre>
 *
 * A run centres the input into floats (A, [rows][K]) and runs the GEMM over it: the threads split groups of
 * {@link Int8Gemm#mr} rows, or, with fewer groups than threads (one row, the usual case), the channel panels, so
 * a single row streams each packed weight once. Only made when {@link Simd#enabled()}.
 */
final class SimdFullyConnectedInt implements Kernel {
    private final Object x;
    private final DType inType;
    private final int inZeroPoint;
    private final Object y;
    private final Int8Gemm gemm;
    private final float[] xf;
    private final int rows;
    private final int k;
    private final int groups;
    /** Where each row of A starts: m·k. */
    private final int[] base;

    private final ThreadLocal<int[]> acc = ThreadLocal.withInitial(() -> new int[Int8Gemm.scratchLength()]);

    private final Parallel.RangeBody centreBody;
    private final Parallel.RangeBody rowBody;
    private final Parallel.RangeBody panelBody;

    /** The fast kernel as a {@link Kernel}; the factory calls this only when {@link Simd#enabled()}. */
    static Kernel create(Object x, WeightedOpParams p, Object y, int rows, int k, int n) {
        return new SimdFullyConnectedInt(x, p, y, rows, k, n);
    }

    SimdFullyConnectedInt(Object x, WeightedOpParams p, Object y, int rows, int k, int n) {
        if (p.wide) {
            throw new IllegalArgumentException("16x8 fully connected layers run on the scalar kernel");
        }
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = y;
        this.rows = rows;
        this.k = k;
        int[] biasInt = new int[n];
        for (int o = 0; o < n; o++) {
            biasInt[o] = (int) p.bias[o];
        }
        // narrower last panels only when there are rows for their tile kernels (see Int8Gemm's constructor)
        this.gemm = new Int8Gemm(
                p.weights,
                k,
                n,
                biasInt,
                p.requantizer,
                p.outType,
                Int8Gemm.maxAbsCentred(inType, inZeroPoint),
                rows >= 8);
        this.groups = (rows + gemm.mr - 1) / gemm.mr;
        this.xf = new float[rows * k];
        this.base = new int[rows];
        for (int m = 0; m < rows; m++) {
            base[m] = m * k;
        }
        this.centreBody = (from, to) -> SimdCentre.toFloat(x, inType, inZeroPoint, from, xf, from, to - from);
        this.rowBody = (from, to) -> {
            int m0 = from * gemm.mr;
            int m1 = Math.min(rows, to * gemm.mr);
            gemm.rows(xf, base, m0, m1 - m0, m0, 0, gemm.panels, y, acc.get());
        };
        this.panelBody = (from, to) -> gemm.rows(xf, base, 0, rows, 0, from, to, y, acc.get());
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(xf.length, 16384, centreBody);
        if (groups >= parallel.threads() || gemm.panels < 2) {
            parallel.forRange(groups, 1, rowBody);
        } else {
            parallel.forRange(gemm.panels, 1, panelBody);
        }
    }
}
