package dev.quanta.quantize;

/** What a conversion stores and computes in reduced precision. */
public enum QuantizationMode {
    /** Plain float32 conversion (BatchNorm folded, activations fused). */
    FLOAT32,
    /** Weights stored as float16, dequantized to float32 for the computation. */
    FLOAT16,
    /** Dynamic range: int8 weights, float activations quantized on the fly by hybrid kernels. */
    DYNAMIC,
    /** Full integer: int8 (or uint8) weights and activations, activations calibrated. */
    INT8,
    /** int16 activations (symmetric, zero point 0) with int8 weights. */
    INT16X8
}
