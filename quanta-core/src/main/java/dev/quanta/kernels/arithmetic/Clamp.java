package dev.quanta.kernels.arithmetic;

/** Applies a fused activation's clamp {@code y = min(max(y, lo), hi)} in place. */
public final class Clamp {
    private Clamp() {}

    public static void apply(float[] y, int from, int to, float lo, float hi) {
        if (lo == Float.NEGATIVE_INFINITY && hi == Float.POSITIVE_INFINITY) {
            return;
        }
        for (int i = from; i < to; i++) {
            float v = y[i];
            y[i] = v < lo ? lo : (v > hi ? hi : v);
        }
    }
}
