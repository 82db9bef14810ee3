/**
 * Convolution, pooling and fully connected kernels: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D,
 * AVERAGE_POOL_2D in float32, int8, uint8, 16x8 and hybrid form, scalar and Vector API, with their GEMMs and weight
 * packing. {@link dev.quanta.kernels.conv.ConvolutionKernels} is the family's provider and states the arithmetic
 * per TFLite path.
 */
package dev.quanta.kernels.conv;
