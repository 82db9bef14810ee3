package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.InputNormalization;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, finding 12: preprocessing is not lost between steps. {@code quantize} records the calibration data's
 * preprocessing in the file; {@code evaluate} and {@code compare} apply it when none is given, and warn when the
 * given one differs, or when the data does not fit the quantized input.
 */
@UsesFixtures
class RecordedPreprocessingTest {
    @TempDir
    Path tmp;

    /** The MNIST test images, as a command-line argument. */
    private static String images() {
        return MnistFixtures.testImages().toString();
    }

    private Path quantize(String name, String... preprocessing) {
        Path out = tmp.resolve(name);
        String[] calibration = {"--calibration", images(), "--samples", "200"};
        CliRunner r = CliRunner.quantize(MnistFixtures.model(), out, CliRunner.args(calibration, preprocessing));
        assertThat(r.exitCode()).as(r.err()).isZero();
        return out;
    }

    @Test
    void theCalibrationPreprocessingIsRecordedAndAppliedByDefault() {
        Path scaled = quantize("scaled.tflite", "--scale", "1/255");
        assertThat(ModelFiles.load(scaled).metadata().inputNormalization())
                .isEqualTo(new InputNormalization(1f / 255f, 0f, null, null));
        CliRunner summary = CliRunner.run("summary", scaled.toString());
        assertThat(summary.out()).contains("Input preprocessing: x = v·0.003921569 (recorded in the file");
        // the user forgets --scale: the recorded pixels / 255 apply, no warning
        CliRunner e = CliRunner.run("evaluate", scaled.toString(), "--data", images(), "--limit", "2000");
        assertThat(e.exitCode()).as(e.err()).isZero();
        assertThat(e.err()).isEmpty();
        assertThat(e.out()).contains("Input:      x = v·0.003921569").contains("Accuracy:   9");
        CliRunner same =
                CliRunner.run("evaluate", scaled.toString(), "--data", images(), "--limit", "2000", "--scale", "1/255");
        assertThat(same.err()).isEmpty();
        assertThat(same.out().lines().filter(l -> l.startsWith("Accuracy")))
                .isEqualTo(e.out().lines().filter(l -> l.startsWith("Accuracy")).toList());
    }

    /** The case: calibrated on raw 0..255 pixels, then evaluated with --scale 1/255. */
    @Test
    void aDisagreeingPreprocessingAndASliverOfTheRangeAreWarnedAbout() {
        Path raw = quantize("raw.tflite");
        assertThat(ModelFiles.load(raw).metadata().inputNormalization()).isEqualTo(InputNormalization.identity());
        CliRunner plain = CliRunner.run("evaluate", raw.toString(), "--data", images());
        assertThat(plain.err()).isEmpty();
        assertThat(plain.out()).contains("Accuracy:   97.");
        CliRunner e = CliRunner.run("evaluate", raw.toString(), "--data", images(), "--scale", "1/255");
        assertThat(e.exitCode()).as(e.err()).isZero();
        assertThat(e.out()).contains("Accuracy:   9.86% (986/10000, top-1)");
        List<String> warnings = e.err().lines().toList();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0))
                .isEqualTo("quanta: warning: the data was preprocessed as x = v·0.003921569, but "
                        + raw + " records x = identity for its input (its calibration data's preprocessing); give no "
                        + "--scale/--offset/--mean/--std to use the recorded one");
        assertThat(warnings.get(1))
                .startsWith("quanta: warning: the input values use only 0.4% of the input's range: "
                        + "the data spans [0, 1], the input ")
                .contains("holds [0, 255]")
                .endsWith("data scaled by 1/255 that the model was not calibrated with (a --scale too many, or one "
                        + "missing at calibration)?");
        CliRunner c = CliRunner.run(
                "compare",
                MnistFixtures.model().toString(),
                raw.toString(),
                "--data",
                images(),
                "--scale",
                "1/255",
                "--samples",
                "20");
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.err().lines()).hasSize(2).first().asString().contains("records x = identity");
    }
}
