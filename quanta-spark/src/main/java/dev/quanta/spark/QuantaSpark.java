package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.eval.ModelComparison;
import dev.quanta.eval.Reconstruction;
import dev.quanta.eval.ReconstructionResult;
import dev.quanta.eval.ScaleOut.Run;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.SparkStageInfo;
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
 * <p>The dataset is cut into partitions of whole batches (sample index ranges); the model file's bytes are
 * broadcast; each executor JVM loads the model and the dataset once ({@link ExecutorCache}) and scores its ranges
 * with an interpreter pool ({@link Evaluator#evaluateRange}); the driver merges the parts in sample order
 * ({@link Evaluator#merge}), the same code the single-machine evaluation ends in. Executors reopen the dataset from
 * its path, so the path must be readable on every executor (local mode, a loopback cluster, a shared file system).
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
     * does on one machine, with the same result (loss, accuracy, every prediction).
     */
    public static Run<EvaluationResult> evaluate(
            SparkSession spark,
            Path modelFile,
            DatasetSpec spec,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return evaluate(spark, () -> Loaded.of(modelFile, spec), spec, options, progress);
    }

    private static Run<EvaluationResult> evaluate(
            SparkSession spark,
            java.util.function.Supplier<Loaded> load,
            DatasetSpec spec,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return scoreRanges(
                spark,
                load,
                options,
                progress,
                (model, data) -> Evaluator.evaluateRange(model, data, options, 0, 0, Evaluator.Progress.NONE),
                bytes -> new EvaluateRange(bytes, SampleSource.of(spec), options),
                (model, data, parts, seconds) -> Evaluator.merge(model, data, options, parts, seconds));
    }

    /**
     * Scores the autoencoder in {@code modelFile} on {@code spec}'s data with a reconstruction metric, as
     * {@link Reconstruction#evaluate} does on one machine, with the same result.
     */
    public static Run<ReconstructionResult> reconstruct(
            SparkSession spark,
            Path modelFile,
            DatasetSpec spec,
            Metric metric,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return reconstruct(spark, () -> Loaded.of(modelFile, spec), spec, metric, options, progress);
    }

    private static Run<ReconstructionResult> reconstruct(
            SparkSession spark,
            java.util.function.Supplier<Loaded> load,
            DatasetSpec spec,
            Metric metric,
            Evaluator.Options options,
            Evaluator.Progress progress) {
        return scoreRanges(
                spark,
                load,
                options,
                progress,
                (model, data) ->
                        Reconstruction.windowErrors(model, data, metric, options, 0, 0, Evaluator.Progress.NONE),
                bytes -> new ReconstructRange(bytes, SampleSource.of(spec), metric, options),
                (model, data, parts, seconds) -> Reconstruction.merge(model, data, metric, parts, seconds));
    }

    /** Merges the parts of every range, in sample order, into the single-machine result. */
    private interface Merge<P, R> {
        R merge(Model model, Dataset data, List<P> parts, double seconds);
    }

    /** A model file, its model and the dataset as that model reads it, loaded on the driver. */
    private record Loaded(Path file, Model model, Dataset data) {
        static Loaded of(Path file, DatasetSpec spec) {
            Model model = ModelFiles.load(file);
            return new Loaded(file, model, Datasets.load(spec, model));
        }
    }

    /**
     * Loads the model and the data on the driver and runs {@code check} (the single-machine checks, with their
     * errors, before any task runs); broadcasts the model file's bytes; scores the ranges of whole batches with the
     * task {@code task} makes, and merges the parts.
     */
    private static <P, R> Run<R> scoreRanges(
            SparkSession spark,
            java.util.function.Supplier<Loaded> load,
            Evaluator.Options options,
            Evaluator.Progress progress,
            java.util.function.BiConsumer<Model, Dataset> check,
            java.util.function.Function<Broadcast<ModelBytes>, Function<int[], P>> task,
            Merge<P, R> merge) {
        Stages stages = new Stages();
        Loaded loaded = load.get();
        Model model = loaded.model();
        Dataset data = loaded.data();
        check.accept(model, data);
        stages.end("load");
        List<int[]> ranges = ranges(data.size(), options.batchSize(), partitions(spark));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(loaded.file()));
        stages.end("broadcast");
        long start = System.nanoTime();
        Function<int[], P> f = task.apply(bytes);
        List<P> parts = runJob(
                spark,
                data.size(),
                progress,
                () -> jsc.parallelize(ranges, ranges.size()).map(f).collect());
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.end("evaluate");
        R r = merge.merge(model, data, parts, seconds);
        stages.end("merge");
        bytes.destroy();
        return new Run<>(r, stages.seconds, ranges.size());
    }

    /**
     * {@link ModelComparison#compare(Model, Model, Dataset, ModelComparison.Options, Evaluator.Progress)} with both
     * models' evaluations split over the cluster (one after the other); latency and the per-layer table on the first
     * {@link ModelComparison.Options#layerSamples} samples run here, on the driver. The result equals the
     * single-machine one but for the measured times.
     */
    public static Run<ModelComparison.Result> compare(
            SparkSession spark,
            Path floatFile,
            Path quantizedFile,
            DatasetSpec spec,
            ModelComparison.Options options,
            Evaluator.Progress progress) {
        Model floatModel = ModelFiles.load(floatFile);
        Model quantized = ModelFiles.load(quantizedFile);
        // the dataset as the float model reads it, so that the executors load the same one for either model
        DatasetSpec resolved = Datasets.forModel(spec, floatModel);
        // each model and the data loaded once here: the float model's data also feeds the per-layer table
        Loaded floatLoaded = new Loaded(floatFile, floatModel, Datasets.load(resolved, floatModel));
        java.util.function.Supplier<Loaded> quantizedLoad =
                () -> new Loaded(quantizedFile, quantized, Datasets.load(resolved, quantized));
        Metric metric = options.metric() != null ? options.metric() : Metric.defaultFor(floatModel);
        Map<String, Double> seconds = new LinkedHashMap<>();
        EvaluationResult f = null;
        EvaluationResult q = null;
        ReconstructionResult fr = null;
        ReconstructionResult qr = null;
        Run<?> floatRun;
        Run<?> quantizedRun;
        if (metric.isReconstruction()) {
            Run<ReconstructionResult> a =
                    reconstruct(spark, () -> floatLoaded, resolved, metric, options.evaluation(), progress);
            Run<ReconstructionResult> b =
                    reconstruct(spark, quantizedLoad, resolved, metric, options.evaluation(), progress);
            fr = a.result();
            qr = b.result();
            floatRun = a;
            quantizedRun = b;
        } else {
            Run<EvaluationResult> a = evaluate(spark, () -> floatLoaded, resolved, options.evaluation(), progress);
            Run<EvaluationResult> b = evaluate(
                    spark,
                    quantizedLoad,
                    resolved,
                    ModelComparison.quantizedOptions(options.evaluation(), a.result()),
                    progress);
            f = a.result();
            q = b.result();
            floatRun = a;
            quantizedRun = b;
        }
        floatRun.stageSeconds().forEach((k, v) -> seconds.put("float_" + k, v));
        quantizedRun.stageSeconds().forEach((k, v) -> seconds.put("quantized_" + k, v));
        Stages stages = new Stages();
        ModelComparison.Result r = ModelComparison.complete(
                        floatModel, quantized, floatLoaded.data(), options, f, q, fr, qr)
                .withFileBytes(floatFile, quantizedFile);
        stages.end("layers_and_latency");
        seconds.putAll(stages.seconds);
        return new Run<>(r, seconds, floatRun.partitions());
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
        Model model = ModelFiles.load(modelFile);
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
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(modelFile));
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
     * {@link #predict(org.apache.spark.sql.Dataset, Path, String, int, Evaluator.Options)}.
     */
    public static org.apache.spark.sql.Dataset<Row> predict(
            SparkSession spark, Path modelFile, DatasetSpec spec, int topK, Evaluator.Options options) {
        Model model = ModelFiles.load(modelFile);
        Dataset data = Datasets.load(spec, model);
        int inputSize = BatchPredictor.inputSize(model);
        if (data.sampleSize() != inputSize) {
            throw new QuantaException(data.name() + ": samples have " + data.sampleSize() + " values but model input '"
                    + model.inputs().get(0).name() + "' takes "
                    + model.inputs().get(0).shape() + " ("
                    + inputSize + " values per sample)");
        }
        int outputSize = BatchPredictor.outputSize(model);
        List<int[]> ranges = ranges(data.size(), options.batchSize(), partitions(spark));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(modelFile));
        StructType schema = predictionColumns(
                new StructType().add("sample", DataTypes.LongType, false).add("label", DataTypes.IntegerType, true),
                topK);
        JavaRDD<Row> rows = jsc.parallelize(ranges, ranges.size())
                .flatMap(new PredictTasks.PredictRange(bytes, SampleSource.of(spec), outputSize, topK, options));
        return spark.createDataFrame(rows, schema);
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
        Stages stages = new Stages();
        org.apache.spark.sql.Dataset<Row> predictions;
        if (isParquet(spec.data())) {
            org.apache.spark.sql.Dataset<Row> in;
            try {
                in = spark.read().parquet(spec.data().toString());
            } catch (Exception e) {
                throw QuantaException.inFile(spec.data(), SparkErrors.unwrap(e).getMessage());
            }
            try {
                predictions = predict(in, modelFile, column == null ? "features" : column, topK, options);
            } catch (QuantaException e) {
                throw QuantaException.inFile(spec.data(), e.getMessage(), e);
            }
        } else if (ImageRows.readsFolderThroughSpark(spec)) {
            predictions = ImageRows.predictFolder(spark, modelFile, spec, topK, options);
        } else {
            predictions = predict(spark, modelFile, spec, topK, options);
        }
        stages.end("load");
        int partitions = predictions.rdd().getNumPartitions();
        try {
            runJob(spark, -1, progress, () -> {
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

    /** Partitions for a job: {@link #PARTITIONS_PER_CORE} per core of the cluster. */
    private static int partitions(SparkSession spark) {
        return Math.max(1, spark.sparkContext().defaultParallelism() * PARTITIONS_PER_CORE);
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
     * Runs {@code job} in a job group of its own, reporting progress in samples from Spark's task counts, and turns
     * a task's Quanta error back into that error (its one-line message, not Spark's stack trace).
     */
    private static <T> T runJob(SparkSession spark, int samples, Evaluator.Progress progress, JobBody<T> job) {
        String group = "quanta-" + UUID.randomUUID();
        var sc = spark.sparkContext();
        sc.setJobGroup(group, "quanta", true);
        Thread watcher = Thread.ofPlatform().daemon().name("quanta-progress").start(() -> {
            var tracker = sc.statusTracker();
            while (!Thread.currentThread().isInterrupted()) {
                long done = 0;
                long total = 0;
                for (int jobId : tracker.getJobIdsForGroup(group)) {
                    var info = tracker.getJobInfo(jobId);
                    if (info.isEmpty()) {
                        continue;
                    }
                    for (int stage : info.get().stageIds()) {
                        var s = tracker.getStageInfo(stage);
                        if (s.isDefined()) {
                            SparkStageInfo st = s.get();
                            done += st.numCompletedTasks();
                            total += st.numTasks();
                        }
                    }
                }
                if (total > 0) {
                    // in samples when their count is known, else in tasks
                    long whole = samples >= 0 ? samples : total;
                    progress.update((int) (whole * done / total), (int) whole);
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        T result;
        try {
            result = job.run();
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        } finally {
            watcher.interrupt();
            try {
                watcher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sc.clearJobGroup();
        }
        if (samples >= 0) {
            progress.update(samples, samples); // after the watcher's last update
        }
        return result;
    }

    @FunctionalInterface
    private interface JobBody<T> {
        T run();
    }

    /** The time of each stage of a run, from the end of the one before. */
    private static final class Stages {
        final Map<String, Double> seconds = new LinkedHashMap<>();
        long last = System.nanoTime();

        void end(String stage) {
            long now = System.nanoTime();
            seconds.put(stage, (now - last) / 1e9);
            last = now;
        }
    }

    /** A task: {@link Evaluator#evaluateRange} of one range on the executor's cached model and data. */
    private record EvaluateRange(Broadcast<ModelBytes> bytes, SampleSource source, Evaluator.Options options)
            implements Function<int[], Evaluator.Partial> {
        @Override
        public Evaluator.Partial call(int[] range) {
            ModelBytes file = bytes.value();
            return Evaluator.evaluateRange(
                    ExecutorCache.model(file),
                    ExecutorCache.dataset(file, source),
                    options,
                    range[0],
                    range[1],
                    Evaluator.Progress.NONE);
        }
    }

    /** A task: {@link Reconstruction#windowErrors} of one range on the executor's cached model and data. */
    private record ReconstructRange(
            Broadcast<ModelBytes> bytes, SampleSource source, Metric metric, Evaluator.Options options)
            implements Function<int[], Reconstruction.Partial> {
        @Override
        public Reconstruction.Partial call(int[] range) {
            ModelBytes file = bytes.value();
            return Reconstruction.windowErrors(
                    ExecutorCache.model(file),
                    ExecutorCache.dataset(file, source),
                    metric,
                    options,
                    range[0],
                    range[1],
                    Evaluator.Progress.NONE);
        }
    }

    /** Thrown for a Spark failure that carries no Quanta error: its first line only. */
    static QuantaException failure(String what) {
        return new QuantaException(what);
    }
}
