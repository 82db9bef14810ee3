package dev.quanta.kernels.reduce;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * ARG_MAX and ARG_MIN: for each position outside the axis, the index along the axis of the largest (smallest)
 * element, the first one on ties; quantized values are compared raw (the order does not depend on the parameters).
 *
 * <pre>
 * x viewed as [outer, n, inner]:   y[o, k] = first a with x[o, a, k] &gt; (&lt;) every x[o, a', k] with a' &lt; a ... i.e.
 *   best = x[o, 0, k]; for a = 1..n−1: if x[o, a, k] &gt; best (strictly) then best = x[o, a, k], y = a
 * </pre>
 */
final class ArgMinMax implements Kernel {
    private final Object x;
    private final Object y;
    private final DType xType;
    private final DType yType;
    private final int outer;
    private final int n;
    private final int inner;
    private final boolean max;

    ArgMinMax(Object x, DType xType, int[] xShape, int axis, Object y, DType yType, boolean max) {
        this.x = x;
        this.y = y;
        this.xType = xType;
        this.yType = yType;
        int o = 1;
        for (int i = 0; i < axis; i++) {
            o *= xShape[i];
        }
        int in = 1;
        for (int i = axis + 1; i < xShape.length; i++) {
            in *= xShape[i];
        }
        this.outer = o;
        this.n = xShape[axis];
        this.inner = in;
        this.max = max;
    }

    @Override
    public void run(Parallel parallel) {
        boolean real = xType == DType.FLOAT32;
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < inner; k++) {
                int base = o * n * inner + k;
                int best = 0;
                if (real) {
                    float[] xf = (float[]) x;
                    float v = xf[base];
                    for (int a = 1; a < n; a++) {
                        float c = xf[base + a * inner];
                        if (max ? c > v : c < v) {
                            v = c;
                            best = a;
                        }
                    }
                } else {
                    long v = Elements.getLong(x, xType, base);
                    for (int a = 1; a < n; a++) {
                        long c = Elements.getLong(x, xType, base + a * inner);
                        if (max ? c > v : c < v) {
                            v = c;
                            best = a;
                        }
                    }
                }
                Elements.setLong(y, yType, o * inner + k, best);
            }
        }
    }
}
