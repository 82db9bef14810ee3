package dev.quanta.kernels;

import dev.quanta.ir.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit GEMM of CONV_2D and FULLY_CONNECTED on float FMAs, with the scalar kernels' exact int32 accumulators:
 *
 * <pre>
 * acc[m, o] = bias[o] + Σ_k A[m, k] · W[o, k]       A = x − zp_x, W = w − zp_w[o], integers of at most 255
 * y[m, o]   = requantize(acc[m, o], o)             fused activation as its clamp
 * </pre>
 *
 * Every product {@code A·W} is an integer of magnitude at most {@code P = max|A| · max|W|}, and float32 holds
 * every integer up to 2^24 exactly. So the K taps are summed in chunks of {@code L = ⌊2^24 / P⌋}: within a chunk
 * every partial sum (in any order) is an integer of magnitude at most {@code L·P ≤ 2^24}, so each FMA is exact;
 * each chunk's float sum is converted to int (exact) and added to the int32 accumulator, in the wrapping int
 * arithmetic of the scalar kernel.
 *
 * <p>The weights are packed once as float panels {@code [N/NR][K][NR]} of NR = two vectors of output channels
 * (the last panel padded with 0); a micro-kernel keeps MR = 4 rows × NR channels of float sums in registers, reads
 * one panel row and broadcasts one A value per row and tap. The epilogue adds the bias and requantizes: XNNPACK's
 * FP32 rounding in vectors ({@link SimdRequantizer}), the built-in path's fixed-point modes per value with
 * {@link Requantizer#apply(int, int)}. Immutable after construction; callers pass per-thread scratch.
 */
final class Int8Gemm {
    private static final VectorSpecies<Float> F = SimdSpecies.FLOAT;
    private static final VectorSpecies<Integer> I = SimdSpecies.INT;
    /** Float lanes per vector. */
    static final int V = F.length();
    /** Output channels per panel: two vectors. */
    static final int NR = 2 * V;
    /** Rows of the micro-kernel's register tile. */
    static final int MR = 4;

    private static final int EXACT = 1 << 24;

    /** Taps per output (the reduction length). */
    final int k;
    /** Output channels. */
    final int n;
    /** Channel panels: ⌈n / NR⌉. */
    final int panels;
    /** Taps per exact float chunk, L. */
    final int chunk;

    private final float[] w;
    /** Bias per channel, padded with 0 to panels·NR. */
    private final int[] bias;

    private final Requantizer rq;
    /** The vector requantizer when {@link #rq} rounds as XNNPACK (FP32), else null. */
    private final SimdRequantizer fp32;

    private final DType outType;

    /**
     * @param weights centred weights, [n][k] (the IR layout of CONV_2D's [O][kh][kw][C] and FULLY_CONNECTED's
     *     [N][K]); shared, not written
     * @param maxAbsInput the largest |x − zp_x| the input type allows
     */
    Int8Gemm(int[] weights, int k, int n, int[] biasInt, Requantizer rq, DType outType, int maxAbsInput) {
        this.k = k;
        this.n = n;
        this.panels = (n + NR - 1) / NR;
        this.rq = rq;
        this.fp32 = SimdRequantizer.supports(rq) ? new SimdRequantizer(rq) : null;
        this.outType = outType;
        this.bias = new int[panels * NR];
        System.arraycopy(biasInt, 0, bias, 0, n);
        int maxW = 0;
        for (int v : weights) {
            maxW = Math.max(maxW, Math.abs(v));
        }
        this.chunk = chunkLength(k, maxAbsInput, maxW);
        int np = panels;
        this.w = PackedWeights.get(weights, "int8-gemm-float[N/" + NR + "][K][" + NR + "]", () -> {
            float[] v = new float[np * k * NR];
            for (int o = 0; o < n; o++) {
                int base = (o / NR) * k * NR + o % NR;
                for (int i = 0; i < k; i++) {
                    v[base + i * NR] = weights[o * k + i];
                }
            }
            return v;
        });
    }

    /**
     * L: the most taps whose products, each of magnitude at most {@code maxX · maxW}, sum to at most 2^24 (at least
     * 1, and all {@code k} when the products are all 0).
     */
    static int chunkLength(int k, int maxX, int maxW) {
        long p = (long) maxX * maxW;
        if (p == 0) {
            return Math.max(1, k);
        }
        return (int) Math.max(1, Math.min(Math.max(1, k), EXACT / p));
    }

    /** The largest |x − zp| of an 8-bit input type with zero point {@code zp}. */
    static int maxAbsCentred(DType type, int zp) {
        return type == DType.UINT8 ? Math.max(255 - zp, zp) : Math.max(127 - zp, zp + 128);
    }

    /** Ints of per-thread accumulator scratch {@link #rows} needs. */
    static int scratchLength() {
        return MR * NR;
    }

    /**
     * Computes and stores output rows {@code m0 .. m0+count−1}, channel panels {@code [p0, p1)}: A's row i at
     * {@code a[a0 + i·lda ..]} (k values), the output row {@code m0 + i} at {@code y[(m0 + i)·n ..]}.
     */
    void rows(float[] a, int a0, int lda, int count, int m0, int p0, int p1, Object y, int[] acc) {
        int i = 0;
        for (; i + MR <= count; i += MR) {
            int ai = a0 + i * lda;
            for (int p = p0; p < p1; p++) {
                kernel4(a, ai, lda, p, acc);
                for (int r = 0; r < MR; r++) {
                    epilogue(acc, r * NR, p, y, (m0 + i + r) * n);
                }
            }
        }
        for (; i < count; i++) {
            int ai = a0 + i * lda;
            for (int p = p0; p < p1; p++) {
                kernel1(a, ai, p, acc);
                epilogue(acc, 0, p, y, (m0 + i) * n);
            }
        }
    }

    /**
     * The raw sums {@code Σ_k A[m, k] · W[o, k]} ([count][n], no bias, not requantized) of A's rows {@code a[m·k ..]}
     * through the same micro-kernels as {@link #rows}; for tests of the exactness.
     */
    int[] sums(float[] a, int count) {
        int[] out = new int[count * n];
        int[] acc = new int[scratchLength()];
        int i = 0;
        for (; i < count; i += MR) {
            int tile = Math.min(MR, count - i);
            for (int p = 0; p < panels; p++) {
                int width = Math.min(NR, n - p * NR);
                for (int r = 0; r < tile; r++) {
                    if (tile < MR) {
                        kernel1(a, (i + r) * k, p, acc);
                        System.arraycopy(acc, 0, out, (i + r) * n + p * NR, width);
                    } else {
                        if (r == 0) {
                            kernel4(a, i * k, k, p, acc);
                        }
                        System.arraycopy(acc, r * NR, out, (i + r) * n + p * NR, width);
                    }
                }
            }
        }
        return out;
    }

    /** Rows a0, a0+lda, a0+2·lda, a0+3·lda of A against panel p: acc[r·NR + j] = Σ_k A[r, k] · W[p·NR + j, k]. */
    private void kernel4(float[] a, int a0, int lda, int p, int[] acc) {
        float[] w = this.w;
        int wp = p * k * NR;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        for (int k0 = 0; k0 < k; k0 += chunk) {
            int k1 = Math.min(k, k0 + chunk);
            FloatVector c00 = FloatVector.zero(F);
            FloatVector c01 = c00;
            FloatVector c10 = c00;
            FloatVector c11 = c00;
            FloatVector c20 = c00;
            FloatVector c21 = c00;
            FloatVector c30 = c00;
            FloatVector c31 = c00;
            for (int t = k0; t < k1; t++) {
                int wi = wp + t * NR;
                FloatVector w0 = FloatVector.fromArray(F, w, wi);
                FloatVector w1 = FloatVector.fromArray(F, w, wi + V);
                FloatVector b0 = FloatVector.broadcast(F, a[a0 + t]);
                c00 = w0.fma(b0, c00);
                c01 = w1.fma(b0, c01);
                FloatVector b1 = FloatVector.broadcast(F, a[a1 + t]);
                c10 = w0.fma(b1, c10);
                c11 = w1.fma(b1, c11);
                FloatVector b2 = FloatVector.broadcast(F, a[a2 + t]);
                c20 = w0.fma(b2, c20);
                c21 = w1.fma(b2, c21);
                FloatVector b3 = FloatVector.broadcast(F, a[a3 + t]);
                c30 = w0.fma(b3, c30);
                c31 = w1.fma(b3, c31);
            }
            boolean first = k0 == 0;
            add(acc, 0, c00, first);
            add(acc, V, c01, first);
            add(acc, NR, c10, first);
            add(acc, NR + V, c11, first);
            add(acc, 2 * NR, c20, first);
            add(acc, 2 * NR + V, c21, first);
            add(acc, 3 * NR, c30, first);
            add(acc, 3 * NR + V, c31, first);
        }
    }

    /**
     * One row of A against panel p: acc[j] = Σ_k A[k] · W[p·NR + j, k], with two sets of float sums over even and
     * odd taps (both within one exact chunk, so their sum is exact too).
     */
    private void kernel1(float[] a, int a0, int p, int[] acc) {
        float[] w = this.w;
        int wp = p * k * NR;
        for (int k0 = 0; k0 < k; k0 += chunk) {
            int k1 = Math.min(k, k0 + chunk);
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = c0;
            FloatVector d0 = c0;
            FloatVector d1 = c0;
            int t = k0;
            for (; t + 2 <= k1; t += 2) {
                int wi = wp + t * NR;
                FloatVector b = FloatVector.broadcast(F, a[a0 + t]);
                c0 = FloatVector.fromArray(F, w, wi).fma(b, c0);
                c1 = FloatVector.fromArray(F, w, wi + V).fma(b, c1);
                FloatVector e = FloatVector.broadcast(F, a[a0 + t + 1]);
                d0 = FloatVector.fromArray(F, w, wi + NR).fma(e, d0);
                d1 = FloatVector.fromArray(F, w, wi + NR + V).fma(e, d1);
            }
            if (t < k1) {
                int wi = wp + t * NR;
                FloatVector b = FloatVector.broadcast(F, a[a0 + t]);
                c0 = FloatVector.fromArray(F, w, wi).fma(b, c0);
                c1 = FloatVector.fromArray(F, w, wi + V).fma(b, c1);
            }
            boolean first = k0 == 0;
            add(acc, 0, c0.add(d0), first);
            add(acc, V, c1.add(d1), first);
        }
    }

    /** acc[at ..] (+)= the chunk's float sums as ints (exact: they are integers of magnitude at most 2^24). */
    private static void add(int[] acc, int at, FloatVector sums, boolean first) {
        IntVector s = (IntVector) sums.convert(VectorOperators.F2I, 0);
        if (!first) {
            s = s.add(IntVector.fromArray(I, acc, at));
        }
        s.intoArray(acc, at);
    }

    /** Bias, requantization and store of panel p's channels from {@code acc[r ..]} into the output at {@code out}. */
    private void epilogue(int[] acc, int r, int p, Object y, int out) {
        int c0 = p * NR;
        int c = c0;
        if (fp32 != null) {
            // whole vectors of channels in vectors; a partial one below, per value (the same values: SimdRequantizer
            // is bit-exact with Requantizer.apply), as masked stores allocate
            byte[] yb = (byte[]) y;
            for (; c + V <= n && c < c0 + NR; c += V) {
                IntVector s = IntVector.fromArray(I, acc, r + c - c0).add(IntVector.fromArray(I, bias, c));
                fp32.store(s, c, yb, out + c);
            }
        }
        int end = Math.min(n, c0 + NR);
        for (; c < end; c++) {
            Quant.set(y, outType, out + c, rq.apply(bias[c] + acc[r + c - c0], c));
        }
    }
}
