package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.onnx.OnnxExportRuntime;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate}, {@code compare}, {@code benchmark} and {@code quantize -o OUT.onnx} on {@code onnx/mnist/mnist.onnx}
 * (issue 12): the int8 QDQ file, calibrated on the second half of MNIST t10k, scores within 0.3 points of the float
 * model in ONNX Runtime on the first half (disjoint from the calibration samples).
 */
@UsesFixtures
class OnnxMnistCommandsTest {
    @TempDir
    static Path shared;

    /** {@code quantize mnist.onnx -o mnist_int8.onnx}, calibrated on t10k 5001–10000; made once. */
    private static Path qdq;

    @BeforeAll
    static void quantizeToQdqOnnx() {
        qdq = shared.resolve("mnist_int8.onnx");
        CliRunner r = CliRunner.quantize(
                OnnxCommandsTest.mnistOnnx(),
                qdq,
                "--calibration",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--skip",
                "5000",
                "--samples",
                "5000");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Wrote " + qdq);
    }

    /** t10k 1–5000 (pixels / 255) in the model's [1, 28, 28] sample shape. */
    private static Dataset firstHalf() {
        return Datasets.load(DatasetSpec.of(MnistFixtures.testImages())
                        .withFormat("idx")
                        .withPreprocessing(Preprocessing.scale(1f / 255).withReshape(new int[] {1, 28, 28})))
                .slice(0, 5000);
    }

    /** Top-1 correct of an ONNX file in ONNX Runtime on {@code d}, one sample per run. */
    private static int correctInOnnxRuntime(Path onnx, Dataset d) throws Exception {
        int correct = 0;
        float[] x = new float[d.sampleSize()];
        try (OnnxExportRuntime ort = new OnnxExportRuntime(Files.readAllBytes(onnx))) {
            for (int s = 0; s < d.size(); s++) {
                d.copySample(s, x, 0);
                if (CoreArrays.argmax(ort.run(x, new long[] {1, 1, 28, 28})) == d.label(s)) {
                    correct++;
                }
            }
        }
        return correct;
    }

    @Test
    void int8QdqOnnxRunsInOnnxRuntimeWithinPointThreeOfFloat() throws Exception {
        Dataset half = firstHalf();
        int fl = correctInOnnxRuntime(OnnxCommandsTest.mnistOnnx(), half);
        int int8 = correctInOnnxRuntime(qdq, half);
        System.out.printf("mnist.onnx t10k 1-5000 in ONNX Runtime: float %d, int8 QDQ %d of 5000%n", fl, int8);
        // the float count is Quanta's too (OnnxCommandsTest)
        assertThat(fl).isEqualTo(4917);
        assertThat(int8).isEqualTo(4917);
        assertThat(Math.abs(fl - int8) * 100.0 / 5000).isLessThanOrEqualTo(0.3);
    }

    @Test
    void evaluateTakesTheOnnxModelAndItsQdqFile() throws Exception {
        String images = MnistFixtures.testImages().toString();
        CliRunner r = CliRunner.run(
                "evaluate",
                OnnxCommandsTest.mnistOnnx().toString(),
                "--data",
                images,
                "--scale",
                "1/255",
                "--limit",
                "1000",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("samples").asInt()).isEqualTo(1000);
        assertThat(j.get("correct").asInt()).isEqualTo(984);
        // the QDQ file, read back with its groups folded into integer ops
        CliRunner q = CliRunner.run(
                "evaluate", qdq.toString(), "--data", images, "--scale", "1/255", "--limit", "1000", "--json");
        assertThat(q.exitCode()).as(q.err()).isZero();
        assertThat(new ObjectMapper().readTree(q.out()).get("correct").asInt()).isEqualTo(985);
    }

    @Test
    void compareShowsTheQdqFilesLayersAgainstTheFloatModel() {
        CliRunner c = CliRunner.run(
                "compare",
                OnnxCommandsTest.mnistOnnx().toString(),
                qdq.toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--samples",
                "50");
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.out())
                .contains("mnist.onnx vs mnist_int8.onnx on 50 samples")
                .contains("Plus214_Output_0")
                .contains("CONV_2D")
                .contains("SQNR dB");
    }

    @Test
    void benchmarkMeasuresTheFloatAndQdqOnnxFilesSideBySide() throws Exception {
        CliRunner r = CliRunner.run(
                "benchmark",
                OnnxCommandsTest.mnistOnnx().toString(),
                qdq.toString(),
                "--runs",
                "20",
                "--warmup",
                "5",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        assertThat(rows).hasSize(2);
        for (JsonNode row : rows) {
            assertThat(row.get("runs").asInt()).isEqualTo(20);
            assertThat(row.get("p50_us").asDouble()).isPositive();
            assertThat(row.get("samples_per_second").asDouble()).isPositive();
        }
    }
}
