package dev.quanta.quantize;

import static dev.quanta.testing.CoreArrays.argmax;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two forms of the integer LSTM's hidden (output) state that the rewriter writes, on tflite-micro's mnist_lstm
 * (float .tflite, calibrated on the first 100 MNIST test images): symmetric (zero point 0) and asymmetric over the
 * calibrated range, the current TFLite converter's form. The asymmetric file, whose hidden zero point is not 0,
 * runs bit-exact in Quanta and in the official runtime on both paths; the default form is the more accurate of the
 * two over the 10000 test images (top-1, run by Quanta's interpreter, which is bit-exact with TFLite).
 */
@UsesFixtures
@UsesOracle
class LstmHiddenStateIT {
    private static final int BIT_EXACT_SAMPLES = 300;

    @TempDir
    Path tmp;

    private static Dataset mnist() {
        return Datasets.load(DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                .withLabels(Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"))
                .withFormat("idx")
                .withPreprocessing(Preprocessing.scale(1f / 255f)));
    }

    private static OpAttributes.Lstm lstm(Model m) {
        Op op = m.ops().stream()
                .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                .findFirst()
                .orElseThrow();
        return op.attrs(OpAttributes.Lstm.class);
    }

    private static int top1(Model m, Dataset data) {
        int correct = 0;
        float[] x = new float[data.sampleSize()];
        float[] y = new float[10];
        try (Interpreter it = new Interpreter(m)) {
            for (int s = 0; s < data.size(); s++) {
                data.copySample(s, x, 0);
                it.run(x, y);
                correct += argmax(y) == data.label(s) ? 1 : 0;
            }
        }
        return correct;
    }

    @Test
    void asymmetricHiddenStateIsBitExactAndTheDefaultIsTheMoreAccurate() {
        Dataset mnist = mnist();
        Model floatModel = FloatGraphPasses.apply(
                ModelFiles.load(Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite")));
        QuantizationConfig config = QuantizationConfig.defaults().withMode(QuantizationMode.INT8);
        Calibration ranges = MinMaxCalibrator.calibrate(floatModel, mnist, config, false);
        Map<FullIntegerRewriter.LstmHiddenState, Integer> correct =
                new EnumMap<>(FullIntegerRewriter.LstmHiddenState.class);
        Path asymmetricFile = null;
        for (FullIntegerRewriter.LstmHiddenState form : FullIntegerRewriter.LstmHiddenState.values()) {
            Path file = tmp.resolve("mnist_lstm_" + form + ".tflite");
            TfliteWriter.write(
                    FullIntegerRewriter.rewrite(floatModel, config, ranges, form)
                            .model(),
                    file);
            Model written = TfliteReader.read(file);
            QuantParams h = lstm(written).outputStateQuant();
            assertThat(lstm(written).intermediates()[4]).isEqualTo(h);
            if (form == FullIntegerRewriter.LstmHiddenState.ASYMMETRIC) {
                assertThat(h.zeroPoint()).as("hidden zero point of %s", h).isNotZero();
                asymmetricFile = file;
            } else {
                assertThat(h.zeroPoint()).isZero();
            }
            correct.put(form, top1(written, mnist));
            System.out.printf("mnist_lstm int8, %s hidden state %s: %d/10000%n", form, h, correct.get(form));
        }
        var other = FullIntegerRewriter.DEFAULT_LSTM_HIDDEN == FullIntegerRewriter.LstmHiddenState.SYMMETRIC
                ? FullIntegerRewriter.LstmHiddenState.ASYMMETRIC
                : FullIntegerRewriter.LstmHiddenState.SYMMETRIC;
        assertThat(correct.get(FullIntegerRewriter.DEFAULT_LSTM_HIDDEN)).isGreaterThanOrEqualTo(correct.get(other));

        Model written = TfliteReader.read(asymmetricFile);
        float[] x = new float[mnist.sampleSize()];
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            int exact = 0;
            try (Interpreter mine = new Interpreter(
                            written, Interpreter.Options.defaults().withKernelPath(path));
                    TfliteOracle theirs = TfliteOracle.open(asymmetricFile, kernels, 1)) {
                for (int s = 0; s < BIT_EXACT_SAMPLES; s++) {
                    mnist.copySample(5000 + s, x, 0);
                    float[] y = new float[10];
                    mine.run(x, y);
                    theirs.resetVariableTensors();
                    theirs.setInput(0, x);
                    theirs.invoke();
                    exact += java.util.Arrays.equals(y, theirs.outputFloat(0)) ? 1 : 0;
                }
            }
            assertThat(exact).as(path.toString()).isEqualTo(BIT_EXACT_SAMPLES);
        }
    }
}
