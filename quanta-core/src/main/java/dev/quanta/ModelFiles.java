package dev.quanta;

import dev.quanta.ir.Model;
import dev.quanta.keras.KerasImporter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a model file of any supported format into the IR: Keras {@code .h5} and {@code .keras}, or a Keras
 * model JSON with a weights-only {@code .h5}.
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
        return KerasImporter.load(model);
    }

    /** Loads a self-contained model file. */
    public static Model load(Path model) {
        return load(model, null);
    }
}
