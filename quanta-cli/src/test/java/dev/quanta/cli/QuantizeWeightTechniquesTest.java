package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
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
                .containsPattern("(?m)^Bias correction:\n  \\S+ \\(FULLY_CONNECTED\\): largest bias shift ");
        Dataset images = Datasets.load(DatasetSpec.of(MnistFixtures.testImages())
                        .withFormat("idx")
                        .withPreprocessing(Preprocessing.scale(1f / 255)))
                .slice(100, 1000);
        Model m = TfliteReader.read(out);
        int correct = 0;
        float[] x = new float[images.sampleSize()];
        try (TfliteOracle o = TfliteOracle.open(out, TfliteOracle.Kernels.XNNPACK, 1);
                Interpreter it = new Interpreter(m)) {
            float[] mine = new float[10];
            for (int s = 0; s < images.size(); s++) {
                images.copySample(s, x, 0);
                o.setInput(0, x);
                o.invoke();
                float[] theirs = o.outputFloat(0);
                it.run(x, mine);
                assertThat(mine).as("sample %d", s).containsExactly(theirs);
                if (argmax(theirs) == images.label(s)) {
                    correct++;
                }
            }
        }
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
        assertThat(techniques).hasSize(2);
        assertThat(techniques.get(0).get("technique").asText()).isEqualTo("cross-layer equalization");
        assertThat(techniques.get(1).get("technique").asText()).isEqualTo("bias correction");
        assertThat(techniques.get(1).get("changes").get(0).asText()).contains("largest bias shift");
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

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
