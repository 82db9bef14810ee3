package dev.quanta.quantize;

/** The type of a converted model's inputs and outputs. */
public enum IoType {
    /** float32 I/O with QUANTIZE / DEQUANTIZE at the boundary (the TFLite converter's default). */
    FLOAT,
    /** The quantized int8 tensors themselves. */
    INT8,
    /** The quantized uint8 tensors themselves. */
    UINT8,
    /** The quantized int16 tensors themselves (16x8 mode). */
    INT16
}
