package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.spark.QuantaSpark;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate --spark local[2]} (issue 13) prints what the single-machine {@code evaluate} prints, to the sample
 * and the last digit (all but the throughput line), on MNIST (Keras and int8), KWS, IC and AD windows with AUC. One
 * Spark session serves the class: the command uses the session the JVM already runs and leaves it running.
 */
@UsesFixtures
class SparkEvaluateCommandTest {
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

    /** Runs {@code evaluate ARGS} on one machine and with {@code --spark local[2]}; returns the Spark run's output. */
    private static String sameOnSpark(String... args) throws IOException {
        CliRunner single = CliRunner.run(CliRunner.args(new String[] {"evaluate"}, args));
        assertThat(single.exitCode()).as(single.err()).isZero();
        CliRunner spread =
                CliRunner.run(CliRunner.args(new String[] {"evaluate"}, CliRunner.args(args, "--spark", "local[2]")));
        assertThat(spread.exitCode()).as(spread.err()).isZero();
        assertThat(withoutThroughput(spread.out())).isEqualTo(withoutThroughput(single.out()));

        // --json: the same numbers to the last bit, and the Spark stages' times
        CliRunner json = CliRunner.run(
                CliRunner.args(new String[] {"evaluate"}, CliRunner.args(args, "--json", "--spark", "local[2]")));
        CliRunner singleJson = CliRunner.run(CliRunner.args(new String[] {"evaluate"}, CliRunner.args(args, "--json")));
        JsonNode a = new ObjectMapper().readTree(json.out());
        JsonNode b = new ObjectMapper().readTree(singleJson.out());
        for (String key : new String[] {"samples", "loss", "correct", "accuracy", "value", "auc", "mean_window_mse"}) {
            assertThat(a.get(key)).as(key).isEqualTo(b.get(key));
        }
        assertThat(a.get("spark").get("master").asText()).isEqualTo("local[2]");
        assertThat(a.get("spark").get("partitions").asInt()).isPositive();
        assertThat(a.get("spark").get("stage_seconds").has("evaluate")).isTrue();
        return spread.out();
    }

    private static String withoutThroughput(String out) {
        return out.lines().filter(l -> !l.startsWith("Throughput:")).collect(Collectors.joining("\n"));
    }

