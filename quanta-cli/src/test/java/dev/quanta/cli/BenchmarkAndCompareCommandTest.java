package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.eval.PairedComparison;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code benchmark}, {@code compare} and {@code evaluate --compare} on a real model and its int8 conversion. */
@UsesFixtures
class BenchmarkAndCompareCommandTest {
    @TempDir
    static Path shared;

    /** {@link MnistFixtures#quantizeInt8}'s file, made once for the tests that read it. */
    private static Path int8;

    @TempDir
    Path tmp;

    @BeforeAll
    static void quantizeMnistToInt8() {
        int8 = shared.resolve("mnist_int8.tflite");
        CliRunner r = MnistFixtures.quantizeInt8(int8);
        assertThat(r.exitCode()).as(r.err()).isZero();
    }

    /** {@code quanta evaluate} of the MNIST model on its test images, compared with {@link #int8}. */
    private static CliRunner evaluateCompare(String... options) {
        String model = MnistFixtures.model().toString();
        String images = MnistFixtures.testImages().toString();
        return CliRunner.run(CliRunner.args(
                new String[] {"evaluate", model, "--compare", int8.toString(), "--data", images}, options));
    }

    @Test
    void benchmarkPrintsFloatAndInt8SideBySideAsJson() throws Exception {
        CliRunner r = CliRunner.run(
                "benchmark",
                MnistFixtures.model().toString(),
                int8.toString(),
                "--threads",
                "1,2",
                "--runs",
                "20",
                "--warmup",
                "5",
                "--batch",
                "4",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        assertThat(rows).hasSize(4);
        for (JsonNode row : rows) {
            assertThat(row.get("batch").asInt()).isEqualTo(4);
            assertThat(row.get("runs").asInt()).isEqualTo(20);
            double p50 = row.get("p50_us").asDouble();
            assertThat(p50).isPositive();
            assertThat(row.get("p99_us").asDouble()).isGreaterThanOrEqualTo(p50);
            assertThat(row.get("samples_per_second").asDouble()).isPositive();
            assertThat(row.get("live_heap_bytes").asLong()).isPositive();
            // one interpreter: what a timed run allocated on the measuring thread; parallel: not counted (-1)
            long allocated = row.get("allocated_bytes_per_run").asLong();
            assertThat(allocated).isNotNegative();
            assertThat(row.get("cpu").asText()).isNotBlank();
            assertThat(row.get("jdk").asText()).isEqualTo(Runtime.version().toString());
            assertThat(row.get("kernels").asText()).isEqualTo(dev.quanta.kernels.Simd.describe());
        }
        CliRunner parallel = CliRunner.run(
                "benchmark", int8.toString(), "--parallel", "2", "--runs", "20", "--input-shape", "3,28,28");
        assertThat(parallel.exitCode()).as(parallel.err()).isZero();
        assertThat(parallel.out()).contains("mnist_int8.tflite").containsPattern("\\s2\\s+3\\s");
    }

    @Test
    void profileListsEveryOpOfTheModelLongestFirst() throws Exception {
        CliRunner r =
                CliRunner.run("benchmark", int8.toString(), "--profile", "--runs", "10", "--warmup", "2", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode ops = new ObjectMapper().readTree(r.out()).get(0).get("ops");
        dev.quanta.ir.Model m = dev.quanta.io.ModelFiles.load(int8);
        assertThat(ops).hasSize(m.ops().size()); // every op runs a kernel (no constant folding here)
        java.util.Set<String> layers = new java.util.HashSet<>();
        for (JsonNode op : ops) {
            assertThat(op.get("mean_us").asDouble()).isGreaterThanOrEqualTo(0);
            layers.add(op.get("layer").asText());
        }
        assertThat(layers)
                .containsAll(m.ops().stream().map(o -> o.origin().layerName()).toList());
        CliRunner text = CliRunner.run("benchmark", int8.toString(), "--profile", "--runs", "10", "--warmup", "2");
        assertThat(text.exitCode()).as(text.err()).isZero();
        String[] lines = text.out().split("\\R");
        // the machine first: CPU, its vector features, the JDK and the kernels' vector width
        assertThat(lines[0])
                .startsWith("Machine: ")
                .contains(Runtime.version().toString())
                .contains("kernels: " + dev.quanta.kernels.Simd.describe());
        assertThat(lines[3]).contains("mean us").contains("cum %");
        // longest first, and the running total ends at 100%
        double previous = Double.MAX_VALUE;
        for (int i = 4; i < lines.length; i++) {
            double us = Double.parseDouble(lines[i].trim().split("\\s+")[0]);
            assertThat(us).isLessThanOrEqualTo(previous);
            previous = us;
        }
        assertThat(lines[lines.length - 1]).contains("100.0%");
    }

    @Test
    void compareAndEvaluateCompareShowLayersWorstFirst() {
        String images = MnistFixtures.testImages().toString();
        String keras = MnistFixtures.model().toString();
        CliRunner c = CliRunner.run(
                "compare", keras, int8.toString(), "--data", images, "--scale", "1/255", "--samples", "50");
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.out())
                .contains("dense_6")
                .contains("FULLY_CONNECTED")
                .contains("SQNR dB")
                .contains("saturated");
        CliRunner e = evaluateCompare("--scale", "1/255", "--limit", "500", "--layer-samples", "20");
        assertThat(e.exitCode()).as(e.err()).isZero();
        assertThat(e.out())
                .contains("accuracy drop")
                .contains("top-1 agreement")
                .containsPattern("right only here +\\d+ +\\d+\n")
                .containsPattern("paired test +p = [0-9.e+-]+ \\(McNemar\\)\n")
                .contains("RMSE/scale")
                .contains("dense_6");
    }

    @Test
    void evaluateCompareAsJsonCarriesTheSizesAndTheQuantizedModelsWarnings() throws Exception {
        Path keras = MnistFixtures.model();
        // no --scale: both models take the preprocessing the int8 file records (pixels / 255), so no warning
        CliRunner recorded = evaluateCompare("--limit", "200", "--layer-samples", "5", "--json");
        assertThat(recorded.exitCode()).as(recorded.err()).isZero();
        assertThat(recorded.err()).isEmpty();
        JsonNode r = new ObjectMapper().readTree(recorded.out());
        assertThat(r.at("/float/accuracy").asDouble()).isGreaterThan(0.9);
        assertThat(r.at("/quantized/accuracy").asDouble()).isGreaterThan(0.9);
        // paired by sample: the discordant counts account for the accuracy difference, and p is McNemar's of them
        int onlyFloat = r.get("right_only_float").asInt();
        int onlyQuantized = r.get("right_only_quantized").asInt();
        assertThat(onlyFloat - onlyQuantized)
                .isEqualTo(r.at("/float/correct").asInt()
                        - r.at("/quantized/correct").asInt());
        assertThat(onlyFloat + onlyQuantized).isLessThanOrEqualTo((int)
                Math.round(200 * (1 - r.get("top1_agreement").asDouble())));
        assertThat(r.get("mcnemar_p").asDouble()).isEqualTo(new PairedComparison(200, onlyFloat, onlyQuantized).p());
        // raw pixels given explicitly (--scale 1): the recorded preprocessing disagrees and the int8 input saturates
        CliRunner e = evaluateCompare("--scale", "1", "--limit", "200", "--layer-samples", "5", "--json");
        assertThat(e.exitCode()).as(e.err()).isZero();
        assertThat(e.err().lines()).hasSize(2).allMatch(l -> l.startsWith("quanta: warning: "));
        assertThat(e.err().lines().toList().get(0))
                .contains("the data was preprocessed as x = identity, but " + int8 + " records x = v·0.003921569")
                .endsWith("give no --scale/--offset/--mean/--std to use the recorded one");
        assertThat(e.err().lines().toList().get(1)).contains("saturate").endsWith("a missing --scale 1/255?");
        JsonNode j = new ObjectMapper().readTree(e.out());
        assertThat(j.get("float_file_bytes").asLong()).isEqualTo(Files.size(keras));
        assertThat(j.get("quantized_file_bytes").asLong()).isEqualTo(Files.size(int8));
        assertThat(j.at("/float/samples").asInt()).isEqualTo(200);
        assertThat(j.at("/float/warnings")).isEmpty();
        assertThat(j.at("/quantized/warnings")).hasSize(2);
        // the .tflite has no training config: it is scored with the Keras model's loss
        assertThat(j.at("/quantized/loss_name").asText())
                .isEqualTo(j.at("/float/loss_name").asText())
                .isNotEqualTo("null");
        assertThat(j.get("accuracy_drop").asDouble())
                .isEqualTo(j.at("/float/accuracy").asDouble()
                        - j.at("/quantized/accuracy").asDouble());
        assertThat(j.get("top1_agreement").asDouble()).isBetween(0.0, 1.0);
        assertThat(j.get("layers")).isNotEmpty();
        assertThat(j.get("float_latency_p50_us").asDouble()).isPositive();
    }

    @Test
    void asymmetricPerChannelOnConvolutionsIsRefusedWithTheReason() {
        CliRunner r = CliRunner.run(
                "quantize",
                Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5")
                        .toString(),
                "--config",
                Fixtures.require("fashion-mnist/keras_lenet/modelConfig.json").toString(),
                "-o",
                tmp.resolve("x.tflite").toString(),
                "--scheme",
                "asymmetric",
                "--calibration",
                Fixtures.require("fashion-mnist/t10k-images-idx3-ubyte.gz").toString());
        assertOneLineError(r, "--granularity per-tensor", "uint8");
        assertThat(tmp.resolve("x.tflite")).doesNotExist();
    }

    @Test
    void aWeightsOnlyH5GivenToCompareIsRefusedAsSuch() {
        Path weights = Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5");
        String config =
                Fixtures.require("fashion-mnist/keras_lenet/modelConfig.json").toString();
        String images =
                Fixtures.require("fashion-mnist/t10k-images-idx3-ubyte.gz").toString();
        // --config is given, for MODEL: the compared weights-only file is refused without asking for --config
        CliRunner r = CliRunner.run(
                "evaluate",
                weights.toString(),
                "--config",
                config,
                "--compare",
                weights.toString(),
                "--data",
                images,
                "--limit",
                "10");
        assertOneLineError(r, weights + ": a weights-only .h5 cannot be compared (--config JSON belongs to MODEL)");
        assertThat(r.err()).doesNotContain("give --config JSON");
    }
}
