package dev.quanta.spark;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.nio.file.Path;

/**
 * A model as the command line names it: a self-contained file, or ({@code --config}) a weights-only Keras {@code .h5}
 * and the Keras model JSON it needs. Both files' bytes are broadcast, so executors load the same model.
 *
 * @param file the model file (with a config: the weights)
 * @param config the Keras model JSON, or null
 */
record ModelFile(Path file, Path config) {
    /** A self-contained model file. */
    static ModelFile of(Path file) {
        return new ModelFile(file, null);
    }

    /** The model, loaded here as {@link ModelFiles#load(Path, Path)} loads it. */
    Model load() {
        return ModelFiles.load(file, config);
    }

    /** The files' names and bytes, to broadcast. */
    ModelBytes bytes() {
        return ModelBytes.read(file, config);
    }
}
