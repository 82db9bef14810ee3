package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.eval.Evaluator;
import dev.quanta.ir.Model;
import dev.quanta.quantize.CalibrationScaleOut;
import dev.quanta.quantize.CalibrationStatistics;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Calibration statistics on Apache Spark ({@code quantize --calibration DATA --spark [MASTER]}): the calibration
 * samples are cut into partitions of whole calibration batches ({@link CalibrationStatistics#partitions}); the
 * model file's bytes are broadcast; each task rebuilds the model calibration runs on
 * ({@link Converter#calibrationModel()}, the same on every JVM), loads only its range of the dataset from its path
 * ({@link ExecutorCache#range}) and collects that range's statistics; the driver merges them in sample order, which gives
 * exactly one pass's statistics, and the same quantized file.
 */
public final class SparkCalibration implements CalibrationScaleOut {
    /** Starts a Spark session on {@code master}, or uses the one this JVM already runs (and leaves it running). */
    @Override
    public Session open(String master) {
        SparkScaleOut.quietLogging();
        boolean existed = SparkSession.getActiveSession().isDefined()
                || SparkSession.getDefaultSession().isDefined();
        SparkSession spark;
        try {
            spark = QuantaSpark.session(master);
        } catch (RuntimeException e) {
            throw new QuantaException(
                    "--spark " + master + ": " + SparkErrors.unwrap(e).getMessage(), e);
        }
        return new Runs(spark, !existed);
    }

    /**
     * The statistics of {@code modelFile} over {@code spec}'s first samples, collected on {@code spark}'s executors
     * in at most {@code partitions} ranges and merged.
     */
    public static CalibrationStatistics collect(
            SparkSession spark,
            Path modelFile,
            DatasetSpec spec,
            int samples,
            QuantizationConfig config,
            boolean keepHistograms,
            int partitions) {
        return collect(
                spark,
                ModelFile.of(modelFile),
                spec,
                samples,
                config,
                keepHistograms,
                partitions,
                Evaluator.Progress.NONE,
                new QuantaSpark.Stages());
    }

    /**
     * {@link #collect(SparkSession, Path, DatasetSpec, int, QuantizationConfig, boolean, int)}, reporting the
     * samples done to {@code progress} and ending the stages {@code load}, {@code broadcast}, {@code calibrate} and
     * {@code merge} in {@code stages}.
     */
    static CalibrationStatistics collect(
            SparkSession spark,
            ModelFile modelFile,
            DatasetSpec spec,
            int samples,
            QuantizationConfig config,
            boolean keepHistograms,
            int partitions,
            Evaluator.Progress progress,
            QuantaSpark.Stages stages) {
        List<int[]> ranges = CalibrationStatistics.partitions(samples, partitions);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ModelBytes file = modelFile.bytes();
        stages.end("load");
        Broadcast<ModelBytes> bytes = jsc.broadcast(file);
        stages.end("broadcast");
        try {
            List<CalibrationStatistics> parts = QuantaSpark.runJob(
                    spark,
                    SparkProgress.samples(ranges),
                    progress,
                    () -> jsc.parallelize(ranges, ranges.size())
                            .map(new CollectRange(bytes, SampleSource.of(spec), Settings.of(config, keepHistograms)))
                            .collect());
            stages.end("calibrate");
            CalibrationStatistics merged = CalibrationStatistics.merge(parts);
            stages.end("merge");
            return merged;
        } finally {
            bytes.destroy();
        }
    }

    /** What a task needs of the conversion settings: the calibrator, threads and cross-layer equalization. */
    record Settings(Calibrator calibrator, int threads, boolean equalize, boolean keepHistograms)
            implements Serializable {
        static Settings of(QuantizationConfig c, boolean keepHistograms) {
            return new Settings(c.calibrator(), c.calibrationThreads(), c.crossLayerEqualization(), keepHistograms);
        }

        QuantizationConfig config() {
            return QuantizationConfig.defaults()
                    .withCalibrator(calibrator)
                    .withCalibrationThreads(threads)
                    .withCrossLayerEqualization(equalize);
        }
    }

    /** A task: the statistics of one sample range, on the executor's cached model and data. */
    private record CollectRange(Broadcast<ModelBytes> bytes, SampleSource source, Settings settings)
            implements Function<int[], CalibrationStatistics> {
        @Override
        public CalibrationStatistics call(int[] range) {
            ModelBytes file = bytes.value();
            Dataset data = ExecutorCache.range(file, source, range[0], range[1]);
            QuantizationConfig config = settings.config();
            Model calibrationModel = Converter.fromModel(ExecutorCache.model(file))
                    .withConfig(config)
                    .calibrationModel();
            // the range alone, from its sample 0, then put back at its place in the calibration set
            return CalibrationStatistics.collect(
                            calibrationModel, data, 0, data.size(), config, settings.keepHistograms())
                    .startingAt(range[0]);
        }
    }

    /** A session's calibration jobs; with a {@code config} (a Keras model JSON), of weights-only files of it. */
    private static final class Runs implements Session {
        private final SparkSession spark;
        private final boolean stopOnClose;
        private final Path config;
        private int lastPartitions;
        private Map<String, Double> lastStageSeconds = Map.of();

        Runs(SparkSession spark, boolean stopOnClose) {
            this(spark, stopOnClose, null);
        }

        private Runs(SparkSession spark, boolean stopOnClose, Path config) {
            this.spark = spark;
            this.stopOnClose = stopOnClose;
            this.config = config;
        }

        @Override
        public Session withModelConfig(Path config) {
            // the original session owns the Spark session and stops it
            return new Runs(spark, false, config);
        }

        @Override
        public CalibrationStatistics.Source statistics(Path modelFile, DatasetSpec data) {
            return statistics(modelFile, data, (done, total) -> {});
        }

        @Override
        public CalibrationStatistics.Source statistics(
                Path modelFile, DatasetSpec data, CalibrationScaleOut.Progress progress) {
            return (model, samples, config, keep) -> {
                int parts = QuantaSpark.partitions(
                        spark,
                        samples,
                        model.inputs().isEmpty()
                                ? 1
                                : model.inputs().get(0).shape().sampleElementCount());
                lastPartitions =
                        CalibrationStatistics.partitions(samples, parts).size();
                QuantaSpark.Stages stages = new QuantaSpark.Stages();
                CalibrationStatistics s = collect(
                        spark,
                        new ModelFile(modelFile, this.config),
                        data,
                        samples,
                        config,
                        keep,
                        parts,
                        progress::update,
                        stages);
                lastStageSeconds = stages.seconds;
                return s;
            };
        }

        @Override
        public int lastPartitions() {
            return lastPartitions;
        }

        @Override
        public Map<String, Double> lastStageSeconds() {
            return lastStageSeconds;
        }

        @Override
        public void close() {
            if (stopOnClose) {
                spark.stop();
            }
        }
    }
}
