package dev.quanta.kernels;

/**
 * One op, prepared for one set of concrete shapes: weights are packed and buffers bound when the kernel is
 * made, so {@link #run} only computes. A kernel splits its work with {@link Parallel}; every output element is
 * computed by the same sequence of float operations whatever the split, so results do not depend on the thread
 * count.
 */
public interface Kernel {
    /** Computes the op's output from its bound inputs. */
    void run(Parallel parallel);

    /**
     * Clears state the kernel carries from one run to the next (tflite-micro's spectral subtraction keeps a noise
     * estimate); most kernels have none.
     */
    default void reset() {}

    /**
     * The largest magnitude an internal state of the kernel has reached over its runs (the float LSTM's cell
     * state, which calibration needs), or NaN when the kernel has none.
     */
    default float stateAbsMax() {
        return Float.NaN;
    }
}
