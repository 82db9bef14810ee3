package dev.quanta.testing;

import java.util.SplittableRandom;

/** Array literals, seeded random arrays and the argmax of an output, for quanta-core's tests. */
public final class CoreArrays {
    private CoreArrays() {}

    /** {@code n} values (float) (lo + u·(hi − lo)), u = {@code r.nextDouble()} uniform in [0, 1), in order. */
    public static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * (hi - lo) + lo);
        }
        return v;
    }

    /** The low byte of each value: {@code bytes(1, -1, 255)} is {1, −1, −1}. */
    public static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** The index of the first largest value. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The index of the first largest value. */
    public static int argmax(byte[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
