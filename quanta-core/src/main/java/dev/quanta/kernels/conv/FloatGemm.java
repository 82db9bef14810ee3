package dev.quanta.kernels.conv;

import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float GEMM with bias and clamp, over weights packed once for a register-blocked Vector API micro-kernel.
 *
 * <pre>
 * C[i, j] = min(max(bias[j] + Σ_k A[i, k] · W[j, k], lo), hi)      i &lt; m, j &lt; n, k &lt; K
 * </pre>
 *
 * W is given in the IR layout [N][K] (a convolution's [O][kh][kw][C], a fully connected layer's [N][K]). It is
 * packed into panels of one vector (L lanes) of output channels, each stored as [K][L], the last panel's channels
 * past N zero. The micro-kernel keeps {@link #MR} rows × 1 vector of accumulators in registers and adds, per k,
 * the broadcast A value of each row times the panel's vector with FMA; bias (the accumulators' start) and clamp
 * are its epilogue, and the last panel's stores are masked at N. Rows past the last whole tile go through a 4-row
 * tile, then single rows that take 4 panels at a time (the GEMV shape: 4 independent FMA chains). An A row may be
 * given as segments at fixed offsets from its start (a convolution's window rows, read in place).
 *
 * <p>Every tile sums C[i, j] as bias, then k = 0..K−1 in order with FMA, so a result does not depend on the tiling,
 * the batch or the thread split, and differs from the scalar kernels only by the FMA's single rounding. Measured
 * on AVX-512 (Zen 5, 16 lanes): 8 rows × 1 vector ran at 140–165 GFLOP/s, 6 rows × 2 vectors at about 60.
 *
 * <p>The kernels take no Vector arguments and call no helper with Vector values: C2 does not always inline such a
 * helper into a large kernel, and a call that is not inlined boxes its vectors (hundreds of KB per model run).
 *
 * <p>Only loaded when {@link Simd#enabled()}. Immutable after construction; safe to share between threads.
 */
final class FloatGemm {
    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    /** Lanes per vector: the output channels of one panel. */
    static final int L = S.length();
    /** Rows per full micro-kernel tile. */
    static final int MR = 8;

    private final int n;
    private final int k;
    private final int panels;
    /** Panel p at p·K·L: for each k, the weights of channels p·L .. p·L + L − 1. */
    private final float[] packed;
    /** The bias padded with zeros to panels·L. */
    private final float[] bias;
    /** The last panel's channels below N. */
    private final VectorMask<Float> tail;

    private final boolean lastFull;
    /** One segment at offset 0: A rows of K contiguous values. */
    private final int[] whole = {0};

    /**
     * @param weights [n][k], row j holding output channel j's k weights
     * @param bias [n] or null (zeros)
     */
    FloatGemm(float[] weights, float[] bias, int n, int k) {
        this.n = n;
        this.k = k;
        this.panels = (n + L - 1) / L;
        this.packed = PackedWeights.get(weights, "float-gemm-" + L + "-" + n + "x" + k, () -> pack(weights, n, k));
        this.bias = new float[panels * L];
        if (bias != null) {
            System.arraycopy(bias, 0, this.bias, 0, n);
        }
        this.tail = S.indexInRange(Math.max(0, panels - 1) * L, n);
        this.lastFull = n % L == 0;
    }

    /** Number of panels of output channels (L each, the last one partly padding). */
    int panels() {
        return panels;
    }

    private static float[] pack(float[] w, int n, int k) {
        int panels = (n + L - 1) / L;
        float[] p = new float[panels * L * k];
        for (int j = 0; j < n; j++) {
            int base = j / L * L * k + j % L;
            int src = j * k;
            for (int kk = 0; kk < k; kk++) {
                p[base + kk * L] = w[src + kk];
            }
        }
        return p;
    }

    /**
     * C rows {@code 0..m−1} (row i at {@code c[cOff + i·ldc]}) for the channels of panels {@code [p0, p1)}, from
     * A rows at {@code a[aOff + i·lda]} (K values each).
     */
    void multiply(
            float[] a, int aOff, int lda, int m, float[] c, int cOff, int ldc, int p0, int p1, float lo, float hi) {
        multiply(a, aOff, lda, whole, k, m, c, cOff, ldc, p0, p1, lo, hi);
    }

    /**
     * As {@link #multiply(float[], int, int, int, float[], int, int, int, int, float, float)} with each A row made
     * of segments: row i's k values are, segment after segment, the {@code segLength} values at {@code a[aOff +
     * i·lda + segments[s] ..]} (a convolution reading its window rows straight from the input).
     */
    void multiply(
            float[] a,
            int aOff,
            int lda,
            int[] segments,
            int segLength,
            int m,
            float[] c,
            int cOff,
            int ldc,
            int p0,
            int p1,
            float lo,
            float hi) {
        int tiled = m - m % 4; // rows in 8-row tiles, then at most one 4-row tile
        for (int p = p0; p < p1; p++) {
            int ch = p * L;
            int b = ch * k;
            boolean masked = p == panels - 1 && !lastFull;
            int i = 0;
            for (; i + MR <= m; i += MR) {
                kernel8(
                        a,
                        aOff + i * lda,
                        lda,
                        segments,
                        segLength,
                        b,
                        c,
                        cOff + i * ldc + ch,
                        ldc,
                        ch,
                        lo,
                        hi,
                        masked);
            }
            if (i + 4 <= m) {
                kernel4(
                        a,
                        aOff + i * lda,
                        lda,
                        segments,
                        segLength,
                        b,
                        c,
                        cOff + i * ldc + ch,
                        ldc,
                        ch,
                        lo,
                        hi,
                        masked);
            }
        }
        // the rows past the 8- and 4-row tiles, 4 panels at a time
        for (int i = tiled; i < m; i++) {
            int p = p0;
            for (; p + 4 <= p1; p += 4) {
                int ch = p * L;
                boolean masked = p + 3 == panels - 1 && !lastFull;
                kernel1x4(a, aOff + i * lda, segments, segLength, ch * k, c, cOff + i * ldc + ch, ch, lo, hi, masked);
            }
            for (; p < p1; p++) {
                int ch = p * L;
                boolean masked = p == panels - 1 && !lastFull;
                kernel1(a, aOff + i * lda, segments, segLength, ch * k, c, cOff + i * ldc + ch, ch, lo, hi, masked);
            }
        }
    }

    private void kernel8(
            float[] a,
            int a0,
            int lda,
            int[] segments,
            int segLength,
            int b,
            float[] c,
            int c0,
            int ldc,
            int ch,
            float lo,
            float hi,
            boolean masked) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        float[] w = packed;
        FloatVector start = FloatVector.fromArray(S, bias, ch);
        FloatVector s0 = start, s1 = start, s2 = start, s3 = start, s4 = start, s5 = start, s6 = start, s7 = start;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        int a6 = a5 + lda;
        int a7 = a6 + lda;
        int len = segLength;
        int wb = b;
        for (int o : segments) {
            for (int t = 0; t < len; t++) {
                FloatVector v = FloatVector.fromArray(S, w, wb + t * L);
                s0 = v.fma(FloatVector.broadcast(S, a[a0 + o + t]), s0);
                s1 = v.fma(FloatVector.broadcast(S, a[a1 + o + t]), s1);
                s2 = v.fma(FloatVector.broadcast(S, a[a2 + o + t]), s2);
                s3 = v.fma(FloatVector.broadcast(S, a[a3 + o + t]), s3);
                s4 = v.fma(FloatVector.broadcast(S, a[a4 + o + t]), s4);
                s5 = v.fma(FloatVector.broadcast(S, a[a5 + o + t]), s5);
                s6 = v.fma(FloatVector.broadcast(S, a[a6 + o + t]), s6);
                s7 = v.fma(FloatVector.broadcast(S, a[a7 + o + t]), s7);
            }
            wb += len * L;
        }
        if (masked) {
            s0.max(vlo).min(vhi).intoArray(c, c0, tail);
        } else {
            s0.max(vlo).min(vhi).intoArray(c, c0);
        }
        if (masked) {
            s1.max(vlo).min(vhi).intoArray(c, c0 + ldc, tail);
        } else {
            s1.max(vlo).min(vhi).intoArray(c, c0 + ldc);
        }
        if (masked) {
            s2.max(vlo).min(vhi).intoArray(c, c0 + 2 * ldc, tail);
        } else {
            s2.max(vlo).min(vhi).intoArray(c, c0 + 2 * ldc);
        }
        if (masked) {
            s3.max(vlo).min(vhi).intoArray(c, c0 + 3 * ldc, tail);
        } else {
            s3.max(vlo).min(vhi).intoArray(c, c0 + 3 * ldc);
        }
        if (masked) {
            s4.max(vlo).min(vhi).intoArray(c, c0 + 4 * ldc, tail);
        } else {
            s4.max(vlo).min(vhi).intoArray(c, c0 + 4 * ldc);
        }
        if (masked) {
            s5.max(vlo).min(vhi).intoArray(c, c0 + 5 * ldc, tail);
        } else {
            s5.max(vlo).min(vhi).intoArray(c, c0 + 5 * ldc);
        }
        if (masked) {
            s6.max(vlo).min(vhi).intoArray(c, c0 + 6 * ldc, tail);
        } else {
            s6.max(vlo).min(vhi).intoArray(c, c0 + 6 * ldc);
        }
        if (masked) {
            s7.max(vlo).min(vhi).intoArray(c, c0 + 7 * ldc, tail);
        } else {
            s7.max(vlo).min(vhi).intoArray(c, c0 + 7 * ldc);
        }
    }

    private void kernel4(
            float[] a,
            int a0,
            int lda,
            int[] segments,
            int segLength,
            int b,
            float[] c,
            int c0,
            int ldc,
            int ch,
            float lo,
            float hi,
            boolean masked) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        float[] w = packed;
        FloatVector start = FloatVector.fromArray(S, bias, ch);
        FloatVector s0 = start, s1 = start, s2 = start, s3 = start;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int len = segLength;
        int wb = b;
        for (int o : segments) {
            for (int t = 0; t < len; t++) {
                FloatVector v = FloatVector.fromArray(S, w, wb + t * L);
                s0 = v.fma(FloatVector.broadcast(S, a[a0 + o + t]), s0);
                s1 = v.fma(FloatVector.broadcast(S, a[a1 + o + t]), s1);
                s2 = v.fma(FloatVector.broadcast(S, a[a2 + o + t]), s2);
                s3 = v.fma(FloatVector.broadcast(S, a[a3 + o + t]), s3);
            }
            wb += len * L;
        }
        if (masked) {
            s0.max(vlo).min(vhi).intoArray(c, c0, tail);
        } else {
            s0.max(vlo).min(vhi).intoArray(c, c0);
        }
        if (masked) {
            s1.max(vlo).min(vhi).intoArray(c, c0 + ldc, tail);
        } else {
            s1.max(vlo).min(vhi).intoArray(c, c0 + ldc);
        }
        if (masked) {
            s2.max(vlo).min(vhi).intoArray(c, c0 + 2 * ldc, tail);
        } else {
            s2.max(vlo).min(vhi).intoArray(c, c0 + 2 * ldc);
        }
        if (masked) {
            s3.max(vlo).min(vhi).intoArray(c, c0 + 3 * ldc, tail);
        } else {
            s3.max(vlo).min(vhi).intoArray(c, c0 + 3 * ldc);
        }
    }

    /** One row against panels p .. p+3 (k's 4 vectors are 4 independent FMA chains): the GEMV shape. */
    private void kernel1x4(
            float[] a,
            int a0,
            int[] segments,
            int segLength,
            int b,
            float[] c,
            int c0,
            int ch,
            float lo,
            float hi,
            boolean masked) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        float[] w = packed;
        int panel = k * L;
        FloatVector s0 = FloatVector.fromArray(S, bias, ch);
        FloatVector s1 = FloatVector.fromArray(S, bias, ch + L);
        FloatVector s2 = FloatVector.fromArray(S, bias, ch + 2 * L);
        FloatVector s3 = FloatVector.fromArray(S, bias, ch + 3 * L);
        int len = segLength;
        int wb = b;
        for (int o : segments) {
            for (int t = 0; t < len; t++) {
                FloatVector x = FloatVector.broadcast(S, a[a0 + o + t]);
                int wt = wb + t * L;
                s0 = FloatVector.fromArray(S, w, wt).fma(x, s0);
                s1 = FloatVector.fromArray(S, w, wt + panel).fma(x, s1);
                s2 = FloatVector.fromArray(S, w, wt + 2 * panel).fma(x, s2);
                s3 = FloatVector.fromArray(S, w, wt + 3 * panel).fma(x, s3);
            }
            wb += len * L;
        }
        s0.max(vlo).min(vhi).intoArray(c, c0);
        s1.max(vlo).min(vhi).intoArray(c, c0 + L);
        s2.max(vlo).min(vhi).intoArray(c, c0 + 2 * L);
        if (masked) {
            s3.max(vlo).min(vhi).intoArray(c, c0 + 3 * L, tail);
        } else {
            s3.max(vlo).min(vhi).intoArray(c, c0 + 3 * L);
        }
    }

    private void kernel1(
            float[] a,
            int a0,
            int[] segments,
            int segLength,
            int b,
            float[] c,
            int c0,
            int ch,
            float lo,
            float hi,
            boolean masked) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        float[] w = packed;
        FloatVector s0 = FloatVector.fromArray(S, bias, ch);
        int len = segLength;
        int wb = b;
        for (int o : segments) {
            for (int t = 0; t < len; t++) {
                s0 = FloatVector.fromArray(S, w, wb + t * L).fma(FloatVector.broadcast(S, a[a0 + o + t]), s0);
            }
            wb += len * L;
        }
        if (masked) {
            s0.max(vlo).min(vhi).intoArray(c, c0, tail);
        } else {
            s0.max(vlo).min(vhi).intoArray(c, c0);
        }
    }
}
