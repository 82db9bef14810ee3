package dev.quanta.ir;

/**
 * An activation fused into the op that precedes it (as TFLite's {@code fused_activation_function}).
 *
 * <pre>
 * NONE: y = x      RELU: y = max(x, 0)      RELU6: y = min(max(x, 0), 6)      RELU_N1_TO_1: y = min(max(x, −1), 1)
 * </pre>
 */
public enum Activation {
    NONE,
    RELU,
    RELU6,
    RELU_N1_TO_1;

    /** Applies the activation to one value. */
    public float apply(float x) {
        return switch (this) {
            case NONE -> x;
            case RELU -> x > 0f ? x : 0f;
            case RELU6 -> x > 0f ? (x < 6f ? x : 6f) : 0f;
            case RELU_N1_TO_1 -> x > -1f ? (x < 1f ? x : 1f) : -1f;
        };
    }

    /** Lower bound of the clamp (−∞ for NONE). */
    public float min() {
        return switch (this) {
            case NONE -> Float.NEGATIVE_INFINITY;
            case RELU, RELU6 -> 0f;
            case RELU_N1_TO_1 -> -1f;
        };
    }

    /** Upper bound of the clamp (+∞ for NONE and RELU). */
    public float max() {
        return switch (this) {
            case NONE, RELU -> Float.POSITIVE_INFINITY;
            case RELU6 -> 6f;
            case RELU_N1_TO_1 -> 1f;
        };
    }
}
