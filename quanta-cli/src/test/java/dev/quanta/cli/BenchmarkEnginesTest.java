package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.QuantaException;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code benchmark --engine quanta,onnxruntime}: Quanta's interpreter and ONNX Runtime side by side (issue 12). */
@UsesFixtures
class BenchmarkEnginesTest {
    @TempDir
    Path tmp;

    private static JsonNode json(CliRunner r) throws Exception {
        assertThat(r.exitCode()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    /** The rows' engines in order, after checking every row's timings are positive and ordered. */
    private static List<String> engines(JsonNode rows) {
        List<String> engines = new ArrayList<>();
        for (JsonNode row : rows) {
            double p50 = row.get("p50_us").asDouble();
            assertThat(p50).as(row.toString()).isPositive();
            assertThat(row.get("p90_us").asDouble()).isGreaterThanOrEqualTo(p50);
            assertThat(row.get("p99_us").asDouble())
                    .isGreaterThanOrEqualTo(row.get("p90_us").asDouble());
            assertThat(row.get("mean_us").asDouble()).isPositive();
            assertThat(row.get("samples_per_second").asDouble()).isPositive();
            assertThat(row.get("cpu").asText()).isNotBlank();
            engines.add(row.get("engine").asText());
        }
        return engines;
    }

    @Test
    void mnistOnnxInBothEnginesAgreesWithinOneMillionthOfTheRange() throws Exception {
        String model = OnnxCommandsTest.mnistOnnx().toString();
        JsonNode rows = json(CliRunner.run(
                "benchmark",
                model,
                "--engine",
                "quanta,onnxruntime",
                "--threads",
                "1,2",
                "--runs",
                "10",
                "--warmup",
                "2",
                "--json"));
        assertThat(engines(rows)).containsExactly("quanta", "quanta", "onnxruntime", "onnxruntime");
        assertThat(rows.get(2).get("threads").asInt()).isEqualTo(1);
        assertThat(rows.get(3).get("threads").asInt()).isEqualTo(2);
        // ONNX Runtime's memory is native: not measured, -1
        assertThat(rows.get(2).get("live_heap_bytes").asLong()).isEqualTo(-1);
        assertThat(rows.get(0).get("live_heap_bytes").asLong()).isPositive();
        // the sanity check: both engines' logits on the same random image, float within 1e-5 of the range
        JsonNode ort = rows.get(2);
        double range = ort.get("quanta_output_range").asDouble();
        assertThat(range).isPositive();
        assertThat(ort.get("max_abs_diff_vs_quanta").asDouble()).isLessThanOrEqualTo(1e-5 * range);
        assertThat(rows.get(0).has("max_abs_diff_vs_quanta")).isFalse();

        CliRunner text =
                CliRunner.run("benchmark", model, "--engine", "onnxruntime,quanta", "--runs", "5", "--warmup", "1");
        assertThat(text.exitCode()).as(text.err()).isZero();
        String[] lines = text.out().split("\\R");
        assertThat(lines[0]).startsWith("Machine: ");
        assertThat(lines[1]).contains("engine").contains("p50 us").contains("mean us");
        assertThat(lines[2]).contains("mnist.onnx").containsPattern("\\sonnxruntime\\s+1\\s+1\\s+1\\s");
        assertThat(lines[3]).contains("mnist.onnx").containsPattern("\\squanta\\s+1\\s+1\\s+1\\s");
        assertThat(lines[4]).startsWith("mnist.onnx: onnxruntime vs quanta on one random input: max |difference|");
    }

    @Test
    void anInt8TfliteRunsInOnnxRuntimeThroughItsQdqExport() throws Exception {
        Path int8 = tmp.resolve("mnist_int8.tflite");
        CliRunner q = MnistFixtures.quantizeInt8(int8);
        assertThat(q.exitCode()).as(q.err()).isZero();
        JsonNode rows = json(CliRunner.run(
                "benchmark",
                int8.toString(),
                "--engine",
                "quanta,onnxruntime",
                "--parallel",
                "2",
                "--runs",
                "20",
                "--warmup",
                "2",
                "--json"));
        assertThat(engines(rows)).containsExactly("quanta", "onnxruntime");
        assertThat(rows.get(1).get("parallel").asInt()).isEqualTo(2);
        JsonNode ort = rows.get(1);
        // int8 in both: ONNX Runtime requantizes in float, Quanta in TFLite's fixed point; the dequantized outputs
        // (probabilities, one step 1/256) may differ by a step or two
        assertThat(ort.get("quanta_output_range").asDouble()).isPositive();
        assertThat(ort.get("max_abs_diff_vs_quanta").asDouble()).isLessThanOrEqualTo(2.0 / 256 + 1e-6);
    }

    @Test
    void badEngineNamesAndMissingModelsAreOneLineRefusals() {
        String model = OnnxCommandsTest.mnistOnnx().toString();
        assertOneLineError(
                CliRunner.run("benchmark", model, "--engine", "quanta,tensorrt"),
                "--engine: unknown engine 'tensorrt'",
                "quanta, onnxruntime");
        assertOneLineError(
                CliRunner.run("benchmark", tmp.resolve("missing.onnx").toString(), "--engine", "onnxruntime"),
                "missing.onnx",
                "no such file");
        // shapes ONNX Runtime cannot take (mnist.onnx's batch is fixed at 1, where Quanta resizes): refused before
        // the table, in one line naming the file and the input
        assertOneLineError(
                CliRunner.run("benchmark", model, "--engine", "onnxruntime", "--input-shape", "1,3,28,28"),
                "mnist.onnx",
                "ONNX Runtime refuses the model",
                "Input3");
        assertOneLineError(
                CliRunner.run("benchmark", model, "--engine", "quanta,onnxruntime", "--batch", "3"),
                "mnist.onnx",
                "Input3");
    }

    @Test
    void withoutOnnxRuntimeOnTheClasspathTheEngineIsRefusedInOneLine() {
        assertThatThrownBy(() -> BenchmarkEngine.requireOnClasspath("ai.onnxruntime.NotThere"))
                .isInstanceOf(QuantaException.class)
                .hasMessage("onnxruntime engine needs com.microsoft.onnxruntime:onnxruntime on the classpath"
                        + " (ai.onnxruntime.NotThere not found)");
        BenchmarkEngine.requireOnClasspath(BenchmarkEngine.ONNX_RUNTIME_CLASS); // present here
    }
}
