package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.ScaleOut;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.CalibrationStatistics;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quanta on a real Spark standalone cluster, not local mode: a master and two one-core workers started on loopback
 * from the Spark jars inside the test (child JVMs, see {@link LoopbackCluster}). The MNIST evaluation, a predict to
 * Parquet (top-1 read back) and the KWS calibration there equal one machine's to the bit; then one worker is killed (with its executor) while the
 * evaluation's tasks run, and Spark re-runs the lost tasks on the other: the result is still identical.
 */
@UsesFixtures
class SparkStandaloneClusterIT {
    private static final int PREDICTED = 2_000;

    @TempDir
    Path tmp;

    @Test
    void evaluationAndCalibrationOnTwoWorkersEqualOneMachineEvenWhenAWorkerDies() throws Exception {
        Path model = Fixtures.require("mnist/keras_mlp/mnist.h5");
        DatasetSpec spec = DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                .withPreprocessing(Preprocessing.scale(1f / 255));
        Evaluator.Options options = Evaluator.Options.defaults();
        Model m = ModelFiles.load(model);
        EvaluationResult single = Evaluator.evaluate(m, Datasets.load(spec, m), options, Evaluator.Progress.NONE);

        Path kws = Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite");
        DatasetSpec kwsSpec = SparkCalibrationTest.kwsFeatures();
        Model kwsModel = ModelFiles.load(kws);
        Dataset kwsData = Datasets.load(kwsSpec, kwsModel);
        QuantizationConfig config =
                QuantizationConfig.defaults().withCalibrator(Calibrator.ENTROPY).withCalibrationSamples(200);
        Converter converter = Converter.fromModel(kwsModel).withConfig(config).withRepresentativeDataset(kwsData);
        byte[] oneFile = TfliteWriter.toBytes(converter.convert().model());

        long t0 = System.nanoTime();
        try (LoopbackCluster cluster = LoopbackCluster.start(tmp, 2, "1g")) {
            SparkSession spark = SparkSession.builder()
                    .master(cluster.masterUrl())
                    .appName("quanta-cluster-test")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.executor.cores", "1")
                    .config("spark.executor.memory", "768m")
                    .config("spark.executor.extraClassPath", cluster.classPath())
                    .getOrCreate();
            try {
                awaitExecutors(spark, 2, cluster);
                long t1 = System.nanoTime();
                assertThat(spark.sparkContext().defaultParallelism()).isEqualTo(2);

                ScaleOut.Run<EvaluationResult> run =
                        QuantaSpark.evaluate(spark, model, spec, options, Evaluator.Progress.NONE);
                assertSame(run.result(), single);
                assertThat(run.partitions()).isEqualTo(4);
                long t2 = System.nanoTime();

                CalibrationStatistics stats = SparkCalibration.collect(spark, kws, kwsSpec, 200, config, false, 4);
                byte[] clusterFile = TfliteWriter.toBytes(converter
                        .withCalibrationStatistics((cm, n, settings, keep) -> stats)
                        .convert()
                        .model());
                assertThat(clusterFile).isEqualTo(oneFile);
                long t3 = System.nanoTime();

                // batch inference on the cluster: the Parquet rows read back give the evaluation's top-1
                // (the first 2,000 samples: the Parquet writers' start-up, not the samples, is what takes time)
                Path parquet = tmp.resolve("predictions.parquet");
                ScaleOut.Run<Long> predicted = QuantaSpark.writePredictions(
                        spark, model, spec.withLimit(PREDICTED), null, 1, options, parquet, Evaluator.Progress.NONE);
                assertThat(predicted.result()).isEqualTo(PREDICTED);
                List<Row> rows = spark.read()
                        .parquet(parquet.toString())
                        .selectExpr("sample", "top_classes[0] AS top1")
                        .orderBy("sample")
                        .collectAsList();
                int[] top1 = new int[rows.size()];
                for (int i = 0; i < top1.length; i++) {
                    assertThat(rows.get(i).getLong(0)).isEqualTo(i);
                    top1[i] = rows.get(i).getInt(1);
                }
                assertThat(top1).isEqualTo(Arrays.copyOf(single.predictions(), PREDICTED));
                long t4 = System.nanoTime();

                // a worker dies while the evaluation's tasks run: Spark re-runs its tasks on the other
                CountDownLatch started = new CountDownLatch(1);
                AtomicInteger lostTasks = new AtomicInteger();
                CountDownLatch removed = new CountDownLatch(1);
                spark.sparkContext().addSparkListener(new SparkListener() {
                    @Override
                    public void onTaskStart(SparkListenerTaskStart e) {
                        started.countDown();
                    }

                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd e) {
                        if (e.reason() instanceof ExecutorLostFailure) {
                            lostTasks.incrementAndGet();
                        }
                    }

                    @Override
                    public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
                        removed.countDown();
                    }
                });
                CompletableFuture<ScaleOut.Run<EvaluationResult>> job = CompletableFuture.supplyAsync(
                        () -> QuantaSpark.evaluate(spark, model, spec, options, Evaluator.Progress.NONE));
                assertThat(started.await(60, TimeUnit.SECONDS))
                        .as("a task started")
                        .isTrue();
                cluster.killWorker(0);
                ScaleOut.Run<EvaluationResult> afterKill = job.get(120, TimeUnit.SECONDS);
                assertThat(removed.await(30, TimeUnit.SECONDS))
                        .as("the killed worker's executor was removed")
                        .isTrue();
                assertThat(lostTasks.get()).as("tasks lost with the executor").isPositive();
                assertSame(afterKill.result(), single);
                System.out.printf(
                        "standalone cluster: up with 2 executors in %.1f s; MNIST evaluation %.1f s; KWS calibration"
                                + " %.1f s; MNIST predict to Parquet %.1f s; evaluation with a worker killed %.1f s"
                                + " (%d tasks lost and re-run)%n",
                        (t1 - t0) / 1e9,
                        (t2 - t1) / 1e9,
                        (t3 - t2) / 1e9,
                        (t4 - t3) / 1e9,
                        (System.nanoTime() - t4) / 1e9,
                        lostTasks.get());
            } finally {
                spark.stop();
            }
        }
    }

    private static void assertSame(EvaluationResult spread, EvaluationResult single) {
        assertThat(spread.samples()).isEqualTo(10_000);
        assertThat(spread.correct()).isEqualTo(single.correct()).isEqualTo(9719); // 97.19% (MANIFEST)
        assertThat(spread.predictions()).isEqualTo(single.predictions());
        assertThat(Double.doubleToRawLongBits(spread.loss())).isEqualTo(Double.doubleToRawLongBits(single.loss()));
    }

    /** Waits until {@code n} executors (besides the driver) have registered. */
    private static void awaitExecutors(SparkSession spark, int n, LoopbackCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("executors did not register in 90 s:\n" + cluster.logs());
            }
            Thread.sleep(250);
        }
    }
}
