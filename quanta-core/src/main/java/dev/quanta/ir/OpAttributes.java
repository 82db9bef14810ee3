package dev.quanta.ir;

/** Typed attributes of an {@link Op}; each op type takes one record kind. */
public sealed interface OpAttributes {

    /** For ops without attributes. */
    record None() implements OpAttributes {
        public static final None INSTANCE = new None();
    }

    /** FULLY_CONNECTED. */
    record FullyConnected(Activation activation) implements OpAttributes {}

    /** CONV_2D. */
    record Conv2D(Padding padding, int strideH, int strideW, int dilationH, int dilationW, Activation activation)
            implements OpAttributes {}

    /** DEPTHWISE_CONV_2D. */
    record DepthwiseConv2D(Padding padding, int strideH, int strideW, int dilationH, int dilationW,
            int depthMultiplier, Activation activation) implements OpAttributes {}

    /** MAX_POOL_2D and AVERAGE_POOL_2D. */
    record Pool2D(Padding padding, int filterH, int filterW, int strideH, int strideW, Activation activation)
            implements OpAttributes {}

    /** MEAN over {@code axes}; {@code keepDims} keeps reduced axes as size 1. */
    record Mean(int[] axes, boolean keepDims) implements OpAttributes {}

    /** RESHAPE to {@code newShape}; a -1 entry is inferred (the batch, usually). */
    record Reshape(int[] newShape) implements OpAttributes {}

    /** BATCH_NORM. {@code axis} is the channel axis (negative counts from the end). */
    record BatchNorm(float epsilon, int axis, boolean hasGamma, boolean hasBeta) implements OpAttributes {}

    /** LEAKY_RELU: y = x for x ≥ 0, alpha·x otherwise. */
    record LeakyRelu(float alpha) implements OpAttributes {}

    /** SOFTMAX: y_i = exp(beta·x_i − m) / Σ exp(beta·x_j − m) along the last axis. */
    record Softmax(float beta) implements OpAttributes {}

    /** ADD. */
    record Add(Activation activation) implements OpAttributes {}

    /** CONCATENATION along {@code axis} (negative counts from the end). */
    record Concatenation(int axis, Activation activation) implements OpAttributes {}

    /** PAD with zeros: {@code paddings[axis] = {before, after}} for every axis of the input. */
    record Pad(int[][] paddings) implements OpAttributes {}
}
