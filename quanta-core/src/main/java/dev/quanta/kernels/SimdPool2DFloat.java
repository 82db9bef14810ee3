package dev.quanta.kernels;

import dev.quanta.ir.OpAttributes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast float MAX_POOL_2D and AVERAGE_POOL_2D, vectorised across channels in {@link SimdSpecies#FLOAT} lanes.
 * Each lane takes the maximum ({@code Math.max}) or the sum of the same elements in the same order as
 * {@link Pool2DFloat}, divides by the same count and clamps the same way, so the results are the scalar ones bit for
 * bit. Only loaded when {@link Simd#enabled()}.
 */
final class SimdPool2DFloat extends WindowKernel {
    private static final VectorSpecies<Float> FLOAT = SimdSpecies.FLOAT;

    private final boolean max;
    private final float[] x;
    private final float[] y;
    private final float lo;
    private final float hi;
    private final int fullC;
    private final VectorMask<Float> tail;

    /** The fast pool (made through this method so that the factory's bytecode names no Vector API class). */
    static Kernel create(boolean max, float[] x, int[] xShape, float[] y, int[] yShape, OpAttributes.Pool2D a) {
        return new SimdPool2DFloat(max, x, xShape, y, yShape, a);
    }

    SimdPool2DFloat(boolean max, float[] x, int[] xShape, float[] y, int[] yShape, OpAttributes.Pool2D a) {
        super(xShape, yShape, Window.of(a));
        this.max = max;
        this.x = x;
        this.y = y;
        this.lo = a.activation().min();
        this.hi = a.activation().max();
        this.fullC = FLOAT.loopBound(inC);
        this.tail = fullC < inC ? FLOAT.indexInRange(fullC, inC) : null;
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
            float count = (float) ((y1 - y0) * (x1 - x0));
            for (int c = 0; c < fullC; c += FLOAT.length()) {
                FloatVector acc = FloatVector.broadcast(FLOAT, max ? Float.NEGATIVE_INFINITY : 0f);
                for (int iy = y0; iy < y1; iy++) {
                    int in = ((b * inH + iy) * inW + x0) * inC + c;
                    for (int ix = x0; ix < x1; ix++, in += inC) {
                        FloatVector v = FloatVector.fromArray(FLOAT, x, in);
                        acc = max ? acc.max(v) : acc.add(v);
                    }
                }
                finish(acc, count).intoArray(y, out + c);
            }
            if (tail != null) {
                FloatVector acc = FloatVector.broadcast(FLOAT, max ? Float.NEGATIVE_INFINITY : 0f);
                for (int iy = y0; iy < y1; iy++) {
                    int in = ((b * inH + iy) * inW + x0) * inC + fullC;
                    for (int ix = x0; ix < x1; ix++, in += inC) {
                        FloatVector v = FloatVector.fromArray(FLOAT, x, in, tail);
                        acc = max ? acc.max(v) : acc.add(v);
                    }
                }
                finish(acc, count).intoArray(y, out + fullC, tail);
            }
        }
    }

    /** The mean (average pool) and the activation's clamp, replacing only values outside [lo, hi]. */
    private FloatVector finish(FloatVector acc, float count) {
        FloatVector v = max ? acc : acc.div(count);
        return v.blend(lo, v.compare(VectorOperators.LT, lo)).blend(hi, v.compare(VectorOperators.GT, hi));
    }
}
