package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.InputChecks;
import dev.quanta.eval.Metric;
import dev.quanta.eval.ModelComparison;
import dev.quanta.eval.Reconstruction;
import dev.quanta.eval.ReconstructionResult;
import dev.quanta.eval.ScaleOut.Run;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.FloatGraphPasses;
import dev.quanta.quantize.LayerStatistics;
import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Quanta on Apache Spark: evaluation split over a cluster's executors, merged to the same numbers as one machine's.
 *
 * <p>The dataset is cut into partitions of whole batches (sample index ranges, at most
 * {@link #MAX_PARTITION_BYTES} of samples each); the model file's bytes are broadcast; each executor JVM loads the
 * model once ({@link ExecutorCache}), each task loads only its range of the data ({@link Datasets#loadRange}) and
 * scores it with an interpreter pool ({@link Evaluator#evaluateRange}); the driver merges the parts in sample order
 * ({@link Evaluator#merge}), the same code the single-machine evaluation ends in. The driver never holds the
 * dataset: it reads the first sample (the single-machine checks run on it) and the count, and what the merge needs of
 * every sample (labels checked, input values tallied, labels and clips for reconstruction) comes back from the tasks.
 * Executors reopen the dataset from its path, so the path must be readable on every executor (local mode, a loopback
 * cluster, a shared file system).
 */
public final class QuantaSpark {
    /** Partitions per executor core: a few, so a slow task does not hold the job up long. */
    private static final int PARTITIONS_PER_CORE = 2;

    private QuantaSpark() {}

    /**
     * A Spark session for {@code master} ({@code local[*]}, {@code local[2]}, {@code spark://host:port}) with Spark's
     * web UI off; in local mode the driver binds to the loopback address.
     */
    public static SparkSession session(String master) {
        SparkSession.Builder b =
                SparkSession.builder().master(master).appName("quanta").config("spark.ui.enabled", "false");
        if (master.startsWith("local")) {
            b = b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        return b.getOrCreate();
    }

    /**
     * Evaluates the classifier in {@code modelFile} on {@code spec}'s labelled data, as {@link Evaluator#evaluate}
     * does on one machine, with the same result (loss, accuracy, every prediction). The driver reads the first sample
     * and the count only ({@link Head}); the tasks load their ranges, check their labels and tally their values for
     * the input-range notices.
     */
    public static Run<EvaluationResult> evaluate(
            SparkSession spark,
            Path modelFile,
            DatasetSpec spec,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return evaluate(spark, modelFile, null, spec, options, progress);
    }

    /**
     * {@link #evaluate(SparkSession, Path, DatasetSpec, Evaluator.Options, Evaluator.Progress)} of the weights-only
     * Keras file {@code modelFile} with its model JSON {@code config} (null: a self-contained file); both files'
     * bytes are broadcast.
     */
    public static Run<EvaluationResult> evaluate(
            SparkSession spark,
            Path modelFile,
            Path config,
            DatasetSpec spec,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        ModelFile file = new ModelFile(modelFile, config);
        return evaluate(spark, () -> Head.of(file, file.load(), spec), options, progress);
    }

    private static Run<EvaluationResult> evaluate(
            SparkSession spark,
            java.util.function.Supplier<Head> head,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return scoreRanges(
                spark,
                head,
                options,
                progress,
                (model, first) -> Evaluator.evaluateRange(model, first, options, 0, 0, Evaluator.Progress.NONE),
                (bytes, source) -> new EvaluateRange(bytes, source, options),
                (h, parts, seconds) -> Evaluator.merge(
                        h.model(),
                        h.first(),
                        h.samples(),
                        options,
                        parts.stream().map(Scored::part).toList(),
                        seconds,
                        Scored.tally(parts)));
    }

    /**
     * Scores the autoencoder in {@code modelFile} on {@code spec}'s data with a reconstruction metric, as
     * {@link Reconstruction#evaluate} does on one machine, with the same result. The driver reads the first sample
     * and the count only ({@link Head}); the tasks return their samples' labels and clips with their window errors.
     */
    public static Run<ReconstructionResult> reconstruct(
            SparkSession spark,
            Path modelFile,
            DatasetSpec spec,
            Metric metric,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return reconstruct(spark, modelFile, null, spec, metric, options, progress);
    }

    /**
     * {@link #reconstruct(SparkSession, Path, DatasetSpec, Metric, Evaluator.Options, Evaluator.Progress)} of the
     * weights-only Keras file {@code modelFile} with its model JSON {@code config} (null: a self-contained file).
     */
    public static Run<ReconstructionResult> reconstruct(
            SparkSession spark,
            Path modelFile,
            Path config,
            DatasetSpec spec,
            Metric metric,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        ModelFile file = new ModelFile(modelFile, config);
        return reconstruct(spark, () -> Head.of(file, file.load(), spec), metric, options, progress);
    }

    private static Run<ReconstructionResult> reconstruct(
            SparkSession spark,
            java.util.function.Supplier<Head> head,
            Metric metric,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return scoreRanges(
                spark,
                head,
                options,
                progress,
                (model, first) ->
                        Reconstruction.windowErrors(model, first, metric, options, 0, 0, Evaluator.Progress.NONE),
                (bytes, source) -> new ReconstructRange(bytes, source, metric, options),
                (h, parts, seconds) -> Reconstruction.merge(
                        h.model(),
                        h.first(),
                        h.samples(),
                        metric,
                        parts.stream().map(Scored::part).toList(),
                        h.first().hasLabels() ? Scored.concat(parts, Scored::labels, h.samples()) : null,
                        h.first().hasClips() ? Scored.concat(parts, Scored::clips, h.samples()) : null,
                        seconds,
                        Scored.tally(parts)));
    }

    /** Merges the parts of every range, in sample order, into the single-machine result. */
    private interface Merge<P, R> {
        R merge(Head head, List<Scored<P>> parts, double seconds);
    }

    /**
     * What the driver reads of the data (issue 13: it never holds the dataset): a model file and its model, the data
     * spec as that model reads it, its first sample (on which the single-machine checks run; for windowed clips with
     * all the clip names) and the number of samples ({@link Datasets#count}).
     */
    private record Head(ModelFile file, Model model, DatasetSpec resolved, Dataset first, int samples) {
        static Head of(ModelFile file, Model model, DatasetSpec spec) {
            DatasetSpec resolved = Datasets.forModel(spec, model);
            return of(file, model, resolved, Datasets.count(resolved));
        }

        /**
         * The head of a dataset already counted: {@code samples} of {@code spec} ({@link Datasets#forModel} sets
         * only the sample shape and preprocessing, which change no count).
         */
        static Head of(ModelFile file, Model model, DatasetSpec spec, int samples) {
            DatasetSpec resolved = Datasets.forModel(spec, model);
            return new Head(file, model, resolved, Datasets.loadRange(resolved, 0, 1, samples), samples);
        }
    }

    /**
     * A task's answer for its range {@code from}…: its part of the result, the {@link InputChecks.Tally} of its
     * values, its samples' labels and clip indices (reconstruction; null when not needed or absent), or, instead, the
     * Quanta error it met (bad data: a label out of range, a short file). Errors come back as values so that the
     * driver reports the first one in sample order, the one the single machine meets first, whichever task failed
     * first.
     */
    record Scored<P>(int from, P part, InputChecks.Tally tally, int[] labels, int[] clips, QuantaException error)
            implements java.io.Serializable {
        static <P> Scored<P> failed(int from, QuantaException e) {
            return new Scored<>(from, null, null, null, null, e);
        }

        /** The error of the first range in sample order that failed; none when all were scored. */
        static <P> void throwFirstError(List<Scored<P>> parts) {
            parts.stream()
                    .filter(p -> p.error() != null)
                    .min(java.util.Comparator.comparingInt(Scored::from))
                    .ifPresent(p -> {
                        throw p.error();
                    });
        }

        /** The tally of all ranges' values (null when the model's input is not quantized). */
        static <P> InputChecks.Tally tally(List<Scored<P>> parts) {
            InputChecks.Tally all = null;
            for (Scored<P> p : parts) {
                if (p.tally() != null) {
                    all = all == null ? p.tally() : all.plus(p.tally());
                }
            }
            return all;
        }

        /** Every sample's value of {@code field}, the ranges put at their places. */
        static <P> int[] concat(
                List<Scored<P>> parts, java.util.function.Function<Scored<P>, int[]> field, int samples) {
            int[] all = new int[samples];
            for (Scored<P> p : parts) {
                int[] v = field.apply(p);
                System.arraycopy(v, 0, all, p.from(), v.length);
            }
            return all;
        }
    }

    /**
     * Reads the model and the data's {@link Head} on the driver and runs {@code check} on the first sample (the
     * single-machine checks, with their errors, before any task runs); broadcasts the model file's bytes; scores the
     * ranges of whole batches with the task {@code task} makes, each loading its own range; throws the first range's
     * error if a task met one, else merges the parts.
     */
    private static <P, R> Run<R> scoreRanges(
            SparkSession spark,
            java.util.function.Supplier<Head> load,
            Evaluator.Options options,
            Evaluator.Progress progress,
            java.util.function.BiConsumer<Model, Dataset> check,
            java.util.function.BiFunction<Broadcast<ModelBytes>, SampleSource, Function<int[], Scored<P>>> task,
            Merge<P, R> merge) {
        Stages stages = new Stages();
        Head head = load.get();
        check.accept(head.model(), head.first());
        stages.end("load");
        int n = head.samples();
        List<int[]> ranges =
                ranges(n, options.batchSize(), partitions(spark, n, head.first().sampleSize()));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(head.file().bytes());
        stages.end("broadcast");
        long start = System.nanoTime();
        Function<int[], Scored<P>> f = task.apply(bytes, SampleSource.of(head.resolved(), n));
        List<Scored<P>> parts;
        try {
            parts = runJob(
                    spark,
                    SparkProgress.samples(ranges),
                    progress,
                    () -> jsc.parallelize(ranges, ranges.size()).map(f).collect());
        } finally {
            bytes.destroy();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.end("evaluate");
        Scored.throwFirstError(parts);
        R r = merge.merge(head, parts, seconds);
        stages.end("merge");
        return new Run<>(r, stages.seconds, ranges.size());
    }

    /**
     * {@link ModelComparison#compare(Model, Model, Dataset, ModelComparison.Options, Evaluator.Progress)} with both
     * models' evaluations split over the cluster (one after the other), then the per-layer table's first
     * {@link ModelComparison.Options#layerSamples} samples (parts of its error sums computed on the executors, merged
     * here exactly); latency is measured here, on the driver. The driver reads only the first sample and the count
     * of the data. The result equals the single-machine one but for the measured times.
     */
    public static Run<ModelComparison.Result> compare(
            SparkSession spark,
            Path floatFile,
            Path quantizedFile,
            DatasetSpec spec,
            ModelComparison.Options options,
            Evaluator.Progress progress) {
        return compare(spark, floatFile, null, quantizedFile, spec, options, progress);
    }

    /**
     * {@link #compare(SparkSession, Path, Path, DatasetSpec, ModelComparison.Options, Evaluator.Progress)} of the
     * float model given as the weights-only Keras file {@code floatFile} with its model JSON {@code floatConfig}
     * (null: a self-contained file), both files' bytes broadcast; the compared model is a self-contained file.
     */
    public static Run<ModelComparison.Result> compare(
            SparkSession spark,
            Path floatFile,
            Path floatConfig,
            Path quantizedFile,
            DatasetSpec spec,
            ModelComparison.Options options,
            Evaluator.Progress progress) {
        ModelFile floatModelFile = new ModelFile(floatFile, floatConfig);
        Model floatModel = floatModelFile.load();
        Model quantized = ModelFiles.load(quantizedFile);
        // the dataset as the float model reads it, so that the executors load the same one for either model
        DatasetSpec resolved = Datasets.forModel(spec, floatModel);
        Head floatHead = Head.of(floatModelFile, floatModel, resolved);
        java.util.function.Supplier<Head> quantizedHead =
                () -> Head.of(ModelFile.of(quantizedFile), quantized, resolved, floatHead.samples());
        Metric metric = options.metric() != null ? options.metric() : Metric.defaultFor(floatModel);
        Map<String, Double> seconds = new LinkedHashMap<>();
        EvaluationResult f = null;
        EvaluationResult q = null;
        ReconstructionResult fr = null;
        ReconstructionResult qr = null;
        Run<?> floatRun;
        Run<?> quantizedRun;
        if (metric.isReconstruction()) {
            Run<ReconstructionResult> a = reconstruct(spark, () -> floatHead, metric, options.evaluation(), progress);
            Run<ReconstructionResult> b = reconstruct(spark, quantizedHead, metric, options.evaluation(), progress);
            fr = a.result();
            qr = b.result();
            floatRun = a;
            quantizedRun = b;
        } else {
            Run<EvaluationResult> a = evaluate(spark, () -> floatHead, options.evaluation(), progress);
            Run<EvaluationResult> b = evaluate(
                    spark, quantizedHead, ModelComparison.quantizedOptions(options.evaluation(), a.result()), progress);
            f = a.result();
            q = b.result();
            floatRun = a;
            quantizedRun = b;
        }
        floatRun.stageSeconds().forEach((k, v) -> seconds.put("float_" + k, v));
        quantizedRun.stageSeconds().forEach((k, v) -> seconds.put("quantized_" + k, v));
        Stages stages = new Stages();
        List<LayerStatistics> layerParts = layerStatistics(
                spark, floatModelFile, quantizedFile, floatModel, quantized, floatHead, resolved, options);
        stages.end("layers");
        ModelComparison.Result r = ModelComparison.complete(floatModel, quantized, options, f, q, fr, qr, layerParts)
                .withFileBytes(floatFile, quantizedFile);
        stages.end("latency_on_driver");
        seconds.putAll(stages.seconds);
        return new Run<>(r, seconds, floatRun.partitions());
    }

    /**
     * The per-layer error sums of {@link ModelComparison#compare}'s first {@link ModelComparison#layerSampleCount}
     * samples, split over the cluster: one {@link ModelComparison#layerStatistics} part per range of samples, for the
     * driver to merge (exactly, to the single-machine table). The single-machine checks run here first, on the first
     * sample, with their errors.
     */
    private static List<LayerStatistics> layerStatistics(
            SparkSession spark,
            ModelFile floatFile,
            Path quantizedFile,
            Model floatModel,
            Model quantized,
            Head head,
            DatasetSpec resolved,
            ModelComparison.Options options) {
        int threads = options.evaluation().threads();
        ModelComparison.layerStatistics(FloatGraphPasses.apply(floatModel), quantized, head.first(), threads, 0, 0);
        int n = ModelComparison.layerSampleCount(head.samples(), options);
        List<int[]> ranges = ranges(n, 1, partitions(spark, n, head.first().sampleSize()));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> floatBytes = jsc.broadcast(floatFile.bytes());
        Broadcast<ModelBytes> quantizedBytes = jsc.broadcast(ModelBytes.read(quantizedFile));
        LayerRange task =
                new LayerRange(floatBytes, quantizedBytes, SampleSource.of(resolved, head.samples()), threads);
        try {
            return runJob(
                    spark,
                    SparkProgress.samples(ranges),
                    Evaluator.Progress.NONE,
                    () -> jsc.parallelize(ranges, ranges.size()).map(task).collect());
        } finally {
            floatBytes.destroy();
            quantizedBytes.destroy();
        }
    }

    /** The columns batch inference adds: with top-k, the classes and their scores; raw, the output vector. */
    static StructType predictionColumns(StructType schema, int topK) {
        if (topK > 0) {
            return schema.add("top_classes", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                    .add("top_scores", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        }
        return schema.add("output", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    }

    /**
     * Runs the model in {@code modelFile} on every row of {@code rows}: the samples are in {@code column}, an array
     * of floats or float32 little-endian bytes of the model's input size. The result has {@code rows}' other columns
     * and, with {@code topK} at least 1, {@code top_classes} and {@code top_scores} (the k best classes, best first),
     * or, with {@code topK} 0, {@code output} (the model's output vector, dequantized). Lazy, like any Spark
     * transformation; a row of the wrong length fails the job with a one-line {@link QuantaException}.
     *
     * @throws QuantaException when {@code rows} has no such column, or one of another type
     */
    public static org.apache.spark.sql.Dataset<Row> predict(
            org.apache.spark.sql.Dataset<Row> rows,
            Path modelFile,
            String column,
            int topK,
            Evaluator.Options options) {
        return predict(rows, ModelFile.of(modelFile), column, topK, options, new Stages());
    }

    static org.apache.spark.sql.Dataset<Row> predict(
            org.apache.spark.sql.Dataset<Row> rows,
            ModelFile modelFile,
            String column,
            int topK,
            Evaluator.Options options,
            Stages stages) {
        Model model = modelFile.load();
        int inputSize = BatchPredictor.inputSize(model);
        int outputSize = BatchPredictor.outputSize(model);
        StructType schema = rows.schema();
        int at = featureColumn(schema, column);
        StructType kept = new StructType();
        for (int i = 0; i < schema.fields().length; i++) {
            if (i != at) {
                kept = kept.add(schema.fields()[i]);
            }
        }
        StructType out = predictionColumns(kept, topK);
        JavaSparkContext jsc =
                JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext());
        ModelBytes file = modelFile.bytes();
        stages.end("load");
        Broadcast<ModelBytes> bytes = jsc.broadcast(file);
        stages.end("broadcast");
        return rows.mapPartitions(
                new PredictTasks.PredictRows(bytes, column, at, inputSize, outputSize, topK, options),
                Encoders.row(out));
    }

    /** The index of {@code column} in {@code schema}, which must be an array of floats or binary. */
    static int featureColumn(StructType schema, String column) {
        String[] names = schema.fieldNames();
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(column)) {
                DataType t = schema.fields()[i].dataType();
                boolean floats = t instanceof ArrayType a
                        && (a.elementType() == DataTypes.FloatType || a.elementType() == DataTypes.DoubleType);
                if (!floats && t != DataTypes.BinaryType) {
                    throw new QuantaException("column '" + column + "' is " + t.simpleString()
                            + "; samples must be an array of floats or binary (float32 little-endian)");
                }
                return i;
            }
        }
        throw new QuantaException("no column '" + column + "' (the columns: " + String.join(", ", names) + ")");
    }

    /**
     * Batch inference on {@code spec}'s samples (any format {@link Datasets} reads), one row per sample: its index
     * ({@code sample}), its label ({@code label}, null without labels) and the prediction columns of
     * {@link #predict(org.apache.spark.sql.Dataset, Path, String, int, Evaluator.Options)}. The driver loads only the
     * first sample (to check it fits the model) and counts the samples ({@link Datasets#count}); each task loads its
     * own range ({@link Datasets#loadRange}), so no JVM holds the whole data.
     */
    public static org.apache.spark.sql.Dataset<Row> predict(
            SparkSession spark, Path modelFile, DatasetSpec spec, int topK, Evaluator.Options options) {
        return plan(spark, ModelFile.of(modelFile), spec, topK, options, new Stages())
                .rows();
    }

    /** Predictions not yet computed, and the sample ranges {from, to} of their partitions. */
    private record Planned(org.apache.spark.sql.Dataset<Row> rows, List<int[]> ranges) {}

    private static Planned plan(
            SparkSession spark,
            ModelFile modelFile,
            DatasetSpec spec,
            int topK,
            Evaluator.Options options,
            Stages stages) {
        Model model = modelFile.load();
        DatasetSpec resolved = Datasets.forModel(spec, model);
        Dataset first = Datasets.load(resolved.withLimit(1));
        int inputSize = BatchPredictor.inputSize(model);
        if (first.sampleSize() != inputSize) {
            throw new QuantaException(first.name() + ": samples have " + first.sampleSize()
                    + " values but model input '"
                    + model.inputs().get(0).name() + "' takes "
                    + model.inputs().get(0).shape() + " ("
                    + inputSize + " values per sample)");
        }
        int samples = Datasets.count(resolved);
        int outputSize = BatchPredictor.outputSize(model);
        List<int[]> ranges = ranges(samples, options.batchSize(), partitions(spark, samples, inputSize));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ModelBytes file = modelFile.bytes();
        stages.end("load");
        Broadcast<ModelBytes> bytes = jsc.broadcast(file);
        stages.end("broadcast");
        StructType schema = predictionColumns(
                new StructType().add("sample", DataTypes.LongType, false).add("label", DataTypes.IntegerType, true),
                topK);
        JavaRDD<Row> rows = jsc.parallelize(ranges, ranges.size())
                .flatMap(new PredictTasks.PredictRange(
                        bytes, SampleSource.of(spec, samples), outputSize, topK, options));
        return new Planned(spark.createDataFrame(rows, schema), ranges);
    }

    /**
     * Writes {@link #predict(SparkSession, Path, DatasetSpec, int, Evaluator.Options)} (or, for a Parquet
     * {@code spec}, the prediction of its {@code column}; for an image folder, {@link ImageRows#predictFolder}) to
     * the Parquet folder {@code out}, replacing it.
     */
    public static Run<Long> writePredictions(
            SparkSession spark,
            Path modelFile,
            DatasetSpec spec,
            String column,
            int topK,
            Evaluator.Options options,
            Path out,
            Evaluator.Progress progress) {
        return writePredictions(spark, modelFile, null, spec, column, topK, options, out, progress);
    }

    /**
     * {@link #writePredictions(SparkSession, Path, DatasetSpec, String, int, Evaluator.Options, Path,
     * Evaluator.Progress)} of the weights-only Keras file {@code weightsFile} with its model JSON {@code config}
     * (null: {@code weightsFile} is a self-contained model file).
     */
    public static Run<Long> writePredictions(
            SparkSession spark,
            Path weightsFile,
            Path config,
            DatasetSpec spec,
            String column,
            int topK,
            Evaluator.Options options,
            Path out,
            Evaluator.Progress progress) {
        ModelFile modelFile = new ModelFile(weightsFile, config);
        Stages stages = new Stages();
        org.apache.spark.sql.Dataset<Row> predictions;
        long[] samples;
        if (isParquet(spec.data())) {
            org.apache.spark.sql.Dataset<Row> in;
            try {
                in = spark.read().parquet(spec.data().toString());
            } catch (Exception e) {
                throw QuantaException.inFile(spec.data(), SparkErrors.unwrap(e).getMessage());
            }
            samples = SparkProgress.rowsPerPartition(in);
            try {
                predictions = predict(in, modelFile, column == null ? "features" : column, topK, options, stages);
            } catch (QuantaException e) {
                throw QuantaException.inFile(spec.data(), e.getMessage(), e);
            }
        } else if (ImageRows.readsFolderThroughSpark(spec)) {
            ImageRows.Planned planned = ImageRows.predictFolder(spark, modelFile, spec, topK, options);
            predictions = planned.rows();
            samples = planned.samples();
        } else {
            Planned planned = plan(spark, modelFile, spec, topK, options, stages);
            predictions = planned.rows();
            samples = SparkProgress.samples(planned.ranges());
        }
        int partitions = predictions.rdd().getNumPartitions();
        try {
            runJob(spark, samples, progress, () -> {
                predictions.write().mode(SaveMode.Overwrite).parquet(out.toString());
                return null;
            });
        } catch (QuantaException e) {
            // a row's error names the column; the file is the data's
            throw isParquet(spec.data()) ? QuantaException.inFile(spec.data(), e.getMessage(), e) : e;
        }
        stages.end("predict");
        long count = spark.read().parquet(out.toString()).count();
        stages.end("count");
        return new Run<>(count, stages.seconds, partitions);
    }

    /** A Parquet file or a folder of them (Spark's output), by name. */
    static boolean isParquet(Path data) {
        String name =
                data.getFileName() == null ? "" : data.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return name.endsWith(".parquet");
    }

    /**
     * Registers the SQL functions {@code quanta_predict(features)} (the top-1 class, an int) and
     * {@code quanta_scores(features)} (the output vector, dequantized) for the model in {@code modelFile}; the
     * argument is an array of floats (or float32 little-endian bytes) of the model's input size.
     */
    public static void registerFunctions(SparkSession spark, Path modelFile) {
        Model model = ModelFiles.load(modelFile);
        int inputSize = BatchPredictor.inputSize(model);
        int outputSize = BatchPredictor.outputSize(model);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(modelFile));
        spark.udf()
                .register(
                        "quanta_predict",
                        (UDF1<Object, Integer>) features -> {
                            float[] y = SqlFunctionRun.scores(bytes.value(), features, inputSize, outputSize);
                            return Evaluator.argmax(y, 0, outputSize);
                        },
                        DataTypes.IntegerType);
        spark.udf()
                .register(
                        "quanta_scores",
                        (UDF1<Object, float[]>)
                                features -> SqlFunctionRun.scores(bytes.value(), features, inputSize, outputSize),
                        DataTypes.createArrayType(DataTypes.FloatType, false));
    }

    /**
     * Most bytes of decoded samples (4 per value) one task holds: a task loads its range alone, so larger data is cut
     * into more partitions rather than larger ones (issue 13: data no machine holds whole).
     */
    static final long MAX_PARTITION_BYTES = 64L << 20;

    /**
     * Partitions for a job over {@code samples} samples of {@code sampleValues} values:
     * {@code max(PARTITIONS_PER_CORE × cores, ⌈4 · samples · sampleValues / MAX_PARTITION_BYTES⌉)}, so that a task's
     * range stays within {@link #MAX_PARTITION_BYTES}.
     */
    static int partitions(SparkSession spark, long samples, long sampleValues) {
        return partitions(spark.sparkContext().defaultParallelism(), samples, sampleValues);
    }

    /** {@link #partitions(SparkSession, long, long)} for a cluster of {@code cores} cores. */
    static int partitions(int cores, long samples, long sampleValues) {
        long bytes = Math.multiplyHigh(samples, 4 * Math.max(1, sampleValues)) != 0
                ? Long.MAX_VALUE
                : samples * 4 * Math.max(1, sampleValues);
        long bySize = bytes / MAX_PARTITION_BYTES + (bytes % MAX_PARTITION_BYTES == 0 ? 0 : 1);
        long byCores = (long) cores * PARTITIONS_PER_CORE;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.max(byCores, bySize)));
    }

    /**
     * Cuts samples 0 to {@code n} into at most {@code parts} ranges {from, to} of whole batches (the last batch may
     * be short), as even as whole batches allow.
     */
    static List<int[]> ranges(int n, int batch, int parts) {
        int batches = (int) (((long) n + batch - 1) / batch);
        int count = Math.max(1, Math.min(parts, batches));
        List<int[]> ranges = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            long fromBatch = (long) batches * p / count;
            long toBatch = (long) batches * (p + 1) / count;
            int from = (int) Math.min(n, fromBatch * batch);
            int to = (int) Math.min(n, toBatch * batch);
            ranges.add(new int[] {from, to});
        }
        return ranges;
    }

    /**
     * Runs {@code job} in a job group of its own, reporting its progress from Spark's events ({@link SparkProgress}):
     * in samples when {@code samples} gives those of each partition, else in tasks. A task's Quanta error comes back as
     * that error (its one-line message, not Spark's stack trace).
     */
    static <T> T runJob(SparkSession spark, long[] samples, Evaluator.Progress progress, JobBody<T> job) {
        String group = "quanta-" + UUID.randomUUID();
        var sc = spark.sparkContext();
        sc.setJobGroup(group, "quanta", true);
        try (SparkProgress watch = SparkProgress.follow(sc, group, samples, progress)) {
            T result = job.run();
            watch.finish();
            return result;
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        } finally {
            sc.clearJobGroup();
        }
    }

    @FunctionalInterface
    interface JobBody<T> {
        T run();
    }

    /** The time of each stage of a run, from the end of the one before. */
    static final class Stages {
        final Map<String, Double> seconds = new LinkedHashMap<>();
        long last = System.nanoTime();

        void end(String stage) {
            long now = System.nanoTime();
            seconds.put(stage, (now - last) / 1e9);
            last = now;
        }
    }

    /**
     * A task: {@link Evaluator#evaluateRange} of one range on the executor's cached model, the range loaded alone; its
     * labels are checked there (an error names the sample by its index in the whole data) and its values tallied.
     */
    private record EvaluateRange(Broadcast<ModelBytes> bytes, SampleSource source, Evaluator.Options options)
            implements Function<int[], Scored<Evaluator.Partial>> {
        @Override
        public Scored<Evaluator.Partial> call(int[] range) {
            ModelBytes file = bytes.value();
            Model model = ExecutorCache.model(file);
            try {
                Dataset data = ExecutorCache.range(file, source, range[0], range[1]);
                // the range alone, from its sample 0 (a multiple of the batch size, so the batches are the same); its
                // labels checked as part of the whole, an error naming the sample by its index there
                Evaluator.Partial p = Evaluator.evaluateRange(
                        model, data, options, 0, data.size(), range[0], Evaluator.Progress.NONE);
                return new Scored<>(
                        range[0],
                        new Evaluator.Partial(range[0], p.predictions(), p.correct(), p.losses()),
                        InputChecks.tally(model, data),
                        null,
                        null,
                        null);
            } catch (QuantaException e) {
                return Scored.failed(range[0], e);
            }
        }
    }

    /**
     * A task: {@link Reconstruction#windowErrors} of one range on the executor's cached model, the range loaded alone,
     * with its samples' labels and clip indices and the tally of its values.
     */
    private record ReconstructRange(
            Broadcast<ModelBytes> bytes, SampleSource source, Metric metric, Evaluator.Options options)
            implements Function<int[], Scored<Reconstruction.Partial>> {
        @Override
        public Scored<Reconstruction.Partial> call(int[] range) {
            ModelBytes file = bytes.value();
            Model model = ExecutorCache.model(file);
            try {
                Dataset data = ExecutorCache.range(file, source, range[0], range[1]);
                Reconstruction.Partial p = Reconstruction.windowErrors(
                        model, data, metric, options, 0, data.size(), Evaluator.Progress.NONE);
                return new Scored<>(
                        range[0],
                        new Reconstruction.Partial(range[0], p.mse(), p.mae()),
                        InputChecks.tally(model, data),
                        data.labels(),
                        data.clips(),
                        null);
            } catch (QuantaException e) {
                return Scored.failed(range[0], e);
            }
        }
    }

    /**
     * A task: {@link ModelComparison#layerStatistics} of one range, the converted model against the float model after
     * the converter's float passes, on the range of the data as the float model reads it (loaded alone).
     */
    private record LayerRange(
            Broadcast<ModelBytes> floatBytes, Broadcast<ModelBytes> quantizedBytes, SampleSource source, int threads)
            implements Function<int[], LayerStatistics> {
        @Override
        public LayerStatistics call(int[] range) {
            ModelBytes floatFile = floatBytes.value();
            Dataset data = ExecutorCache.range(floatFile, source, range[0], range[1]);
            return ModelComparison.layerStatistics(
                    FloatGraphPasses.apply(ExecutorCache.model(floatFile)),
                    ExecutorCache.model(quantizedBytes.value()),
                    data,
                    threads,
                    0,
                    data.size());
        }
    }

    /** Thrown for a Spark failure that carries no Quanta error: its first line only. */
    static QuantaException failure(String what) {
        return new QuantaException(what);
    }
}
