package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.data.Dataset;
import dev.quanta.eval.PairedComparison;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.SensitiveModels;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quanta sensitivity} and {@code quanta quantize --max-drop} on the tiny classifier of
 * {@link SensitiveModels}, whose layer "outlier" loses all its weights but one under per-tensor int8: 264 samples
 * in one .npy labelled by the float model, the first 64 to calibrate and the other 200 to evaluate.
 */
class SensitivityCommandTest {
    @TempDir
    Path tmp;

    private Path model;
    private Path samples;
    private Path labels;

    @BeforeEach
    void write() throws IOException {
        Model m = SensitiveModels.outlierNet();
        model = tmp.resolve("outlier.tflite");
        TfliteWriter.write(m, model);
        Dataset d = SensitiveModels.data(m, 264, 4);
        samples = tmp.resolve("x.npy");
        labels = tmp.resolve("y.npy");
        Files.write(samples, SensitiveModels.samplesNpy(d));
        Files.write(labels, SensitiveModels.labelsNpy(d));
    }

    private String[] sensitivity(String... more) {
        return CliRunner.args(
                new String[] {
                    "sensitivity",
                    model.toString(),
                    "--calibration",
                    samples.toString(),
                    "--data",
                    samples.toString(),
                    "--labels",
                    labels.toString(),
                    "--samples",
                    "64",
                    "--granularity",
                    "per-tensor"
                },
                more);
    }

