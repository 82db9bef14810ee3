package dev.quanta.keras;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.runtime.Interpreter;
import dev.quanta.summary.ModelSummary;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.ModelChecks;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keras GRU, which TFLite has no builtin for, imported unrolled into FULLY_CONNECTED, LOGISTIC, TANH, MUL, ADD and
 * SUB: its float output follows the GRU equations (computed in this test from the weights) in Quanta and in TFLite
 * on both paths, for reset_after true and false and with and without return_sequences; quantized to int8 and 16x8 by
 * Quanta every op is an integer op and the written file runs in TFLite bit-exact with Quanta on both paths.
 */
@UsesOracle
class KerasGruLayerTest {
    private static final int STEPS = 4;
    private static final int IN = 3;
    private static final int UNITS = 5;

    @TempDir
    Path tmp;

    private final Random rnd = new Random(1202);

    private float[][] matrix(int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = rnd.nextFloat() - 0.5f;
            }
        }
        return m;
    }

    /** The weights of one GRU: kernel [in, 3u], recurrent_kernel [u, 3u], bias [2, 3u] or [3u]. */
    private record Gru(float[][] kernel, float[][] recurrent, float[][] bias, boolean resetAfter) {
        /** Input bias of column j (gates z, r, h side by side). */
        float inputBias(int j) {
            return bias[0][j];
        }

        /** Recurrent bias of column j (0 without reset_after). */
        float recurrentBias(int j) {
            return resetAfter ? bias[1][j] : 0f;
        }
    }

    private Gru weights(boolean resetAfter) {
        return new Gru(
                matrix(IN, 3 * UNITS), matrix(UNITS, 3 * UNITS), matrix(resetAfter ? 2 : 1, 3 * UNITS), resetAfter);
    }

    /** A Sequential Keras 2 .h5 with input [STEPS, IN] and one GRU. */
    private Path file(String name, Gru g, boolean sequences) {
        return file(name, g, sequences, false);
    }

    private Path file(String name, Gru g, boolean sequences, boolean goBackwards) {
        String json = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"" + name + "\", \"layers\": ["
                + "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\", \"batch_input_shape\": [null, "
                + STEPS + ", " + IN + "], \"dtype\": \"float32\"}},"
                + "{\"class_name\": \"GRU\", \"config\": {\"name\": \"gru\", \"units\": " + UNITS
                + ", \"activation\": \"tanh\", \"recurrent_activation\": \"sigmoid\", \"use_bias\": true, "
                + "\"return_sequences\": " + sequences + ", \"reset_after\": " + g.resetAfter + ", \"go_backwards\": "
                + goBackwards + "}}]}}";
        Path file = tmp.resolve(name + ".h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", json);
            h.putAttribute("keras_version", "2.15.0");
            h.putAttribute("backend", "tensorflow");
            WritableGroup mw = h.putGroup("model_weights");
            mw.putAttribute("layer_names", new String[] {"gru"});
            WritableGroup layer = mw.putGroup("gru");
            layer.putAttribute(
                    "weight_names",
                    new String[] {"gru/gru_cell/kernel:0", "gru/gru_cell/recurrent_kernel:0", "gru/gru_cell/bias:0"});
            WritableGroup cell = layer.putGroup("gru").putGroup("gru_cell");
            cell.putDataset("kernel:0", g.kernel);
            cell.putDataset("recurrent_kernel:0", g.recurrent);
            cell.putDataset("bias:0", g.resetAfter ? g.bias : g.bias[0]);
        }
        return file;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** Keras' GRU cell over the steps of one sample x [STEPS·IN]; row t is h_t. */
    private static double[][] reference(Gru g, float[] x) {
        double[] h = new double[UNITS];
        double[][] out = new double[STEPS][];
        for (int t = 0; t < STEPS; t++) {
            double[] xs = new double[3 * UNITS];
            double[] hs = new double[3 * UNITS];
            for (int j = 0; j < 3 * UNITS; j++) {
                xs[j] = g.inputBias(j);
                for (int i = 0; i < IN; i++) {
                    xs[j] += x[t * IN + i] * g.kernel[i][j];
                }
                hs[j] = g.recurrentBias(j);
                for (int k = 0; k < UNITS; k++) {
                    hs[j] += h[k] * g.recurrent[k][j];
                }
            }
            double[] next = new double[UNITS];
            double[] r = new double[UNITS];
            for (int u = 0; u < UNITS; u++) {
                r[u] = sigmoid(xs[UNITS + u] + hs[UNITS + u]);
            }
            for (int u = 0; u < UNITS; u++) {
                double z = sigmoid(xs[u] + hs[u]);
                double pre;
                if (g.resetAfter) {
                    pre = xs[2 * UNITS + u] + r[u] * hs[2 * UNITS + u];
                } else {
                    double rh = 0;
                    for (int k = 0; k < UNITS; k++) {
                        rh += r[k] * h[k] * g.recurrent[k][2 * UNITS + u];
                    }
                    pre = xs[2 * UNITS + u] + rh;
                }
                double n = Math.tanh(pre);
                next[u] = z * h[u] + (1 - z) * n;
            }
            h = next;
            out[t] = next;
        }
        return out;
    }

    private float[] sample() {
        float[] x = new float[STEPS * IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 4 - 2;
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void floatGruFollowsTheEquationsInQuantaAndTflite(boolean resetAfter) {
        for (boolean sequences : new boolean[] {false, true}) {
            Gru g = weights(resetAfter);
            Model m = KerasImporter.load(file("gru_" + resetAfter + "_" + sequences, g, sequences));
            Set<OpType> allowed = EnumSet.of(
                    OpType.STRIDED_SLICE,
                    OpType.FULLY_CONNECTED,
                    OpType.LOGISTIC,
                    OpType.TANH,
                    OpType.MUL,
                    OpType.ADD,
                    OpType.SUB,
                    OpType.PACK);
            assertThat(m.ops()).allMatch(op -> allowed.contains(op.type()));
            assertThat(m.ops().stream().filter(op -> op.type() == OpType.LOGISTIC))
                    .as("z (and r) per step")
                    .hasSize(resetAfter ? 2 * STEPS : 2 * STEPS - 1);
            // Keras: 3·u·(in + u) + 3·u (6·u with reset_after)
            assertThat(ModelSummary.of(m).totalParams())
                    .isEqualTo(3L * UNITS * (IN + UNITS) + (resetAfter ? 6L : 3L) * UNITS);
            byte[] tflite = TfliteWriter.toBytes(m);
            for (int s = 0; s < 3; s++) {
                float[] x = sample();
                double[][] hs = reference(g, x);
                float[] expected = new float[sequences ? STEPS * UNITS : UNITS];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = (float) (sequences ? hs[i / UNITS][i % UNITS] : hs[STEPS - 1][i]);
                }
                assertClose("quanta", ModelChecks.outputs(m, x, 1), expected);
                for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
                    try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                        assertClose("tflite " + k, o.runFloat(x), expected);
                    }
                }
            }
        }
    }

    /**
     * go_backwards: Keras reads x_{T−1} first and returns the states in that order (the last one after x_0); the
     * import reverses the time axis (REVERSE_V2) before the unrolled cell.
     */
    @Test
    void goBackwardsReadsTheStepsInReverse() {
        for (boolean sequences : new boolean[] {false, true}) {
            Gru g = weights(true);
            Model m = KerasImporter.load(file("gru_back_" + sequences, g, sequences, true));
            assertThat(m.ops()).extracting(Op::type).contains(OpType.REVERSE_V2);
            byte[] tflite = TfliteWriter.toBytes(m);
            float[] x = sample();
            float[] reversed = new float[x.length];
            for (int t = 0; t < STEPS; t++) {
                System.arraycopy(x, (STEPS - 1 - t) * IN, reversed, t * IN, IN);
            }
            double[][] hs = reference(g, reversed);
            float[] expected = new float[sequences ? STEPS * UNITS : UNITS];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (float) (sequences ? hs[i / UNITS][i % UNITS] : hs[STEPS - 1][i]);
            }
            assertClose("quanta", ModelChecks.outputs(m, x, 1), expected);
            for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
                try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                    assertClose("tflite " + k, o.runFloat(x), expected);
                }
            }
        }
    }

    private static void assertClose(String who, float[] actual, float[] expected) {
        assertThat(actual).as(who + " length").hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i])
                    .as("%s output %d", who, i)
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @ParameterizedTest
    @CsvSource({"true, INT8", "false, INT8", "true, INT16X8", "false, INT16X8"})
    void integerGruRunsInTfliteBitExactWithQuantaOnBothPaths(boolean resetAfter, QuantizationMode mode)
            throws Exception {
        Gru g = weights(resetAfter);
        Model f = KerasImporter.load(file("gru_" + mode + "_" + resetAfter, g, false));
        int n = 32;
        Dataset d = Dataset.of(
                "sequences",
                new int[] {STEPS, IN},
                CoreArrays.uniform(new SplittableRandom(7), n * STEPS * IN, -2, 2),
                null);
        Converter.Conversion c = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults().withMode(mode))
                .withRepresentativeDataset(d)
                .convert();
        assertThat(c.report().floatLayers()).isEmpty();
        for (Op op : c.model().ops()) {
            if (op.type() != OpType.QUANTIZE && op.type() != OpType.DEQUANTIZE) {
                assertThat(op.output(0).dtype())
                        .as(op.name())
                        .isEqualTo(mode == QuantizationMode.INT8 ? DType.INT8 : DType.INT16);
            }
        }
        // the quantized GRU stays near the float one (a few output steps over four recurrent steps)
        assertThat(ModelChecks.maxDifference(f, c.model(), d, n)).isLessThan(0.06);
        Path file = tmp.resolve("gru_" + mode + ".tflite");
        TfliteWriter.write(c.model(), file);
        Model written = TfliteReader.read(file);
        float[] x = new float[STEPS * IN];
        try (Interpreter xnnQuanta = new Interpreter(written);
                Interpreter builtinQuanta =
                        new Interpreter(written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int i = 0; i < n; i++) {
                d.copySample(i, x, 0);
                float[] mine = new float[UNITS];
                xnnQuanta.run(x, mine);
                float[] mineBuiltin = new float[UNITS];
                builtinQuanta.run(x, mineBuiltin);
                assertThat(xnn.runFloat(x)).as("XNNPACK, sample " + i).containsExactly(mine);
                assertThat(builtin.runFloat(x)).as("built-in, sample " + i).containsExactly(mineBuiltin);
            }
        }
    }

    @Test
    void unsupportedActivationIsOneLineNamingTheLayer() {
        Path file = tmp.resolve("gru_relu.h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute(
                    "model_config",
                    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"g\", \"layers\": [{\"class_name\": "
                            + "\"InputLayer\", \"config\": {\"name\": \"x\", \"batch_input_shape\": [null, 4, 3]}}, "
                            + "{\"class_name\": \"GRU\", \"config\": {\"name\": \"gru\", \"units\": 2, "
                            + "\"recurrent_activation\": \"hard_sigmoid\"}}]}}");
            h.putGroup("model_weights").putAttribute("layer_names", new String[] {"gru"});
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KerasImporter.load(file))
                .isInstanceOf(dev.quanta.QuantaException.class)
                .hasMessageContaining("gru")
                .hasMessageContaining("recurrent_activation")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
