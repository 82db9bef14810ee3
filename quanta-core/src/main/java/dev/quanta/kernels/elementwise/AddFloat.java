package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Clamp;

/**
 * Float addition with NumPy broadcasting and a fused activation: {@code y = act(a + b)}.
 */
final class AddFloat implements Kernel {
    private final float[] a;
    private final float[] b;
    private final float[] y;
    private final int[] outShape;
    private final int[] aStrides;
    private final int[] bStrides;
    private final boolean sameShape;
    private final float lo;
    private final float hi;

    AddFloat(float[] a, int[] aShape, float[] b, int[] bShape, float[] y, int[] yShape, float lo, float hi) {
        this.a = a;
        this.b = b;
        this.y = y;
        this.outShape = yShape.clone();
        this.aStrides = Broadcast.strides(aShape, yShape);
        this.bStrides = Broadcast.strides(bShape, yShape);
        this.sameShape = a.length == y.length && b.length == y.length;
        this.lo = lo;
        this.hi = hi;
    }

    /** The same-shape body, made once so that a run allocates nothing. */
    private final Parallel.RangeBody sameShapeBody = this::addSameShape;

    private void addSameShape(int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = a[i] + b[i];
        }
        Clamp.apply(y, from, to, lo, hi);
    }

    @Override
    public void run(Parallel parallel) {
        if (sameShape) {
            parallel.forRange(y.length, 4096, sameShapeBody);
            return;
        }
        Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> y[i] = a[ia] + b[ib]);
        Clamp.apply(y, 0, y.length, lo, hi);
    }
}
