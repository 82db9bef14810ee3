/**
 * Shape and data-movement kernels: RESHAPE, IDENTITY, CONCATENATION, PAD, TRANSPOSE and STRIDED_SLICE, which copy
 * stored values. {@link dev.quanta.kernels.shape.ShapeKernels} is the family's provider.
 */
package dev.quanta.kernels.shape;
