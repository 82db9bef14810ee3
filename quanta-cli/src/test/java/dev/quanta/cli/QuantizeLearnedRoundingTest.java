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
 * {@code quantize --adaround}: the MNIST MLP calibrated on test images 1–100 with learned rounding (and bias
 * correction after it) prints a report line per Dense layer, in text and in {@code --json}; the file computes on
 * TFLite's XNNPACK path exactly what Quanta's interpreter computes and classifies images 101–1000 about as well as
 * the float model; {@code --adaround} without a full-integer mode is refused with its flag's name.
 */
@UsesFixtures
@UsesOracle
class QuantizeLearnedRoundingTest {
    @TempDir
    Path tmp;

    /** Correct of images 101–1000: the float model 876 (measured, XNNPACK); a floor 4 below. */
    private static final int MIN_CORRECT = 872;

    @Test
    void learnedRoundingReportsEachLayerAndRunsInTheOfficialRuntime() throws Exception {
        Path out = tmp.resolve("mnist_adaround.tflite");
        CliRunner r = CliRunner.quantize(
                MnistFixtures.model(),
                out,
                "--calibration",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--samples",
                "100",
                "--adaround",
                "--bias-correction");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .containsPattern(
                        "(?m)^Learned rounding:\n  \\S+ \\(FULLY_CONNECTED\\): output error E‖Ŵ·x̂ − W·x‖² \\S+ → "
                                + "\\S+ \\(-\\d+\\.\\d%\\), \\d+ of \\d+ weights rounded the other way, \\d+ channels × \\d+ "
                                + "inputs; held out \\(learned on the even samples, measured on the odd\\) ")
                .containsPattern("(?m)^Bias correction:\n  \\S+ \\(FULLY_CONNECTED\\): largest bias shift ");
        assertThat(r.out().indexOf("Learned rounding:")).isLessThan(r.out().indexOf("Bias correction:"));
        int correct = MnistFixtures.correctInTfliteBitExact(out);
        System.out.printf(Locale.ROOT, "MNIST MLP, --adaround --bias-correction: %d / 900%n", correct);
        System.out.println(r.out());
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
                "--adaround",
                "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode techniques = new ObjectMapper().readTree(json.out()).get("techniques");
        assertThat(techniques).hasSize(1);
        assertThat(techniques.get(0).get("technique").asText()).isEqualTo("learned rounding");
        assertThat(techniques.get(0).get("changes").get(0).asText()).contains("weights rounded the other way");
    }

    @Test
    void learnedRoundingWithoutCalibrationIsRefusedByItsFlag() {
        CliRunner r =
                CliRunner.quantize(MnistFixtures.model(), tmp.resolve("x.tflite"), "--mode", "dynamic", "--adaround");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("quanta: --adaround learns int8 weight rounding on calibration data: it needs a "
                        + "full-integer --mode (int8 or int16x8), not dynamic\n");
    }
}
