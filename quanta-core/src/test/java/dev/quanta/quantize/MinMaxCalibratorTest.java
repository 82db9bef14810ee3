package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Calibrated ranges against the true minimum and maximum of every activation: worked out by hand for a Dense +
 * ReLU model with exact float arithmetic, and found by running the float interpreter one sample at a time for a
 * larger calibration set (which the calibrator runs in batches of 32).
 */
class MinMaxCalibratorTest {

    /** x[3] → Dense(W, b) "dense" → ReLU "relu", W = [[1, −2, 0.5], [0.25, 1, −1]], b = [0.5, −1]. */
    private static Model denseRelu() {
        ModelBuilder mb = new ModelBuilder("dense_relu");
        Tensor x = mb.input("x", Shape.batched(3));
        Tensor d = CoreModels.dense(mb, "dense", x, new float[] {1, -2, 0.5f, 0.25f, 1, -1}, new float[] {0.5f, -1});
        Tensor r = CoreModels.relu(mb, "relu", d);
        return mb.output(r).build(ModelMetadata.inMemory());
    }

    /**
     * Four samples; dense outputs (2.5, −2.75), (−2.5, −0.25), (6.5, −7), (−0.5, 2.5), all exact.
     */
    private static Dataset fourSamples() {
        return Dataset.of("four", new int[] {3}, new float[] {1, 0, 2, -1, 1, 0, 0, -2, 4, 2, 1, -2}, null);
    }

    private static TensorRange range(Calibration c, Model m, String tensor) {
        TensorRange r = c.ranges().get(m.tensor(tensor));
        assertThat(r).as("range of " + tensor).isNotNull();
        return r;
    }

    @Test
    void rangesAreTheMinimumAndMaximumOfEveryActivationOverAllSamples() {
        Model m = denseRelu();
        Calibration c = MinMaxCalibrator.calibrate(m, fourSamples(), 4, 1);
        assertThat(c.ranges()).hasSize(3); // the input and the two op outputs; no constants
        assertThat(range(c, m, "x")).isEqualTo(new TensorRange(-2, 4));
        assertThat(range(c, m, "dense")).isEqualTo(new TensorRange(-7, 6.5f));
        assertThat(range(c, m, "relu")).isEqualTo(new TensorRange(0, 6.5f));
        assertThat(range(c, m, "dense").absMax()).isEqualTo(7f);
        assertThat(c.lstmCellStates()).isEmpty();
    }

    @Test
    void onlyTheFirstSamplesAreUsed() {
        Model m = denseRelu();
        Calibration two = MinMaxCalibrator.calibrate(m, fourSamples(), 2, 1);
        assertThat(range(two, m, "x")).isEqualTo(new TensorRange(-1, 2));
        assertThat(range(two, m, "dense")).isEqualTo(new TensorRange(-2.75f, 2.5f));
        assertThat(range(two, m, "relu")).isEqualTo(new TensorRange(0, 2.5f));
        Calibration all = MinMaxCalibrator.calibrate(m, fourSamples(), 1000, 1);
        assertThat(range(all, m, "dense")).isEqualTo(new TensorRange(-7, 6.5f));
    }

    /** The range is what was observed: zero is not added here (the parameters add it, see QuantMath). */
    @Test
    void observedRangesDoNotIncludeZero() {
        Model m = denseRelu();
        Dataset positive = Dataset.of("positive", new int[] {3}, new float[] {0.5f, 1, 2, 1, 0.75f, 1.5f}, null);
        Calibration c = MinMaxCalibrator.calibrate(m, positive, 2, 1);
        assertThat(range(c, m, "x")).isEqualTo(new TensorRange(0.5f, 2));
        // dense: (0.5 − 2 + 1 + 0.5, 0.125 + 1 − 2 − 1) = (0, −1.875); (1 − 1.5 + 0.75 + 0.5, 0.25 + 0.75 − 1.5 − 1)
        assertThat(range(c, m, "dense")).isEqualTo(new TensorRange(-1.875f, 0.75f));
    }

