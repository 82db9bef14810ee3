package dev.quanta.kernels;

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
 * packed into panels of {@link #PANEL} output channels (2 vectors of L lanes), each stored as [K][width]; the last
 * panel is L wide when at most L channels remain, and its channels past N are zero. The micro-kernel keeps
 * {@link #MR} rows × 2 vectors of accumulators in registers, broadcasts one A value per row and k, and applies the
 * bias (as the accumulators' start) and the clamp in its epilogue; the last vector of the last panel is stored
 * under a mask. A C[i, j] of a 6-row tile sums bias then k = 0..K−1 in order; a single-row tile (the M tail,
 * GEMV) sums even and odd k apart to hide the FMA latency, so results differ from the scalar order by float
 * reassociation only.
 *
 * <p>Only loaded when {@link Simd#enabled()}. Immutable after construction; safe to share between threads.
 */
final class FloatGemm {
    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    /** Lanes per vector. */
    static final int L = S.length();
    /** Rows per micro-kernel call. */
    static final int MR = 6;
    /** Output channels per full panel: 2 vectors. */
    static final int PANEL = 2 * L;

    private final int n;
    private final int k;
    private final int panels;
    /** Panel p starts at p·PANEL·K; within it, k's row of {@code width(p)} channels at k·width. */
    private final float[] packed;
    /** The bias padded with zeros to the panels' total width. */
    private final float[] bias;
    /** Where the last panel's stores stop: masks of its first and second vector. */
    private final VectorMask<Float> tail0;

    private final VectorMask<Float> tail1;
    private final boolean lastFull;

    /**
     * @param weights [n][k], row j holding output channel j's k weights
     * @param bias [n] or null (zeros)
     */
    FloatGemm(float[] weights, float[] bias, int n, int k) {
        this.n = n;
        this.k = k;
        this.panels = (n + PANEL - 1) / PANEL;
        int padded = (panels - 1) * PANEL + width(panels - 1);
        this.packed = PackedWeights.get(weights, "float-gemm-" + L + "-" + n + "x" + k, () -> pack(weights, n, k));
        this.bias = new float[padded];
        if (bias != null) {
            System.arraycopy(bias, 0, this.bias, 0, n);
        }
        int lastStart = (panels - 1) * PANEL;
        this.tail0 = S.indexInRange(lastStart, n);
        this.tail1 = S.indexInRange(lastStart + L, n);
        this.lastFull = lastStart + width(panels - 1) == n;
    }

    /** Number of panels of output channels. */
    int panels() {
        return panels;
    }

    /** Width in channels of panel {@code p}: {@link #PANEL}, or L for a last panel with at most L channels. */
    private int width(int p) {
        return n - p * PANEL <= L ? L : PANEL;
    }

    private static float[] pack(float[] w, int n, int k) {
        int panels = (n + PANEL - 1) / PANEL;
        float[] p = new float[panels * PANEL * k];
        for (int panel = 0; panel < panels; panel++) {
            int start = panel * PANEL;
            int width = n - start <= L ? L : PANEL;
            int base = start * k;
            for (int j = 0; j < width && start + j < n; j++) {
                int src = (start + j) * k;
                for (int kk = 0; kk < k; kk++) {
                    p[base + kk * width + j] = w[src + kk];
                }
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
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        for (int p = p0; p < p1; p++) {
            int ch = p * PANEL;
            int b = ch * k;
            boolean last = p == panels - 1;
            boolean masked = last && !lastFull;
            int i = 0;
            if (width(p) == PANEL) {
                for (; i + MR <= m; i += MR) {
                    kernel6x2(a, aOff + i * lda, lda, b, c, cOff + i * ldc + ch, ldc, ch, vlo, vhi, masked);
                }
                for (; i < m; i++) {
                    kernel1x2(a, aOff + i * lda, b, c, cOff + i * ldc + ch, ch, vlo, vhi, masked);
                }
            } else {
                for (; i + MR <= m; i += MR) {
                    kernel6x1(a, aOff + i * lda, lda, b, c, cOff + i * ldc + ch, ldc, ch, vlo, vhi, masked);
                }
                for (; i < m; i++) {
                    kernel1x1(a, aOff + i * lda, b, c, cOff + i * ldc + ch, ch, vlo, vhi, masked);
                }
            }
        }
    }

    private void kernel6x2(
            float[] a,
            int a0,
            int lda,
            int b,
            float[] c,
            int c0,
            int ldc,
            int ch,
            FloatVector lo,
            FloatVector hi,
            boolean masked) {
        float[] w = packed;
        FloatVector bias0 = FloatVector.fromArray(S, bias, ch);
        FloatVector bias1 = FloatVector.fromArray(S, bias, ch + L);
        FloatVector c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
        FloatVector c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        int kk = k;
        for (int t = 0; t < kk; t++) {
            int wb = b + t * PANEL;
            FloatVector w0 = FloatVector.fromArray(S, w, wb);
            FloatVector w1 = FloatVector.fromArray(S, w, wb + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + t]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[a1 + t]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[a2 + t]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[a3 + t]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[a4 + t]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(S, a[a5 + t]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
        }
        store2(c00, c01, c, c0, lo, hi, masked);
        store2(c10, c11, c, c0 + ldc, lo, hi, masked);
        store2(c20, c21, c, c0 + 2 * ldc, lo, hi, masked);
        store2(c30, c31, c, c0 + 3 * ldc, lo, hi, masked);
        store2(c40, c41, c, c0 + 4 * ldc, lo, hi, masked);
        store2(c50, c51, c, c0 + 5 * ldc, lo, hi, masked);
    }

    private void kernel1x2(
            float[] a, int a0, int b, float[] c, int c0, int ch, FloatVector lo, FloatVector hi, boolean masked) {
        float[] w = packed;
        FloatVector c00 = FloatVector.fromArray(S, bias, ch);
        FloatVector c01 = FloatVector.fromArray(S, bias, ch + L);
        // two partial sums per vector over even and odd k hide the FMA latency of this thin (GEMV-like) tile
        FloatVector d00 = FloatVector.zero(S);
        FloatVector d01 = FloatVector.zero(S);
        int kk = k;
        int t = 0;
        for (; t + 2 <= kk; t += 2) {
            int wb = b + t * PANEL;
            FloatVector x = FloatVector.broadcast(S, a[a0 + t]);
            c00 = FloatVector.fromArray(S, w, wb).fma(x, c00);
            c01 = FloatVector.fromArray(S, w, wb + L).fma(x, c01);
            FloatVector y = FloatVector.broadcast(S, a[a0 + t + 1]);
            d00 = FloatVector.fromArray(S, w, wb + PANEL).fma(y, d00);
            d01 = FloatVector.fromArray(S, w, wb + PANEL + L).fma(y, d01);
        }
        if (t < kk) {
            int wb = b + t * PANEL;
            FloatVector x = FloatVector.broadcast(S, a[a0 + t]);
            c00 = FloatVector.fromArray(S, w, wb).fma(x, c00);
            c01 = FloatVector.fromArray(S, w, wb + L).fma(x, c01);
        }
        store2(c00.add(d00), c01.add(d01), c, c0, lo, hi, masked);
    }

    private void kernel6x1(
            float[] a,
            int a0,
            int lda,
            int b,
            float[] c,
            int c0,
            int ldc,
            int ch,
            FloatVector lo,
            FloatVector hi,
            boolean masked) {
        float[] w = packed;
        FloatVector bias0 = FloatVector.fromArray(S, bias, ch);
        FloatVector c0v = bias0, c1v = bias0, c2v = bias0, c3v = bias0, c4v = bias0, c5v = bias0;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        int kk = k;
        for (int t = 0; t < kk; t++) {
            FloatVector w0 = FloatVector.fromArray(S, w, b + t * L);
            c0v = w0.fma(FloatVector.broadcast(S, a[a0 + t]), c0v);
            c1v = w0.fma(FloatVector.broadcast(S, a[a1 + t]), c1v);
            c2v = w0.fma(FloatVector.broadcast(S, a[a2 + t]), c2v);
            c3v = w0.fma(FloatVector.broadcast(S, a[a3 + t]), c3v);
            c4v = w0.fma(FloatVector.broadcast(S, a[a4 + t]), c4v);
            c5v = w0.fma(FloatVector.broadcast(S, a[a5 + t]), c5v);
        }
        store1(c0v, c, c0, lo, hi, masked);
        store1(c1v, c, c0 + ldc, lo, hi, masked);
        store1(c2v, c, c0 + 2 * ldc, lo, hi, masked);
        store1(c3v, c, c0 + 3 * ldc, lo, hi, masked);
        store1(c4v, c, c0 + 4 * ldc, lo, hi, masked);
        store1(c5v, c, c0 + 5 * ldc, lo, hi, masked);
    }

    private void kernel1x1(
            float[] a, int a0, int b, float[] c, int c0, int ch, FloatVector lo, FloatVector hi, boolean masked) {
        float[] w = packed;
        FloatVector c0v = FloatVector.fromArray(S, bias, ch);
        FloatVector d0v = FloatVector.zero(S);
        int kk = k;
        int t = 0;
        for (; t + 2 <= kk; t += 2) {
            c0v = FloatVector.fromArray(S, w, b + t * L).fma(FloatVector.broadcast(S, a[a0 + t]), c0v);
            d0v = FloatVector.fromArray(S, w, b + (t + 1) * L).fma(FloatVector.broadcast(S, a[a0 + t + 1]), d0v);
        }
        if (t < kk) {
            c0v = FloatVector.fromArray(S, w, b + t * L).fma(FloatVector.broadcast(S, a[a0 + t]), c0v);
        }
        store1(c0v.add(d0v), c, c0, lo, hi, masked);
    }

    private void store2(
            FloatVector v0, FloatVector v1, float[] c, int off, FloatVector lo, FloatVector hi, boolean masked) {
        v0 = v0.max(lo).min(hi);
        v1 = v1.max(lo).min(hi);
        if (masked) {
            v0.intoArray(c, off, tail0);
            v1.intoArray(c, off + L, tail1);
        } else {
            v0.intoArray(c, off);
            v1.intoArray(c, off + L);
        }
    }

    private void store1(FloatVector v, float[] c, int off, FloatVector lo, FloatVector hi, boolean masked) {
        v = v.max(lo).min(hi);
        if (masked) {
            v.intoArray(c, off, tail0);
        } else {
            v.intoArray(c, off);
        }
    }
}
