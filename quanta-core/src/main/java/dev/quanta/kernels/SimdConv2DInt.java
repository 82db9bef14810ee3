package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;

/**
 * The fast 8-bit CONV_2D (int8 and uint8, per-tensor or per-channel weights): {@link Conv2DInt}'s arithmetic as a
 * GEMM on {@link Int8Gemm}, equal to it bit for bit.
 *
 * <pre>
 * A[p, (ky, kx, c)] = x[b, iy, ix, c] − zp_x   (0 where the window leaves the input)    p = (b, oy, ox)
 * y[p, o]           = requantize(bias[o] + Σ A[p, ·] · (W[o, ·] − zp_w[o]), o)
 * </pre>
 *
 * A run centres the input once into floats; the output pixels (over the whole batch) are cut into blocks of
 * {@link #BLOCK} whose A rows are gathered (im2col) into per-thread scratch, except for a 1×1, stride-1, unpadded
 * convolution, whose centred input already is A. Two or more threads split the pixel blocks, or the channel panels
 * when there are fewer blocks than threads; the results do not depend on the split. XNNPACK's SAME-padding quirk
 * ({@link XnnpackQuirks}) is kept. Only made when {@link Simd#enabled()}.
 */
final class SimdConv2DInt extends WindowKernel {
    /** Output pixels per im2col block: a multiple of the micro-kernel's rows. */
    static final int BLOCK = 8 * Int8Gemm.MR;

    private final Object x;
    private final DType inType;
    private final int inZeroPoint;
    private final Object y;
    private final DType outType;
    private final int[] biasInt;
    private final Requantizer rq;
    private final boolean biasOnly;
    private final Int8Gemm gemm;
    /** The centred input, x − zp_x, as floats. */
    private final float[] xf;

    private final int taps;
    private final int pixels;
    private final int blocks;
    private final boolean pointwise;
    private final ThreadLocal<Scratch> scratch;

    private final Parallel.RangeBody centreBody;
    private final Parallel.RangeBody blockBody;
    private final Parallel.RangeBody panelBody;

    /** Per thread: an im2col block and the micro-kernel's accumulators. */
    private static final class Scratch {
        final float[] col;
        final int[] acc = new int[Int8Gemm.scratchLength()];

        Scratch(int colLength) {
            this.col = new float[colLength];
        }
    }

    /** The fast kernel as a {@link Kernel}; the factory calls this only when {@link Simd#enabled()}. */
    static Kernel create(
            Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape, OpAttributes.Conv2D a) {
        return new SimdConv2DInt(x, xShape, p, wShape, y, yShape, a);
    }

    SimdConv2DInt(
            Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape, OpAttributes.Conv2D a) {
        super(xShape, yShape, Window.of(wShape, a));
        if (p.wide) {
            throw new IllegalArgumentException("16x8 convolutions run on the scalar kernel");
        }
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = y;
        this.outType = p.outType;
        this.rq = p.requantizer;
        int outC = wShape[0];
        this.biasInt = new int[outC];
        for (int o = 0; o < outC; o++) {
            biasInt[o] = (int) p.bias[o];
        }
        this.biasOnly = p.xnnpack && XnnpackQuirks.sameWithNegativePadding(Window.of(wShape, a), inH, inW);
        this.taps = kh * kw * inC;
        this.gemm =
                new Int8Gemm(p.weights, taps, outC, biasInt, rq, outType, Int8Gemm.maxAbsCentred(inType, inZeroPoint));
        this.xf = new float[Buffers.length(x)];
        this.pixels = batch * outH * outW;
        this.blocks = (pixels + BLOCK - 1) / BLOCK;
        this.pointwise =
                kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && outH == inH && outW == inW;
        int colLength = pointwise ? 0 : BLOCK * taps;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(colLength));
        this.centreBody = (from, to) -> Centre.toFloat(x, inType, inZeroPoint, xf, from, to);
        this.blockBody = (from, to) -> {
            Scratch s = scratch.get();
            for (int blk = from; blk < to; blk++) {
                block(blk, 0, gemm.panels, s);
            }
        };
        this.panelBody = (from, to) -> {
            Scratch s = scratch.get();
            for (int blk = 0; blk < blocks; blk++) {
                block(blk, from, to, s);
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        if (biasOnly) {
            XnnpackQuirks.fillWithRequantizedBias(y, outType, biasInt, rq);
            return;
        }
        parallel.forRange(xf.length, 16384, centreBody);
        if (blocks >= parallel.threads() || gemm.panels < 2) {
            parallel.forRange(blocks, 1, blockBody);
        } else {
            parallel.forRange(gemm.panels, 1, panelBody);
        }
    }

    /** Output pixels of block {@code blk}, channel panels {@code [p0, p1)}. */
    private void block(int blk, int p0, int p1, Scratch s) {
        int m0 = blk * BLOCK;
        int count = Math.min(BLOCK, pixels - m0);
        if (pointwise) {
            gemm.rows(xf, m0 * taps, taps, count, m0, p0, p1, y, s.acc);
            return;
        }
        im2col(m0, count, s.col);
        gemm.rows(s.col, 0, taps, count, m0, p0, p1, y, s.acc);
    }

    /** A's rows of output pixels {@code m0 .. m0+count−1} into {@code col} ([count][kh·kw·C]). */
    private void im2col(int m0, int count, float[] col) {
        int run = kw * inC;
        for (int i = 0; i < count; i++) {
            int m = m0 + i;
            int ox = m % outW;
            int rest = m / outW;
            int oy = rest % outH;
            int b = rest / outH;
            int iy0 = oy * sh - padT;
            int ix0 = ox * sw - padL;
            for (int ky = 0; ky < kh; ky++) {
                int iy = iy0 + ky * dh;
                int dst = i * taps + ky * run;
                if (iy < 0 || iy >= inH) {
                    java.util.Arrays.fill(col, dst, dst + run, 0f);
                    continue;
                }
                int row = (b * inH + iy) * inW;
                if (dw == 1 && ix0 >= 0 && ix0 + kw <= inW) {
                    System.arraycopy(xf, (row + ix0) * inC, col, dst, run); // the whole window row at once
                    continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ix0 + kx * dw;
                    int d = dst + kx * inC;
                    if (ix >= 0 && ix < inW) {
                        System.arraycopy(xf, (row + ix) * inC, col, d, inC);
                    } else {
                        java.util.Arrays.fill(col, d, d + inC, 0f);
                    }
                }
            }
        }
    }

    @Override
    protected void outputRow(int b, int oy) {
        throw new UnsupportedOperationException("runs by pixel blocks");
    }

    /** Centring of 8-bit inputs into floats. */
    static final class Centre {
        private Centre() {}

        /** {@code dst[i] = x[i] − zp} for i in [from, to) (uint8 read unsigned). */
        static void toFloat(Object src, DType type, int zp, float[] dst, int from, int to) {
            byte[] x = (byte[]) src;
            if (type == DType.UINT8) {
                for (int i = from; i < to; i++) {
                    dst[i] = (x[i] & 0xFF) - zp;
                }
            } else {
                for (int i = from; i < to; i++) {
                    dst[i] = x[i] - zp;
                }
            }
        }
    }
}
