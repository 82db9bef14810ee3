package dev.quanta.eval;

import dev.quanta.data.DatasetSpec;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * An engine that runs evaluation and batch inference over a cluster (issue 13; the module quanta-spark provides one
 * on Apache Spark), found on the class path through {@link ServiceLoader}: quanta-core itself knows no cluster.
 * Results equal the single-machine ones ({@link Evaluator}, {@link Reconstruction}) to the last bit.
 */
public interface ScaleOut {
    /** The engine's name, e.g. {@code spark}. */
    String name();

    /**
     * Connects to {@code master} (for Spark: {@code local[*]}, {@code local[2]}, {@code spark://host:port}).
     *
     * @throws dev.quanta.QuantaException when the master cannot be reached
     */
    Session open(String master);

    /** The first engine on the class path, if any. */
    static Optional<ScaleOut> find() {
        return ServiceLoader.load(ScaleOut.class).findFirst();
    }

    /** A connection to a cluster; close it when done. */
    interface Session extends AutoCloseable {
        /** {@link Evaluator#evaluate} of {@code model}'s file on {@code data}, split over the cluster. */
        Run<EvaluationResult> evaluate(
                Path model, DatasetSpec data, Evaluator.Options options, Evaluator.Progress progress);

        /** {@link Reconstruction#evaluate} of {@code model}'s file on {@code data}, split over the cluster. */
        Run<ReconstructionResult> reconstruct(
                Path model, DatasetSpec data, Metric metric, Evaluator.Options options, Evaluator.Progress progress);

        /**
         * {@link ModelComparison#compare} of two model files on {@code data}, both evaluations split over the
         * cluster; the per-layer table and latency are measured where this runs. On a session
         * {@link #withModelConfig with a model config}, {@code floatModel} is a weights-only file of it and
         * {@code quantizedModel} a self-contained file.
         */
        Run<ModelComparison.Result> compare(
                Path floatModel,
                Path quantizedModel,
                DatasetSpec data,
                ModelComparison.Options options,
                Evaluator.Progress progress);

        /**
         * Runs {@code model} over every sample of {@code data} and writes one row per sample to the Parquet
         * {@code out}: the sample's index, its label (null without), and its top-k classes and scores (or, with
         * {@code topK} 0, the whole dequantized output vector).
         *
         * @param column with Parquet data, the column holding the samples (array of floats, or float32 little-endian
         *     bytes); ignored for the other formats
         * @return the rows written
         */
        Run<Long> predict(
                Path model,
                DatasetSpec data,
                String column,
                int topK,
                Evaluator.Options options,
                Path out,
                Evaluator.Progress progress);

        /**
         * This session with its {@link #evaluate}, {@link #reconstruct} and {@link #predict} models, and the float
         * model of {@link #compare}, given as weights-only Keras files of the model JSON {@code config} (the command
         * line's {@code --config}); an engine that cannot load them refuses.
         *
         * @throws dev.quanta.QuantaException when the engine does not take a config
         */
        default Session withModelConfig(Path config) {
            throw new dev.quanta.QuantaException(
                    "--config is not supported on this engine; give one self-contained model file");
        }

        @Override
        void close();
    }

    /**
     * A distributed run's result, the time of its stages in seconds (in order: for Spark, {@code load},
     * {@code broadcast}, {@code evaluate}, {@code merge}; for {@code predict}, {@code load}, {@code broadcast},
     * {@code predict}, {@code count}) and the partitions the samples were cut into.
     */
    record Run<R>(R result, Map<String, Double> stageSeconds, int partitions) {}
}
