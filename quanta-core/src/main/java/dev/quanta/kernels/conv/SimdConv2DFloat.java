package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Shape;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;

/**
 * Float 2-D convolution through {@link FloatGemm}: the same math as {@link Conv2DFloat}, up to the FMA's rounding.
 *
 * <pre>
 * y[b, oy, ox, o] = act( bias[o] + Σ_{ky,kx,c} x[b, iy, ix, c] · W[o, ky, kx, c] )     (padded taps read 0)
 * </pre>
 *
 * No im2col copy: the GEMM reads each output pixel's window straight from the input, as segments. When the
 * window can leave the input, each run first copies the input into a zero-bordered buffer [N][Hp][Wp][C] (its
 * border is zeroed once and never written), so every tap is an ordinary read. Output pixel (b, oy, ox) is then the
 * A row at ((b·Hp + oy·sh)·Wp + ox·sw)·C, pixels of one output row lie sw·C apart, and the row's K = kh·kw·C
 * values are kh segments of kw·C values (or, with a column dilation, kh·kw segments of C) at fixed offsets; the
 * weights keep their [O][kh][kw][C] order, so K is summed in (ky, kx, c) order. One GEMM per output row (M = OW,
 * N = O); when consecutive rows continue each other in memory (1×1, stride 1, unpadded: a pointwise convolution
 * is a plain GEMM over the input) a block of rows is one GEMM. Threads share the (row block, channel-panel group)
 * units: panel groups split a block's channels when there are too few blocks for the threads. Only loaded when
 * {@link Simd#enabled()}.
 */
final class SimdConv2DFloat extends FloatConvKernel {
    /** Pixels per GEMM the row blocks of a pointwise convolution aim at. */
    private static final int TARGET_PIXELS = 64;

    private final FloatGemm gemm;
    /** The input as the GEMM reads it: {@code x} itself, or the zero-bordered copy. */
    private final float[] source;

    private final boolean padded;
    private final int hp;
    private final int wp;
    /** Offsets of an A row's segments from its pixel's base, and their length. */
    private final int[] segments;

    private final int segLength;
    /** Output rows per block (1 unless rows continue each other), and the number of blocks. */
    private final int blockRows;

    private final int blocks;
    private final Parallel.RangeBody body = this::units;
    /** Set by {@link #run} before the units run: channel-panel groups per block. */
    private int groups;

    /** The largest padded input copy, as the interpreter's limit on one tensor (2^28 elements). */
    static final long MAX_PADDED_ELEMENTS = Shape.MAX_ELEMENTS;

    SimdConv2DFloat(Tensors t, OpAttributes.Conv2D a) {
        super(t, t.wShape()[0], Window.of(t.wShape(), a), a.activation());
        int taps = kh * kw * inC;
        this.gemm = new FloatGemm(weights, t.bias(), outC, taps);
        int needH = outH == 0 ? inH : Math.max(inH + padT, (outH - 1) * sh + (kh - 1) * dh + 1);
        int needW = outW == 0 ? inW : Math.max(inW + padL, (outW - 1) * sw + (kw - 1) * dw + 1);
        this.padded = padT > 0 || padL > 0 || needH > inH || needW > inW;
        this.hp = padded ? needH : inH;
        this.wp = padded ? needW : inW;
        long paddedElements = (long) batch * hp * wp * inC;
        if (padded && paddedElements > MAX_PADDED_ELEMENTS) {
            // a huge dilation or padding (a hostile file) would need a padded copy larger than any tensor
            throw new IllegalArgumentException("the padded input (" + batch + "x" + hp + "x" + wp + "x" + inC
                    + ") would hold more than " + MAX_PADDED_ELEMENTS + " elements");
        }
        this.source = padded ? new float[(int) paddedElements] : x;
        if (dw == 1) {
            this.segments = new int[kh];
            for (int ky = 0; ky < kh; ky++) {
                segments[ky] = ky * dh * wp * inC;
            }
            this.segLength = kw * inC;
        } else {
            this.segments = new int[kh * kw];
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    segments[ky * kw + kx] = (ky * dh * wp + kx * dw) * inC;
                }
            }
            this.segLength = inC;
        }
        int rows = batch * outH;
        boolean continuous = outW * sw == sh * wp && hp == outH * sh;
        int r = continuous ? Math.max(1, (TARGET_PIXELS + outW - 1) / Math.max(1, outW)) : 1;
        r = Math.min(r, Math.max(1, (rows + 1) / 2)); // at least two blocks for two threads when there are 2 rows
        this.blockRows = r;
        this.blocks = (rows + r - 1) / r;
    }

    @Override
    public void run(Parallel parallel) {
        if (outW == 0 || blocks == 0) {
            return;
        }
        if (padded) {
            int run = inW * inC;
            for (int b = 0; b < batch; b++) {
                for (int iy = 0; iy < inH; iy++) {
                    System.arraycopy(x, (b * inH + iy) * run, source, ((b * hp + iy + padT) * wp + padL) * inC, run);
                }
            }
        }
        int threads = parallel.threads();
        // split channels too when the blocks alone would leave a thread idle or unevenly loaded
        groups = blocks % threads == 0 || blocks >= 4 * threads ? 1 : Math.min(gemm.panels(), threads);
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
            int p0 = panels * g / groups;
            int p1 = panels * (g + 1) / groups;
            int b = r0 / outH;
            int oy = r0 % outH;
            int base = (b * hp + oy * sh) * wp * inC;
            gemm.multiply(
                    source,
                    base,
                    sw * inC,
                    segments,
                    segLength,
                    (r1 - r0) * outW,
                    y,
                    r0 * outW * outC,
                    outC,
                    p0,
                    p1,
                    lo,
                    hi);
        }
    }

    @Override
    protected void outputRow(int b, int oy) {
        throw new UnsupportedOperationException("runs by row blocks");
    }
}
