/**
 * The interpreter's kernels: the registry ({@link dev.quanta.kernels.Kernels}) that maps an op to its family's
 * {@link dev.quanta.kernels.KernelProvider}, the registry rows ({@link dev.quanta.kernels.KernelSupport}: op ×
 * activation type × the TFLite paths reproduced), and the plumbing every family shares: interpreter arrays
 * ({@code Buffers}, {@code Elements}), broadcasting, the thread pool ({@code Parallel}) and the Vector API switch
 * ({@code Simd}). The families live in subpackages: {@code conv}, {@code elementwise}, {@code shape},
 * {@code reduce}, {@code sequence}, {@code signal}, with the shared integer arithmetic in {@code arithmetic}.
 */
package dev.quanta.kernels;
