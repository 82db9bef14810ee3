package dev.quanta.kernels;

import dev.quanta.ir.OpAttributes;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast int8/uint8 depthwise convolution (depth multiplier 1), vectorised across channels in
 * {@link SimdSpecies#INT} lanes; the same integers as {@link DepthwiseConv2DInt}:
 *
 * <pre>
 * acc[c .. c+L) = bias[c ..] + Σ_{taps inside the input} (x − zp_x)[iy, ix, c ..] · (W − zp_w)[ky, kx, c ..]
 * </pre>
 *
 * int32 lanes multiply and add exactly as the scalar loop does (same wrap-around, which 8-bit operands never reach),
 * so the accumulators are the scalar ones bit for bit. Per output pixel the taps inside the input form a rectangle
 * {@code [kyLo, kyHi) × [kxLo, kxHi)} worked out once, so the channel loop has no bounds checks; each block of L
 * channels keeps its accumulator in a register over all taps. The epilogue is {@link SimdRequantizer} on the XNNPACK
 * path (FP32), {@link SimdFixedPointRequantizer} for the built-in path's double rounding, and the scalar
 * {@link Requantizer#apply(int, int)} for the other fixed-point modes.
 *
 * <p>Only loaded when {@link Simd#enabled()}; {@link #create} falls back to the scalar kernel for 16x8 and depth
 * multipliers above 1.
 */
final class SimdDepthwiseConv2DInt extends IntegerWindowKernel {
    private static final VectorSpecies<Integer> INT = SimdSpecies.INT;

    /** Centred weights [tap][cPad], each tap's channels padded with zeros to a whole number of vectors. */
    private final int[] w;
    /** Bias padded to cPad. */
    private final int[] biasPadded;

    private final int cPad;
    /** FP32 requantization in vectors (XNNPACK path), or null. */
    private final SimdRequantizer vrq;
    /** gemmlowp double rounding in vectors (the built-in path's int8 depthwise and uint8 layers), or null. */
    private final SimdFixedPointRequantizer frq;
    /** Other rounding modes: the accumulators of every output element, requantized by the scalar requantizer. */
    private final int[] acc;

    private final byte[] yBytes;
    /** Lanes of the last, partial channel block (none when the channels fill whole vectors). */
    private final VectorMask<Integer> tail;

    private final int fullC;

    /** The fast kernel when it applies (8-bit, multiplier 1), else the scalar {@link DepthwiseConv2DInt}. */
    static Kernel create(
            Object x,
            int[] xShape,
            WeightedOpParams p,
            int[] wShape,
            Object y,
            int[] yShape,
            OpAttributes.DepthwiseConv2D a) {
        if (p.wide || a.depthMultiplier() != 1) {
            return new DepthwiseConv2DInt(x, xShape, p, wShape, y, yShape, a);
        }
        return new SimdDepthwiseConv2DInt(x, xShape, p, wShape, y, yShape, a);
    }

    SimdDepthwiseConv2DInt(
            Object x,
            int[] xShape,
            WeightedOpParams p,
            int[] wShape,
            Object y,
            int[] yShape,
            OpAttributes.DepthwiseConv2D a) {
        super(x, xShape, p, y, yShape, wShape[3], Window.of(wShape, a));
        if (p.wide || a.depthMultiplier() != 1 || outC != inC) {
            throw new IllegalArgumentException("the fast depthwise kernel takes 8-bit types and multiplier 1");
        }
        int lanes = INT.length();
        this.cPad = (outC + lanes - 1) / lanes * lanes;
        int taps = kh * kw;
        this.w = new int[taps * cPad];
        for (int t = 0; t < taps; t++) {
            System.arraycopy(p.weights, t * outC, w, t * cPad, outC);
        }
        this.biasPadded = new int[cPad];
        System.arraycopy(biasInt, 0, biasPadded, 0, outC);
        this.vrq = SimdRequantizer.supports(rq) ? new SimdRequantizer(rq) : null;
        this.frq = vrq == null && SimdFixedPointRequantizer.supports(rq) ? new SimdFixedPointRequantizer(rq) : null;
        this.acc = vrq == null && frq == null ? new int[batch * outH * outW * outC] : null;
        this.yBytes = (byte[]) y;
        this.fullC = outC / lanes * lanes;
        this.tail = fullC < outC ? INT.indexInRange(fullC, outC) : null;
    }

    @Override
    protected void outputRow(int b, int oy) {
        int iy0 = oy * sh - padT;
        int kyLo = iy0 >= 0 ? 0 : (-iy0 + dh - 1) / dh;
        int kyHi = Math.min(kh, Math.floorDiv(inH - 1 - iy0, dh) + 1);
        for (int ox = 0; ox < outW; ox++) {
            int ix0 = ox * sw - padL;
            int kxLo = ix0 >= 0 ? 0 : (-ix0 + dw - 1) / dw;
            int kxHi = Math.min(kw, Math.floorDiv(inW - 1 - ix0, dw) + 1);
            int out = ((b * outH + oy) * outW + ox) * outC;
            // element offset of tap (0, 0) in the input; taps outside the input are never formed
            int origin = ((b * inH + iy0) * inW + ix0) * inC;
            pixel(origin, out, kyLo, kyHi, kxLo, kxHi);
        }
    }

    /**
     * All channels of one output pixel at {@code out}, over the taps [kyLo, kyHi) × [kxLo, kxHi) from the input
     * element {@code origin} of tap (0, 0). A method of its own, invoked once per pixel, so the JIT compiles it whole
     * after a few thousand pixels (Vector API code is slow until then); no vector enters or leaves it.
     */
    private void pixel(int origin, int out, int kyLo, int kyHi, int kxLo, int kxHi) {
        for (int c = 0; c < fullC; c += INT.length()) {
            IntVector s = IntVector.fromArray(INT, biasPadded, c);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = origin + ky * dh * inW * inC + c;
                int wRow = ky * kw * cPad + c;
                for (int kx = kxLo; kx < kxHi; kx++) {
                    IntVector xv = IntVector.fromArray(INT, xc, row + kx * dw * inC);
                    s = s.add(xv.mul(IntVector.fromArray(INT, w, wRow + kx * cPad)));
                }
            }
            if (vrq != null) {
                vrq.store(s, c, yBytes, out + c);
            } else if (frq != null) {
                frq.store(s, c, yBytes, out + c, INT.length());
            } else {
                s.intoArray(acc, out + c);
            }
        }
        if (tail != null) {
            int c = fullC;
            IntVector s = IntVector.fromArray(INT, biasPadded, c);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = origin + ky * dh * inW * inC + c;
                int wRow = ky * kw * cPad + c;
                for (int kx = kxLo; kx < kxHi; kx++) {
                    IntVector xv = IntVector.fromArray(INT, xc, row + kx * dw * inC, tail);
                    s = s.add(xv.mul(IntVector.fromArray(INT, w, wRow + kx * cPad)));
                }
            }
            if (vrq != null) {
                vrq.store(s, c, yBytes, out + c, tail);
            } else if (frq != null) {
                frq.store(s, c, yBytes, out + c, outC - c);
            } else {
                s.intoArray(acc, out + c, tail);
            }
        }
        if (acc != null) {
            for (int o = 0; o < outC; o++) {
                Quant.set(y, outType, out + o, rq.apply(acc[out + o], o));
            }
        }
    }
}
