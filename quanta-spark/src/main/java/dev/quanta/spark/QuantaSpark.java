package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.eval.Reconstruction;
import dev.quanta.eval.ReconstructionResult;
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
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

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

    /** A distributed run's result with the time of its stages (seconds, in order) and the partitions it used. */
    public record Run<R>(R result, Map<String, Double> stageSeconds, int partitions) {}

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
        Stages stages = new Stages();
        Model model = ModelFiles.load(modelFile);
        Dataset data = Datasets.load(spec, model);
        // the single-machine checks first, with their errors, before any task runs
        Evaluator.evaluateRange(model, data, options, 0, 0, Evaluator.Progress.NONE);
        stages.end("load");
        List<int[]> ranges = ranges(data.size(), options.batchSize(), partitions(spark));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(modelFile));
        stages.end("broadcast");
        long start = System.nanoTime();
        List<Evaluator.Partial> parts = runJob(
                spark,
                ranges,
                data.size(),
                progress,
                () -> jsc.parallelize(ranges, ranges.size())
                        .map(new EvaluateRange(bytes, SampleSource.of(spec), options))
                        .collect());
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.end("evaluate");
        EvaluationResult r = Evaluator.merge(model, data, options, parts, seconds);
        stages.end("merge");
        bytes.destroy();
        return new Run<>(r, stages.seconds, ranges.size());
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
        Stages stages = new Stages();
        Model model = ModelFiles.load(modelFile);
        Dataset data = Datasets.load(spec, model);
        Reconstruction.windowErrors(model, data, metric, options, 0, 0, Evaluator.Progress.NONE);
        stages.end("load");
        List<int[]> ranges = ranges(data.size(), options.batchSize(), partitions(spark));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(modelFile));
        stages.end("broadcast");
        long start = System.nanoTime();
        List<Reconstruction.Partial> parts = runJob(
                spark,
                ranges,
                data.size(),
                progress,
                () -> jsc.parallelize(ranges, ranges.size())
                        .map(new ReconstructRange(bytes, SampleSource.of(spec), metric, options))
                        .collect());
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.end("evaluate");
        ReconstructionResult r = Reconstruction.merge(model, data, metric, parts, seconds);
        stages.end("merge");
        bytes.destroy();
        return new Run<>(r, stages.seconds, ranges.size());
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
    private static <T> T runJob(
            SparkSession spark, List<int[]> ranges, int samples, Evaluator.Progress progress, JobBody<T> job) {
        String group = "quanta-" + UUID.randomUUID();
        var sc = spark.sparkContext();
        sc.setJobGroup(group, "quanta", true);
        Thread watcher = Thread.ofPlatform().daemon().name("quanta-progress").start(() -> {
            var tracker = sc.statusTracker();
            while (!Thread.currentThread().isInterrupted()) {
                long done = 0;
                long total = 0;
                for (int job2 : tracker.getJobIdsForGroup(group)) {
                    var info = tracker.getJobInfo(job2);
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
                    progress.update((int) (samples * done / total), samples);
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            T result = job.run();
            progress.update(samples, samples);
            return result;
        } catch (RuntimeException e) {
            throw SparkErrors.unwrap(e);
        } finally {
            watcher.interrupt();
            sc.clearJobGroup();
        }
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
