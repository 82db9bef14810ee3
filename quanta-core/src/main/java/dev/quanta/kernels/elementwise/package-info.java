/**
 * Elementwise and activation kernels: ADD, MUL, DIV, MINIMUM, MAXIMUM, CAST, RELU, RELU6, LEAKY_RELU, LOGISTIC,
 * TANH, SOFTMAX, BATCH_NORM, QUANTIZE and DEQUANTIZE. {@link dev.quanta.kernels.elementwise.ElementwiseKernels} is
 * the family's provider and states the arithmetic per TFLite path.
 */
package dev.quanta.kernels.elementwise;
