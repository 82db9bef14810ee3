package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.spark.QuantaSpark;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --spark} with {@code --config} (issue 13): the weights-only Fashion-MNIST LeNet ({@code
 * mnist_weights_only.h5} and {@code modelConfig.json}), both files broadcast, evaluates, predicts and compares with
 * its int8 file as on one machine.
 */
@UsesFixtures
class SparkModelConfigCommandTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    private static Path weights;
    private static Path config;
    private static Path images;

    @BeforeAll
    static void start() {
        weights = Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5");
        config = Fixtures.require("fashion-mnist/keras_lenet/modelConfig.json");
        images = Fixtures.require("fashion-mnist/t10k-images-idx3-ubyte.gz");
        spark = QuantaSpark.session("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static String[] args(String command, String... more) {
        return CliRunner.args(
                new String[] {
                    command,
                    weights.toString(),
                    "--config",
                    config.toString(),
                    "--data",
                    images.toString(),
                    "--scale",
                    "1/255",
                    "--limit",
                    "1000"
                },
                more);
    }

    /** The LeNet quantized to int8 into {@code out}, calibrated on samples 1000-1099. */
    private static CliRunner quantize(Path out, String... more) {
        return CliRunner.quantize(
                weights,
                out,
                CliRunner.args(
                        new String[] {
                            "--config",
                            config.toString(),
                            "--calibration",
                            images.toString(),
                            "--scale",
                            "1/255",
                            "--skip",
                            "1000",
                            "--samples",
                            "100"
                        },
                        more));
    }

    @Test
    void quantizeWithAConfigOnSparkWritesTheSingleMachineFile() throws IOException {
        Path one = tmp.resolve("lenet_one.tflite");
        Path spread = tmp.resolve("lenet_spark.tflite");
        CliRunner a = quantize(one, "--calibrator", "entropy");
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRunner b = quantize(spread, "--calibrator", "entropy", "--spark", "local[2]", "--json");
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(Files.readAllBytes(spread)).isEqualTo(Files.readAllBytes(one));
        JsonNode json = new ObjectMapper().readTree(b.out());
        assertThat(json.get("calibration_samples").asInt()).isEqualTo(100);
        assertThat(json.get("spark").get("partitions").asInt()).isPositive();
    }

    private static String withoutThroughput(String out) {
        return out.lines().filter(l -> !l.startsWith("Throughput:")).collect(Collectors.joining("\n"));
    }

    @Test
    void evaluateWithAConfigOnSparkPrintsTheSingleMachineNumbers() throws IOException {
        CliRunner one = CliRunner.run(args("evaluate", "--json"));
        assertThat(one.exitCode()).as(one.err()).isZero();
        CliRunner spread = CliRunner.run(args("evaluate", "--json", "--spark", "local[2]"));
        assertThat(spread.exitCode()).as(spread.err()).isZero();
        JsonNode a = new ObjectMapper().readTree(one.out());
        JsonNode b = new ObjectMapper().readTree(spread.out());
        for (String key : new String[] {"samples", "loss", "correct", "accuracy"}) {
            assertThat(b.get(key)).as(key).isEqualTo(a.get(key));
        }
        assertThat(b.get("samples").asInt()).isEqualTo(1000);
        assertThat(b.get("spark").get("partitions").asInt()).isPositive();

        CliRunner text = CliRunner.run(args("evaluate", "--spark", "local[2]"));
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(withoutThroughput(text.out()))
                .isEqualTo(withoutThroughput(CliRunner.run(args("evaluate")).out()));
    }

    @Test
    void predictWithAConfigWritesTheSingleMachineTopClasses() {
        Path out = tmp.resolve("lenet.parquet");
        CliRunner r = CliRunner.run(args("predict", "--out", out.toString(), "--spark", "local[2]"));
        assertThat(r.exitCode()).as(r.err()).isZero();

        Model lenet = ModelFiles.load(weights, config);
        Dataset data = Datasets.load(
                DatasetSpec.of(images)
                        .withPreprocessing(Preprocessing.scale(1f / 255))
                        .withLimit(1000),
                lenet);
        EvaluationResult single =
                Evaluator.evaluate(lenet, data, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        assertThat(rows).hasSize(1000);
        int correct = 0;
        for (Row row : rows) {
            int i = (int) row.getLong(row.fieldIndex("sample"));
            int top = row.<Integer>getList(row.fieldIndex("top_classes")).get(0);
            assertThat(top).as("sample %d", i).isEqualTo(single.predictions()[i]);
            correct += top == row.getInt(row.fieldIndex("label")) ? 1 : 0;
        }
        assertThat(correct).isEqualTo(single.correct()).isGreaterThan(800);
    }

    /** The JSON without what is measured (times, throughput, latency) and without the Spark stages. */
    private static JsonNode withoutTimes(JsonNode json) {
        ObjectNode copy = json.deepCopy();
        copy.remove(List.of("spark", "float_latency_p50_us", "quantized_latency_p50_us"));
        for (String model : new String[] {"float", "quantized"}) {
            ((ObjectNode) copy.get(model)).remove(List.of("seconds", "samples_per_second"));
        }
        return copy;
    }

    @Test
    void compareWithAConfigOnSparkPrintsTheSingleMachineComparison() throws IOException {
        // int8, calibrated on samples 1000-1099: disjoint from the 1000 evaluated
        Path int8 = tmp.resolve("lenet_int8.tflite");
        CliRunner q = quantize(int8);
        assertThat(q.exitCode()).as(q.err()).isZero();

        CliRunner one = CliRunner.run(args("evaluate", "--compare", int8.toString(), "--json"));
        assertThat(one.exitCode()).as(one.err()).isZero();
        CliRunner spread =
                CliRunner.run(args("evaluate", "--compare", int8.toString(), "--json", "--spark", "local[2]"));
        assertThat(spread.exitCode()).as(spread.err()).isZero();
        JsonNode a = new ObjectMapper().readTree(one.out());
        JsonNode b = new ObjectMapper().readTree(spread.out());
        assertThat(b.at("/float/samples").asInt()).isEqualTo(1000);
        assertThat(b.at("/float/correct").asInt()).isGreaterThan(800);
        assertThat(b.get("layers")).isNotEmpty();
        assertThat(b.get("right_only_float").isInt()).isTrue();
        assertThat(b.get("right_only_quantized").isInt()).isTrue();
        assertThat(b.get("mcnemar_p").asDouble()).isBetween(0.0, 1.0);
        assertThat(b.get("spark").get("partitions").asInt()).isPositive();
        assertThat(withoutTimes(b)).isEqualTo(withoutTimes(a));

        CliRunner text = CliRunner.run(args("evaluate", "--compare", int8.toString(), "--spark", "local[2]"));
        assertThat(text.exitCode()).as(text.err()).isZero();
        CliRunner textOne = CliRunner.run(args("evaluate", "--compare", int8.toString()));
        assertThat(textOne.exitCode()).as(textOne.err()).isZero();
        assertThat(textOne.out()).contains("right only here", "paired test", "Per-layer error");
        assertThat(withoutLatency(text.out())).isEqualTo(withoutLatency(textOne.out()));
    }

    private static String withoutLatency(String out) {
        return out.lines().filter(l -> !l.startsWith("latency p50")).collect(Collectors.joining("\n"));
    }
}
