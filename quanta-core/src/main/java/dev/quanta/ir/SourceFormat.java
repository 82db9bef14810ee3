package dev.quanta.ir;

/** The file format a model was read from. */
public enum SourceFormat {
    /** Keras 2 / tf.keras full-model HDF5 ({@code .h5}). */
    KERAS_H5,
    /** Keras 3 zip ({@code .keras}). */
    KERAS_V3,
    /** A Keras model JSON plus a weights-only HDF5. */
    KERAS_JSON_WEIGHTS,
    /** TensorFlow Lite flatbuffer. */
    TFLITE,
    /** Built in code. */
    IN_MEMORY,
    // -- ONNX import (issue 12) --
    /** ONNX protobuf ({@code .onnx}). */
    ONNX
}
