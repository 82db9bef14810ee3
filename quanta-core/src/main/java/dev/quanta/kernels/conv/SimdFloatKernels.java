package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Simd;

/**
 * Makes the Vector API float kernels. {@link ConvolutionKernels} calls these only when {@link Simd#enabled()}; the
 * signatures name no Vector API type, so a JVM without the module never loads the classes behind them.
 */
final class SimdFloatKernels {
    private SimdFloatKernels() {}

    static Kernel conv2d(FloatConvKernel.Tensors t, OpAttributes.Conv2D a) {
        return new SimdConv2DFloat(t, a);
    }

    /** The vector kernel for depth multiplier 1; the scalar reference for other multipliers. */
    static Kernel depthwise(FloatConvKernel.Tensors t, OpAttributes.DepthwiseConv2D a) {
        return a.depthMultiplier() == 1 && t.xShape()[3] == t.wShape()[3]
                ? new SimdDepthwiseConv2DFloat(t, a)
                : new DepthwiseConv2DFloat(t, a);
    }

    static Kernel fullyConnected(
            float[] x, float[] weights, float[] bias, float[] y, int rows, int k, int n, Activation activation) {
        return new SimdFullyConnectedFloat(x, weights, bias, y, rows, k, n, activation);
    }
}
