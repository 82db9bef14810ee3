package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.ModelComparison;
import dev.quanta.eval.ScaleOut;
import dev.quanta.quantize.CalibrationStatistics;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SparkProgress} in local mode with two cores (4 partitions): the progress of evaluation, batch inference and
 * calibration comes from Spark's task events, in samples, each partition's samples once, and ends at the total.
 */
@UsesFixtures
class SparkProgressTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = QuantaSpark.session("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** A fake progress bar: every update, and whether it came on the thread that started the run. */
    private static final class Recorder implements Evaluator.Progress {
        final Thread caller = Thread.currentThread();
        final List<long[]> updates = new ArrayList<>();

        @Override
        public synchronized void update(int done, int total) {
            updates.add(new long[] {done, total, Thread.currentThread() == caller ? 1 : 0});
        }

        /** The updates of each run: those up to and including each (total, total). */
        synchronized List<Recorder> runs() {
            List<Recorder> runs = new ArrayList<>();
            Recorder run = new Recorder();
            for (long[] u : updates) {
                run.updates.add(u);
                if (u[0] == u[1]) {
                    runs.add(run);
                    run = new Recorder();
                }
            }
            assertThat(run.updates).as("updates after the last run ended").isEmpty();
            return runs;
        }

        /**
         * Asserts done never decreases, every total is {@code total}, the last update is (total, total) and the only
         * one at the total, and returns the steps between the distinct counts Spark's listener reported, in order.
         */
        synchronized List<Long> stepsEndingAt(long total) {
            assertThat(updates).isNotEmpty();
            long last = 0;
            List<Long> steps = new ArrayList<>();
            for (long[] u : updates) {
                assertThat(u[1]).isEqualTo(total);
                assertThat(u[0]).isGreaterThanOrEqualTo(last).isLessThanOrEqualTo(total);
                assertThat(last).as("an update after the total").isLessThan(total);
                if (u[0] > last && u[2] == 0) {
                    steps.add(u[0] - last);
                }
                last = u[0];
            }
            long[] end = updates.get(updates.size() - 1);
            assertThat(new long[] {end[0], end[1]}).containsExactly(total, total);
            return steps;
        }
    }

    private static DatasetSpec mnist(int samples) {
        return DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                .withPreprocessing(Preprocessing.scale(1f / 255))
                .withLimit(samples);
    }

    private static Path model() {
        return Fixtures.require("mnist/keras_mlp/mnist.h5");
    }

    @Test
    void evaluationReportsEachPartitionsSamplesOnceFromSparksEvents() {
        Evaluator.Options options = Evaluator.Options.defaults().withBatchSize(32);
        Recorder bar = new Recorder();

        ScaleOut.Run<EvaluationResult> run = QuantaSpark.evaluate(spark, model(), mnist(1000), options, bar);

        assertThat(run.partitions()).isEqualTo(4);
        assertThat(run.result().samples()).isEqualTo(1000);
        // 1000 samples are 32 batches of 32 (the last of 8): 8 batches per partition, 256 + 256 + 256 + 232
        assertThat(bar.stepsEndingAt(1000)).hasSize(4).containsExactlyInAnyOrder(256L, 256L, 256L, 232L);

        // the listener is gone: a later job reports nothing to this run's progress
        int seen = bar.updates.size();
        QuantaSpark.evaluate(spark, model(), mnist(100), options, Evaluator.Progress.NONE);
        assertThat(bar.updates).hasSize(seen);
    }

    @Test
    void comparisonReportsEachModelsEvaluation() {
        Evaluator.Options options = Evaluator.Options.defaults().withBatchSize(32);
        ModelComparison.Options comparison =
                ModelComparison.Options.defaults().withEvaluation(options).withLayerSamples(10);
        Recorder bar = new Recorder();

        QuantaSpark.compare(spark, model(), model(), mnist(1000), comparison, bar);

        List<Recorder> runs = bar.runs();
        assertThat(runs).hasSize(2);
        for (Recorder run : runs) {
            assertThat(run.stepsEndingAt(1000)).containsExactlyInAnyOrder(256L, 256L, 256L, 232L);
        }
    }

    @Test
    void batchInferenceReportsSamplesAndItsStages() {
        Evaluator.Options options = Evaluator.Options.defaults().withBatchSize(32);
        Recorder bar = new Recorder();

        ScaleOut.Run<Long> run = QuantaSpark.writePredictions(
                spark, model(), mnist(1000), null, 1, options, tmp.resolve("p.parquet"), bar);

        assertThat(run.result()).isEqualTo(1000);
        assertThat(run.partitions()).isEqualTo(4);
        assertThat(bar.stepsEndingAt(1000)).containsExactlyInAnyOrder(256L, 256L, 256L, 232L);
        assertThat(run.stageSeconds().keySet()).containsExactly("load", "broadcast", "predict", "count");
        assertThat(run.stageSeconds().values()).allSatisfy(s -> assertThat(s).isNotNegative());
    }

    /**
     * Parquet input: the bar counts rows, each partition's rows (from a job that reads no column) once, not tasks;
     * the table is 1000 MNIST samples written as 3 files of 334, 333 and 333 rows, which Spark reads in 2 or 3
     * partitions.
     */
    @Test
    void batchInferenceOnAParquetTableReportsRows() {
        Path table = tmp.resolve("mnist.parquet");
        dev.quanta.data.Dataset data = dev.quanta.data.Datasets.load(mnist(1000));
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            rows.add(org.apache.spark.sql.RowFactory.create(i, data.sample(i)));
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", org.apache.spark.sql.types.DataTypes.IntegerType, false)
                .add(
                        "features",
                        org.apache.spark.sql.types.DataTypes.createArrayType(
                                org.apache.spark.sql.types.DataTypes.FloatType, false),
                        false);
        spark.createDataFrame(rows, schema)
                .repartition(3)
                .write()
                .mode(org.apache.spark.sql.SaveMode.Overwrite)
                .parquet(table.toString());
        List<Long> fileRows = new ArrayList<>();
        for (String file : spark.read().parquet(table.toString()).inputFiles()) {
            fileRows.add(spark.read().parquet(file).count());
        }
        assertThat(fileRows).containsExactlyInAnyOrder(334L, 333L, 333L);

        Recorder bar = new Recorder();
        ScaleOut.Run<Long> run = QuantaSpark.writePredictions(
                spark,
                model(),
                DatasetSpec.of(table),
                "features",
                1,
                Evaluator.Options.defaults(),
                tmp.resolve("from-parquet.parquet"),
                bar);
        assertThat(run.result()).isEqualTo(1000);
        // Spark packs small files together: the partitions' rows (read whole here) are sums of the files'
        List<Long> partitionRows = spark.read().parquet(table.toString()).javaRDD().glom().collect().stream()
                .map(p -> (long) p.size())
                .toList();
        assertThat(partitionRows).hasSize(run.partitions());
        assertThat(partitionRows.stream().mapToLong(Long::longValue).sum()).isEqualTo(1000);
        assertThat(bar.stepsEndingAt(1000)).containsExactlyInAnyOrderElementsOf(partitionRows);
    }

    /**
     * An image folder: the bar counts images, each partition's once (the partitions of the driver's listing, 40
     * images in 4 partitions of 10), not tasks.
     */
    @Test
    void batchInferenceOnAnImageFolderReportsImages() throws java.io.IOException {
        Path model = Fixtures.require("mlperf-tiny/ic/pretrainedResnet_quant.tflite");
        Path samples = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        Path folder = tmp.resolve("images");
        List<String> lines = java.nio.file.Files.readAllLines(samples.resolve("y_labels.csv"));
        for (int i = 0; i < 40; i++) {
            String[] f = lines.get(i).split(",");
            byte[] rgb = java.nio.file.Files.readAllBytes(samples.resolve(f[0]));
            java.awt.image.BufferedImage img =
                    new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int p = 0; p < 32 * 32; p++) {
                img.setRGB(
                        p % 32,
                        p / 32,
                        (rgb[3 * p] & 0xFF) << 16 | (rgb[3 * p + 1] & 0xFF) << 8 | (rgb[3 * p + 2] & 0xFF));
            }
            Path file = folder.resolve(f[2].strip()).resolve(String.format("_%03d.png", i));
            java.nio.file.Files.createDirectories(file.getParent());
            assertThat(javax.imageio.ImageIO.write(img, "png", file.toFile())).isTrue();
        }
        Recorder bar = new Recorder();

        ScaleOut.Run<Long> run = QuantaSpark.writePredictions(
                spark,
                model,
                DatasetSpec.of(folder),
                null,
                1,
                Evaluator.Options.defaults(),
                tmp.resolve("images.parquet"),
                bar);

        assertThat(run.result()).isEqualTo(40);
        assertThat(run.partitions()).isEqualTo(4);
        assertThat(bar.stepsEndingAt(40)).containsExactly(10L, 10L, 10L, 10L);
    }

    @Test
    void calibrationReportsSamplesAndItsStages() {
        Recorder bar = new Recorder();
        QuantaSpark.Stages stages = new QuantaSpark.Stages();

        CalibrationStatistics s = SparkCalibration.collect(
                spark, ModelFile.of(model()), mnist(300), 300, QuantizationConfig.defaults(), false, 4, bar, stages);

        assertThat(s).isNotNull();
        List<Long> expected = new ArrayList<>();
        for (int[] r : CalibrationStatistics.partitions(300, 4)) {
            expected.add((long) (r[1] - r[0]));
        }
        assertThat(expected).hasSize(4);
        assertThat(bar.stepsEndingAt(300)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(stages.seconds.keySet()).containsExactly("load", "broadcast", "calibrate", "merge");
    }

    /**
     * An image folder's listing is parallelized on the driver and its per-partition rows taken as
     * {@code ranges(n, 1, p)} gives them, without a job: Spark's slicing of a list must cut it the same.
     */
    @Test
    void parallelizeCutsAListAsRangesOfOneSampleBatchesDo() {
        var jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext());
        for (int n : new int[] {1, 7, 13, 100, 101, 1000}) {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                rows.add(i);
            }
            for (int p : new int[] {1, 2, 3, 4, 7, 16}) {
                if (p > n) {
                    continue;
                }
                long[] sliced = jsc.parallelize(rows, p).glom().collect().stream()
                        .mapToLong(List::size)
                        .toArray();
                assertThat(SparkProgress.samples(QuantaSpark.ranges(n, 1, p)))
                        .as("%d rows in %d partitions", n, p)
                        .containsExactly(sliced);
            }
        }
    }
}
