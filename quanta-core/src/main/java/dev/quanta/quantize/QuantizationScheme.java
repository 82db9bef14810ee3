package dev.quanta.quantize;

/** How integers map to reals. */
public enum QuantizationScheme {
    /** The TFLite int8 spec: int8 weights symmetric in [−127, 127] with zero point 0; int8 activations asymmetric. */
    SYMMETRIC,
    /** The TFLite uint8 scheme: uint8 weights and activations, both asymmetric; zero stays exactly representable. */
    ASYMMETRIC
}
