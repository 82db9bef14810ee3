package dev.quanta.ir;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Facts about a model's source.
 *
 * @param modelClass Keras model class ({@code Sequential}, {@code Functional}) or null
 * @param trainingConfig the recorded loss and metrics, or null when the file has none
 * @param inputNormalization how raw data becomes the model's input, when the file records it (a Quanta-written
 *     file records its calibration data's preprocessing), else null
 */
public record ModelMetadata(
        SourceFormat sourceFormat,
        String source,
        String frameworkVersion,
        String backend,
        String modelClass,
        TrainingConfig trainingConfig,
        InputNormalization inputNormalization) {

    /** Metadata without a recorded input normalization. */
    public ModelMetadata(
            SourceFormat sourceFormat,
            String source,
            String frameworkVersion,
            String backend,
            String modelClass,
            TrainingConfig trainingConfig) {
        this(sourceFormat, source, frameworkVersion, backend, modelClass, trainingConfig, null);
    }

    public static ModelMetadata inMemory() {
        return new ModelMetadata(SourceFormat.IN_MEMORY, null, null, null, null, null, null);
    }

    /**
     * A model built in memory as a Keras {@code Sequential} model compiled with {@code trainingConfig} (the loss and
     * metrics a Keras file records), with no source file.
     */
    public static ModelMetadata inMemorySequential(TrainingConfig trainingConfig) {
        return new ModelMetadata(SourceFormat.IN_MEMORY, null, null, null, "Sequential", trainingConfig, null);
    }

    /** True for Keras functional models, whose summary shows input layers and connections. */
    public boolean isFunctional() {
        return modelClass != null && !"Sequential".equals(modelClass);
    }

    /**
     * The file the model was read from, which a writer must not replace; null when it has none (built in memory)
     * or when {@link #source} is no path on this system.
     */
    public Path sourceFile() {
        if (source == null) {
            return null;
        }
        try {
            return Path.of(source);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    public ModelMetadata withTrainingConfig(TrainingConfig config) {
        return new ModelMetadata(
                sourceFormat, source, frameworkVersion, backend, modelClass, config, inputNormalization);
    }

    public ModelMetadata withInputNormalization(InputNormalization normalization) {
        return new ModelMetadata(
                sourceFormat, source, frameworkVersion, backend, modelClass, trainingConfig, normalization);
    }
}
