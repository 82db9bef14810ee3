package dev.quanta.kernels;

import dev.quanta.ir.OpAttributes;

/**
 * Float 2-D convolution through {@link FloatGemm}: the same math as {@link Conv2DFloat}, up to float
 * reassociation.
 *
 * <pre>
 * y[b, oy, ox, o] = act( bias[o] + Σ_{ky,kx,c} x[b, iy, ix, c] · W[o, ky, kx, c] )     (padded taps read 0)
 * </pre>
 *
 * The output rows of all batch items (b·OH + oy) are cut into blocks of a few rows, so that a block's pixels make
 * a GEMM of M = rows·OW ≥ about 48 pixels, K = kh·kw·C taps, N = O channels. A block's A is its im2col rows in a
 * per-thread scratch; a 1×1, stride-1, unpadded convolution reads the input itself as A (no copy). Threads share
 * the (block, channel-panel group) units: panel groups split a block's channels when there are too few blocks for
 * the threads. Only loaded when {@link Simd#enabled()}.
 */
final class SimdConv2DFloat extends FloatConvKernel {
    /** Pixels per GEMM the row blocks aim at: several 8-row tiles. */
    private static final int TARGET_PIXELS = 48;
    /** Largest im2col scratch (floats) a block may take, unless one row alone is larger. */
    private static final int MAX_SCRATCH = 1 << 18;

    private final int taps;
    private final boolean pointwise;
    private final FloatGemm gemm;
    /** Output rows per block. */
    private final int blockRows;

    private final int blocks;
    private final float[] zeros;
    private final ThreadLocal<Scratch> scratch;
    private final Parallel.RangeBody body = this::units;
    /** Set by {@link #run} before the units run: panel groups per block, and this run's number. */
    private int groups;

    private int runId;

    /** A thread's im2col buffer and the block of which run it holds. */
    private static final class Scratch {
        final float[] col;
        int run = -1;
        int block = -1;

        Scratch(int length) {
            this.col = new float[length];
        }
    }

    SimdConv2DFloat(Tensors t, OpAttributes.Conv2D a) {
        super(t, t.wShape()[0], Window.of(t.wShape(), a), a.activation());
        this.taps = kh * kw * inC;
        this.pointwise =
                kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && outH == inH && outW == inW;
        this.gemm = new FloatGemm(weights, t.bias(), outC, taps);
        int rows = batch * outH;
        int r = Math.max(1, (TARGET_PIXELS + outW - 1) / Math.max(1, outW));
        r = Math.min(r, Math.max(1, MAX_SCRATCH / Math.max(1, outW * taps)));
        r = Math.min(r, Math.max(1, (rows + 1) / 2)); // at least two blocks for two threads when there are 2 rows
        this.blockRows = r;
        this.blocks = (rows + r - 1) / r;
        this.zeros = new float[kw * inC];
        int length = pointwise ? 0 : blockRows * outW * taps;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(length));
    }

    @Override
    public void run(Parallel parallel) {
        if (outW == 0 || blocks == 0) {
            return;
        }
        int threads = parallel.threads();
        int panels = gemm.panels();
        // split channels too when the blocks alone would leave a thread idle or unevenly loaded
        groups = blocks % threads == 0 || blocks >= 4 * threads ? 1 : Math.min(panels, threads);
        runId++;
        parallel.forRange(blocks * groups, 1, body);
    }

    private void units(int from, int to) {
        int panels = gemm.panels();
        int rows = batch * outH;
        for (int u = from; u < to; u++) {
            int block = u / groups;
            int g = u % groups;
            int r0 = block * blockRows;
            int r1 = Math.min(rows, r0 + blockRows);
            int m = (r1 - r0) * outW;
            int p0 = panels * g / groups;
            int p1 = panels * (g + 1) / groups;
            int out = r0 * outW * outC;
            if (pointwise) {
                gemm.multiply(x, r0 * outW * inC, inC, m, y, out, outC, p0, p1, lo, hi);
                continue;
            }
            Scratch s = scratch.get();
            if (s.run != runId || s.block != block) {
                for (int r = r0; r < r1; r++) {
                    im2col(s.col, (r - r0) * outW * taps, r / outH, r % outH);
                }
                s.run = runId;
                s.block = block;
            }
            gemm.multiply(s.col, 0, taps, m, y, out, outC, p0, p1, lo, hi);
        }
    }

    /**
     * Output row oy of batch item b as im2col rows at {@code col[dst ..]}: for each pixel ox its kh·kw·C inputs in
     * [ky][kx][c] order, 0 where the window leaves the input (as {@link WindowKernel#im2colRow}, at an offset).
     */
    private void im2col(float[] col, int dst0, int b, int oy) {
        int run = kw * inC;
        int iy0 = oy * sh - padT;
        for (int ox = 0; ox < outW; ox++) {
            int ix0 = ox * sw - padL;
            for (int ky = 0; ky < kh; ky++) {
                int iy = iy0 + ky * dh;
                int dst = dst0 + ox * taps + ky * run;
                if (iy < 0 || iy >= inH) {
                    System.arraycopy(zeros, 0, col, dst, run);
                    continue;
                }
                int row = (b * inH + iy) * inW;
                if (dw == 1 && ix0 >= 0 && ix0 + kw <= inW) {
                    System.arraycopy(x, (row + ix0) * inC, col, dst, run);
                    continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ix0 + kx * dw;
                    if (ix >= 0 && ix < inW) {
                        System.arraycopy(x, (row + ix) * inC, col, dst + kx * inC, inC);
                    } else {
                        System.arraycopy(zeros, 0, col, dst + kx * inC, inC);
                    }
                }
            }
        }
    }

    @Override
    protected void outputRow(int b, int oy) {
        throw new UnsupportedOperationException("runs by row blocks");
    }
}
