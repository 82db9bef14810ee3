package dev.quanta.kernels;

import dev.quanta.ir.OpAttributes;

/**
 * Float max and average pooling, NHWC, TensorFlow padding. Padded positions are ignored: the maximum is over real
 * elements, and the average divides by their count.
 *
 * <pre>
 * max: y[b, oy, ox, c] = act( max_{(iy, ix) ∈ window ∩ input} x[b, iy, ix, c] )
 * avg: y[b, oy, ox, c] = act( Σ_{(iy, ix) ∈ window ∩ input} x[b, iy, ix, c] / |window ∩ input| )
 * </pre>
 */
final class Pool2DFloat implements Kernel {
    private final boolean max;
    private final float[] x;
    private final float[] y;
    private final int batch;
    private final int inH;
    private final int inW;
    private final int c;
    private final int outH;
    private final int outW;
    private final int fh;
    private final int fw;
    private final int sh;
    private final int sw;
    private final int padT;
    private final int padL;
    private final float lo;
    private final float hi;

    Pool2DFloat(boolean max, float[] x, int[] xShape, float[] y, int[] yShape, OpAttributes.Pool2D a) {
        this.max = max;
        this.x = x;
        this.y = y;
        this.batch = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.c = xShape[3];
        this.outH = yShape[1];
        this.outW = yShape[2];
        this.fh = a.filterH();
        this.fw = a.filterW();
        this.sh = a.strideH();
        this.sw = a.strideW();
        this.padT = a.padding().padBefore(inH, fh, sh, 1);
        this.padL = a.padding().padBefore(inW, fw, sw, 1);
        this.lo = a.activation().min();
        this.hi = a.activation().max();
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(batch * outH, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                outputRow(r / outH, r % outH);
            }
        });
    }

    private void outputRow(int b, int oy) {
        int y0 = Math.max(0, oy * sh - padT);
        int y1 = Math.min(inH, oy * sh - padT + fh);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = Math.max(0, ox * sw - padL);
            int x1 = Math.min(inW, ox * sw - padL + fw);
            int out = ((b * outH + oy) * outW + ox) * c;
            java.util.Arrays.fill(y, out, out + c, max ? Float.NEGATIVE_INFINITY : 0f);
            for (int iy = y0; iy < y1; iy++) {
                for (int ix = x0; ix < x1; ix++) {
                    int in = ((b * inH + iy) * inW + ix) * c;
                    if (max) {
                        for (int ch = 0; ch < c; ch++) {
                            y[out + ch] = Math.max(y[out + ch], x[in + ch]);
                        }
                    } else {
                        for (int ch = 0; ch < c; ch++) {
                            y[out + ch] += x[in + ch];
                        }
                    }
                }
            }
            if (!max) {
                float count = (float) ((y1 - y0) * (x1 - x0));
                for (int ch = 0; ch < c; ch++) {
                    y[out + ch] /= count;
                }
            }
            Clamp.apply(y, out, out + c, lo, hi);
        }
    }
}
