package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * The fast 8-bit CONV_2D (int8 and uint8, per-tensor or per-channel weights): {@link Conv2DInt}'s arithmetic as a
 * GEMM on {@link Int8Gemm}, equal to it bit for bit.
 *
 * <pre>
 * P[b, py, px, c] = x[b, py − padT, px − padL, c] − zp_x   inside the input, 0 in the zero border
 * A[m, (ky, kx, c)] = P[b, oy·sh + ky·dh, ox·sw + kx·dw, c]                  m = (b, oy, ox)
 * y[m, o]           = requantize(bias[o] + Σ A[m, ·] · (W[o, ·] − zp_w[o]), o)
 * </pre>
 *
 * A run centres the input into the interior of a float buffer P with a zero border (allocated once, the border
 * never written), so no window ever leaves it and no im2col copy is made: the GEMM reads each output pixel's taps
 * straight from P as one run of kw·C values per window row (kh·kw runs of C when dilated across).
 *
 * <p>The work is cut into units of one register tile of output pixels (the micro-kernel's MR rows) × one channel
 * panel, numbered tile-major ({@code u = tile · panels + panel}); threads take equal contiguous ranges of units, so
 * two threads differ by at most one unit even on a 7×7 layer, and each reads a tile's A rows once for the panels of
 * its range. The results do not depend on the split. XNNPACK's SAME-padding quirk ({@link XnnpackQuirks}) is kept.
 * Only made when {@link Simd#enabled()}.
 */
final class SimdConv2DInt extends WindowKernel {
    /** Multiply-adds below which a range of units is not worth handing to another thread (about a microsecond). */
    private static final int MIN_PART_MACS = 1 << 16;

    private final Object x;
    private final DType inType;
    private final int inZeroPoint;
    private final Object y;
    private final DType outType;
    private final int[] biasInt;
    private final Requantizer rq;
    private final boolean biasOnly;
    private final Int8Gemm gemm;
    /** The centred input with its zero border, P: [batch][ph][pw][C]. */
    private final float[] padded;

    private final int ph;
    private final int pw;
    private final int pixels;
    /** Units of work: ⌈pixels / MR⌉ tiles × channel panels. */
    private final int units;
    /** The fewest units per thread's range. */
    private final int minGrain;
    /** Per thread: the row bases of a tile of pixels, and the micro-kernel's accumulators. */
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private final Parallel.RangeBody centreBody;
    private final Parallel.RangeBody unitBody;

    private static final class Scratch {
        final int[] base = new int[Int8Gemm.scratchLength()];
        final int[] acc = new int[Int8Gemm.scratchLength()];
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
        this.ph = Math.max(padT + inH, (outH - 1) * sh + (kh - 1) * dh + 1);
        this.pw = Math.max(padL + inW, (outW - 1) * sw + (kw - 1) * dw + 1);
        this.padded = new float[Math.multiplyExact(Math.multiplyExact(batch * ph, pw), inC)];
        int[] runs;
        int runLength;
        if (dw == 1) {
            runs = new int[kh]; // one window row, kw·C consecutive values, per run
            for (int ky = 0; ky < kh; ky++) {
                runs[ky] = ky * dh * pw * inC;
            }
            runLength = kw * inC;
        } else {
            runs = new int[kh * kw];
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    runs[ky * kw + kx] = (ky * dh * pw + kx * dw) * inC;
                }
            }
            runLength = inC;
        }
        this.gemm = new Int8Gemm(
                p.weights,
                kh * kw * inC,
                outC,
                biasInt,
                rq,
                outType,
                Int8Gemm.maxAbsCentred(inType, inZeroPoint),
                runs,
                runLength,
                true);
        this.pixels = batch * outH * outW;
        int panels = gemm.panels;
        this.units = (pixels + gemm.mr - 1) / gemm.mr * panels;
        this.minGrain = Math.max(1, MIN_PART_MACS / Math.max(1, gemm.mr * gemm.nr * gemm.k));
        this.centreBody = (from, to) -> {
            for (int r = from; r < to; r++) {
                int b = r / inH;
                int iy = r % inH;
                int dst = ((b * ph + iy + padT) * pw + padL) * inC;
                SimdCentre.toFloat(x, inType, inZeroPoint, r * inW * inC, padded, dst, inW * inC);
            }
        };
        this.unitBody = (from, to) -> units(from, to, scratch.get());
    }

    @Override
    public void run(Parallel parallel) {
        if (biasOnly) {
            XnnpackQuirks.fillWithRequantizedBias(y, outType, biasInt, rq);
            return;
        }
        parallel.forRange(batch * inH, Math.max(1, 16384 / Math.max(1, inW * inC)), centreBody);
        parallel.forRange(units, minGrain, unitBody);
    }

    /**
     * Units {@code [from, to)}: for each register tile they touch (MR output pixels, fewer at the end), the row bases
     * of its pixels (divisions once per range, then stepping through the pixels) and its panels in the range.
     */
    private void units(int from, int to, Scratch s) {
        int panels = gemm.panels;
        int mr = gemm.mr;
        int[] base = s.base;
        int tile = from / panels;
        int m0 = tile * mr;
        int ox = m0 % outW;
        int rest = m0 / outW;
        int oy = rest % outH;
        int b = rest / outH;
        for (int u = from; u < to; tile++, m0 += mr) {
            int p0 = u - tile * panels;
            int p1 = Math.min(panels, p0 + to - u);
            int count = Math.min(mr, pixels - m0);
            for (int i = 0; i < count; i++) {
                base[i] = ((b * ph + oy * sh) * pw + ox * sw) * inC;
                if (++ox == outW) {
                    ox = 0;
                    if (++oy == outH) {
                        oy = 0;
                        b++;
                    }
                }
            }
            gemm.rows(padded, base, 0, count, m0, p0, p1, y, s.acc);
            u += p1 - p0;
        }
    }

    @Override
    protected void outputRow(int b, int oy) {
        throw new UnsupportedOperationException("runs by pixel blocks");
    }
}
