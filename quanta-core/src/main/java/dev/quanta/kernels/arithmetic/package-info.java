/**
 * The integer arithmetic the quantized kernels of every family share, as TFLite 2.21 and XNNPACK compute it:
 * gemmlowp fixed point ({@code FixedPoint}: SRDHM, rounding shifts, Q-format exp and reciprocal), requantization
 * of accumulators to 8- or 16-bit outputs ({@code Requantizer} and its Vector API forms), int16 sigmoid and tanh
 * ({@code Int16Activations}), and quantization-parameter helpers ({@code Quant}, {@code Clamp}).
 */
package dev.quanta.kernels.arithmetic;