    @Test
    void mnistKerasTenThousand() throws IOException {
        String out = sameOnSpark(
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255");
        assertThat(out).contains("Accuracy:   97.19% (9719/10000, top-1)");
    }

    @Test
    void mnistInt8TfliteOnTheSamplesNotCalibratedOn() throws IOException {
        Path int8 = tmp.resolve("mnist_int8.tflite");
        CliRunner q = MnistFixtures.quantizeInt8(int8);
        assertThat(q.exitCode()).as(q.err()).isZero();
        String out = sameOnSpark(
                int8.toString(), "--data", MnistFixtures.testImages().toString(), "--skip", "100", "--top-k", "2");
        assertThat(out).contains("/9900, top-2)");
    }

    /**
     * {@code --compare}: both evaluations on Spark, and the per-layer table's 50 samples in 4 parts (2 per core of
     * {@code local[2]}) on the executors, merged on the driver; all but the latency (measured on the driver) equal,
     * the per-layer rows to the last bit.
     */
    @Test
    void compareWithTheInt8Model() throws IOException {
        Path int8 = tmp.resolve("mnist_int8_compare.tflite");
        CliRunner q = MnistFixtures.quantizeInt8(int8);
        assertThat(q.exitCode()).as(q.err()).isZero();
        String[] args = {
            "evaluate",
            MnistFixtures.model().toString(),
            "--compare",
            int8.toString(),
            "--data",
            MnistFixtures.testImages().toString(),
            "--scale",
            "1/255",
            "--skip",
            "100",
            "--layer-samples",
            "50"
        };
        CliRunner single = CliRunner.run(args);
        assertThat(single.exitCode()).as(single.err()).isZero();
        CliRunner spread = CliRunner.run(CliRunner.args(args, "--spark", "local[2]"));
        assertThat(spread.exitCode()).as(spread.err()).isZero();
        assertThat(withoutLatency(spread.out())).isEqualTo(withoutLatency(single.out()));
        assertThat(spread.out()).contains(String.format("%-18s %18s %18s", "samples", 9900, 9900));

        // --json: every per-layer number the same double, the table's stage run on the cluster, latency on the driver
        JsonNode a = new ObjectMapper()
                .readTree(CliRunner.run(CliRunner.args(args, "--json", "--spark", "local[2]"))
                        .out());
        JsonNode b = new ObjectMapper()
                .readTree(CliRunner.run(CliRunner.args(args, "--json")).out());
        assertThat(a.get("layers").size()).isGreaterThan(3);
        assertThat(a.get("layers")).isEqualTo(b.get("layers"));
        assertThat(a.get("top1_agreement")).isEqualTo(b.get("top1_agreement"));
        assertThat(a.get("spark").get("stage_seconds").has("layers")).isTrue();
        assertThat(a.get("spark").get("stage_seconds").has("latency_on_driver")).isTrue();
    }

    /** {@code --layer-samples all}: the per-layer table over every sample, split over the executors as well. */
    @Test
    void compareOverAllSamples() throws IOException {
        Path int8 = tmp.resolve("mnist_int8_compare_all.tflite");
        CliRunner q = MnistFixtures.quantizeInt8(int8);
        assertThat(q.exitCode()).as(q.err()).isZero();
        String[] args = {
            "evaluate",
            MnistFixtures.model().toString(),
            "--compare",
            int8.toString(),
            "--data",
            MnistFixtures.testImages().toString(),
            "--scale",
            "1/255",
            "--limit",
            "300",
            "--json"
        };
        JsonNode spread = layers(CliRunner.args(args, "--layer-samples", "all", "--spark", "local[2]"));
        assertThat(spread).isEqualTo(layers(CliRunner.args(args, "--layer-samples", "all")));
        assertThat(spread).isEqualTo(layers(CliRunner.args(args, "--layer-samples", "300")));
        assertThat(spread).isNotEqualTo(layers(CliRunner.args(args, "--layer-samples", "299")));
        CliRunner bad = CliRunner.run(CliRunner.args(args, "--layer-samples", "most"));
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("'most' is not a number of samples or 'all'");
    }

    /** The per-layer rows of {@code --json} output. */
    private static JsonNode layers(String[] args) throws IOException {
        CliRunner r = CliRunner.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out()).get("layers");
    }

    private static String withoutLatency(String out) {
        return out.lines().filter(l -> !l.startsWith("latency p50")).collect(Collectors.joining("\n"));
    }

    @Test
    void keywordSpottingThousand() throws IOException {
        String out = sameOnSpark(
                Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite").toString(),
                "--data",
                Fixtures.require("mlperf-tiny/kws/kws01_mfcc").toString(),
                "--sample-type",
                "int8",
                "--scale",
                "0.5847029",
                "--offset",
                "-48.5303407",
                "--batch-size",
                "50");
        assertThat(out).contains("/1000, top-1)");
    }

    @Test
    void imageClassificationTwoHundred() throws IOException {
        String out = sameOnSpark(
                Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5").toString(),
                "--data",
                Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5").toString(),
                "--sample-type",
                "uint8",
                "--batch-size",
                "16");
        assertThat(out).contains("Accuracy:   85.50% (171/200, top-1)");
    }

