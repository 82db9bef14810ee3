package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Padding;

/**
 * The window a {@link WindowKernel} slides over an NHWC input: its height and width, strides, dilations and
 * TensorFlow padding.
 */
record Window(int kh, int kw, int sh, int sw, int dh, int dw, Padding padding) {
    /** A 1×1 window, stride 1, unpadded: FULLY_CONNECTED seen as a convolution over [rows, 1, 1, k]. */
    static final Window POINT = new Window(1, 1, 1, 1, 1, 1, Padding.VALID);

    /** A convolution's window: weights [O, kh, kw, C] (CONV_2D) or [1, kh, kw, O] (DEPTHWISE_CONV_2D). */
    static Window of(int[] wShape, OpAttributes.Convolution a) {
        return new Window(wShape[1], wShape[2], a.strideH(), a.strideW(), a.dilationH(), a.dilationW(), a.padding());
    }

    /** A pool's window (no dilation). */
    static Window of(OpAttributes.Pool2D a) {
        return new Window(a.filterH(), a.filterW(), a.strideH(), a.strideW(), 1, 1, a.padding());
    }
}
