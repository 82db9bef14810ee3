package dev.quanta.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast float ADD of two same-shape operands, {@code y = act(a + b)} in {@link SimdSpecies#FLOAT} lanes: each sum
 * is the one float addition of {@link AddFloat}, and the clamp replaces only values below lo or above hi (as
 * {@link Clamp} does, so −0 and NaN pass unchanged), so the results are the scalar ones bit for bit. Broadcasting
 * stays scalar. Only loaded when {@link Simd#enabled()}.
 */
final class SimdAddFloat implements Kernel {
    private static final VectorSpecies<Float> FLOAT = SimdSpecies.FLOAT;
    /** Vectors per {@link #block} call. */
    private static final int BLOCK = 4;

    private final float[] a;
    private final float[] b;
    private final float[] y;
    private final float lo;
    private final float hi;
    private final boolean clamp;
    private final Parallel.RangeBody body = this::range;

    /** The fast kernel when both operands have the output's shape, else the scalar {@link AddFloat}. */
    static Kernel create(
            float[] a, int[] aShape, float[] b, int[] bShape, float[] y, int[] yShape, float lo, float hi) {
        if (a.length == y.length && b.length == y.length) {
            return new SimdAddFloat(a, b, y, lo, hi);
        }
        return new AddFloat(a, aShape, b, bShape, y, yShape, lo, hi);
    }

    SimdAddFloat(float[] a, float[] b, float[] y, float lo, float hi) {
        this.a = a;
        this.b = b;
        this.y = y;
        this.lo = lo;
        this.hi = hi;
        this.clamp = lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(y.length, 4096, body);
    }

    /**
     * {@code vectors} whole vectors from {@code i}. A method of its own, invoked once per {@link #BLOCK} vectors, so
     * that the JIT compiles it fully after a few thousand calls (until then Vector API code runs far slower than
     * scalar code); no vector crosses its boundary.
     */
    private void block(int i, int vectors) {
        for (int k = 0; k < vectors; k++, i += FLOAT.length()) {
            FloatVector v = FloatVector.fromArray(FLOAT, a, i).add(FloatVector.fromArray(FLOAT, b, i));
            if (clamp) {
                v = v.blend(lo, v.compare(VectorOperators.LT, lo)).blend(hi, v.compare(VectorOperators.GT, hi));
            }
            v.intoArray(y, i);
        }
    }

    private void range(int from, int to) {
        int i = from;
        for (int end = from + FLOAT.loopBound(to - from); i < end; ) {
            int vectors = Math.min(BLOCK, (end - i) / FLOAT.length());
            block(i, vectors);
            i += vectors * FLOAT.length();
        }
        int tail = i;
        for (; i < to; i++) {
            y[i] = a[i] + b[i];
        }
        Clamp.apply(y, tail, to, lo, hi);
    }
}
