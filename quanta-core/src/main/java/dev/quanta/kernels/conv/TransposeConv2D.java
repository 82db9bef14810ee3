package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Padding;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * TRANSPOSE_CONV (NHWC), float32 and integer (int8, uint8, 16x8), computed per output pixel by gathering the taps
 * TFLite's scatter sends there:
 *
 * <pre>
 * padT = CONV_2D's SAME/VALID padding of an outH-high input (kh, sh), padL likewise
 * acc[b, oy, ox, o] = bias[o] + Σ x[b, iy, ix, c] · W[o, ky, kx, c]
 *                     over ky, kx, c with iy = (oy + padT − ky) / sh and ix = (ox + padL − kx) / sw whole and inside
 *                     the input
 * y = act(acc)                           float32
 * y = requantize(acc, o)                 integer, with x − zp_x and W − zp_w[o]; int64 accumulators for 16x8
 * </pre>
 *
 * Integer sums are exact, so the gather gives TFLite's scatter result; only the requantization distinguishes the
 * paths (see {@link WeightedOpParams}). An integer run centres the input once; output rows are split over threads.
 */
final class TransposeConv2D implements Kernel {
    private final Object x;
    private final Object y;
    private final boolean floating;
    private final float[] wFloat;
    private final float[] biasFloat;
    private final float lo;
    private final float hi;
    private final WeightedOpParams p;
    private final DType inType;
    private final int batch;
    private final int inH;
    private final int inW;
    private final int inC;
    private final int outH;
    private final int outW;
    private final int outC;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int padT;
    private final int padL;
    /** Integer kernels: the input minus its zero point, made at the start of each run. */
    private final int[] xc;

    private TransposeConv2D(
            Object x,
            int[] xs,
            int[] ws,
            Object y,
            OpAttributes.TransposeConv a,
            float[] wFloat,
            float[] biasFloat,
            WeightedOpParams p) {
        this.x = x;
        this.y = y;
        this.floating = p == null;
        this.wFloat = wFloat;
        this.biasFloat = biasFloat;
        this.lo = a.activation().min();
        this.hi = a.activation().max();
        this.p = p;
        this.inType = p == null ? DType.FLOAT32 : p.inType;
        this.batch = xs[0];
        this.inH = xs[1];
        this.inW = xs[2];
        this.inC = xs[3];
        this.outC = ws[0];
        this.kh = ws[1];
        this.kw = ws[2];
        this.outH = a.outH();
        this.outW = a.outW();
        this.sh = a.strideH();
        this.sw = a.strideW();
        this.padT = padBefore(a.padding(), outH, kh, sh);
        this.padL = padBefore(a.padding(), outW, kw, sw);
        this.xc = p == null ? null : new int[Buffers.length(x)];
        int channels = outC;
        this.accFloat = ThreadLocal.withInitial(() -> new float[channels]);
        this.accInt = ThreadLocal.withInitial(() -> new long[channels]);
        this.taps = ThreadLocal.withInitial(() -> new int[2][kh * kw]);
    }

    /** TFLite's padding of a transposed convolution: CONV_2D's of an {@code out}-long input. */
    static int padBefore(Padding padding, int out, int k, int stride) {
        return padding.padBefore(out, k, stride, 1);
    }

    static TransposeConv2D floating(
            float[] x, int[] xs, float[] w, int[] ws, float[] bias, float[] y, OpAttributes.TransposeConv a) {
        return new TransposeConv2D(x, xs, ws, y, a, w, bias, null);
    }

    static TransposeConv2D integer(
            Object x, int[] xs, int[] ws, Object y, OpAttributes.TransposeConv a, WeightedOpParams p) {
        return new TransposeConv2D(x, xs, ws, y, a, null, null, p);
    }

    /** Output rows (b, oy) per thread, made once so that a run allocates nothing. */
    private final Parallel.RangeBody rows = this::rows;

    @Override
    public void run(Parallel parallel) {
        if (!floating) {
            Quant.centre(x, inType, p.inZeroPoint, xc, 0, xc.length);
        }
        parallel.forRange(batch * outH, 1, rows);
    }

