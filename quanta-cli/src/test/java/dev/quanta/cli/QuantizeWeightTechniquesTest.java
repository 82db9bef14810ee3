package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quantize --equalize --bias-correction}: the MNIST MLP (Dense → ReLU → Dense chains) quantized per tensor,
 * calibrated on test images 1–100, shows both techniques in its report, loads in the official TFLite runtime,
 * computes on its XNNPACK path exactly what Quanta's interpreter computes, and classifies images 101–1000 about as
 * well as the float model; {@code --bias-correction} without a full-integer mode is refused with its flag's name.
 */
@UsesFixtures
@UsesOracle
class QuantizeWeightTechniquesTest {
    @TempDir
    Path tmp;

    /** Correct of images 101–1000: the float model 876 (measured, XNNPACK); a floor 4 below. */
    private static final int MIN_CORRECT = 872;

    @Test
    void equalizedAndBiasCorrectedFileRunsInTheOfficialRuntime() throws Exception {
        Path out = tmp.resolve("mnist_cle_bc.tflite");
        CliRunner r = CliRunner.quantize(
                MnistFixtures.model(),
                out,
                "--calibration",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--samples",
                "100",
                "--granularity",
                "per-tensor",
                "--equalize",
                "--bias-correction");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .containsPattern("(?m)^Cross-layer equalization:\n  \\S+ -> \\S+: \\d+ channels scaled by ")
                .containsPattern("(?m)^Bias absorption:\n  \\S+ -> \\S+: \\d+ of \\d+ channels absorbed ")
                .containsPattern("(?m)^Bias correction:\n  \\S+ \\(FULLY_CONNECTED\\): largest bias shift ");
        int correct = MnistFixtures.correctInTfliteBitExact(out);
        System.out.printf(Locale.ROOT, "MNIST MLP, per-tensor, --equalize --bias-correction: %d / 900%n", correct);
        assertThat(correct).isGreaterThanOrEqualTo(MIN_CORRECT);

        CliRunner json = CliRunner.quantize(
                MnistFixtures.model(),
                tmp.resolve("again.tflite"),
                "--calibration",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--samples",
                "100",
                "--equalize",
                "--bias-correction",
                "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode techniques = new ObjectMapper().readTree(json.out()).get("techniques");
        assertThat(techniques).hasSize(3);
        assertThat(techniques.get(0).get("technique").asText()).isEqualTo("cross-layer equalization");
        assertThat(techniques.get(1).get("technique").asText()).isEqualTo("bias absorption");
        assertThat(techniques.get(1).get("changes").get(0).asText())
                .matches(
                        "\\S+ -> \\S+: \\d+ of \\d+ channels absorbed \\(ReLU: min\\(0\\.135% point, mean - 3 sd\\)\\), largest c .+");
        assertThat(techniques.get(2).get("technique").asText()).isEqualTo("bias correction");
        assertThat(techniques.get(2).get("changes").get(0).asText()).contains("largest bias shift");
    }

    @Test
    void biasCorrectionWithoutCalibrationIsRefusedByItsFlag() {
        CliRunner r = CliRunner.quantize(
                MnistFixtures.model(), tmp.resolve("x.tflite"), "--mode", "dynamic", "--bias-correction");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("quanta: --bias-correction measures on calibration data and corrects int32 biases: it "
                        + "needs a full-integer --mode (int8 or int16x8), not dynamic\n");
    }
}
