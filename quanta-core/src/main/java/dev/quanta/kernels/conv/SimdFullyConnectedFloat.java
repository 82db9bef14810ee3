package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;

/**
 * Float fully connected layer through {@link FloatGemm}: the same math as {@link FullyConnectedFloat} in the same
 * order of terms, up to the FMA's single rounding.
 *
 * <pre>
 * y[m, n] = act( b[n] + Σ_k x[m, k] · W[n, k] )      m over all leading axes, W in IR layout [N, K]
 * </pre>
 *
 * A GEMM of M = rows, K, N with the weights packed once into panels. With few rows (M = 1 is typical) the single
 * row streams the packed weights (GEMV shape) and threads split the channel panels; with many rows they split
 * the rows in whole 8-row tiles. Only loaded when {@link Simd#enabled()}.
 */
final class SimdFullyConnectedFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int rows;
    private final int k;
    private final int n;
    private final float lo;
    private final float hi;
    private final FloatGemm gemm;
    private final Parallel.RangeBody byRows = this::rowTiles;
    private final Parallel.RangeBody byPanels = this::panels;

    SimdFullyConnectedFloat(
            float[] x, float[] weights, float[] bias, float[] y, int rows, int k, int n, Activation activation) {
        this.x = x;
        this.y = y;
        this.rows = rows;
        this.k = k;
        this.n = n;
        this.lo = activation.min();
        this.hi = activation.max();
        this.gemm = new FloatGemm(weights, bias, n, k);
    }

    @Override
    public void run(Parallel parallel) {
        if (rows == 0 || n == 0) {
            return;
        }
        int tiles = (rows + FloatGemm.MR - 1) / FloatGemm.MR;
        if (tiles >= parallel.threads() || gemm.panels() < 2) {
            parallel.forRange(tiles, 1, byRows);
        } else {
            parallel.forRange(gemm.panels(), 1, byPanels);
        }
    }

    /** Rows of the 8-row tiles {@code [from, to)}, every channel. */
    private void rowTiles(int from, int to) {
        int r0 = from * FloatGemm.MR;
        int r1 = Math.min(rows, to * FloatGemm.MR);
        gemm.multiply(x, r0 * k, k, r1 - r0, y, r0 * n, n, 0, gemm.panels(), lo, hi);
    }

    /** Every row, the channels of panels {@code [from, to)}. */
    private void panels(int from, int to) {
        gemm.multiply(x, 0, k, rows, y, 0, n, from, to, lo, hi);
    }
}
