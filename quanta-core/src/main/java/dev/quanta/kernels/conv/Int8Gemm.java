package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.kernels.SimdSpecies;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;
import dev.quanta.kernels.arithmetic.SimdFixedPointRequantizer;
import dev.quanta.kernels.arithmetic.SimdRequantizer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 * <p>The weights are packed once as float panels of output channels, each {@code [K][width]} (padded with 0 past
 * n). Below 512 bits every panel has one width: two vectors, or one when the layer has at most one vector of
 * channels. At 512 bits the channels fill panels of two vectors and the rest goes into one panel of two vectors (more
 * than 1.5 vectors left), or one of one vector and one of half a vector (256 bits: two 256-bit FMAs issue in the time
 * of one 512-bit one on AMD's double-pumped AVX-512), or one of either: 40 channels are 32 + 8, not 32 + 32 with 24 of
 * padding. A micro-kernel keeps MR rows × a panel's channels of float sums in registers, reads one panel row and
 * broadcasts one A value per row and tap: MR = 8 (at 512 bits 8 × two vectors, 16 of AVX-512's 32 registers: per
 * tap 2 weight loads and 8 broadcasts feed 16 FMAs; on IC-large's 40/80/160-channel 3×3 layers 0.70–0.83x the time
 * of 4 × two vectors, which loaded a weight vector per 4 FMAs and streamed the panels from L2), except MR = 4 for
 * two-vector panels below 512 bits (16 registers; the narrower panels of such a layer keep two sets of sums, over
 * even and odd taps, so 8 chains of FMAs hide the latency). A micro-kernel must not keep vectors live across a call
 * that is not inlined: C2 then boxes every FMA's result (25x slower), so {@link #kernel8x2} stores its sums before
 * calling its epilogue. The epilogue adds the bias and requantizes: XNNPACK's FP32 rounding straight from the registers at the end of a
 * tile's micro-kernel when K is one exact chunk whose sums may start at the bias ({@link #foldBias}) and the panel's
 * channels are all real (the formula of {@link SimdRequantizer}, written out per row in the kernel: vectors passed
 * to a helper that is not inlined would be boxed), else from the int scratch (several chunks, partial panels, single
 * rows); the built-in path's double roundings in vectors through
 * {@link SimdFixedPointRequantizer} (whole vectors of channels at 256 bits or more), other fixed-point modes and
 * partial vectors per value with {@link Requantizer#apply(int, int)}.
 *
 * <p>A is never materialised: row m of A is read from a float array as {@code segments} runs of {@code segLen}
 * consecutive values, run s at {@code a[base[m] + segOffset[s] ..]}, the runs in tap order. A convolution over a
 * zero-padded centred input has one run per window row (kw·C values, or C per tap when dilated across), a fully
 * connected layer or pointwise convolution one run of K. The runs, cut at the chunk boundaries, are the kernel's
 * "pieces". Immutable after construction; callers pass per-thread scratch.
 */
final class Int8Gemm {
    private static final VectorSpecies<Float> F = SimdSpecies.FLOAT;
    private static final VectorSpecies<Integer> I = SimdSpecies.INT;
    /** Float lanes per vector. */
    static final int V = F.length();
    /** The most rows × channels of one register tile: 8 × two vectors. */
    private static final int TILE = 16 * V;
    /**
     * True at 512 bits: a layer's channels are cut into panels of two vectors with the rest in narrower panels (one
     * vector, half a vector), so little of a panel is padding (40 channels: 32 + 8, not 32 + 32).
     */
    private static final boolean WIDE = V >= 16;
    /** Half-width vectors (8 lanes) for layers of at most 8 channels; null below 512 bits. */
    private static final VectorSpecies<Float> H = V >= 16 ? FloatVector.SPECIES_256 : null;

    private static final VectorSpecies<Integer> HI = V >= 16 ? IntVector.SPECIES_256 : null;
    private static final VectorSpecies<Byte> HB = V >= 16 ? ByteVector.SPECIES_64 : null;
    /** Lanes of {@link #H} (0 when there is none). */
    static final int HV = H == null ? 0 : H.length();

    private static final int EXACT = 1 << 24;
    /** Bytes of one int vector's lanes (a quarter of the width; null at 128 bits, which has no 32-bit shape). */
    private static final VectorSpecies<Byte> BYTES =
            V < 8 ? null : ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(V * 8));

    /** Taps per output (the reduction length). */
    final int k;
    /** Output channels. */
    final int n;
    /**
     * Output channels per panel, NR (of the first panel; at 512 bits the last one or two may be narrower): two
     * vectors, one for at most one vector of channels, HV for at most HV.
     */
    final int nr;
    /** True when the panels are half-width vectors ({@link #HV} channels). */
    final boolean half;
    /** Rows of the micro-kernel's register tile, MR: 8, or 4 when a panel is two vectors wide below 512 bits. */
    final int mr;
    /** Channel panels. */
    final int panels;
    /** First channel and width (2V, V or HV channels, the last panel padded past n) of each panel. */
    private final int[] panelStart;

    private final int[] panelWidth;
    /** Taps per exact float chunk, L. */
    final int chunk;

    private final float[] w;
    /** Bias per channel, padded with 0 to the panels' end. */
    private final int[] bias;
    /** The bias as floats (exact when {@link #foldBias}). */
    private final float[] biasFloat;
    /**
     * True when the FP32 tile kernels start their sums at the bias instead of adding it to the int accumulator: K is
     * one exact chunk and {@code max|bias| + K·P ≤ 2^24}, so every partial sum from the bias on is an exact float
     * integer and the last one is {@code float(acc)} itself.
     */
    final boolean foldBias;

    private final Requantizer rq;
    /** True when {@link #rq} rounds as XNNPACK (FP32) and the vector form below applies. */
    private final boolean fp32;

    /** True when the FP32 requantization runs in vectors (256 bits or more), else per value. */
    boolean vectorFp32() {
        return fp32;
    }
    /** FP32 requantization: per channel scales (padded with 0), zero point, clamp bounds minus the zero point. */
    private final float[] scales;

    /** The vector fixed-point requantization of the double roundings, or null (per value). */
    private final SimdFixedPointRequantizer fixed;

    private final int zeroPoint;
    private final float lo;
    private final float hi;

    private final DType outType;

    /** Pieces of a row: offset in A (relative to the row's base), first tap, length, end of a chunk after it. */
    private final int[] pieceOffset;

    private final int[] pieceTap;
    private final int[] pieceLength;
    private final boolean[] pieceFlush;

    /**
     * @param weights centred weights, [n][k] (the IR layout of CONV_2D's [O][kh][kw][C] and FULLY_CONNECTED's
     *     [N][K]); shared, not written
     * @param maxAbsInput the largest |x − zp_x| the input type allows
     * @param segOffsets where each run of a row's taps starts, relative to the row's base (runs in tap order)
     * @param segLen the taps of each run; runs × segLen = k
     * @param narrowPanels whether the last channels may go into narrower panels ({@link #panelWidths}); false keeps
     *     one width, for GEMMs of a row or two (a fully connected layer), whose narrow-panel kernel would run once
     *     an inference: too rarely for C2 to compile it, so it would run interpreted, boxing every vector
     */
    Int8Gemm(
            int[] weights,
            int k,
            int n,
            int[] biasInt,
            Requantizer rq,
            DType outType,
            int maxAbsInput,
            int[] segOffsets,
            int segLen,
            boolean narrowPanels) {
        if (segOffsets.length * segLen != k) {
            throw new IllegalArgumentException(segOffsets.length + " runs of " + segLen + " taps for K = " + k);
        }
        this.k = k;
        this.n = n;
        this.half = HV > 0 && n <= HV;
        this.panelWidth = narrowPanels ? panelWidths(n) : uniformWidths(n);
        this.panels = panelWidth.length;
        this.panelStart = new int[panels + 1];
        for (int p = 0; p < panels; p++) {
            panelStart[p + 1] = panelStart[p] + panelWidth[p];
        }
        this.nr = panelWidth[0];
        // 8-row tiles, except for two-vector panels below 512 bits: 8 × two vectors is 16 accumulators, which fit
        // AVX-512's 32 registers but not AVX2's 16
        this.mr = WIDE || java.util.Arrays.stream(panelWidth).noneMatch(w -> w == 2 * V) ? 8 : 4;
        int padded = panelStart[panels];
        this.rq = rq;
        // the vector FP32 requantization narrows through a byte vector of a quarter of the width: 256 bits or more
        this.fp32 = V >= 8 && rq.mode() == Requantizer.Rounding.FP32;
        this.outType = outType;
        this.fixed =
                V >= 8 && SimdFixedPointRequantizer.supports(rq) && (outType == DType.INT8 || outType == DType.UINT8)
                        ? new SimdFixedPointRequantizer(rq)
                        : null;
        this.bias = new int[padded];
        System.arraycopy(biasInt, 0, bias, 0, n);
        this.scales = new float[padded];
        for (int c = 0; c < n; c++) {
            scales[c] = rq.scale(c);
        }
        this.zeroPoint = rq.zeroPoint();
        this.lo = rq.lo - zeroPoint;
        this.hi = rq.hi - zeroPoint;
        int maxW = 0;
        for (int v : weights) {
            maxW = Math.max(maxW, Math.abs(v));
        }
        this.chunk = chunkLength(k, maxAbsInput, maxW);
        long maxBias = 0;
        for (int v : biasInt) {
            maxBias = Math.max(maxBias, Math.abs((long) v));
        }
        this.foldBias = fp32 && chunk >= k && maxBias + (long) k * maxAbsInput * maxW <= EXACT;
        this.biasFloat = new float[padded];
        for (int c = 0; c < n; c++) {
            biasFloat[c] = bias[c];
        }
        int[] start = panelStart;
        int[] width = panelWidth;
        String layout = "int8-gemm-float panels " + java.util.Arrays.toString(width) + " of [K][width]";
        this.w = PackedWeights.get(weights, layout, () -> {
            float[] v = new float[padded * k];
            for (int p = 0; p < width.length; p++) {
                for (int o = start[p]; o < Math.min(n, start[p + 1]); o++) {
                    int base = start[p] * k + o - start[p];
                    for (int i = 0; i < k; i++) {
                        v[base + i * width[p]] = weights[o * k + i];
                    }
                }
            }
            return v;
        });
        // the runs cut at every multiple of the chunk length
        int count = 0;
        int[] off = new int[segOffsets.length + k / chunk + 2];
        int[] tap = new int[off.length];
        int[] len = new int[off.length];
        boolean[] flush = new boolean[off.length];
        for (int sgm = 0; sgm < segOffsets.length; sgm++) {
            int t = sgm * segLen;
            int end = t + segLen;
            while (t < end) {
                int chunkEnd = (t / chunk + 1) * chunk;
                int e = Math.min(end, chunkEnd);
                off[count] = segOffsets[sgm] + t - sgm * segLen;
                tap[count] = t;
                len[count] = e - t;
                flush[count] = e == chunkEnd || e == k;
                count++;
                t = e;
            }
        }
        this.pieceOffset = java.util.Arrays.copyOf(off, count);
        this.pieceTap = java.util.Arrays.copyOf(tap, count);
        this.pieceLength = java.util.Arrays.copyOf(len, count);
        this.pieceFlush = java.util.Arrays.copyOf(flush, count);
    }

    /**
     * The panels' widths for n channels: at 512 bits as many of two vectors as fit, then the rest in one panel of two
     * vectors (more than V + HV left), one vector and half a vector (more than V), one vector (more than HV) or half
     * a vector; below 512 bits panels of one vector (n ≤ V) or two.
     */
    static int[] panelWidths(int n) {
        if (!WIDE) {
            return uniformWidths(n);
        }
        int full = n / (2 * V);
        int r = n - full * 2 * V;
        int[] tail = r == 0
                ? new int[0]
                : r > V + HV ? new int[] {2 * V} : r > V ? new int[] {V, HV} : r > HV ? new int[] {V} : new int[] {HV};
        int[] widths = new int[full + tail.length];
        java.util.Arrays.fill(widths, 0, full, 2 * V);
        System.arraycopy(tail, 0, widths, full, tail.length);
        return widths;
    }

    /** Panels of one width for n channels: HV (at most HV channels), V (at most V), else two vectors. */
    static int[] uniformWidths(int n) {
        int w = HV > 0 && n <= HV ? HV : n <= V ? V : 2 * V;
        int[] widths = new int[(n + w - 1) / w];
        java.util.Arrays.fill(widths, w);
        return widths;
    }

    /** The first channel of panel p. */
    int panelStart(int p) {
        return panelStart[p];
    }

    /** The channels of panel p (its packed width; the last panel may reach past n). */
    int panelWidth(int p) {
        return panelWidth[p];
    }

    /**
     * A GEMM whose rows are contiguous runs of k values (fully connected layers, pointwise convolutions), with
     * narrower last panels or not ({@code narrowPanels}, see the main constructor).
     */
    Int8Gemm(
            int[] weights,
            int k,
            int n,
            int[] biasInt,
            Requantizer rq,
            DType outType,
            int maxAbsInput,
            boolean narrowPanels) {
        this(weights, k, n, biasInt, rq, outType, maxAbsInput, new int[] {0}, k, narrowPanels);
    }

    /** A GEMM whose rows are contiguous runs of k values (fully connected layers, pointwise convolutions). */
    Int8Gemm(int[] weights, int k, int n, int[] biasInt, Requantizer rq, DType outType, int maxAbsInput) {
        this(weights, k, n, biasInt, rq, outType, maxAbsInput, new int[] {0}, k, true);
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

    /** Ints of per-thread scratch {@link #rows} needs: a tile's int accumulators, then its float sums as bits. */
    static int scratchLength() {
        return 2 * TILE;
    }

    /** Epilogue of a tile's micro-kernel: the raw sums into the scratch ({@link #rows} requantizes them). */
    private static final int RAW = 0;
    /**
     * Epilogue of a tile's micro-kernel: XNNPACK's FP32 requantization straight from the registers (the sums, which
     * started at the bias, are {@code float(acc)}), as bytes.
     */
    private static final int FP32 = 1;

    /**
     * How panel p's tile micro-kernel ends: {@link #FP32} when the rounding is XNNPACK's, the sums start at the bias
     * ({@link #foldBias}) and the panel's channels are all real, else {@link #RAW}.
     */
    private int epilogueMode(int p) {
        return foldBias && panelStart[p + 1] <= n ? FP32 : RAW;
    }

    /**
     * Computes and stores output rows {@code m0 .. m0+count−1}, channel panels {@code [p0, p1)}: A's row i based at
     * {@code a[base[b0 + i]]} (see the class comment), the output row {@code m0 + i} at {@code y[(m0 + i)·n ..]}.
     */
    void rows(float[] a, int[] base, int b0, int count, int m0, int p0, int p1, Object y, int[] acc) {
        int i = 0;
        for (; i + mr <= count; i += mr) {
            int out = (m0 + i) * n;
            for (int p = p0; p < p1; p++) {
                int e = epilogueMode(p);
                byte[] bytes = e == RAW ? null : (byte[]) y;
                int width = panelWidth[p];
                tile(a, base, b0 + i, p, acc, e, bytes, out);
                if (e != RAW) {
                    continue;
                }
                if (fp32) {
                    requantize(acc, mr, p, (byte[]) y, out);
                } else if (fixed != null) {
                    requantizeFixed(acc, mr, p, (byte[]) y, out);
                } else {
                    for (int r = 0; r < mr; r++) {
                        epilogue(acc, r * width, p, y, out + r * n);
                    }
                }
            }
        }
        for (; i < count; i++) {
            for (int p = p0; p < p1; p++) {
                int width = panelWidth[p];
                if (width == HV) {
                    kernel1xHalf(a, base[b0 + i], p, acc);
                } else if (width == V) {
                    kernel1x1(a, base[b0 + i], p, acc);
                } else {
                    kernel1x2(a, base[b0 + i], p, acc);
                }
                if (fp32) {
                    requantize(acc, 1, p, (byte[]) y, (m0 + i) * n);
                } else if (fixed != null) {
                    requantizeFixed(acc, 1, p, (byte[]) y, (m0 + i) * n);
                } else {
                    epilogue(acc, 0, p, y, (m0 + i) * n);
                }
            }
        }
    }

    /** The micro-kernel of panel p's width for the tile of {@link #mr} rows based at base[b ..]. */
    private void tile(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        int width = panelWidth[p];
        if (mr == 8) {
            if (width == HV) {
                kernel8xHalf(a, base, b, p, acc, mode, y, out);
            } else if (width == 2 * V) {
                kernel8x2(a, base, b, p, acc, mode, y, out);
            } else {
                kernel8x1(a, base, b, p, acc, mode, y, out);
            }

        } else if (width == HV) {
            kernel4xHalf(a, base, b, p, acc, mode, y, out);
        } else if (width == V) {
            kernel4x1(a, base, b, p, acc, mode, y, out);
        } else {
            kernel4x2(a, base, b, p, acc, mode, y, out);
        }
    }

    /**
     * The raw sums {@code Σ_k A[m, k] · W[o, k]} ([count][n], no bias, not requantized) of A's rows based at
     * {@code base[m]} through the same micro-kernels as {@link #rows}; for tests of the exactness.
     */
    int[] sums(float[] a, int[] base, int count) {
        int[] out = new int[count * n];
        int[] acc = new int[scratchLength()];
        for (int i = 0; i < count; i += mr) {
            int tile = Math.min(mr, count - i);
            for (int p = 0; p < panels; p++) {
                int pw = panelWidth[p];
                int c0 = panelStart[p];
                int width = Math.min(pw, n - c0);
                for (int r = 0; r < tile; r++) {
                    if (tile < mr) {
                        if (pw == HV) {
                            kernel1xHalf(a, base[i + r], p, acc);
                        } else if (pw == V) {
                            kernel1x1(a, base[i + r], p, acc);
                        } else {
                            kernel1x2(a, base[i + r], p, acc);
                        }
                        System.arraycopy(acc, 0, out, (i + r) * n + c0, width);
                    } else {
                        if (r == 0) {
                            tile(a, base, i, p, acc, RAW, null, 0);
                        }
                        System.arraycopy(acc, r * pw, out, (i + r) * n + c0, width);
                    }
                }
            }
        }
        return out;
    }

    /**
     * NR = 2V: the 4 rows based at base[b ..] against panel p: acc[r·NR + j] = Σ_k A[r, k] · W[p·NR + j, k] (mode
     * {@link #RAW}), or requantized with the bias from the registers into {@code y[out + r·n + p·NR + j]}.
     */
    private void kernel4x2(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        final int nr2 = 2 * V;
        float[] w = this.w;
        int wp = panelStart[p] * k;
        int r0 = base[b];
        int r1 = base[b + 1];
        int r2 = base[b + 2];
        int r3 = base[b + 3];
        boolean fold = mode == FP32;
        int ch = panelStart[p];
        FloatVector c00 = fold ? FloatVector.fromArray(F, biasFloat, ch) : FloatVector.zero(F);
        FloatVector c01 = fold ? FloatVector.fromArray(F, biasFloat, ch + V) : FloatVector.zero(F);
        FloatVector c10 = c00;
        FloatVector c11 = c01;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        boolean first = true;
        int last = pieceOffset.length - 1;
        for (int q = 0; q <= last; q++) {
            int o = pieceOffset[q];
            int len = pieceLength[q];
            int a0 = r0 + o;
            int a1 = r1 + o;
            int a2 = r2 + o;
            int a3 = r3 + o;
            int wi = wp + pieceTap[q] * nr2;
            for (int j = 0; j < len; j++, wi += nr2) {
                FloatVector w0 = FloatVector.fromArray(F, w, wi);
                FloatVector w1 = FloatVector.fromArray(F, w, wi + V);
                FloatVector b0 = FloatVector.broadcast(F, a[a0 + j]);
                c00 = w0.fma(b0, c00);
                c01 = w1.fma(b0, c01);
                FloatVector b1 = FloatVector.broadcast(F, a[a1 + j]);
                c10 = w0.fma(b1, c10);
                c11 = w1.fma(b1, c11);
                FloatVector b2 = FloatVector.broadcast(F, a[a2 + j]);
                c20 = w0.fma(b2, c20);
                c21 = w1.fma(b2, c21);
                FloatVector b3 = FloatVector.broadcast(F, a[a3 + j]);
                c30 = w0.fma(b3, c30);
                c31 = w1.fma(b3, c31);
            }
            if (pieceFlush[q] && (q < last || mode == RAW)) {
                (first
                                ? (IntVector) c00.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c00.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(I, acc, 0)))
                        .intoArray(acc, 0);
                (first
                                ? (IntVector) c01.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c01.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(I, acc, V)))
                        .intoArray(acc, V);
                (first
                                ? (IntVector) c10.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c10.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, nr2)))
                        .intoArray(acc, nr2);
                (first
                                ? (IntVector) c11.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c11.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, nr2 + V)))
                        .intoArray(acc, nr2 + V);
                (first
                                ? (IntVector) c20.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c20.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 2 * nr2)))
                        .intoArray(acc, 2 * nr2);
                (first
                                ? (IntVector) c21.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c21.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 2 * nr2 + V)))
                        .intoArray(acc, 2 * nr2 + V);
                (first
                                ? (IntVector) c30.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c30.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 3 * nr2)))
                        .intoArray(acc, 3 * nr2);
                (first
                                ? (IntVector) c31.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c31.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 3 * nr2 + V)))
                        .intoArray(acc, 3 * nr2 + V);
                first = false;
                c00 = FloatVector.zero(F);
                c01 = c00;
                c10 = c00;
                c11 = c00;
                c20 = c00;
                c21 = c00;
                c30 = c00;
                c31 = c00;
            }
        }
        if (mode == RAW) {
            return; // the last chunk went into the scratch in the loop
        }
        int c = panelStart[p];
        // XNNPACK's FP32 requantization (see #requantize) written out per row: a helper taking vectors would be
        // compiled on its own first and then not inlined, and its vector arguments would be boxed
        FloatVector scale0 = FloatVector.fromArray(F, scales, c);
        FloatVector scale1 = FloatVector.fromArray(F, scales, c + V);
        FloatVector min = FloatVector.broadcast(F, lo);
        FloatVector max = FloatVector.broadcast(F, hi);
        FloatVector magic = FloatVector.broadcast(F, SimdRequantizer.MAGIC);
        IntVector zp = IntVector.broadcast(I, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        IntVector s;
        FloatVector f;
        int o = out + c;
        f = c00.mul(scale0);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o);
        f = c01.mul(scale1);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + V);
        f = c10.mul(scale0);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + n);
        f = c11.mul(scale1);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + n + V);
        f = c20.mul(scale0);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 2 * n);
        f = c21.mul(scale1);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 2 * n + V);
        f = c30.mul(scale0);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 3 * n);
        f = c31.mul(scale1);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 3 * n + V);
    }

    /**
     * NR = 2V, MR = 8: the 8 rows based at base[b ..] against panel p in 16 accumulators (of AVX-512's 32
     * registers): per tap two weight vectors and eight broadcasts feed 16 FMAs, half the weight loads per FMA of
     * {@link #kernel4x2}. Modes as {@link #kernel4x2}; the bias is added in {@link #requantizeSums} (exact: the same
     * bound as {@link #foldBias}). The sums leave the registers through the scratch ({@link #flushSums} per chunk,
     * {@link #requantizeSums} after the loop), with no vector live across either call; this keeps the method small
     * and, above all, keeps C2 from boxing the FMAs' results, as it does for vectors live across a call that is not
     * inlined.
     */
    private void kernel8x2(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        final int nr2 = 2 * V;
        float[] w = this.w;
        int wp = panelStart[p] * k;
        int r0 = base[b + 0];
        int r1 = base[b + 1];
        int r2 = base[b + 2];
        int r3 = base[b + 3];
        int r4 = base[b + 4];
        int r5 = base[b + 5];
        int r6 = base[b + 6];
        int r7 = base[b + 7];
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        boolean first = true;
        int last = pieceOffset.length - 1;
        for (int q = 0; q <= last; q++) {
            int o = pieceOffset[q];
            int len = pieceLength[q];
            int a0 = r0 + o;
            int a1 = r1 + o;
            int a2 = r2 + o;
            int a3 = r3 + o;
            int a4 = r4 + o;
            int a5 = r5 + o;
            int a6 = r6 + o;
            int a7 = r7 + o;
            int wi = wp + pieceTap[q] * nr2;
            for (int j = 0; j < len; j++, wi += nr2) {
                FloatVector w0 = FloatVector.fromArray(F, w, wi);
                FloatVector w1 = FloatVector.fromArray(F, w, wi + V);
                FloatVector b0 = FloatVector.broadcast(F, a[a0 + j]);
                c00 = w0.fma(b0, c00);
                c01 = w1.fma(b0, c01);
                FloatVector b1 = FloatVector.broadcast(F, a[a1 + j]);
                c10 = w0.fma(b1, c10);
                c11 = w1.fma(b1, c11);
                FloatVector b2 = FloatVector.broadcast(F, a[a2 + j]);
                c20 = w0.fma(b2, c20);
                c21 = w1.fma(b2, c21);
                FloatVector b3 = FloatVector.broadcast(F, a[a3 + j]);
                c30 = w0.fma(b3, c30);
                c31 = w1.fma(b3, c31);
                FloatVector b4 = FloatVector.broadcast(F, a[a4 + j]);
                c40 = w0.fma(b4, c40);
                c41 = w1.fma(b4, c41);
                FloatVector b5 = FloatVector.broadcast(F, a[a5 + j]);
                c50 = w0.fma(b5, c50);
                c51 = w1.fma(b5, c51);
                FloatVector b6 = FloatVector.broadcast(F, a[a6 + j]);
                c60 = w0.fma(b6, c60);
                c61 = w1.fma(b6, c61);
                FloatVector b7 = FloatVector.broadcast(F, a[a7 + j]);
                c70 = w0.fma(b7, c70);
                c71 = w1.fma(b7, c71);
            }
            if (pieceFlush[q] && (q < last || mode == RAW)) {
                int t = TILE;
                c00.reinterpretAsInts().intoArray(acc, t + 0 * V);
                c01.reinterpretAsInts().intoArray(acc, t + 1 * V);
                c10.reinterpretAsInts().intoArray(acc, t + 2 * V);
                c11.reinterpretAsInts().intoArray(acc, t + 3 * V);
                c20.reinterpretAsInts().intoArray(acc, t + 4 * V);
                c21.reinterpretAsInts().intoArray(acc, t + 5 * V);
                c30.reinterpretAsInts().intoArray(acc, t + 6 * V);
                c31.reinterpretAsInts().intoArray(acc, t + 7 * V);
                c40.reinterpretAsInts().intoArray(acc, t + 8 * V);
                c41.reinterpretAsInts().intoArray(acc, t + 9 * V);
                c50.reinterpretAsInts().intoArray(acc, t + 10 * V);
                c51.reinterpretAsInts().intoArray(acc, t + 11 * V);
                c60.reinterpretAsInts().intoArray(acc, t + 12 * V);
                c61.reinterpretAsInts().intoArray(acc, t + 13 * V);
                c70.reinterpretAsInts().intoArray(acc, t + 14 * V);
                c71.reinterpretAsInts().intoArray(acc, t + 15 * V);
                flushSums(acc, 16, first);
                first = false;
                c00 = FloatVector.zero(F);
                c01 = c00;
                c10 = c00;
                c11 = c00;
                c20 = c00;
                c21 = c00;
                c30 = c00;
                c31 = c00;
                c40 = c00;
                c41 = c00;
                c50 = c00;
                c51 = c00;
                c60 = c00;
                c61 = c00;
                c70 = c00;
                c71 = c00;
            }
        }
        if (mode == RAW) {
            return; // the last chunk went into the scratch in the loop
        }
        int t = TILE;
        c00.reinterpretAsInts().intoArray(acc, t + 0 * V);
        c01.reinterpretAsInts().intoArray(acc, t + 1 * V);
        c10.reinterpretAsInts().intoArray(acc, t + 2 * V);
        c11.reinterpretAsInts().intoArray(acc, t + 3 * V);
        c20.reinterpretAsInts().intoArray(acc, t + 4 * V);
        c21.reinterpretAsInts().intoArray(acc, t + 5 * V);
        c30.reinterpretAsInts().intoArray(acc, t + 6 * V);
        c31.reinterpretAsInts().intoArray(acc, t + 7 * V);
        c40.reinterpretAsInts().intoArray(acc, t + 8 * V);
        c41.reinterpretAsInts().intoArray(acc, t + 9 * V);
        c50.reinterpretAsInts().intoArray(acc, t + 10 * V);
        c51.reinterpretAsInts().intoArray(acc, t + 11 * V);
        c60.reinterpretAsInts().intoArray(acc, t + 12 * V);
        c61.reinterpretAsInts().intoArray(acc, t + 13 * V);
        c70.reinterpretAsInts().intoArray(acc, t + 14 * V);
        c71.reinterpretAsInts().intoArray(acc, t + 15 * V);
        requantizeSums(acc, 8, p, y, out);
    }

    /**
     * Adds the {@code vectors} float vectors of chunk sums at {@code acc[TILE ..]} (stored as their bits), converted
     * to int (exact), to the int accumulators at {@code acc[0 ..]} (or stores them there when {@code first}).
     */
    private static void flushSums(int[] acc, int vectors, boolean first) {
        for (int v = 0; v < vectors * V; v += V) {
            IntVector s = (IntVector)
                    IntVector.fromArray(I, acc, TILE + v).reinterpretAsFloats().convert(VectorOperators.F2I, 0);
            (first ? s : s.add(IntVector.fromArray(I, acc, v))).intoArray(acc, v);
        }
    }

    /**
     * XNNPACK's FP32 requantization ({@link #requantize}) of the float sums at {@code acc[TILE ..]} (stored as their
     * bits, {@code rows} rows of panel p, two vectors wide, whole channels), which started at the bias, so each is
     * {@code float(bias + acc)} exactly; stored as bytes at {@code y[out + r·n + c]}.
     */
    private void requantizeSums(int[] acc, int rows, int p, byte[] y, int out) {
        int c = panelStart[p];
        FloatVector scale0 = FloatVector.fromArray(F, scales, c);
        FloatVector scale1 = FloatVector.fromArray(F, scales, c + V);
        FloatVector bias0 = FloatVector.fromArray(F, biasFloat, c);
        FloatVector bias1 = FloatVector.fromArray(F, biasFloat, c + V);
        FloatVector min = FloatVector.broadcast(F, lo);
        FloatVector max = FloatVector.broadcast(F, hi);
        FloatVector magic = FloatVector.broadcast(F, SimdRequantizer.MAGIC);
        IntVector zp = IntVector.broadcast(I, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        for (int r = 0; r < rows; r++) {
            int o = out + r * n + c;
            FloatVector f = IntVector.fromArray(I, acc, TILE + 2 * r * V)
                    .reinterpretAsFloats()
                    .add(bias0)
                    .mul(scale0);
            f = f.blend(min, f.compare(VectorOperators.LT, min));
            f = f.blend(max, f.compare(VectorOperators.GT, max));
            IntVector s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
            ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o);
            f = IntVector.fromArray(I, acc, TILE + (2 * r + 1) * V)
                    .reinterpretAsFloats()
                    .add(bias1)
                    .mul(scale1);
            f = f.blend(min, f.compare(VectorOperators.LT, min));
            f = f.blend(max, f.compare(VectorOperators.GT, max));
            s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
            ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + V);
        }
    }

    /**
     * NR = V in a layer of 4-row tiles: the 4 rows based at base[b ..] against panel p, with two sets of
     * sums over even and odd taps (8 chains of FMAs, as {@link #kernel4x2}); modes as {@link #kernel4x2}.
     */
    private void kernel4x1(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        float[] w = this.w;
        int wp = panelStart[p] * k;
        int r0 = base[b + 0];
        int r1 = base[b + 1];
        int r2 = base[b + 2];
        int r3 = base[b + 3];
        boolean fold = mode == FP32;
        int ch = panelStart[p];
        FloatVector d0 = FloatVector.zero(F);
        FloatVector d1 = d0;
        FloatVector d2 = d0;
        FloatVector d3 = d0;
        FloatVector c0 = fold ? FloatVector.fromArray(F, biasFloat, ch) : d0;
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        boolean first = true;
        int last = pieceOffset.length - 1;
        for (int q = 0; q <= last; q++) {
            int o = pieceOffset[q];
            int len = pieceLength[q];
            int a0 = r0 + o;
            int a1 = r1 + o;
            int a2 = r2 + o;
            int a3 = r3 + o;
            int wi = wp + pieceTap[q] * V;
            int j = 0;
            for (; j + 2 <= len; j += 2, wi += 2 * V) {
                FloatVector w0 = FloatVector.fromArray(F, w, wi);
                FloatVector w1 = FloatVector.fromArray(F, w, wi + V);
                c0 = w0.fma(FloatVector.broadcast(F, a[a0 + j]), c0);
                d0 = w1.fma(FloatVector.broadcast(F, a[a0 + j + 1]), d0);
                c1 = w0.fma(FloatVector.broadcast(F, a[a1 + j]), c1);
                d1 = w1.fma(FloatVector.broadcast(F, a[a1 + j + 1]), d1);
                c2 = w0.fma(FloatVector.broadcast(F, a[a2 + j]), c2);
                d2 = w1.fma(FloatVector.broadcast(F, a[a2 + j + 1]), d2);
                c3 = w0.fma(FloatVector.broadcast(F, a[a3 + j]), c3);
                d3 = w1.fma(FloatVector.broadcast(F, a[a3 + j + 1]), d3);
            }
            if (j < len) {
                FloatVector w0 = FloatVector.fromArray(F, w, wi);
                c0 = w0.fma(FloatVector.broadcast(F, a[a0 + j]), c0);
                c1 = w0.fma(FloatVector.broadcast(F, a[a1 + j]), c1);
                c2 = w0.fma(FloatVector.broadcast(F, a[a2 + j]), c2);
                c3 = w0.fma(FloatVector.broadcast(F, a[a3 + j]), c3);
            }
            if (pieceFlush[q] && (q < last || mode == RAW)) {
                (first
                                ? (IntVector) c0.add(d0).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.add(d0).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 0)))
                        .intoArray(acc, 0);
                (first
                                ? (IntVector) c1.add(d1).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c1.add(d1).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, V)))
                        .intoArray(acc, V);
                (first
                                ? (IntVector) c2.add(d2).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c2.add(d2).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 2 * V)))
                        .intoArray(acc, 2 * V);
                (first
                                ? (IntVector) c3.add(d3).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c3.add(d3).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 3 * V)))
                        .intoArray(acc, 3 * V);
                first = false;
                c0 = FloatVector.zero(F);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                d0 = c0;
                d1 = c0;
                d2 = c0;
                d3 = c0;
            }
        }
        if (mode == RAW) {
            return; // the last chunk went into the scratch in the loop
        }
        int c = panelStart[p];
        // XNNPACK's FP32 requantization (see #requantize) written out per row: a helper taking vectors would be
        // compiled on its own first and then not inlined, and its vector arguments would be boxed
        FloatVector scale = FloatVector.fromArray(F, scales, c);
        FloatVector min = FloatVector.broadcast(F, lo);
        FloatVector max = FloatVector.broadcast(F, hi);
        FloatVector magic = FloatVector.broadcast(F, SimdRequantizer.MAGIC);
        IntVector zp = IntVector.broadcast(I, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        IntVector s;
        FloatVector f;
        int o = out + c;
        f = c0.add(d0).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o);
        f = c1.add(d1).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + n);
        f = c2.add(d2).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 2 * n);
        f = c3.add(d3).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 3 * n);
    }

    /**
     * NR = HV in a layer of 4-row tiles: {@link #kernel4x1} on half-width vectors.
     */
    private void kernel4xHalf(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        float[] w = this.w;
        int wp = panelStart[p] * k;
        int r0 = base[b + 0];
        int r1 = base[b + 1];
        int r2 = base[b + 2];
        int r3 = base[b + 3];
        boolean fold = mode == FP32;
        int ch = panelStart[p];
        FloatVector d0 = FloatVector.zero(H);
        FloatVector d1 = d0;
        FloatVector d2 = d0;
        FloatVector d3 = d0;
        FloatVector c0 = fold ? FloatVector.fromArray(H, biasFloat, ch) : d0;
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        boolean first = true;
        int last = pieceOffset.length - 1;
        for (int q = 0; q <= last; q++) {
            int o = pieceOffset[q];
            int len = pieceLength[q];
            int a0 = r0 + o;
            int a1 = r1 + o;
            int a2 = r2 + o;
            int a3 = r3 + o;
            int wi = wp + pieceTap[q] * HV;
            int j = 0;
            for (; j + 2 <= len; j += 2, wi += 2 * HV) {
                FloatVector w0 = FloatVector.fromArray(H, w, wi);
                FloatVector w1 = FloatVector.fromArray(H, w, wi + HV);
                c0 = w0.fma(FloatVector.broadcast(H, a[a0 + j]), c0);
                d0 = w1.fma(FloatVector.broadcast(H, a[a0 + j + 1]), d0);
                c1 = w0.fma(FloatVector.broadcast(H, a[a1 + j]), c1);
                d1 = w1.fma(FloatVector.broadcast(H, a[a1 + j + 1]), d1);
                c2 = w0.fma(FloatVector.broadcast(H, a[a2 + j]), c2);
                d2 = w1.fma(FloatVector.broadcast(H, a[a2 + j + 1]), d2);
                c3 = w0.fma(FloatVector.broadcast(H, a[a3 + j]), c3);
                d3 = w1.fma(FloatVector.broadcast(H, a[a3 + j + 1]), d3);
            }
            if (j < len) {
                FloatVector w0 = FloatVector.fromArray(H, w, wi);
                c0 = w0.fma(FloatVector.broadcast(H, a[a0 + j]), c0);
                c1 = w0.fma(FloatVector.broadcast(H, a[a1 + j]), c1);
                c2 = w0.fma(FloatVector.broadcast(H, a[a2 + j]), c2);
                c3 = w0.fma(FloatVector.broadcast(H, a[a3 + j]), c3);
            }
            if (pieceFlush[q] && (q < last || mode == RAW)) {
                (first
                                ? (IntVector) c0.add(d0).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.add(d0).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 0)))
                        .intoArray(acc, 0);
                (first
                                ? (IntVector) c1.add(d1).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c1.add(d1).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, HV)))
                        .intoArray(acc, HV);
                (first
                                ? (IntVector) c2.add(d2).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c2.add(d2).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 2 * HV)))
                        .intoArray(acc, 2 * HV);
                (first
                                ? (IntVector) c3.add(d3).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c3.add(d3).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 3 * HV)))
                        .intoArray(acc, 3 * HV);
                first = false;
                c0 = FloatVector.zero(H);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                d0 = c0;
                d1 = c0;
                d2 = c0;
                d3 = c0;
            }
        }
        if (mode == RAW) {
            return; // the last chunk went into the scratch in the loop
        }
        int c = panelStart[p];
        // XNNPACK's FP32 requantization (see #requantize) written out per row: a helper taking vectors would be
        // compiled on its own first and then not inlined, and its vector arguments would be boxed
        FloatVector scale = FloatVector.fromArray(H, scales, c);
        FloatVector min = FloatVector.broadcast(H, lo);
        FloatVector max = FloatVector.broadcast(H, hi);
        FloatVector magic = FloatVector.broadcast(H, SimdRequantizer.MAGIC);
        IntVector zp = IntVector.broadcast(HI, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        IntVector s;
        FloatVector f;
        int o = out + c;
        f = c0.add(d0).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, o);
        f = c1.add(d1).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, o + n);
        f = c2.add(d2).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, o + 2 * n);
        f = c3.add(d3).mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, o + 3 * n);
    }

    /** NR = 2V: the row based at {@code r0} against panel p, with two sets of sums over even and odd taps. */
    private void kernel1x2(float[] a, int r0, int p, int[] acc) {
        final int nr2 = 2 * V;
        float[] w = this.w;
        int wp = panelStart[p] * k;
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = c0;
        FloatVector d0 = c0;
        FloatVector d1 = c0;
        boolean first = true;
        for (int q = 0; q < pieceOffset.length; q++) {
            int a0 = r0 + pieceOffset[q];
            int len = pieceLength[q];
            int wi = wp + pieceTap[q] * nr2;
            int j = 0;
            for (; j + 2 <= len; j += 2, wi += 2 * nr2) {
                FloatVector b = FloatVector.broadcast(F, a[a0 + j]);
                c0 = FloatVector.fromArray(F, w, wi).fma(b, c0);
                c1 = FloatVector.fromArray(F, w, wi + V).fma(b, c1);
                FloatVector e = FloatVector.broadcast(F, a[a0 + j + 1]);
                d0 = FloatVector.fromArray(F, w, wi + nr2).fma(e, d0);
                d1 = FloatVector.fromArray(F, w, wi + nr2 + V).fma(e, d1);
            }
            if (j < len) {
                FloatVector b = FloatVector.broadcast(F, a[a0 + j]);
                c0 = FloatVector.fromArray(F, w, wi).fma(b, c0);
                c1 = FloatVector.fromArray(F, w, wi + V).fma(b, c1);
            }
            if (pieceFlush[q]) {
                (first
                                ? (IntVector) c0.add(d0).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.add(d0).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 0)))
                        .intoArray(acc, 0);
                (first
                                ? (IntVector) c1.add(d1).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c1.add(d1).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, V)))
                        .intoArray(acc, V);
                first = false;
                c0 = FloatVector.zero(F);
                c1 = c0;
                d0 = c0;
                d1 = c0;
            }
        }
    }

    /** NR = V: the 8 rows based at base[b ..] against panel p (as {@link #kernel4x2}, one vector of channels). */
    private void kernel8x1(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        float[] w = this.w;
        int wp = panelStart[p] * k;
        int r0 = base[b];
        int r1 = base[b + 1];
        int r2 = base[b + 2];
        int r3 = base[b + 3];
        int r4 = base[b + 4];
        int r5 = base[b + 5];
        int r6 = base[b + 6];
        int r7 = base[b + 7];
        boolean fold = mode == FP32;
        int ch = panelStart[p];
        FloatVector c0 = fold ? FloatVector.fromArray(F, biasFloat, ch) : FloatVector.zero(F);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        FloatVector c4 = c0;
        FloatVector c5 = c0;
        FloatVector c6 = c0;
        FloatVector c7 = c0;
        boolean first = true;
        int last = pieceOffset.length - 1;
        for (int q = 0; q <= last; q++) {
            int o = pieceOffset[q];
            int len = pieceLength[q];
            int a0 = r0 + o;
            int a1 = r1 + o;
            int a2 = r2 + o;
            int a3 = r3 + o;
            int a4 = r4 + o;
            int a5 = r5 + o;
            int a6 = r6 + o;
            int a7 = r7 + o;
            int wi = wp + pieceTap[q] * V;
            for (int j = 0; j < len; j++, wi += V) {
                FloatVector wv = FloatVector.fromArray(F, w, wi);
                c0 = wv.fma(FloatVector.broadcast(F, a[a0 + j]), c0);
                c1 = wv.fma(FloatVector.broadcast(F, a[a1 + j]), c1);
                c2 = wv.fma(FloatVector.broadcast(F, a[a2 + j]), c2);
                c3 = wv.fma(FloatVector.broadcast(F, a[a3 + j]), c3);
                c4 = wv.fma(FloatVector.broadcast(F, a[a4 + j]), c4);
                c5 = wv.fma(FloatVector.broadcast(F, a[a5 + j]), c5);
                c6 = wv.fma(FloatVector.broadcast(F, a[a6 + j]), c6);
                c7 = wv.fma(FloatVector.broadcast(F, a[a7 + j]), c7);
            }
            if (pieceFlush[q] && (q < last || mode == RAW)) {
                (first
                                ? (IntVector) c0.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(I, acc, 0)))
                        .intoArray(acc, 0);
                (first
                                ? (IntVector) c1.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c1.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(I, acc, V)))
                        .intoArray(acc, V);
                (first
                                ? (IntVector) c2.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c2.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 2 * V)))
                        .intoArray(acc, 2 * V);
                (first
                                ? (IntVector) c3.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c3.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 3 * V)))
                        .intoArray(acc, 3 * V);
                (first
                                ? (IntVector) c4.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c4.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 4 * V)))
                        .intoArray(acc, 4 * V);
                (first
                                ? (IntVector) c5.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c5.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 5 * V)))
                        .intoArray(acc, 5 * V);
                (first
                                ? (IntVector) c6.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c6.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 6 * V)))
                        .intoArray(acc, 6 * V);
                (first
                                ? (IntVector) c7.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c7.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 7 * V)))
                        .intoArray(acc, 7 * V);
                first = false;
                c0 = FloatVector.zero(F);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                c4 = c0;
                c5 = c0;
                c6 = c0;
                c7 = c0;
            }
        }
        if (mode == RAW) {
            return; // the last chunk went into the scratch in the loop
        }
        int c = panelStart[p];
        // XNNPACK's FP32 requantization (see #requantize) written out per row: a helper taking vectors would be
        // compiled on its own first and then not inlined, and its vector arguments would be boxed
        FloatVector scale = FloatVector.fromArray(F, scales, c);
        FloatVector min = FloatVector.broadcast(F, lo);
        FloatVector max = FloatVector.broadcast(F, hi);
        FloatVector magic = FloatVector.broadcast(F, SimdRequantizer.MAGIC);
        IntVector zp = IntVector.broadcast(I, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        IntVector s;
        FloatVector f;
        int o = out + c;
        f = c0.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o);
        f = c1.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + n);
        f = c2.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 2 * n);
        f = c3.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 3 * n);
        f = c4.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 4 * n);
        f = c5.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 5 * n);
        f = c6.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 6 * n);
        f = c7.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o + 7 * n);
    }

    /** NR = V: the row based at {@code r0} against panel p, with four sets of sums over the taps modulo 4. */
    private void kernel1x1(float[] a, int r0, int p, int[] acc) {
        float[] w = this.w;
        int wp = panelStart[p] * k;
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        boolean first = true;
        for (int q = 0; q < pieceOffset.length; q++) {
            int a0 = r0 + pieceOffset[q];
            int len = pieceLength[q];
            int wi = wp + pieceTap[q] * V;
            int j = 0;
            for (; j + 4 <= len; j += 4, wi += 4 * V) {
                c0 = FloatVector.fromArray(F, w, wi).fma(FloatVector.broadcast(F, a[a0 + j]), c0);
                c1 = FloatVector.fromArray(F, w, wi + V).fma(FloatVector.broadcast(F, a[a0 + j + 1]), c1);
                c2 = FloatVector.fromArray(F, w, wi + 2 * V).fma(FloatVector.broadcast(F, a[a0 + j + 2]), c2);
                c3 = FloatVector.fromArray(F, w, wi + 3 * V).fma(FloatVector.broadcast(F, a[a0 + j + 3]), c3);
            }
            for (; j < len; j++, wi += V) {
                c0 = FloatVector.fromArray(F, w, wi).fma(FloatVector.broadcast(F, a[a0 + j]), c0);
            }
            if (pieceFlush[q]) {
                (first
                                ? (IntVector) c0.add(c1).add(c2.add(c3)).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.add(c1).add(c2.add(c3)).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(I, acc, 0)))
                        .intoArray(acc, 0);
                first = false;
                c0 = FloatVector.zero(F);
                c1 = c0;
                c2 = c0;
                c3 = c0;
            }
        }
    }

    /** NR = HV, half-width vectors: the 8 rows based at base[b ..] against panel p (as {@link #kernel8x1}). */
    private void kernel8xHalf(float[] a, int[] base, int b, int p, int[] acc, int mode, byte[] y, int out) {
        float[] w = this.w;
        int wp = panelStart[p] * k;
        int r0 = base[b];
        int r1 = base[b + 1];
        int r2 = base[b + 2];
        int r3 = base[b + 3];
        int r4 = base[b + 4];
        int r5 = base[b + 5];
        int r6 = base[b + 6];
        int r7 = base[b + 7];
        boolean fold = mode == FP32;
        int ch = panelStart[p];
        FloatVector c0 = fold ? FloatVector.fromArray(H, biasFloat, ch) : FloatVector.zero(H);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        FloatVector c4 = c0;
        FloatVector c5 = c0;
        FloatVector c6 = c0;
        FloatVector c7 = c0;
        boolean first = true;
        int last = pieceOffset.length - 1;
        for (int q = 0; q <= last; q++) {
            int o = pieceOffset[q];
            int len = pieceLength[q];
            int a0 = r0 + o;
            int a1 = r1 + o;
            int a2 = r2 + o;
            int a3 = r3 + o;
            int a4 = r4 + o;
            int a5 = r5 + o;
            int a6 = r6 + o;
            int a7 = r7 + o;
            int wi = wp + pieceTap[q] * HV;
            for (int j = 0; j < len; j++, wi += HV) {
                FloatVector wv = FloatVector.fromArray(H, w, wi);
                c0 = wv.fma(FloatVector.broadcast(H, a[a0 + j]), c0);
                c1 = wv.fma(FloatVector.broadcast(H, a[a1 + j]), c1);
                c2 = wv.fma(FloatVector.broadcast(H, a[a2 + j]), c2);
                c3 = wv.fma(FloatVector.broadcast(H, a[a3 + j]), c3);
                c4 = wv.fma(FloatVector.broadcast(H, a[a4 + j]), c4);
                c5 = wv.fma(FloatVector.broadcast(H, a[a5 + j]), c5);
                c6 = wv.fma(FloatVector.broadcast(H, a[a6 + j]), c6);
                c7 = wv.fma(FloatVector.broadcast(H, a[a7 + j]), c7);
            }
            if (pieceFlush[q] && (q < last || mode == RAW)) {
                (first
                                ? (IntVector) c0.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(HI, acc, 0)))
                        .intoArray(acc, 0);
                (first
                                ? (IntVector) c1.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c1.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, HV)))
                        .intoArray(acc, HV);
                (first
                                ? (IntVector) c2.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c2.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 2 * HV)))
                        .intoArray(acc, 2 * HV);
                (first
                                ? (IntVector) c3.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c3.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 3 * HV)))
                        .intoArray(acc, 3 * HV);
                (first
                                ? (IntVector) c4.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c4.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 4 * HV)))
                        .intoArray(acc, 4 * HV);
                (first
                                ? (IntVector) c5.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c5.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 5 * HV)))
                        .intoArray(acc, 5 * HV);
                (first
                                ? (IntVector) c6.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c6.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 6 * HV)))
                        .intoArray(acc, 6 * HV);
                (first
                                ? (IntVector) c7.convert(VectorOperators.F2I, 0)
                                : ((IntVector) c7.convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 7 * HV)))
                        .intoArray(acc, 7 * HV);
                first = false;
                c0 = FloatVector.zero(H);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                c4 = c0;
                c5 = c0;
                c6 = c0;
                c7 = c0;
            }
        }
        if (mode == RAW) {
            return; // the last chunk went into the scratch in the loop
        }
        // FP32 only (the fixed-point vectors are full width), the panel within n
        // XNNPACK's FP32 requantization (see #requantize) written out per row: a helper taking vectors would be
        // compiled on its own first and then not inlined, and its vector arguments would be boxed
        int c = panelStart[p];
        FloatVector scale = FloatVector.fromArray(H, scales, c);
        FloatVector min = FloatVector.broadcast(H, lo);
        FloatVector max = FloatVector.broadcast(H, hi);
        FloatVector magic = FloatVector.broadcast(H, SimdRequantizer.MAGIC);
        IntVector zp = IntVector.broadcast(HI, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        IntVector s;
        FloatVector f;
        f = c0.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c);
        f = c1.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + n);
        f = c2.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + 2 * n);
        f = c3.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + 3 * n);
        f = c4.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + 4 * n);
        f = c5.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + 5 * n);
        f = c6.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + 6 * n);
        f = c7.mul(scale);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        s = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
        ((ByteVector) s.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, out + c + 7 * n);
    }

    /** NR = HV, half-width vectors: the row based at {@code r0} against panel p (as {@link #kernel1x1}). */
    private void kernel1xHalf(float[] a, int r0, int p, int[] acc) {
        float[] w = this.w;
        int wp = panelStart[p] * k;
        FloatVector c0 = FloatVector.zero(H);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        boolean first = true;
        for (int q = 0; q < pieceOffset.length; q++) {
            int a0 = r0 + pieceOffset[q];
            int len = pieceLength[q];
            int wi = wp + pieceTap[q] * HV;
            int j = 0;
            for (; j + 4 <= len; j += 4, wi += 4 * HV) {
                c0 = FloatVector.fromArray(H, w, wi).fma(FloatVector.broadcast(H, a[a0 + j]), c0);
                c1 = FloatVector.fromArray(H, w, wi + HV).fma(FloatVector.broadcast(H, a[a0 + j + 1]), c1);
                c2 = FloatVector.fromArray(H, w, wi + 2 * HV).fma(FloatVector.broadcast(H, a[a0 + j + 2]), c2);
                c3 = FloatVector.fromArray(H, w, wi + 3 * HV).fma(FloatVector.broadcast(H, a[a0 + j + 3]), c3);
            }
            for (; j < len; j++, wi += HV) {
                c0 = FloatVector.fromArray(H, w, wi).fma(FloatVector.broadcast(H, a[a0 + j]), c0);
            }
            if (pieceFlush[q]) {
                (first
                                ? (IntVector) c0.add(c1).add(c2.add(c3)).convert(VectorOperators.F2I, 0)
                                : ((IntVector) c0.add(c1).add(c2.add(c3)).convert(VectorOperators.F2I, 0))
                                        .add(IntVector.fromArray(HI, acc, 0)))
                        .intoArray(acc, 0);
                first = false;
                c0 = FloatVector.zero(H);
                c1 = c0;
                c2 = c0;
                c3 = c0;
            }
        }
    }

    /**
     * XNNPACK's FP32 requantization of a tile of {@code rows} rows of panel p, {@code acc[r·NR ..]}, stored as bytes
     * at {@code y[out + r·n + c]}: per vector of channels c ..
     *
     * <pre>
     * y = F2I((clamp(float(acc + bias) · scale, lo − zp, hi − zp) + 1.5·2^23) − 1.5·2^23) + zp
     * </pre>
     *
     * bit for bit {@link FixedPoint#requantizeFp32} as {@link SimdRequantizer} computes it (the clamped value is
     * within ±2^16, where the magic-number addition rounds half to even like {@code rint}), with the constants and the
     * channel vectors loaded once per tile. A partial vector of channels goes through the scratch and is stored per
     * value (masked stores allocate).
     */
    void requantize(int[] acc, int rows, int p, byte[] y, int out) {
        if (panelWidth[p] == HV) {
            requantizeHalf(acc, rows, p, y, out);
            return;
        }
        int nr = panelWidth[p];
        int c0 = panelStart[p];
        FloatVector magic = FloatVector.broadcast(F, SimdRequantizer.MAGIC);
        FloatVector min = FloatVector.broadcast(F, lo);
        FloatVector max = FloatVector.broadcast(F, hi);
        // rint(v) + zp = bits(v + 1.5·2^23) − bits(1.5·2^23) + zp for |v| ≤ 2^22
        IntVector zp = IntVector.broadcast(I, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        for (int v = 0; v < nr; v += V) {
            int c = c0 + v;
            if (c >= n) {
                break;
            }
            IntVector b = IntVector.fromArray(I, bias, c);
            FloatVector scale = FloatVector.fromArray(F, scales, c);
            boolean whole = c + V <= n;
            for (int r = 0; r < rows; r++) {
                int at = r * nr + v;
                IntVector s = IntVector.fromArray(I, acc, at).add(b);
                FloatVector f = ((FloatVector) s.convert(VectorOperators.I2F, 0)).mul(scale);
                f = f.blend(min, f.compare(VectorOperators.LT, min));
                f = f.blend(max, f.compare(VectorOperators.GT, max));
                IntVector q = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
                int o = out + r * n + c;
                if (whole) {
                    ((ByteVector) q.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(y, o);
                } else {
                    q.intoArray(acc, at);
                    for (int j = 0; j < n - c; j++) {
                        y[o + j] = (byte) acc[at + j];
                    }
                }
            }
        }
    }

    /** {@link #requantize} for half-width panels. */
    private void requantizeHalf(int[] acc, int rows, int p, byte[] y, int out) {
        int nr = panelWidth[p];
        int c0 = panelStart[p];
        FloatVector magic = FloatVector.broadcast(H, SimdRequantizer.MAGIC);
        FloatVector min = FloatVector.broadcast(H, lo);
        FloatVector max = FloatVector.broadcast(H, hi);
        // rint(v) + zp = bits(v + 1.5·2^23) − bits(1.5·2^23) + zp for |v| ≤ 2^22
        IntVector zp = IntVector.broadcast(HI, zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        for (int v = 0; v < nr; v += HV) {
            int c = c0 + v;
            if (c >= n) {
                break;
            }
            IntVector b = IntVector.fromArray(HI, bias, c);
            FloatVector scale = FloatVector.fromArray(H, scales, c);
            boolean whole = c + HV <= n;
            for (int r = 0; r < rows; r++) {
                int at = r * nr + v;
                IntVector s = IntVector.fromArray(HI, acc, at).add(b);
                FloatVector f = ((FloatVector) s.convert(VectorOperators.I2F, 0)).mul(scale);
                f = f.blend(min, f.compare(VectorOperators.LT, min));
                f = f.blend(max, f.compare(VectorOperators.GT, max));
                IntVector q = ((IntVector) f.add(magic).reinterpretAsInts()).add(zp);
                int o = out + r * n + c;
                if (whole) {
                    ((ByteVector) q.convertShape(VectorOperators.I2B, HB, 0)).intoArray(y, o);
                } else {
                    q.intoArray(acc, at);
                    for (int j = 0; j < n - c; j++) {
                        y[o + j] = (byte) acc[at + j];
                    }
                }
            }
        }
    }

    /**
     * The built-in path's double-rounding requantization of a tile of {@code rows} rows of panel p ({@code acc[r·NR
     * ..]}, bias added here) through {@link #fixed}, stored at {@code y[out + r·n + c]}; a partial vector of channels
     * per value.
     */
    void requantizeFixed(int[] acc, int rows, int p, byte[] y, int out) {
        int lanes = SimdSpecies.INT.length();
        int nr = panelWidth[p];
        int c0 = panelStart[p];
        for (int v = 0; v < nr; v += lanes) {
            int c = c0 + v;
            if (c >= n) {
                break;
            }
            if (c + lanes > n) {
                for (int r = 0; r < rows; r++) {
                    for (int j = c; j < n; j++) {
                        y[out + r * n + j] = (byte) rq.apply(bias[j] + acc[r * nr + j - c0], j);
                    }
                }
                continue;
            }
            IntVector b = IntVector.fromArray(I, bias, c);
            for (int r = 0; r < rows; r++) {
                IntVector s = IntVector.fromArray(I, acc, r * nr + v).add(b);
                if (fixed.upward) {
                    fixed.storeUpward(s, c, y, out + r * n + c, lanes);
                } else {
                    fixed.store(s, c, y, out + r * n + c, lanes);
                }
            }
        }
    }

    /** The built-in path's fixed-point requantization of one row of panel p, per value, at {@code out}. */
    private void epilogue(int[] acc, int r, int p, Object y, int out) {
        int c0 = panelStart[p];
        int end = Math.min(n, panelStart[p + 1]);
        for (int c = c0; c < end; c++) {
            Quant.set(y, outType, out + c, rq.apply(bias[c] + acc[r + c - c0], c));
        }
    }
}
