package dev.quanta.kernels;

import dev.quanta.kernels.arithmetic.FixedPoint;

/**
 * Which of the official TFLite runtime's two int8 code paths the integer kernels reproduce bit for bit.
 *
 * <p>The two paths of TFLite 2.21 on x86-64 disagree by one quantization step on a few percent of the outputs of
 * convolutions, fully connected layers and additions, because they requantize differently (see
 * {@link FixedPoint}). Ops that XNNPACK does not take (for example int8 AVERAGE_POOL_2D and SOFTMAX) run TFLite's
 * built-in kernels on both paths, so Quanta computes them the built-in way in both modes.
 */
public enum QuantizedPath {
    /**
     * {@code BuiltinOpResolver}, TFLite's default: ops the XNNPACK delegate takes are computed as XNNPACK does
     * (fp32 requantization, XNNPACK's fixed-point addition); the others as TFLite's built-in kernels do.
     */
    XNNPACK,
    /** {@code BuiltinOpResolverWithoutDefaultDelegates}: every op as TFLite's own built-in kernels compute it. */
    BUILTIN
}
