package dev.quanta.ir;

/**
 * Spatial padding of convolutions and pooling, with TensorFlow's (and so Keras' and TFLite's) semantics.
 *
 * <pre>
 * effective kernel  k' = (k − 1) × dilation + 1
 * VALID: out = ⌊(in − k') / stride⌋ + 1, no padding
 * SAME:  out = ⌈in / stride⌉, total = max((out − 1) × stride + k' − in, 0),
 *        before = ⌊total / 2⌋, after = total − before   (the extra row/column goes after)
 * </pre>
 */
public enum Padding {
    VALID,
    SAME;

    /** Output size along one spatial axis. */
    public int outputSize(int in, int kernel, int stride, int dilation) {
        int effective = (kernel - 1) * dilation + 1;
        return switch (this) {
            case VALID -> in < effective ? 0 : (in - effective) / stride + 1;
            case SAME -> (in + stride - 1) / stride;
        };
    }

    /** Padding added before the first element along one spatial axis. */
    public int padBefore(int in, int kernel, int stride, int dilation) {
        if (this == VALID) {
            return 0;
        }
        int out = outputSize(in, kernel, stride, dilation);
        int effective = (kernel - 1) * dilation + 1;
        int total = Math.max((out - 1) * stride + effective - in, 0);
        return total / 2;
    }
}