    /**
     * 70 seeded samples (batches of 32, 32 and 6, with extremes placed in the second and in the last batch): each
     * range equals the minimum and maximum of the tensor over single-sample float inferences, whatever the thread
     * count.
     */
    @Test
    void batchedCalibrationEqualsSampleBySampleInference() {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder mb = new ModelBuilder("mlp");
        Tensor x = mb.input("x", Shape.batched(4));
        Tensor h = CoreModels.dense(
                mb,
                "hidden",
                Activation.RELU,
                x,
                mb.constant("w1", Shape.of(6, 4), CoreArrays.uniform(r, 24, -1, 1)),
                mb.constant("b1", Shape.of(6), new float[] {0.1f, -0.2f, 0.3f, 0f, 0.05f, -0.5f}));
        Tensor t = CoreModels.activation(mb, OpType.TANH, "tanh", h);
        Tensor s = CoreModels.softmax(mb, "softmax", t);
        Model m = mb.output(s).build(ModelMetadata.inMemory());
        int n = 70;
        float[] f = new float[n * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian();
        }
        f[33 * 4 + 1] = 9.5f; // the input's maximum, in the second batch
        f[69 * 4 + 2] = -8.25f; // its minimum, in the last (partial) batch
        Dataset data = Dataset.of("random", new int[] {4}, f, null);

        List<Tensor> observed = new ArrayList<>(m.inputs());
        for (Op op : m.ops()) {
            observed.add(op.output(0));
        }
        float[] min = new float[observed.size()];
        float[] max = new float[observed.size()];
        java.util.Arrays.fill(min, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        try (Interpreter it = new Interpreter(m, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
            for (int i = 0; i < n; i++) {
                it.run(data.sample(i), new float[6]);
                for (int k = 0; k < observed.size(); k++) {
                    for (float v : (float[]) it.readTensor(observed.get(k))) {
                        min[k] = Math.min(min[k], v);
                        max[k] = Math.max(max[k], v);
                    }
                }
            }
        }
        assertThat(min[0]).isEqualTo(-8.25f);
        assertThat(max[0]).isEqualTo(9.5f);
        Calibration one = MinMaxCalibrator.calibrate(m, data, n, 1);
        Calibration two = MinMaxCalibrator.calibrate(m, data, n, 2);
        for (int k = 0; k < observed.size(); k++) {
            TensorRange want = new TensorRange(min[k], max[k]);
            assertThat(one.ranges().get(observed.get(k)))
                    .as(observed.get(k).name())
                    .isEqualTo(want);
            assertThat(two.ranges().get(observed.get(k)))
                    .as(observed.get(k).name() + ", 2 threads")
                    .isEqualTo(want);
        }
        // fewer samples than one batch: the same rule on the first 33 (the maximum at sample 33 is left out)
        Calibration first33 = MinMaxCalibrator.calibrate(m, data, 33, 1);
        assertThat(first33.ranges().get(x).max()).isLessThan(9.5f);
        assertThat(first33.ranges().get(x).min()).isGreaterThan(-8.25f);
    }

    private static final float[] LSTM_WX = {0.9f, 0.4f, 1.3f, -0.6f};
    private static final float[] LSTM_WH = {0.2f, -0.5f, 0.7f, 0.3f};
    private static final float[] LSTM_B = {0.1f, 1.0f, -0.2f, 0.05f};

    /** x[3 steps, 1] → float LSTM with one unit (gates i, f, c, o), returning the sequence. */
    static Model lstmModel() {
        ModelBuilder mb = new ModelBuilder("lstm");
        Tensor x = mb.input("x", Shape.batched(3, 1));
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        for (int g = 0; g < 4; g++) {
            ins.add(mb.constant("wx" + g, Shape.of(1, 1), new float[] {LSTM_WX[g]}));
        }
        for (int g = 0; g < 4; g++) {
            ins.add(mb.constant("wh" + g, Shape.of(1, 1), new float[] {LSTM_WH[g]}));
        }
        for (int g = 0; g < 4; g++) {
            ins.add(mb.constant("b" + g, Shape.of(1), new float[] {LSTM_B[g]}));
        }
        boolean[] present = new boolean[24];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
            present[i] = true;
        }
        Tensor y = mb.add(
                OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                "lstm",
                new Origin("lstm", "LSTM"),
                new OpAttributes.Lstm(OpAttributes.LstmActivation.TANH, 0f, 0f, false, false, present),
                ins.toArray(Tensor[]::new));
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /** Two sequences of three steps for {@link #lstmModel()}. */
    static Dataset lstmData() {
        return Dataset.of("seq", new int[] {3, 1}, new float[] {1.5f, -2f, 0.5f, 3f, 2.5f, 2f}, null);
    }

    /** A float LSTM's cell state range is ±max|c| over every step of every sample, c from the LSTM equations. */
    @Test
    void lstmCellStateRangeIsTheLargestMagnitudeOfTheCellState() {
        Model m = lstmModel();
        float[] seqs = lstmData().features();
        double cellMax = 0;
        double hMin = Double.POSITIVE_INFINITY;
        double hMax = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < 2; s++) {
            double h = 0;
            double c = 0;
            for (int t = 0; t < 3; t++) {
                double xt = seqs[s * 3 + t];
                double i = sigmoid(LSTM_B[0] + LSTM_WX[0] * xt + LSTM_WH[0] * h);
                double fg = sigmoid(LSTM_B[1] + LSTM_WX[1] * xt + LSTM_WH[1] * h);
                double g = Math.tanh(LSTM_B[2] + LSTM_WX[2] * xt + LSTM_WH[2] * h);
                double o = sigmoid(LSTM_B[3] + LSTM_WX[3] * xt + LSTM_WH[3] * h);
                c = fg * c + i * g;
                h = o * Math.tanh(c);
                cellMax = Math.max(cellMax, Math.abs(c));
                hMin = Math.min(hMin, h);
                hMax = Math.max(hMax, h);
            }
        }
        Calibration cal = MinMaxCalibrator.calibrate(m, lstmData(), 2, 1);
        Op lstm = m.ops().get(0);
        TensorRange cell = cal.lstmCellStates().get(lstm);
        assertThat(cellMax).isGreaterThan(1.0); // the test data reach a cell state above 1
        assertThat((double) cell.max()).isCloseTo(cellMax, within(1e-5));
        assertThat(cell.min()).isEqualTo(-cell.max());
        TensorRange out = cal.ranges().get(m.outputs().get(0));
        assertThat((double) out.min()).isCloseTo(hMin, within(1e-5));
        assertThat((double) out.max()).isCloseTo(hMax, within(1e-5));
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    @Test
    void refusesDataThatDoesNotFitAndModelsWithSeveralInputs() {
        Model m = denseRelu();
        Dataset empty = Dataset.of("empty.npy", new int[] {3}, new float[0], null);
        assertThatThrownBy(() -> MinMaxCalibrator.calibrate(m, empty, 10, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("empty.npy: the calibration set is empty");
        assertThatThrownBy(() -> MinMaxCalibrator.calibrate(m, fourSamples(), 0, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("four: the calibration set is empty");
        Dataset wide = Dataset.of("wide.npy", new int[] {2, 2}, new float[8], null);
        assertThatThrownBy(() -> MinMaxCalibrator.calibrate(m, wide, 2, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("wide.npy: calibration samples have shape [2, 2] (4 values) but model input 'x' takes "
                        + Shape.batched(3) + " (3 values per sample)");
        ModelBuilder mb = new ModelBuilder("two_inputs");
        Tensor a = mb.input("a", Shape.batched(2));
        Tensor b = mb.input("b", Shape.batched(2));
        Tensor sum = mb.add(OpType.ADD, "sum", new Origin("sum", "Add"), new OpAttributes.Add(Activation.NONE), a, b);
        Model two = mb.output(sum).build(ModelMetadata.inMemory());
        assertThatThrownBy(() -> MinMaxCalibrator.calibrate(two, fourSamples(), 2, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("model 'two_inputs' has 2 inputs; calibration takes models with one input");
    }

    /** The converter turns the observed ranges into parameters that include zero: [0.5, 2] → [0, 2]. */
    @Test
    void theConverterWidensObservedRangesToZero() {
        Model m = denseRelu();
        Dataset positive = Dataset.of("positive", new int[] {3}, new float[] {0.5f, 1, 2, 1, 0.75f, 1.5f}, null);
        Model q = CoreModels.int8(m, positive, c -> c.withIo(IoType.INT8))
                .convert()
                .model();
        QuantParams in = q.inputs().get(0).quant();
        assertThat(in.scale()).isEqualTo((float) (2.0 / 255));
        assertThat(in.zeroPoint()).isEqualTo(-128);
    }
}
