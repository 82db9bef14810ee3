/**
 * Accuracy-driven quantization choices, above both the converter ({@code quantize}) and evaluation ({@code eval}):
 * per-layer {@link dev.quanta.tuning.Sensitivity} and accuracy-aware {@link dev.quanta.tuning.MixedPrecision}.
 */
package dev.quanta.tuning;
