package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Clamp;

/**
 * Float max and average pooling, NHWC, TensorFlow padding. Padded positions are ignored: the maximum is over real
 * elements, and the average divides by their count.
 *
 * <pre>
 * max: y[b, oy, ox, c] = act( max_{(iy, ix) ∈ window ∩ input} x[b, iy, ix, c] )
 * avg: y[b, oy, ox, c] = act( Σ_{(iy, ix) ∈ window ∩ input} x[b, iy, ix, c] / |window ∩ input| )
 * </pre>
 */
final class Pool2DFloat extends WindowKernel {
    private final boolean max;
    private final float[] x;
    private final float[] y;
    private final float lo;
    private final float hi;

    Pool2DFloat(boolean max, float[] x, int[] xShape, float[] y, int[] yShape, OpAttributes.Pool2D a) {
        super(xShape, yShape, Window.of(a));
        this.max = max;
        this.x = x;
        this.y = y;
        this.lo = a.activation().min();
        this.hi = a.activation().max();
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
            java.util.Arrays.fill(y, out, out + inC, max ? Float.NEGATIVE_INFINITY : 0f);
            for (int iy = y0; iy < y1; iy++) {
                for (int ix = x0; ix < x1; ix++) {
                    int in = ((b * inH + iy) * inW + ix) * inC;
                    if (max) {
                        for (int ch = 0; ch < inC; ch++) {
                            y[out + ch] = Math.max(y[out + ch], x[in + ch]);
                        }
                    } else {
                        for (int ch = 0; ch < inC; ch++) {
                            y[out + ch] += x[in + ch];
                        }
                    }
                }
            }
            if (!max) {
                float count = (float) ((y1 - y0) * (x1 - x0));
                for (int ch = 0; ch < inC; ch++) {
                    y[out + ch] /= count;
                }
            }
            Clamp.apply(y, out, out + inC, lo, hi);
        }
    }
}
