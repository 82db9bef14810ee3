/**
 * Detection kernels: TFLite's {@code TFLite_Detection_PostProcess} custom op (SSD box decoding and non-max
 * suppression), reached through {@link dev.quanta.kernels.detection.DetectionPostProcessKernels}.
 */
package dev.quanta.kernels.detection;
