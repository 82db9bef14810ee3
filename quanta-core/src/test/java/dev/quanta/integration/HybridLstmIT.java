package dev.quanta.integration;

import static dev.quanta.testing.CoreArrays.argmax;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic-range quantization of an LSTM (tflite-micro's mnist_lstm): the written LSTM is TFLite's hybrid LSTM
 * (int8 gate weights per tensor, float biases and states, asymmetric_quantize_inputs), it runs in the official
 * runtime, and Quanta's outputs stay within 1e-5 of TFLite's (softmax probabilities) on both paths over real MNIST
 * digits, with the same top-1 on every digit.
 */
@UsesFixtures
@UsesOracle
class HybridLstmIT {
    private static final int SAMPLES = 300;

    @TempDir
    Path tmp;

    @Test
    void dynamicRangeLstmIsTflitesHybridLstmAndFollowsTheOfficialRuntime() {
        Dataset mnist = KerasFixtureModels.idx("mnist", null);
        Model source = ModelFiles.load(Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite"));
        Path file = tmp.resolve("lstm_dynamic.tflite");
        TfliteWriter.write(
                Converter.fromModel(source)
                        .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                        .convert()
                        .model(),
                file);
        Model written = TfliteReader.read(file);
        Op lstm = written.ops().stream()
                .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                .findFirst()
                .orElseThrow();
        OpAttributes.Lstm a = lstm.attrs(OpAttributes.Lstm.class);
        assertThat(a.asymmetricQuantizeInputs()).isTrue();
        assertThat(lstm.input(0).dtype()).isEqualTo(DType.FLOAT32);
        for (int i = 1; i <= 8; i++) {
            assertThat(lstm.input(a.position(i)).dtype()).isEqualTo(DType.INT8);
            assertThat(lstm.input(a.position(i)).quant().isPerTensor()).isTrue();
        }
        for (int i = 12; i <= 15; i++) {
            assertThat(lstm.input(a.position(i)).dtype()).isEqualTo(DType.FLOAT32);
        }

        float[] x = new float[mnist.sampleSize()];
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            double worst = 0;
            int sameTop1 = 0;
            int correct = 0;
            try (Interpreter mine = new Interpreter(
                            written, Interpreter.Options.defaults().withKernelPath(path));
                    TfliteOracle theirs = TfliteOracle.open(file, kernels, 1)) {
                for (int s = 0; s < SAMPLES; s++) {
                    mnist.copySample(5000 + s, x, 0);
                    float[] y = new float[10];
                    mine.run(x, y);
                    theirs.resetVariableTensors();
                    theirs.setInput(0, x);
                    theirs.invoke();
                    float[] want = theirs.outputFloat(0);
                    for (int k = 0; k < 10; k++) {
                        worst = Math.max(worst, Math.abs(y[k] - want[k]));
                    }
                    sameTop1 += argmax(y) == argmax(want) ? 1 : 0;
                    correct += argmax(y) == mnist.label(5000 + s) ? 1 : 0;
                }
            }
            System.out.printf(
                    "mnist_lstm dynamic range (%s): largest difference %.3g, same top-1 %d/%d, correct %d/%d%n",
                    path, worst, sameTop1, SAMPLES, correct, SAMPLES);
            assertThat(worst).as(path.toString()).isLessThanOrEqualTo(1e-5);
            assertThat(sameTop1).isEqualTo(SAMPLES);
        }
        int correct = 0;
        try (Interpreter mine = new Interpreter(written)) {
            float[] y = new float[10];
            for (int s = 0; s < mnist.size(); s++) {
                mnist.copySample(s, x, 0);
                mine.run(x, y);
                correct += argmax(y) == mnist.label(s) ? 1 : 0;
            }
        }
        System.out.printf("mnist_lstm dynamic range: %d/%d correct in Quanta%n", correct, mnist.size());
        assertThat(correct).as("the float file scores 9853").isBetween(9800, 9900);
    }
}
