package dev.quanta.io;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.keras.KerasImporter;
import dev.quanta.onnx.OnnxImporter;
import dev.quanta.onnx.OnnxReader;
import dev.quanta.tflite.TfliteReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a model file of any supported format into the IR: TensorFlow Lite {@code .tflite}, Keras {@code .h5}
 * and {@code .keras}, a Keras model JSON with a weights-only {@code .h5}, or ONNX {@code .onnx}.
 */
public final class ModelFiles {
    private ModelFiles() {}

    /**
     * Loads {@code model}; with a {@code config} (a Keras model JSON), {@code model} is the weights-only file.
     *
     * @throws QuantaException naming the file and what is wrong in it
     */
    public static Model load(Path model, Path config) {
        if (!Files.exists(model)) {
            throw QuantaException.inFile(model, "no such file");
        }
        if (config != null) {
            if (!Files.exists(config)) {
                throw QuantaException.inFile(config, "no such file");
            }
            return KerasImporter.load(config, model);
        }
        if (isTflite(model)) {
            return TfliteReader.read(model);
        }
        // -- ONNX import (issue 12) --
        if (OnnxReader.isOnnx(model)) {
            return OnnxImporter.load(model);
        }
        return KerasImporter.load(model);
    }

    /** True when the file carries the TFLite flatbuffer identifier {@code TFL3} at offset 4. */
    public static boolean isTflite(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(8);
            return head.length == 8 && head[4] == 'T' && head[5] == 'F' && head[6] == 'L' && head[7] == '3';
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Loads a self-contained model file. */
    public static Model load(Path model) {
        return load(model, null);
    }
}
