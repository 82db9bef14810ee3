package dev.quanta.spark;

import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.util.List;

/** One row of the SQL functions {@code quanta_predict} and {@code quanta_scores}: the model's output for a sample. */
final class SqlFunctionRun {
    private SqlFunctionRun() {}

    /** The output vector (dequantized) of the model for one sample given as a SQL array or binary value. */
    static float[] scores(ModelBytes file, Object features, int inputSize, int outputSize) {
        float[] x = new float[inputSize];
        PredictTasks.readSample(features, inputSize, "quanta_predict argument", x, 0);
        List<float[]> y = ExecutorCache.predict(file, 1, List.of(x));
        return y.get(0);
    }
}
