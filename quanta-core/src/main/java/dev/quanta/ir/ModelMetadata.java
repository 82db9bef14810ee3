package dev.quanta.ir;

/**
 * Facts about a model's source.
 *
 * @param modelClass Keras model class ({@code Sequential}, {@code Functional}) or null
 * @param trainingConfig the recorded loss and metrics, or null when the file has none
 */
public record ModelMetadata(SourceFormat sourceFormat, String source, String frameworkVersion, String backend,
        String modelClass, TrainingConfig trainingConfig) {

    public static ModelMetadata inMemory() {
        return new ModelMetadata(SourceFormat.IN_MEMORY, null, null, null, null, null);
    }

    /** True for Keras functional models, whose summary shows input layers and connections. */
    public boolean isFunctional() {
        return modelClass != null && !"Sequential".equals(modelClass);
    }

    public ModelMetadata withTrainingConfig(TrainingConfig config) {
        return new ModelMetadata(sourceFormat, source, frameworkVersion, backend, modelClass, config);
    }
}