    /** Per thread: one output pixel's accumulators. */
    private final ThreadLocal<float[]> accFloat;

    private final ThreadLocal<long[]> accInt;
    /** Per thread: the input and weight offsets of the taps that reach one output pixel ({@link #taps}). */
    private final ThreadLocal<int[][]> taps;

    private void rows(int from, int to) {
        float[] accF = floating ? accFloat.get() : null;
        long[] acc = floating ? null : accInt.get();
        int[][] t = taps.get();
        for (int r = from; r < to; r++) {
            int b = r / outH;
            int oy = r % outH;
            for (int ox = 0; ox < outW; ox++) {
                int n = taps(b, oy, ox, t[0], t[1]);
                if (floating) {
                    pixelFloat(b, oy, ox, t[0], t[1], n, accF);
                } else {
                    pixelInt(b, oy, ox, t[0], t[1], n, acc);
                }
            }
        }
    }

    /**
     * The taps (ky, kx) that reach output pixel (b, oy, ox), in ky then kx order: those where {@code oy + padT − ky}
     * and {@code ox + padL − kx} are non-negative multiples of the strides inside the input. Stores each tap's input
     * offset in {@code inOff} and its weight offset {@code (ky·kw + kx)·inC} (within one output channel) in
     * {@code wOff}; returns their count.
     */
    private int taps(int b, int oy, int ox, int[] inOff, int[] wOff) {
        int n = 0;
        for (int ky = 0; ky < kh; ky++) {
            int ny = oy + padT - ky;
            if (ny < 0 || ny % sh != 0 || ny / sh >= inH) {
                continue;
            }
            int iy = ny / sh;
            for (int kx = 0; kx < kw; kx++) {
                int nx = ox + padL - kx;
                if (nx < 0 || nx % sw != 0 || nx / sw >= inW) {
                    continue;
                }
                inOff[n] = ((b * inH + iy) * inW + nx / sw) * inC;
                wOff[n] = (ky * kw + kx) * inC;
                n++;
            }
        }
        return n;
    }

    private void pixelFloat(int b, int oy, int ox, int[] inOff, int[] wOff, int taps, float[] acc) {
        float[] xf = (float[]) x;
        java.util.Arrays.fill(acc, 0f);
        int perChannel = kh * kw * inC;
        for (int t = 0; t < taps; t++) {
            int in = inOff[t];
            for (int o = 0; o < outC; o++) {
                int w = o * perChannel + wOff[t];
                float s = 0f;
                for (int c = 0; c < inC; c++) {
                    s += xf[in + c] * wFloat[w + c];
                }
                acc[o] += s;
            }
        }
        float[] yf = (float[]) y;
        int out = ((b * outH + oy) * outW + ox) * outC;
        for (int o = 0; o < outC; o++) {
            float v = acc[o] + (biasFloat == null ? 0f : biasFloat[o]);
            yf[out + o] = v < lo ? lo : (v > hi ? hi : v);
        }
    }

    private void pixelInt(int b, int oy, int ox, int[] inOff, int[] wOff, int taps, long[] acc) {
        int[] w = p.weights;
        System.arraycopy(p.bias, 0, acc, 0, outC);
        int perChannel = kh * kw * inC;
        for (int t = 0; t < taps; t++) {
            int in = inOff[t];
            for (int o = 0; o < outC; o++) {
                int wi = o * perChannel + wOff[t];
                long s = 0;
                for (int c = 0; c < inC; c++) {
                    s += (long) xc[in + c] * w[wi + c];
                }
                acc[o] += s;
            }
        }
        Requantizer rq = p.requantizer;
        int out = ((b * outH + oy) * outW + ox) * outC;
        for (int o = 0; o < outC; o++) {
            int v = p.wide ? rq.apply(acc[o], o) : rq.apply((int) acc[o], o);
            Quant.set(y, p.outType, out + o, v);
        }
    }
}
