/**
 * Reduction kernels: MEAN in float32, int8, uint8 and int16. {@link dev.quanta.kernels.reduce.ReductionKernels} is
 * the family's provider and states the arithmetic per TFLite path.
 */
package dev.quanta.kernels.reduce;