    /** Windows of four clips made from the real AD clip (as EvaluateMetricCommandTest makes them), scored by AUC. */
    @Test
    void anomalyWindowsAuc() throws IOException {
        byte[] real = Files.readAllBytes(Fixtures.require("mlperf-tiny/ad/normal_id_01_00000000_hist_librosa.bin"));
        float[] v = new float[real.length / 4];
        ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        float[] scaled = new float[v.length];
        float[] noisy = new float[v.length];
        Random random = new Random(10);
        for (int i = 0; i < v.length; i++) {
            scaled[i] = 1.5f * v[i];
            noisy[i] = v[i] + (float) (3 * random.nextGaussian());
        }
        float[][] clips = {v, scaled, noisy, Arrays.copyOfRange(v, 100 * 128, 200 * 128)};
        String[] names = {"normal_00.bin", "anomaly_00.bin", "normal_01.bin", "anomaly_01.bin"};
        int[] labels = {0, 1, 0, 1};
        Path dir = Files.createDirectories(tmp.resolve("ad"));
        StringBuilder csv = new StringBuilder();
        for (int c = 0; c < 4; c++) {
            ByteBuffer b = ByteBuffer.allocate(4 * clips[c].length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(clips[c]);
            Files.write(dir.resolve(names[c]), b.array());
            csv.append(names[c]).append(",2,").append(labels[c]).append(",2560,512\n");
        }
        Path labelsCsv = dir.resolve("ad_labels.csv");
        Files.writeString(labelsCsv, csv);
        String out = sameOnSpark(
                Fixtures.require("mlperf-tiny/ad/ad01_int8.tflite").toString(),
                "--data",
                labelsCsv.toString(),
                "--metric",
                "auc",
                "--batch-size",
                "32");
        assertThat(out)
                .contains("(684 windows of 4 clips: 2 normal, 2 anomalous)")
                .contains("AUC:        0.");
    }

    /**
     * A label out of range beyond the first sample is found by the task of its range (the driver reads only the first
     * sample): the error is the single-machine one line, naming the sample by its index in the whole data, and with
     * two bad labels in different ranges it is the first one, as on one machine, whichever task fails first.
     */
    @Test
    void aLabelOutOfRangeInATasksRangeIsTheSingleMachineOneLineError() throws IOException {
        byte[] idx = gunzip(Files.readAllBytes(Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz")));
        byte[] bad = idx.clone();
        bad[8 + 5000] = 12; // 8 header bytes, then one label per sample
        bad[8 + 9000] = 11;
        Path labels = Files.write(tmp.resolve("bad-labels-idx1-ubyte"), bad);
        byte[] late = idx.clone();
        late[8 + 9000] = 11;
        Path lateLabels = Files.write(tmp.resolve("late-bad-labels-idx1-ubyte"), late);
        for (Object[] c :
                new Object[][] {{labels, "label 12 at sample 5000"}, {lateLabels, "label 11 at sample 9000"}}) {
            String[] args = {
                "evaluate",
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--labels",
                c[0].toString(),
                "--scale",
                "1/255"
            };
            CliRunner single = CliRunner.run(args);
            CliRunner spread = CliRunner.run(CliRunner.args(args, "--spark", "local[2]"));
            assertOneLineError(spread, (String) c[1], "out of range for a model with 10 classes");
            assertThat(spread.err()).isEqualTo(single.err());
        }
    }

    /**
     * A raw sample file missing in a task's range (the driver reads only the first sample and the CSV's count): the
     * single-machine one line, exit code 2; of two missing files in different ranges, the first in sample order.
     */
    @Test
    void aMissingSampleFileInATasksRangeIsTheSingleMachineOneLineError() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("raw"));
        StringBuilder csv = new StringBuilder();
        Random random = new Random(4);
        for (int i = 0; i < 256; i++) {
            byte[] pixels = new byte[784];
            random.nextBytes(pixels);
            Files.write(dir.resolve("s" + i + ".bin"), pixels);
            csv.append("s").append(i).append(".bin,10,").append(i % 10).append('\n');
        }
        Files.writeString(dir.resolve("y_labels.csv"), csv);
        Files.delete(dir.resolve("s150.bin"));
        Files.delete(dir.resolve("s230.bin"));
        String[] args = {
            "evaluate",
            MnistFixtures.model().toString(),
            "--data",
            dir.toString(),
            "--sample-type",
            "uint8",
            "--scale",
            "1/255",
            "--batch-size",
            "16"
        };
        CliRunner single = CliRunner.run(args);
        CliRunner spread = CliRunner.run(CliRunner.args(args, "--spark", "local[2]"));
        assertOneLineError(spread, "s150.bin");
        assertThat(spread.err()).isEqualTo(single.err());
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    @Test
    void badDataOnTheSparkPathIsTheSingleMachineOneLineError() {
        CliRunner r = CliRunner.run(
                "evaluate",
                MnistFixtures.model().toString(),
                "--data",
                Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5").toString(),
                "--sample-type",
                "uint8",
                "--sample-shape",
                "32,32,3",
                "--spark",
                "local[2]");
        CliRunner single = CliRunner.run(
                "evaluate",
                MnistFixtures.model().toString(),
                "--data",
                Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5").toString(),
                "--sample-type",
                "uint8",
                "--sample-shape",
                "32,32,3");
        assertOneLineError(r, "3072", "784");
        assertThat(r.err()).isEqualTo(single.err());
    }
}
