package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI on {@code onnx/mnist/mnist.onnx}: {@code summary} lists its nodes, and {@code quantize} writes an int8
 * {@code .tflite} (calibrated on the second half of MNIST t10k) that the official TFLite runtime runs within 0.3
 * points of the float ONNX model's accuracy on the first half (disjoint from the calibration samples).
 */
@UsesFixtures
class OnnxCommandsTest {
    @TempDir
    Path tmp;

    static Path mnistOnnx() {
        return Fixtures.require("onnx/mnist/mnist.onnx");
    }

    @Test
    void summaryListsTheOnnxNodes() {
        CliRunner r = CliRunner.run("summary", mnistOnnx().toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("Convolution28 (Conv)", "Pooling160 (MaxPool)", "Times212 (MatMul)", "Plus214 (Add)")
                .contains("Total params: 6,018")
                .contains("Source: ONNX (producer CNTK 2.5.1)");
    }

    @Test
    void aTruncatedOnnxFileIsAOneLineErrorWithExitCode2() throws IOException {
        byte[] whole = Files.readAllBytes(mnistOnnx());
        Path cut = tmp.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 3));
        assertOneLineError(CliRunner.run("summary", cut.toString()), cut.toString());
        assertOneLineError(
                CliRunner.run(
                        "evaluate",
                        cut.toString(),
                        "--data",
                        MnistFixtures.testImages().toString()),
                cut.toString());
    }

    @Test
    @UsesOracle
    void int8TfliteFromOnnxRunsInTfliteWithinPointThreeOfFloat() {
        Path out = tmp.resolve("mnist_int8.tflite");
        CliRunner r = CliRunner.quantize(
                mnistOnnx(),
                out,
                "--calibration",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--skip",
                "5000",
                "--samples",
                "5000");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Dataset firstHalf = Datasets.load(DatasetSpec.of(MnistFixtures.testImages())
                        .withFormat("idx")
                        .withPreprocessing(Preprocessing.scale(1f / 255).withReshape(new int[] {1, 28, 28})))
                .slice(0, 5000);
        EvaluationResult fl = Evaluator.evaluate(
                ModelFiles.load(mnistOnnx()),
                firstHalf,
                Evaluator.Options.defaults().withBatchSize(50),
                Evaluator.Progress.NONE);
        int correct = 0;
        float[] x = new float[784];
        try (TfliteOracle o = TfliteOracle.open(out, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int s = 0; s < firstHalf.size(); s++) {
                firstHalf.copySample(s, x, 0);
                o.setInput(0, x);
                o.invoke();
                float[] y = o.outputFloat(0);
                if (Evaluator.argmax(y, 0, y.length) == firstHalf.label(s)) {
                    correct++;
                }
            }
        }
        double floatAcc = 100.0 * fl.correct() / 5000;
        double int8Acc = 100.0 * correct / 5000;
        System.out.printf("mnist.onnx first half: float %.2f%%, int8 .tflite in TFLite %.2f%%%n", floatAcc, int8Acc);
        assertThat(fl.correct()).isEqualTo(4917);
        assertThat(Math.abs(floatAcc - int8Acc)).isLessThanOrEqualTo(0.3);
    }
}