    @Test
    void theTableRanksTheOutlierLayerFirst() {
        CliRunner r = CliRunner.run(sensitivity("--skip", "64"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        System.out.print(r.out());
        assertThat(r.out())
                .contains("int8 per-tensor, calibrated on 64 samples of " + samples)
                .contains("top-1 accuracy on 200 samples of " + samples)
                .containsPattern(
                        "Float 100.00%, all layers quantized \\d+\\.\\d\\d% \\(drop \\+\\d\\d\\.\\d\\d points, p ="
                                + " \\d\\.\\de-\\d+\\)");
        String[] lines = r.out().split("\n");
        assertThat(lines[3])
                .startsWith("Layer ")
                .contains("Only it quant.")
                .contains("Recovered")
                .endsWith(" p");
        // the outlier layer's drop and recovery are far beyond noise (p in e-notation)
        assertThat(lines[4]).startsWith("outlier ").matches(".* \\d\\.\\de-\\d+ .* \\d\\.\\de-\\d+");
        assertThat(lines[8]).startsWith("p: McNemar's exact test");
        assertThat(lines).hasSize(9);
    }

    @Test
    void theJsonHasEveryLayerMostSensitiveFirst() throws IOException {
        CliRunner r = CliRunner.run(sensitivity("--skip", "64", "--json"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("metric").asText()).isEqualTo("topk");
        assertThat(j.get("samples").asInt()).isEqualTo(200);
        assertThat(j.get("calibration_samples").asInt()).isEqualTo(64);
        assertThat(j.get("float").asDouble()).isEqualTo(100.0);
        assertThat(j.get("quantized_drop").asDouble()).isGreaterThan(30);
        JsonNode layers = j.get("layers");
        assertThat(layers.size()).isEqualTo(4);
        assertThat(layers.get(0).get("layer").asText()).isEqualTo("outlier");
        assertThat(layers.get(0).get("only_it_quantized_drop").asDouble()).isGreaterThan(30);
        assertThat(layers.get(0).get("recovered").asDouble())
                .isGreaterThan(j.get("quantized_drop").asDouble() - 5);
        for (int i = 1; i < 4; i++) {
            assertThat(layers.get(i).get("recovered").asDouble()).isLessThan(5);
        }
        // McNemar p: the labels are the float model's own, so float gets all 200 right and every discordant sample
        // is one only float gets right: p = min(1, 2 / 2^b), b = drop · 2
        double quantizedDrop = j.get("quantized_drop").asDouble();
        assertThat(j.get("quantized_p").asDouble())
                .isEqualTo(new PairedComparison(200, (int) Math.round(2 * quantizedDrop), 0).p());
        for (JsonNode l : layers) {
            assertThat(l.get("only_it_quantized_p").asDouble())
                    .as(l.get("layer").asText())
                    .isEqualTo(new PairedComparison(
                                    200,
                                    (int) Math.round(
                                            2 * l.get("only_it_quantized_drop").asDouble()),
                                    0)
                            .p());
            assertThat(l.get("recovered_p").asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(layers.get(0).get("recovered_p").asDouble()).isLessThan(1e-15);
    }

    @Test
    void badInputEndsInOneLineErrors() {
        assertOneLineError(
                CliRunner.run(sensitivity("--skip", "10")),
                "the evaluation data would reuse calibration samples 11–64",
                "give --skip 64 or more");
        assertOneLineError(
                CliRunner.run(sensitivity("--skip", "64", "--mode", "dynamic")),
                "--mode must be int8 or int16x8 for sensitivity, not 'dynamic'");
        assertOneLineError(CliRunner.run(sensitivity("--skip", "64", "--metric", "f1")), "unknown metric 'f1'");
        assertOneLineError(
                CliRunner.run(
                        "sensitivity",
                        model.toString(),
                        "--calibration",
                        tmp.resolve("missing.npy").toString(),
                        "--data",
                        samples.toString(),
                        "--labels",
                        labels.toString()),
                "missing.npy");
        assertOneLineError(
                CliRunner.run("sensitivity", model.toString(), "--data", samples.toString()), "--calibration");
        Path out = tmp.resolve("mixed.tflite");
        assertOneLineError(
                CliRunner.quantize(model, out, "--calibration", samples.toString(), "--max-drop", "1"),
                "--max-drop measures the drop on labelled data: give --eval-data PATH");
        assertOneLineError(
                CliRunner.quantize(
                        model,
                        out,
                        "--calibration",
                        samples.toString(),
                        "--labels",
                        labels.toString(),
                        "--samples",
                        "64",
                        "--max-drop",
                        "1",
                        "--eval-data",
                        samples.toString()),
                "overlap the calibration samples 1–64",
                "give --eval-skip 64");
        assertOneLineError(
                CliRunner.quantize(
                        model,
                        out,
                        "--calibration",
                        samples.toString(),
                        "--max-drop",
                        "-1",
                        "--eval-data",
                        samples.toString()),
                "--max-drop must be a number at least 0, got -1.0");
        assertThat(out).doesNotExist();
    }

    /**
     * {@code quantize --max-drop 2}: full int8 drops over 30 points, so "outlier" goes to float and nothing else;
     * the file runs in TFLite (XNNPACK) exactly as in Quanta's interpreter.
     */
    @Test
    @UsesOracle
    void maxDropKeepsTheOutlierInFloatAndTheFileRunsInTflite() throws IOException {
        Path out = tmp.resolve("mixed.tflite");
        CliRunner r = CliRunner.quantize(
                model,
                out,
                "--calibration",
                samples.toString(),
                "--labels",
                labels.toString(),
                "--samples",
                "64",
                "--granularity",
                "per-tensor",
                "--max-drop",
                "2",
                "--eval-data",
                samples.toString(),
                "--eval-skip",
                "64",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode mixed = new ObjectMapper().readTree(r.out()).get("mixed_precision");
        assertThat(mixed.get("met").asBoolean()).isTrue();
        assertThat(mixed.get("float_layers").toString()).isEqualTo("[\"outlier\"]");
        assertThat(mixed.get("drop").asDouble()).isLessThanOrEqualTo(2.0);
        assertThat(mixed.get("steps").get(0).get("drop").asDouble()).isGreaterThan(30);
        Model q = TfliteReader.read(out);
        Op outlier = q.ops().stream()
                .filter(o -> o.type() == OpType.FULLY_CONNECTED)
                .toList()
                .get(1);
        assertThat(outlier.input(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(outlier.input(1).dtype()).isEqualTo(DType.FLOAT32);
        Dataset d = SensitiveModels.data(SensitiveModels.outlierNet(), 264, 4).slice(64, 264);
        float[] x = new float[SensitiveModels.IN];
        float[] mine = new float[SensitiveModels.CLASSES];
        int correct = 0;
        try (TfliteOracle o = TfliteOracle.open(out, TfliteOracle.Kernels.XNNPACK, 1);
                Interpreter it = new Interpreter(q)) {
            for (int s = 0; s < d.size(); s++) {
                d.copySample(s, x, 0);
                o.setInput(0, x);
                o.invoke();
                float[] theirs = o.outputFloat(0);
                it.run(x, mine);
                assertThat(mine).as("sample %d", s).containsExactly(theirs);
                if (dev.quanta.testing.CoreArrays.argmax(theirs) == d.label(s)) {
                    correct++;
                }
            }
        }
        assertThat(100.0 * correct / d.size()).isEqualTo(mixed.get("value").asDouble());
        // the text report names the layer kept in float and the choice
        CliRunner text = CliRunner.quantize(
                model,
                tmp.resolve("mixed2.tflite"),
                "--calibration",
                samples.toString(),
                "--labels",
                labels.toString(),
                "--samples",
                "64",
                "--granularity",
                "per-tensor",
                "--max-drop",
                "2",
                "--eval-data",
                samples.toString(),
                "--eval-skip",
                "64");
        assertThat(text.exitCode()).as(text.err()).isZero();
        System.out.print(text.out());
        assertThat(text.out())
                .contains("kept in float as asked")
                .contains("Mixed precision (--max-drop 2.0 points of topk) on 200 samples: float 100.00%")
                // 16x8 is tried first and gains nothing (the outlier is a weight, which 16x8 keeps int8)
                .contains("  16x8 outlier: ")
                .contains("Chosen: float outlier, the rest int8");
    }
}
