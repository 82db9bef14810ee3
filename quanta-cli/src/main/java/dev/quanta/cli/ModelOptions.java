package dev.quanta.cli;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The model argument shared by commands: a model file, and optionally a Keras model JSON. */
final class ModelOptions {
    @Parameters(
            index = "0",
            paramLabel = "MODEL",
            description = "Keras .h5 or .keras, .tflite or .onnx model (with --config: a weights-only .h5).")
    Path model;

    @Option(
            names = "--config",
            paramLabel = "JSON",
            description = "Keras model JSON (architecture) to pair with a weights-only .h5.")
    Path config;

    Model load() {
        return ModelFiles.load(model, config);
    }
}
