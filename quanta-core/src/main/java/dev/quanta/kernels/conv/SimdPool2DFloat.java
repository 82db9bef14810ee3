package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast float MAX_POOL_2D and AVERAGE_POOL_2D, vectorised across channels in {@link SimdSpecies#FLOAT} lanes.
 * Each lane takes the maximum ({@code Math.max}) or the sum of the same elements in the same order as
 * {@link Pool2DFloat}, divides by the same count and clamps the same way, so the results are the scalar ones bit for
 * bit. Small pools (under {@link #MIN_BLOCKS} output blocks per run) stay scalar. Only loaded when
 * {@link Simd#enabled()}.
 */
final class SimdPool2DFloat extends WindowKernel {
    private static final VectorSpecies<Float> FLOAT = SimdSpecies.FLOAT;
    /**
     * Pools with fewer (output pixel, channel block) pairs per run stay scalar, for the JIT warm-up reason of
     * {@link SimdPool2DInt#MIN_BLOCKS}; still 64 here (the 8-bit pools take 16 since their narrow vectors).
     */
    static final int MIN_BLOCKS = 64;

    private final boolean max;
    private final float[] x;
    private final float[] y;
    private final float lo;
    private final float hi;
    private final int fullC;
    private final VectorMask<Float> tail;

    /** The fast pool (made through this method so that the factory's bytecode names no Vector API class). */
    static Kernel create(boolean max, float[] x, int[] xShape, float[] y, int[] yShape, OpAttributes.Pool2D a) {
        long blocks = (long) yShape[0] * yShape[1] * yShape[2] * ((yShape[3] + FLOAT.length() - 1) / FLOAT.length());
        if (blocks < MIN_BLOCKS) {
            return new Pool2DFloat(max, x, xShape, y, yShape, a);
        }
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
            int first = ((b * inH + y0) * inW + x0) * inC;
            for (int c = 0; c < inC; c += FLOAT.length()) {
                block(first + c, y1 - y0, x1 - x0, count, c < fullC ? null : tail, out + c);
            }
        }
    }

    /**
     * Stores at {@code out} the pooled channel block of a rows × cols window whose first element is at {@code at}:
     * the maximum or the mean (sum divided by {@code count}), then the clamp, replacing only values outside
     * [lo, hi]. A method invoked once per output pixel and channel block that no vector enters or leaves, so the JIT
     * compiles it whole.
     */
    private void block(int at, int rows, int cols, float count, VectorMask<Float> m, int out) {
        FloatVector acc = FloatVector.broadcast(FLOAT, max ? Float.NEGATIVE_INFINITY : 0f);
        for (int r = 0; r < rows; r++) {
            int in = at + r * inW * inC;
            for (int col = 0; col < cols; col++, in += inC) {
                FloatVector v =
                        m == null ? FloatVector.fromArray(FLOAT, x, in) : FloatVector.fromArray(FLOAT, x, in, m);
                acc = max ? acc.max(v) : acc.add(v);
            }
        }
        FloatVector v = max ? acc : acc.div(count);
        v = v.blend(lo, v.compare(VectorOperators.LT, lo)).blend(hi, v.compare(VectorOperators.GT, hi));
        if (m == null) {
            v.intoArray(y, out);
        } else {
            v.intoArray(y, out, m);
        }
    }
}
