package dev.quanta.kernels.shape;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * RESIZE_BILINEAR on NHWC tensors, in one of the official runtime's arithmetics ({@link Arithmetic}). Quantized
 * values are interpolated raw: the output keeps the input's parameters.
 *
 * <pre>
 * s = in / out, or (in − 1)/(out − 1) with align_corners and out > 1
 * FLOAT (TFLite, float32 and the built-in uint8 kernel):
 *   p = y·s, or (y + ½)·s − ½ with half-pixel centres;  y0 = max(⌊p⌋, 0),  y1 = min(⌈p⌉, in − 1),  d = p − y0
 *   out = v00·(1−dy)(1−dx) + v01·(1−dy)·dx + v10·dy·(1−dx) + v11·dy·dx   (float, in this order; + ½ and truncated
 *         for uint8)
 * INTEGER (TFLite's ResizeBilinearInteger: int8, int16): s10 = round(1024·s) (integer division with half added),
 *   p = y·s10 (+ s10/2 − 512),  y0 = max(p / 1024, 0),  y1 = min((p + 1023) / 1024, in − 1)
 *   acc = Σ v·wy·wx with wy ∈ {1024 − (p − 1024·y0), p − 1024·y0} (int64);  out = (acc ± 2^19) / 2^20 (toward 0)
 * XNNPACK (ibilinear with 11-bit weights, int8/uint8): legacy (no half-pixel) p = y·s; else
 *   p = clamp(y·s + (½s − ½), 0, in − 1);  y0 = ⌊p⌋, y1 = min(y0 + 1, in − 1),  a = rint(2048·(p − y0))
 *   t = (v00 ≪ 11) + (v01 − v00)·ax,  b = (v10 ≪ 11) + (v11 − v10)·ax,  out = ((t ≪ 11) + (b − t)·ay + 2^21) ≫ 22
 * </pre>
 */
final class ResizeBilinear implements Kernel {
    /** Which runtime arithmetic the kernel reproduces. */
    enum Arithmetic {
        FLOAT,
        INTEGER,
        XNNPACK
    }

    private final Object x;
    private final Object y;
    private final DType type;
    private final int batches;
    private final int inH;
    private final int inW;
    private final int depth;
    private final int outH;
    private final int outW;
    private final boolean alignCorners;
    private final boolean halfPixel;
    private final Arithmetic arithmetic;

    ResizeBilinear(
            Object x,
            int[] xShape,
            Object y,
            DType type,
            int outH,
            int outW,
            boolean alignCorners,
            boolean halfPixel,
            Arithmetic arithmetic) {
        this.x = x;
        this.y = y;
        this.type = type;
        this.batches = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.depth = xShape[3];
        this.outH = outH;
        this.outW = outW;
        this.alignCorners = alignCorners;
        this.halfPixel = halfPixel;
        this.arithmetic = arithmetic;
    }

    @Override
    public void run(Parallel parallel) {
        switch (arithmetic) {
            case FLOAT -> runFloat();
            case INTEGER -> runInteger();
            case XNNPACK -> runXnnpack();
        }
    }

    private int offset(int b, int row, int col) {
        return ((b * inH + row) * inW + col) * depth;
    }

    private float scale(int in, int out) {
        return alignCorners && out > 1 ? (float) (in - 1) / (out - 1) : (float) in / out;
    }

    private void runFloat() {
        float sh = scale(inH, outH);
        float sw = scale(inW, outW);
        boolean integer = type != DType.FLOAT32;
        float rounding = integer ? 0.5f : 0f;
        int o = 0;
        for (int b = 0; b < batches; b++) {
            for (int r = 0; r < outH; r++) {
                float py = halfPixel ? (r + 0.5f) * sh - 0.5f : r * sh;
                int y0 = Math.max((int) Math.floor(py), 0);
                int y1 = Math.min((int) Math.ceil(py), inH - 1);
                float dy = py - y0;
                for (int c = 0; c < outW; c++) {
                    float px = halfPixel ? (c + 0.5f) * sw - 0.5f : c * sw;
                    int x0 = Math.max((int) Math.floor(px), 0);
                    int x1 = Math.min((int) Math.ceil(px), inW - 1);
                    float dx = px - x0;
                    float w00 = (1 - dy) * (1 - dx);
                    float w01 = (1 - dy) * dx;
                    float w10 = dy * (1 - dx);
                    float w11 = dy * dx;
                    int i00 = offset(b, y0, x0);
                    int i01 = offset(b, y0, x1);
                    int i10 = offset(b, y1, x0);
                    int i11 = offset(b, y1, x1);
                    for (int d = 0; d < depth; d++, o++) {
                        if (integer) {
                            float v = (float) Elements.getLong(x, type, i00 + d) * w00
                                    + (float) Elements.getLong(x, type, i01 + d) * w01
                                    + (float) Elements.getLong(x, type, i10 + d) * w10
                                    + (float) Elements.getLong(x, type, i11 + d) * w11
                                    + rounding;
                            Elements.setLong(y, type, o, (long) v);
                        } else {
                            float[] xf = (float[]) x;
                            float v = 0f;
                            v += xf[i00 + d] * w00;
                            v += xf[i01 + d] * w01;
                            v += xf[i10 + d] * w10;
                            v += xf[i11 + d] * w11;
                            ((float[]) y)[o] = v;
                        }
                    }
                }
            }
        }
    }

    private static int scale10(int in, int out, boolean alignCorners) {
        if (alignCorners && out > 1) {
            return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
        }
        return ((1 << 10) * in + out / 2) / out;
    }

    private void runInteger() {
        int sh = scale10(inH, outH, alignCorners);
        int sw = scale10(inW, outW, alignCorners);
        int o = 0;
        for (int b = 0; b < batches; b++) {
            for (int r = 0; r < outH; r++) {
                int py = halfPixel ? r * sh + sh / 2 - (1 << 9) : r * sh;
                int y0 = Math.max(py / 1024, 0);
                int y1 = Math.min((py + 1023) / 1024, inH - 1);
                int wy1 = py - 1024 * y0;
                int wy0 = 1024 - wy1;
                for (int c = 0; c < outW; c++) {
                    int px = halfPixel ? c * sw + sw / 2 - (1 << 9) : c * sw;
                    int x0 = Math.max(px / 1024, 0);
                    int x1 = Math.min((px + 1023) / 1024, inW - 1);
                    int wx1 = px - 1024 * x0;
                    int wx0 = 1024 - wx1;
                    int i00 = offset(b, y0, x0);
                    int i01 = offset(b, y0, x1);
                    int i10 = offset(b, y1, x0);
                    int i11 = offset(b, y1, x1);
                    for (int d = 0; d < depth; d++, o++) {
                        long acc = Elements.getLong(x, type, i00 + d) * wy0 * wx0
                                + Elements.getLong(x, type, i10 + d) * wy1 * wx0
                                + Elements.getLong(x, type, i01 + d) * wy0 * wx1
                                + Elements.getLong(x, type, i11 + d) * wy1 * wx1;
                        long round = acc > 0 ? 1 << 19 : -(1 << 19);
                        Elements.setLong(y, type, o, (acc + round) / (1 << 20));
                    }
                }
            }
        }
    }

    private void runXnnpack() {
        int adjH = alignCorners && outH != 1 ? 1 : 0;
        int adjW = alignCorners && outW != 1 ? 1 : 0;
        float sh = (float) (inH - adjH) / (float) (outH - adjH);
        float sw = (float) (inW - adjW) / (float) (outW - adjW);
        boolean legacy = !halfPixel;
        int[] x0s = new int[outW];
        int[] x1s = new int[outW];
        int[] axs = new int[outW];
        for (int c = 0; c < outW; c++) {
            float px = xnnpackCoordinate(c, sw, inW, legacy);
            x0s[c] = (int) px;
            x1s[c] = Math.min(x0s[c] + 1, inW - 1);
            axs[c] = (int) Math.rint((px - (float) x0s[c]) * 2048f);
        }
        int o = 0;
        for (int b = 0; b < batches; b++) {
            for (int r = 0; r < outH; r++) {
                float py = xnnpackCoordinate(r, sh, inH, legacy);
                int y0 = (int) py;
                int y1 = Math.min(y0 + 1, inH - 1);
                int ay = (int) Math.rint((py - (float) y0) * 2048f);
                for (int c = 0; c < outW; c++) {
                    int ax = axs[c];
                    int i00 = offset(b, y0, x0s[c]);
                    int i01 = offset(b, y0, x1s[c]);
                    int i10 = offset(b, y1, x0s[c]);
                    int i11 = offset(b, y1, x1s[c]);
                    for (int d = 0; d < depth; d++, o++) {
                        int tl = (int) Elements.getLong(x, type, i00 + d);
                        int tr = (int) Elements.getLong(x, type, i01 + d);
                        int bl = (int) Elements.getLong(x, type, i10 + d);
                        int br = (int) Elements.getLong(x, type, i11 + d);
                        int t = (tl << 11) + (tr - tl) * ax;
                        int bo = (bl << 11) + (br - bl) * ax;
                        int acc = (t << 11) + (bo - t) * ay;
                        Elements.setLong(y, type, o, (acc + (1 << 21)) >> 22);
                    }
                }
            }
        }
    }

    private static float xnnpackCoordinate(int i, float scale, int in, boolean legacy) {
        if (legacy) {
            return (float) i * scale;
        }
        float offset = 0.5f * scale - 0.5f;
        float p = (float) i * scale + offset;
        return Math.min(Math.max(p, 0f), (float) (in - 1));
    }
}
