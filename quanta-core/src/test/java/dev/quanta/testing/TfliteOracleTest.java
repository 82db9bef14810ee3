package dev.quanta.testing;

import static dev.quanta.testing.CoreArrays.argmax;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.testing.TfliteOracle.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Proves {@link TfliteOracle} against the MLPerf Tiny IC fixtures and the accuracies in ORACLE-NOTES.md. */
@UsesFixtures
@UsesOracle
class TfliteOracleTest {
    private static final String IC = "mlperf-tiny/ic/";
    private static final int PIXELS = 32 * 32 * 3;

    /** The 200 perf_samples_v0.5 images as raw HWC RGB bytes (unsigned), in y_labels.csv order. */
    private static List<byte[]> images;

    private static int[] labels;

    @BeforeAll
    static void loadSamples() throws IOException {
        Path dir = Fixtures.require(IC + "perf_samples_v0.5");
        List<String> lines = Files.readAllLines(dir.resolve("y_labels.csv"));
        images = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(",");
            assertThat(f).as(line).hasSize(3);
            assertThat(f[1]).isEqualTo("10");
            byte[] img = Files.readAllBytes(dir.resolve(f[0]));
            assertThat(img).as(f[0]).hasSize(PIXELS);
            images.add(img);
            ys.add(Integer.parseInt(f[2]));
        }
        labels = ys.stream().mapToInt(Integer::intValue).toArray();
        assertThat(images).hasSize(200);
    }

    static Stream<Arguments> kernelsAndThreads() {
        return Stream.of(Kernels.values()).flatMap(k -> Stream.of(Arguments.of(k, 1), Arguments.of(k, 2)));
    }

    private static float[] asFloatPixels(byte[] img) {
        float[] x = new float[img.length];
        for (int j = 0; j < img.length; j++) {
            x[j] = img[j] & 0xFF;
        }
        return x;
    }

    private static byte[] asInt8MinusZp(byte[] img) {
        byte[] q = new byte[img.length];
        for (int j = 0; j < img.length; j++) {
            q[j] = (byte) ((img[j] & 0xFF) - 128);
        }
        return q;
    }

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @MethodSource("kernelsAndThreads")
    void floatResnetScores171Of200(Kernels kernels, int threads) {
        try (TfliteOracle o = TfliteOracle.open(Fixtures.require(IC + "pretrainedResnet.tflite"), kernels, threads)) {
            int correct = 0;
            for (int s = 0; s < images.size(); s++) {
                float[] probs = o.runFloat(asFloatPixels(images.get(s)));
                assertThat(probs).hasSize(10);
                correct += argmax(probs) == labels[s] ? 1 : 0;
            }
            System.out.printf("TfliteOracleTest: float resnet %s threads=%d: %d/200%n", kernels, threads, correct);
            assertThat(correct).isEqualTo(171);
        }
    }

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @MethodSource("kernelsAndThreads")
    void int8ResnetScoresAsDocumented(Kernels kernels, int threads) {
        try (TfliteOracle o =
                TfliteOracle.open(Fixtures.require(IC + "pretrainedResnet_quant.tflite"), kernels, threads)) {
            int correct = 0;
            for (int s = 0; s < images.size(); s++) {
                o.setInput(0, asInt8MinusZp(images.get(s)));
                o.invoke();
                correct += argmax(o.outputInt8(0)) == labels[s] ? 1 : 0;
            }
            System.out.printf("TfliteOracleTest: int8 resnet %s threads=%d: %d/200%n", kernels, threads, correct);
            assertThat(correct).isEqualTo(kernels == Kernels.XNNPACK ? 170 : 173);
        }
    }

    @Test
    void introspectsTheInt8Model() {
        try (TfliteOracle o =
                TfliteOracle.open(Fixtures.require(IC + "pretrainedResnet_quant.tflite"), Kernels.BUILTIN, 1)) {
            assertThat(o.inputCount()).isEqualTo(1);
            assertThat(o.outputCount()).isEqualTo(1);
            assertThat(o.inputShape(0)).containsExactly(1, 32, 32, 3);
            assertThat(o.outputShape(0)).containsExactly(1, 10);
            assertThat(o.inputType(0)).isEqualTo("INT8");
            assertThat(o.outputType(0)).isEqualTo("INT8");
            assertThat(o.inputScale(0)).isEqualTo(1.0f);
            assertThat(o.inputZeroPoint(0)).isEqualTo(-128);
            assertThat(o.outputScale(0)).isEqualTo(1.0f / 256);
            assertThat(o.outputZeroPoint(0)).isEqualTo(-128);
            assertThat(o.inputLength(0)).isEqualTo(PIXELS);
            assertThat(o.outputLength(0)).isEqualTo(10);
        }
    }

    @Test
    void introspectsTheFloatModel() {
        try (TfliteOracle o = TfliteOracle.open(Fixtures.require(IC + "pretrainedResnet.tflite"), Kernels.XNNPACK, 1)) {
            assertThat(o.inputShape(0)).containsExactly(1, 32, 32, 3);
            assertThat(o.outputShape(0)).containsExactly(1, 10);
            assertThat(o.inputType(0)).isEqualTo("FLOAT32");
            assertThat(o.outputType(0)).isEqualTo("FLOAT32");
            assertThat(o.inputScale(0)).isZero();
            assertThat(o.inputZeroPoint(0)).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Kernels.class)
    void resizeToBatch4GivesTheBatch1Outputs(Kernels kernels) {
        Path model = Fixtures.require(IC + "pretrainedResnet.tflite");
        int batch = 4;
        float[][] single = new float[batch][];
        try (TfliteOracle o = TfliteOracle.open(model, kernels, 1)) {
            for (int b = 0; b < batch; b++) {
                single[b] = o.runFloat(asFloatPixels(images.get(b)));
            }
        }
        try (TfliteOracle o = TfliteOracle.open(model, kernels, 1)) {
            o.resizeInput(0, new int[] {batch, 32, 32, 3});
            assertThat(o.inputShape(0)).containsExactly(batch, 32, 32, 3);
            assertThat(o.outputShape(0)).containsExactly(batch, 10);
            float[] x = new float[batch * PIXELS];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(asFloatPixels(images.get(b)), 0, x, b * PIXELS, PIXELS);
            }
            float[] y = o.runFloat(x);
            assertThat(y).hasSize(batch * 10);
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < 10; c++) {
                    assertThat(y[b * 10 + c]).as("sample %d class %d", b, c).isCloseTo(single[b][c], within(1e-6f));
                }
            }
            // and back to batch 1
            o.resizeInput(0, new int[] {1, 32, 32, 3});
            assertThat(o.runFloat(asFloatPixels(images.get(2)))).containsExactly(single[2], within(1e-6f));
        }
    }

    @ParameterizedTest
    @EnumSource(Kernels.class)
    void loadsFromBytesLikeFromFile(Kernels kernels) throws IOException {
        Path model = Fixtures.require(IC + "pretrainedResnet_quant.tflite");
        byte[] bytes = Files.readAllBytes(model);
        try (TfliteOracle fromFile = TfliteOracle.open(model, kernels, 1);
                TfliteOracle fromBytes = TfliteOracle.open(bytes, kernels, 1)) {
            java.util.Arrays.fill(bytes, (byte) 0); // the oracle keeps its own copy
            System.gc(); // nothing the oracle needs may be collected
            for (int s = 0; s < 20; s++) {
                byte[] q = asInt8MinusZp(images.get(s));
                fromFile.setInput(0, q);
                fromFile.invoke();
                fromBytes.setInput(0, q);
                fromBytes.invoke();
                assertThat(fromBytes.outputInt8(0)).containsExactly(fromFile.outputInt8(0));
            }
        }
    }

    @Test
    void rejectsMisuseWithClearExceptions() {
        TfliteOracle o = TfliteOracle.open(Fixtures.require(IC + "pretrainedResnet_quant.tflite"), Kernels.XNNPACK, 1);
        assertThatThrownBy(() -> o.setInput(0, new float[PIXELS]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("INT8")
                .hasMessageContaining("FLOAT32");
        assertThatThrownBy(() -> o.setInput(0, new byte[PIXELS - 1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3072");
        assertThatThrownBy(() -> o.outputInt16(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> o.outputFloat(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> o.setInput(1, new byte[PIXELS])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> o.resizeInput(1, new int[] {1, 32, 32, 3}))
                .isInstanceOf(IndexOutOfBoundsException.class);
        o.close();
        o.close(); // idempotent
        assertThatThrownBy(o::invoke).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> TfliteOracle.open(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, Kernels.BUILTIN, 1))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> TfliteOracle.open(Path.of("/nonexistent/x.tflite"), Kernels.BUILTIN, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void resetVariableTensorsRestoresLstmState() {
        Path lstm = Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite");
        try (TfliteOracle o = TfliteOracle.open(lstm, Kernels.BUILTIN, 1)) {
            assertThat(o.inputShape(0)).containsExactly(1, 28, 28);
            float[] x = new float[28 * 28];
            for (int j = 0; j < x.length; j++) {
                x[j] = ((j * 37) % 101) / 100f;
            }
            o.resetVariableTensors();
            float[] first = o.runFloat(x);
            float[] carried = o.runFloat(x); // state from the first run leaks in
            o.resetVariableTensors();
            float[] again = o.runFloat(x);
            assertThat(again).containsExactly(first);
            assertThat(carried).isNotEqualTo(first);
        }
    }

    @Test
    void refusesPersonDetectWithAnExceptionNotACrash() {
        // ORACLE-NOTES.md: stock TFLite 2.21 rejects tflite-micro's person_detect.tflite (quantized_dimension = 3).
        Path model = Fixtures.require("tflite-micro/person_detection/person_detect.tflite");
        for (Kernels k : Kernels.values()) {
            assertThatThrownBy(() -> TfliteOracle.open(model, k, 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("person_detect.tflite");
        }
    }
}
