package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Integer max and average pooling, NHWC, TensorFlow padding; input and output share their quantization
 * parameters (as TFLite requires), so no requantization happens. Padded positions are ignored.
 *
 * <pre>
 * max: y = clamp(max_{window ∩ input} x, lo, hi)
 * avg: S = Σ_{window ∩ input} x,  n = |window ∩ input|
 *      y = clamp(S &gt; 0 ? (S + ⌊n/2⌋) / n : (S − ⌊n/2⌋) / n, lo, hi)     division truncating towards zero
 * </pre>
 *
 * The average rounds half away from zero, as TFLite's reference and optimized integer AveragePool do; XNNPACK does
 * not take int8 average pooling, so both paths run this arithmetic. The sum is over raw values (zero point
 * included), which is exact because the mean of {@code x − zp} plus {@code zp} is the mean of x.
 */
final class Pool2DInt extends WindowKernel {
    private final boolean max;
    private final Object x;
    private final Object y;
    private final DType type;
    private final int lo;
    private final int hi;
    private final int[] acc;
    /** 8-bit tensors: the bytes, read without {@link Quant#get}'s type switch (uint8 masked with 0xFF). */
    private final byte[] xBytes;

    private final byte[] yBytes;
    private final boolean unsigned;

    Pool2DInt(
            boolean max,
            Object x,
            int[] xShape,
            Object y,
            int[] yShape,
            DType type,
            OpAttributes.Pool2D a,
            int lo,
            int hi) {
        super(xShape, yShape, Window.of(a));
        this.max = max;
        this.x = x;
        this.y = y;
        this.type = type;
        this.lo = lo;
        this.hi = hi;
        this.acc = new int[Buffers.length(y)];
        boolean bytes = type == DType.INT8 || type == DType.UINT8;
        this.xBytes = bytes ? (byte[]) x : null;
        this.yBytes = bytes ? (byte[]) y : null;
        this.unsigned = type == DType.UINT8;
    }

    @Override
    public void run(Parallel parallel) {
        forEachOutputRow(parallel);
    }

    @Override
    protected void outputRow(int b, int oy) {
        int y0 = Math.max(0, oy * sh - padT);
        int y1 = Math.min(inH, oy * sh - padT + kh);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = Math.max(0, ox * sw - padL);
            int x1 = Math.min(inW, ox * sw - padL + kw);
            int out = ((b * outH + oy) * outW + ox) * inC;
            java.util.Arrays.fill(acc, out, out + inC, max ? Integer.MIN_VALUE : 0);
            if (xBytes != null) {
                windowBytes(b, y0, y1, x0, x1, out);
                continue;
            }
            for (int iy = y0; iy < y1; iy++) {
                for (int ix = x0; ix < x1; ix++) {
                    int in = ((b * inH + iy) * inW + ix) * inC;
                    if (max) {
                        for (int ch = 0; ch < inC; ch++) {
                            acc[out + ch] = Math.max(acc[out + ch], Quant.get(x, type, in + ch));
                        }
                    } else {
                        for (int ch = 0; ch < inC; ch++) {
                            acc[out + ch] += Quant.get(x, type, in + ch);
                        }
                    }
                }
            }
            int n = (y1 - y0) * (x1 - x0);
            for (int ch = 0; ch < inC; ch++) {
                int v = acc[out + ch];
                if (!max) {
                    v = v > 0 ? (v + n / 2) / n : (v - n / 2) / n;
                }
                Quant.set(y, type, out + ch, v < lo ? lo : (v > hi ? hi : v));
            }
        }
    }

    /**
     * The output pixel at {@code out} of an 8-bit pool, window rows [y0, y1) × columns [x0, x1): the same max or
     * rounded mean as the generic loop, over the byte arrays directly (plain loops over the channels).
     */
    private void windowBytes(int b, int y0, int y1, int x0, int x1, int out) {
        byte[] xb = xBytes;
        int[] a = acc;
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                int in = ((b * inH + iy) * inW + ix) * inC;
                if (max && unsigned) {
                    for (int ch = 0; ch < inC; ch++) {
                        a[out + ch] = Math.max(a[out + ch], xb[in + ch] & 0xFF);
                    }
                } else if (max) {
                    for (int ch = 0; ch < inC; ch++) {
                        a[out + ch] = Math.max(a[out + ch], xb[in + ch]);
                    }
                } else if (unsigned) {
                    for (int ch = 0; ch < inC; ch++) {
                        a[out + ch] += xb[in + ch] & 0xFF;
                    }
                } else {
                    for (int ch = 0; ch < inC; ch++) {
                        a[out + ch] += xb[in + ch];
                    }
                }
            }
        }
        int n = (y1 - y0) * (x1 - x0);
        for (int ch = 0; ch < inC; ch++) {
            int v = a[out + ch];
            if (!max) {
                v = v > 0 ? (v + n / 2) / n : (v - n / 2) / n;
            }
            yBytes[out + ch] = (byte) (v < lo ? lo : (v > hi ? hi : v));
        }
    }
}
