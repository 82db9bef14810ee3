package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * BATCH_MATMUL over broadcast batch axes, float32 and integer (int8, int16):
 *
 * <pre>
 * acc[b, m, n] = Σ_k A[b_a, m, k] · B[b_b, k, n]      A[m, k] = a[k, m] with adj_x, B[k, n] = b[n, k] with adj_y;
 *                                                     b_a, b_b: the batch index b with broadcast axes at 0
 * y = acc                                             float32
 * y = requantize(Σ (A − zp_a)(B − zp_b))              integer: int32 sums for int8, int64 for int16
 * </pre>
 *
 * Each float sum runs k = 0..K−1 in order. Output matrices are split over threads.
 */
final class BatchMatMul implements Kernel {
    private final Object a;
    private final Object b;
    private final Object y;
    private final DType type;
    private final DType outType;
    private final int zpA;
    private final int zpB;
    private final Requantizer rq;
    private final boolean adjX;
    private final boolean adjY;
    private final int m;
    private final int k;
    private final int n;
    /** Per output matrix: the offsets of its A and B matrices. */
    private final int[] aOffset;

    private final int[] bOffset;
    /** Integer kernels: the operands minus their zero points, made at the start of each run. */
    private final int[] ac;

    private final int[] bc;

    /**
     * @param as the first input's shape, {@code bs} the second's, {@code ys} the output's
     * @param rq null for float32
     */
    BatchMatMul(
            Object a,
            int[] as,
            Object b,
            int[] bs,
            Object y,
            int[] ys,
            boolean adjX,
            boolean adjY,
            DType type,
            DType outType,
            int zpA,
            int zpB,
            Requantizer rq) {
        this.a = a;
        this.b = b;
        this.y = y;
        this.type = type;
        this.outType = outType;
        this.zpA = zpA;
        this.zpB = zpB;
        this.rq = rq;
        this.adjX = adjX;
        this.adjY = adjY;
        this.m = ys[ys.length - 2];
        this.n = ys[ys.length - 1];
        this.k = as[as.length - (adjX ? 2 : 1)];
        int batches = 1;
        for (int i = 0; i < ys.length - 2; i++) {
            batches *= ys[i];
        }
        this.aOffset = new int[batches];
        this.bOffset = new int[batches];
        this.ac = rq == null ? null : new int[Buffers.length(a)];
        this.bc = rq == null ? null : new int[Buffers.length(b)];
        int rank = ys.length;
        for (int bi = 0; bi < batches; bi++) {
            aOffset[bi] = offset(bi, ys, as, rank) * m * k;
            bOffset[bi] = offset(bi, ys, bs, rank) * k * n;
        }
    }

    /** The matrix index in an operand of shape {@code s} of output matrix {@code index} (broadcast axes at 0). */
    private static int offset(int index, int[] ys, int[] s, int rank) {
        int off = 0;
        int stride = 1;
        int rest = index;
        for (int i = rank - 3; i >= 0; i--) {
            int coord = rest % ys[i];
            rest /= ys[i];
            int j = i - (rank - s.length);
            if (j >= 0) {
                off += (s[j] == 1 ? 0 : coord) * stride;
                stride *= s[j];
            }
        }
        return off;
    }

    /** Output matrices per thread, made once so that a run allocates nothing. */
    private final Parallel.RangeBody matrices = this::matrices;

    @Override
    public void run(Parallel parallel) {
        if (rq != null) {
            Quant.centre(a, type, zpA, ac, 0, ac.length);
            Quant.centre(b, type, zpB, bc, 0, bc.length);
        }
        parallel.forRange(aOffset.length, 1, matrices);
    }

    private void matrices(int from, int to) {
        for (int bi = from; bi < to; bi++) {
            if (rq == null) {
                matrixFloat(bi);
            } else {
                matrixInt(bi);
            }
        }
    }

    private int ai(int row, int col) {
        return adjX ? col * m + row : row * k + col;
    }

    private int bi(int row, int col) {
        return adjY ? col * k + row : row * n + col;
    }

    private void matrixFloat(int index) {
        float[] af = (float[]) a;
        float[] bf = (float[]) b;
        float[] yf = (float[]) y;
        int ao = aOffset[index];
        int bo = bOffset[index];
        int out = index * m * n;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                float s = 0f;
                for (int i = 0; i < k; i++) {
                    s += af[ao + ai(r, i)] * bf[bo + bi(i, c)];
                }
                yf[out + r * n + c] = s;
            }
        }
    }

    private void matrixInt(int index) {
        int ao = aOffset[index];
        int bo = bOffset[index];
        int out = index * m * n;
        boolean wide = type == DType.INT16;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                long s = 0;
                for (int i = 0; i < k; i++) {
                    s += (long) ac[ao + ai(r, i)] * bc[bo + bi(i, c)];
                }
                Quant.set(y, outType, out + r * n + c, wide ? rq.apply(s, 0) : rq.apply((int) s, 0));
            }
        }
    }
}
