package dev.quanta.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.Interpreter;
import dev.quanta.summary.ModelSummary;
import dev.quanta.testing.ModelChecks;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Keras layers that lower onto several IR ops (Conv1D and the other 1-D layers, SeparableConv2D, Cropping,
 * Permute, the merge layers, Rescaling, Normalization, GlobalMaxPooling, UpSampling2D, Conv2DTranspose, Embedding,
 * LayerNormalization, SimpleRNN, Bidirectional(LSTM)): each small Keras 2 file is imported, run in Quanta's
 * interpreter and, written as .tflite, in the official runtime on both paths, and every output is compared with
 * the layer's Keras semantics computed straight from its config and weights in this test. The summary's parameter
 * totals follow Keras' rules (a layer's parameters are its weights).
 */
@UsesOracle
class KerasLayerSemanticsTest {
    @TempDir
    Path tmp;

    private final Random rnd = new Random(20261202);

    private float[] uniform(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** One layer of a Sequential Keras 2 model: class, config JSON body, weights by name (Keras layout). */
    private record Layer(String cls, String name, String config, Map<String, Object> weights) {}

    private static Layer layer(String cls, String name, String config) {
        return new Layer(cls, name, config, Map.of());
    }

    /** A Sequential Keras 2 .h5 with an input of {@code inputShape} (no batch) and {@code layers}. */
    private Path sequential(String modelName, int[] inputShape, List<Layer> layers) {
        StringBuilder json = new StringBuilder();
        json.append("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"")
                .append(modelName)
                .append("\", \"layers\": [");
        StringBuilder shape = new StringBuilder("[null");
        for (int d : inputShape) {
            shape.append(", ").append(d);
        }
        shape.append(']');
        json.append("{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\", \"batch_input_shape\": ")
                .append(shape)
                .append(", \"dtype\": \"float32\"}}");
        for (Layer l : layers) {
            json.append(", {\"class_name\": \"")
                    .append(l.cls)
                    .append("\", \"config\": {\"name\": \"")
                    .append(l.name)
                    .append('"')
                    .append(l.config.isEmpty() ? "" : ", " + l.config)
                    .append("}}");
        }
        json.append("]}}");
        Path file = tmp.resolve(modelName + ".h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", json.toString());
            h.putAttribute("keras_version", "2.15.0");
            h.putAttribute("backend", "tensorflow");
            WritableGroup mw = h.putGroup("model_weights");
            mw.putAttribute("layer_names", layers.stream().map(Layer::name).toArray(String[]::new));
            for (Layer l : layers) {
                if (l.weights.isEmpty()) {
                    continue;
                }
                WritableGroup g = mw.putGroup(l.name);
                g.putAttribute(
                        "weight_names",
                        l.weights.keySet().stream()
                                .map(k -> l.name + "/" + k + ":0")
                                .toArray(String[]::new));
                WritableGroup inner = g.putGroup(l.name);
                l.weights.forEach((k, v) -> inner.putDataset(k + ":0", v));
            }
        }
        return file;
    }

    /**
     * Imports {@code file}, runs one sample {@code x} in Quanta and in TFLite on both paths, and checks each output
     * against {@code expected} within 1e-5 of its range.
     */
    private Model checkAgainstReference(Path file, float[] x, float[] expected) {
        Model m = KerasImporter.load(file);
        float[] quanta = ModelChecks.outputs(m, x, 1);
        assertClose("quanta", quanta, expected);
        byte[] tflite = TfliteWriter.toBytes(m);
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                assertClose("tflite " + k, o.runFloat(x), expected);
            }
        }
        return m;
    }

    private static void assertClose(String who, float[] actual, float[] expected) {
        assertThat(actual).as(who + " output length").hasSize(expected.length);
        float range = 0;
        for (float v : expected) {
            range = Math.max(range, Math.abs(v));
        }
        float tol = 1e-5f * Math.max(1, range);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i]))
                    .as("%s output %d: %s vs %s", who, i, actual[i], expected[i])
                    .isLessThanOrEqualTo(tol);
        }
    }

    private static float[][][] reshape3(float[] flat, int a, int b, int c) {
        float[][][] out = new float[a][b][c];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(flat, (i * b + j) * c, out[i][j], 0, c);
            }
        }
        return out;
    }

    /** Keras Conv1D on [steps, in] with kernel [k, in, out], as its documentation defines it. */
    private static float[] conv1d(
            float[] x,
            int steps,
            int cin,
            float[][][] w,
            float[] bias,
            int stride,
            int dil,
            String padding,
            UnaryOperator<Float> act) {
        int k = w.length;
        int out = w[0][0].length;
        int span = (k - 1) * dil + 1;
        int padBefore;
        int outSteps;
        switch (padding) {
            case "valid" -> {
                padBefore = 0;
                outSteps = (steps - span) / stride + 1;
            }
            case "same" -> {
                outSteps = (steps + stride - 1) / stride;
                int total = Math.max(0, (outSteps - 1) * stride + span - steps);
                padBefore = total / 2;
            }
            default -> { // causal
                padBefore = span - 1;
                outSteps = (steps + padBefore - span) / stride + 1;
            }
        }
        float[] y = new float[outSteps * out];
        for (int t = 0; t < outSteps; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int j = 0; j < k; j++) {
                    int it = t * stride + j * dil - padBefore;
                    if (it < 0 || it >= steps) {
                        continue;
                    }
                    for (int c = 0; c < cin; c++) {
                        s += x[it * cin + c] * w[j][c][o];
                    }
                }
                y[t * out + o] = act.apply((float) s);
            }
        }
        return y;
    }

    private static String conv1dConfig(int filters, int k, int stride, int dil, String padding, String act) {
        return "\"filters\": " + filters + ", \"kernel_size\": [" + k + "], \"strides\": [" + stride
                + "], \"dilation_rate\": [" + dil + "], \"padding\": \"" + padding + "\", \"activation\": \"" + act
                + "\", \"use_bias\": true, \"data_format\": \"channels_last\", \"groups\": 1";
    }

    @Test
    void conv1dValidSameAndCausalWithFusedAndSeparateActivations() {
        int steps = 13;
        int cin = 3;
        int filters = 5;
        int k = 3;
        Object[][] cases = {{"valid", 2, 1, "relu"}, {"same", 1, 2, "sigmoid"}, {"causal", 1, 2, "linear"}};
        for (Object[] c : cases) {
            String padding = (String) c[0];
            int stride = (int) c[1];
            int dil = (int) c[2];
            String act = (String) c[3];
            float[][][] w = reshape3(uniform(k * cin * filters), k, cin, filters);
            float[] bias = uniform(filters);
            Map<String, Object> weights = new LinkedHashMap<>();
            weights.put("kernel", w);
            weights.put("bias", bias);
            Path file = sequential(
                    "conv1d_" + padding,
                    new int[] {steps, cin},
                    List.of(new Layer("Conv1D", "conv", conv1dConfig(filters, k, stride, dil, padding, act), weights)));
            float[] x = uniform(steps * cin);
            UnaryOperator<Float> f = switch (act) {
                case "relu" -> v -> Math.max(v, 0f);
                case "sigmoid" -> v -> (float) (1 / (1 + Math.exp(-v)));
                default -> v -> v;
            };
            Model m = checkAgainstReference(file, x, conv1d(x, steps, cin, w, bias, stride, dil, padding, f));
            ModelSummary s = ModelSummary.of(m);
            assertThat(s.totalParams()).as(padding).isEqualTo((long) k * cin * filters + filters);
            assertThat(s.trainableParams()).isEqualTo(s.totalParams());
        }
    }

    @Test
    void oneDimensionalPoolingPaddingAndCropping() {
        int steps = 11;
        int ch = 4;
        Path file = sequential(
                "pools_1d",
                new int[] {steps, ch},
                List.of(
                        layer("ZeroPadding1D", "pad", "\"padding\": [2, 1]"),
                        layer("MaxPooling1D", "max", "\"pool_size\": [3], \"strides\": [2], \"padding\": \"valid\""),
                        layer("Cropping1D", "crop", "\"cropping\": [1, 0]"),
                        layer(
                                "AveragePooling1D",
                                "avg",
                                "\"pool_size\": [2], \"strides\": [1], \"padding\": \"same\"")));
        float[] x = uniform(steps * ch);
        // pad: 14 steps; max 3/2 valid: 6 steps; crop 1 front: 5 steps; avg 2/1 same: 5 steps (last window of 1)
        int padded = steps + 3;
        float[] p = new float[padded * ch];
        System.arraycopy(x, 0, p, 2 * ch, steps * ch);
        int maxSteps = (padded - 3) / 2 + 1;
        float[] mx = new float[maxSteps * ch];
        for (int t = 0; t < maxSteps; t++) {
            for (int c = 0; c < ch; c++) {
                float v = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < 3; j++) {
                    v = Math.max(v, p[(2 * t + j) * ch + c]);
                }
                mx[t * ch + c] = v;
            }
        }
        int cropped = maxSteps - 1;
        float[] y = new float[cropped * ch];
        for (int t = 0; t < cropped; t++) {
            for (int c = 0; c < ch; c++) {
                float a = mx[(t + 1) * ch + c];
                y[t * ch + c] = t + 1 < cropped ? (a + mx[(t + 2) * ch + c]) / 2 : a;
            }
        }
        Model m = checkAgainstReference(file, x, y);
        assertThat(ModelSummary.of(m).totalParams()).isZero();
    }

    @Test
    void globalAveragePooling1dAndPermute() {
        int steps = 6;
        int ch = 3;
        Path file = sequential(
                "gap_permute",
                new int[] {steps, ch},
                List.of(
                        layer("Permute", "perm", "\"dims\": [2, 1]"),
                        layer("GlobalAveragePooling1D", "gap", "\"data_format\": \"channels_last\"")));
        float[] x = uniform(steps * ch);
        // permuted: [ch, steps]; averaging over axis 1 (the channels) gives one value per step
        float[] y = new float[steps];
        for (int t = 0; t < steps; t++) {
            double s = 0;
            for (int c = 0; c < ch; c++) {
                s += x[t * ch + c];
            }
            y[t] = (float) (s / ch);
        }
        checkAgainstReference(file, x, y);
    }

    @Test
    void separableConv2dThenCropping2d() {
        int h = 7;
        int w = 6;
        int cin = 3;
        int mult = 2;
        int filters = 4;
        float[] dk = uniform(3 * 3 * cin * mult); // [3, 3, cin, mult]
        float[] pk = uniform(cin * mult * filters); // [1, 1, cin·mult, filters]
        float[] bias = uniform(filters);
        Map<String, Object> weights = new LinkedHashMap<>();
        float[][][][] dk4 = new float[3][3][cin][mult];
        for (int i = 0; i < dk.length; i++) {
            dk4[i / (3 * cin * mult)][i / (cin * mult) % 3][i / mult % cin][i % mult] = dk[i];
        }
        float[][][][] pk4 = new float[1][1][cin * mult][filters];
        for (int i = 0; i < pk.length; i++) {
            pk4[0][0][i / filters][i % filters] = pk[i];
        }
        weights.put("depthwise_kernel", dk4);
        weights.put("pointwise_kernel", pk4);
        weights.put("bias", bias);
        Path file = sequential(
                "separable",
                new int[] {h, w, cin},
                List.of(
                        new Layer(
                                "SeparableConv2D",
                                "sep",
                                "\"filters\": 4, \"kernel_size\": [3, 3], \"strides\": [1, 1], \"padding\": \"same\", "
                                        + "\"depth_multiplier\": 2, \"activation\": \"relu\", \"use_bias\": true",
                                weights),
                        layer("Cropping2D", "crop", "\"cropping\": [[1, 2], [0, 1]]")));
        float[] x = uniform(h * w * cin);
        float[] mid = new float[h * w * cin * mult];
        for (int oy = 0; oy < h; oy++) {
            for (int ox = 0; ox < w; ox++) {
                for (int c = 0; c < cin; c++) {
                    for (int m = 0; m < mult; m++) {
                        double s = 0;
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy + ky - 1;
                                int ix = ox + kx - 1;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    s += x[(iy * w + ix) * cin + c] * dk4[ky][kx][c][m];
                                }
                            }
                        }
                        mid[((oy * w + ox) * cin + c) * mult + m] = (float) s;
                    }
                }
            }
        }
        List<Float> y = new ArrayList<>();
        for (int oy = 1; oy < h - 2; oy++) {
            for (int ox = 0; ox < w - 1; ox++) {
                for (int o = 0; o < filters; o++) {
                    double s = bias[o];
                    for (int c = 0; c < cin * mult; c++) {
                        s += mid[(oy * w + ox) * cin * mult + c] * pk4[0][0][c][o];
                    }
                    y.add((float) Math.max(s, 0));
                }
            }
        }
        float[] expected = new float[y.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = y.get(i);
        }
        Model m = checkAgainstReference(file, x, expected);
        assertThat(ModelSummary.of(m).totalParams()).isEqualTo((long) dk.length + pk.length + filters);
    }

    @Test
    void rescalingThenNormalization() {
        int ch = 3;
        float[] mean = {0.25f, -0.5f, 0.1f};
        float[] variance = {4f, 0.25f, 0f}; // a zero variance divides by Keras' epsilon
        Map<String, Object> weights = new LinkedHashMap<>();
        weights.put("mean", mean);
        weights.put("variance", variance);
        weights.put("count", 100L);
        Path file = sequential(
                "preprocessing",
                new int[] {2, ch},
                List.of(
                        layer("Rescaling", "rescale", "\"scale\": 0.0078431377, \"offset\": -1.0"),
                        new Layer(
                                "Normalization",
                                "norm",
                                "\"axis\": [-1], \"mean\": null, \"variance\": null",
                                weights)));
        float[] x = {0, 255, 127.5f, 10, 200, 128};
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float r = x[i] * 0.0078431377f - 1f;
            float sd = Math.max((float) Math.sqrt(variance[i % ch]), 1e-7f);
            y[i] = (r - mean[i % ch]) / sd;
        }
        // the zero-variance channel divides by 1e-7: its outputs are large, so compare each relative to its size
        Model m = KerasImporter.load(file);
        byte[] tflite = TfliteWriter.toBytes(m);
        List<float[]> runs = new ArrayList<>(List.of(ModelChecks.outputs(m, x, 1)));
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                runs.add(o.runFloat(x));
            }
        }
        // Keras' counts: Rescaling has no weights; Normalization's mean, variance and count are not trained
        ModelSummary s = ModelSummary.of(m);
        assertThat(row(s, "rescale").params()).isZero();
        assertThat(row(s, "norm").params()).isEqualTo(2L * ch + 1);
        assertThat(s.totalParams()).isEqualTo(2L * ch + 1);
        assertThat(s.trainableParams()).isZero();
        for (float[] out : runs) {
            for (int i = 0; i < x.length; i++) {
                assertThat((double) out[i])
                        .as("output %d", i)
                        .isCloseTo(y[i], org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(y[i]))));
            }
        }
    }

    @Test
    void mergeLayersOnDenseBranches() {
        // x → Dense a, Dense b; Multiply(a, b), Maximum(a, b), Minimum(a, b), Average(a, b, a) concatenated
        String json = """
                {"class_name": "Functional", "config": {"name": "merges", "layers": [
                  {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [null, 4],
                   "dtype": "float32"}, "inbound_nodes": []},
                  {"class_name": "Dense", "name": "a", "config": {"name": "a", "units": 3, "use_bias": false},
                   "inbound_nodes": [[["x", 0, 0, {}]]]},
                  {"class_name": "Dense", "name": "b", "config": {"name": "b", "units": 3, "use_bias": false},
                   "inbound_nodes": [[["x", 0, 0, {}]]]},
                  {"class_name": "Multiply", "name": "mul", "config": {"name": "mul"},
                   "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                  {"class_name": "Maximum", "name": "max", "config": {"name": "max"},
                   "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                  {"class_name": "Minimum", "name": "min", "config": {"name": "min"},
                   "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                  {"class_name": "Average", "name": "avg", "config": {"name": "avg"},
                   "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}], ["a", 0, 0, {}]]]},
                  {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat", "axis": -1},
                   "inbound_nodes": [[["mul", 0, 0, {}], ["max", 0, 0, {}], ["min", 0, 0, {}], ["avg", 0, 0, {}]]]}],
                 "input_layers": [["x", 0, 0]], "output_layers": [["cat", 0, 0]]}}
                """;
        float[][] wa = new float[4][3];
        float[][] wb = new float[4][3];
        for (int i = 0; i < 4; i++) {
            wa[i] = uniform(3);
            wb[i] = uniform(3);
        }
        Path file = tmp.resolve("merges.h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", json);
            h.putAttribute("keras_version", "2.15.0");
            h.putAttribute("backend", "tensorflow");
            WritableGroup mw = h.putGroup("model_weights");
            mw.putAttribute("layer_names", new String[] {"x", "a", "b", "mul", "max", "min", "avg", "cat"});
            for (String n : new String[] {"a", "b"}) {
                WritableGroup g = mw.putGroup(n);
                g.putAttribute("weight_names", new String[] {n + "/kernel:0"});
                g.putGroup(n).putDataset("kernel:0", n.equals("a") ? wa : wb);
            }
        }
        float[] x = uniform(4);
        float[] a = new float[3];
        float[] b = new float[3];
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 4; i++) {
                a[o] += x[i] * wa[i][o];
                b[o] += x[i] * wb[i][o];
            }
        }
        float[] y = new float[12];
        for (int o = 0; o < 3; o++) {
            y[o] = a[o] * b[o];
            y[3 + o] = Math.max(a[o], b[o]);
            y[6 + o] = Math.min(a[o], b[o]);
            y[9 + o] = (a[o] + b[o] + a[o]) / 3;
        }
        Model m = checkAgainstReference(file, x, y);
        ModelSummary s = ModelSummary.of(m);
        assertThat(row(s, "avg").params()).as("Average has no weights").isZero();
        assertThat(s.totalParams()).isEqualTo(24);
    }

    private static dev.quanta.summary.LayerRow row(ModelSummary s, String layer) {
        return s.rows().stream().filter(r -> r.name().equals(layer)).findFirst().orElseThrow();
    }

    @Test
    void badConfigsNameTheLayer() {
        Path file = sequential("bad_permute", new int[] {4, 3}, List.of(layer("Permute", "perm", "\"dims\": [1, 1]")));
        assertThatThrownBy(() -> KerasImporter.load(file))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("perm")
                .hasMessageContaining("dims");
        Path crop =
                sequential("bad_crop", new int[] {4, 3}, List.of(layer("Cropping1D", "crop", "\"cropping\": [2, 2]")));
        assertThatThrownBy(() -> KerasImporter.load(crop))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("crop")
                .hasMessageContaining("leaves nothing");
    }

    /** A Functional Keras 2 .h5 of {@code json} (the whole model_config) with weights by layer, then by name. */
    private Path functional(String modelName, String json, Map<String, Map<String, Object>> weights) {
        Path file = tmp.resolve(modelName + ".h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", json);
            h.putAttribute("keras_version", "2.15.0");
            h.putAttribute("backend", "tensorflow");
            WritableGroup mw = h.putGroup("model_weights");
            List<String> names = new ArrayList<>(weights.keySet());
            if (names.isEmpty()) {
                names.add("x"); // the input layer, which has no weights
            }
            mw.putAttribute("layer_names", names.toArray(String[]::new));
            weights.forEach((n, ws) -> {
                WritableGroup g = mw.putGroup(n);
                g.putAttribute(
                        "weight_names",
                        ws.keySet().stream().map(k -> n + "/" + k + ":0").toArray(String[]::new));
                WritableGroup inner = g.putGroup(n);
                ws.forEach((k, v) -> inner.putDataset(k + ":0", v));
            });
        }
        return file;
    }

    @Test
    void subtractOfGlobalMaxAndAveragePooling2d() {
        String json = """
                {"class_name": "Functional", "config": {"name": "sub", "layers": [
                  {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [null, 4, 5, 3],
                   "dtype": "float32"}, "inbound_nodes": []},
                  {"class_name": "GlobalMaxPooling2D", "name": "gmax", "config": {"name": "gmax",
                   "data_format": "channels_last", "keepdims": false}, "inbound_nodes": [[["x", 0, 0, {}]]]},
                  {"class_name": "GlobalAveragePooling2D", "name": "gavg", "config": {"name": "gavg"},
                   "inbound_nodes": [[["x", 0, 0, {}]]]},
                  {"class_name": "Subtract", "name": "diff", "config": {"name": "diff"},
                   "inbound_nodes": [[["gmax", 0, 0, {}], ["gavg", 0, 0, {}]]]}],
                 "input_layers": [["x", 0, 0]], "output_layers": [["diff", 0, 0]]}}
                """;
        Path file = functional("sub", json, Map.of());
        float[] x = uniform(4 * 5 * 3);
        float[] y = new float[3];
        for (int c = 0; c < 3; c++) {
            float max = Float.NEGATIVE_INFINITY;
            double sum = 0;
            for (int p = 0; p < 20; p++) {
                max = Math.max(max, x[p * 3 + c]);
                sum += x[p * 3 + c];
            }
            y[c] = (float) (max - sum / 20);
        }
        Model m = checkAgainstReference(file, x, y);
        assertThat(m.outputs().get(0).shape().dims()).containsExactly(-1, 3);
        assertThat(ModelSummary.of(m).totalParams()).isZero();
    }

    @Test
    void globalMaxPooling1dKeepsDims() {
        Path file = sequential(
                "gmax1d",
                new int[] {6, 3},
                List.of(layer("GlobalMaxPooling1D", "gmax", "\"data_format\": \"channels_last\", \"keepdims\": true")));
        float[] x = uniform(18);
        float[] y = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int t = 0; t < 6; t++) {
            for (int c = 0; c < 3; c++) {
                y[c] = Math.max(y[c], x[t * 3 + c]);
            }
        }
        Model m = checkAgainstReference(file, x, y);
        assertThat(m.outputs().get(0).shape().dims()).containsExactly(-1, 1, 3);
    }

    /** TF2's resize with half-pixel centres: the source coordinate of output i for scale in/out. */
    private static double source(int i, double scale) {
        return (i + 0.5) * scale - 0.5;
    }

    @Test
    void upSampling2dNearestAndBilinear() {
        int h = 3;
        int w = 4;
        int ch = 2;
        float[] x = uniform(h * w * ch);
        Path nearest = sequential(
                "up_nearest",
                new int[] {h, w, ch},
                List.of(layer("UpSampling2D", "up", "\"size\": [2, 3], \"interpolation\": \"nearest\"")));
        float[] yn = new float[2 * h * 3 * w * ch];
        for (int oy = 0; oy < 2 * h; oy++) {
            for (int ox = 0; ox < 3 * w; ox++) {
                for (int c = 0; c < ch; c++) {
                    yn[(oy * 3 * w + ox) * ch + c] = x[((oy / 2) * w + ox / 3) * ch + c];
                }
            }
        }
        checkAgainstReference(nearest, x, yn);
        Path bilinear = sequential(
                "up_bilinear",
                new int[] {h, w, ch},
                List.of(layer("UpSampling2D", "up", "\"size\": [2, 3], \"interpolation\": \"bilinear\"")));
        float[] yb = new float[yn.length];
        for (int oy = 0; oy < 2 * h; oy++) {
            double sy = source(oy, 1.0 / 2);
            int y0 = (int) Math.floor(sy);
            double fy = sy - y0;
            int ylo = Math.max(y0, 0);
            int yhi = Math.min(y0 + 1, h - 1);
            for (int ox = 0; ox < 3 * w; ox++) {
                double sx = source(ox, 1.0 / 3);
                int x0 = (int) Math.floor(sx);
                double fx = sx - x0;
                int xlo = Math.max(x0, 0);
                int xhi = Math.min(x0 + 1, w - 1);
                for (int c = 0; c < ch; c++) {
                    double top = x[(ylo * w + xlo) * ch + c] * (1 - fx) + x[(ylo * w + xhi) * ch + c] * fx;
                    double bottom = x[(yhi * w + xlo) * ch + c] * (1 - fx) + x[(yhi * w + xhi) * ch + c] * fx;
                    yb[(oy * 3 * w + ox) * ch + c] = (float) (top * (1 - fy) + bottom * fy);
                }
            }
        }
        checkAgainstReference(bilinear, x, yb);
        Path bad = sequential(
                "up_bad",
                new int[] {h, w, ch},
                List.of(layer("UpSampling2D", "up", "\"size\": [2, 2], \"interpolation\": \"bicubic\"")));
        assertThatThrownBy(() -> KerasImporter.load(bad))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("up")
                .hasMessageContaining("interpolation");
    }

    /**
     * Keras Conv2DTranspose from its definition: every input pixel scatters its kernel window, input pixel (iy, ix)
     * tap (ky, kx) landing on (iy·s + ky − padTop, ix·s + kx − padLeft) of the output, with TensorFlow's padding
     * of the outH × outW convolution this is the gradient of; kernel [kh, kw, out, in].
     */
    private static float[] conv2dTranspose(
            float[] x, int h, int w, int cin, float[][][][] k, float[] bias, int s, int outH, int outW, boolean same) {
        int kh = k.length;
        int kw = k[0].length;
        int cout = k[0][0].length;
        int padTop = same ? Math.max(0, (h - 1) * s + kh - outH) / 2 : 0;
        int padLeft = same ? Math.max(0, (w - 1) * s + kw - outW) / 2 : 0;
        double[] y = new double[outH * outW * cout];
        for (int iy = 0; iy < h; iy++) {
            for (int ix = 0; ix < w; ix++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        int oy = iy * s + ky - padTop;
                        int ox = ix * s + kx - padLeft;
                        if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) {
                            continue;
                        }
                        for (int o = 0; o < cout; o++) {
                            for (int c = 0; c < cin; c++) {
                                y[(oy * outW + ox) * cout + o] += x[(iy * w + ix) * cin + c] * k[ky][kx][o][c];
                            }
                        }
                    }
                }
            }
        }
        float[] out = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = (float) (y[i] + bias[i % cout]);
        }
        return out;
    }

    @Test
    void conv2dTransposeSameAndValidWithStrides() {
        int h = 3;
        int w = 4;
        int cin = 2;
        int cout = 3;
        // padding, kernel, stride, output_padding (JSON), expected output height and width
        Object[][] cases = {
            {"same", 3, 2, "null", 6, 8},
            {"valid", 3, 2, "null", 7, 9},
            {"same", 3, 2, "[1, 1]", 6, 8},
            {"valid", 2, 3, "null", 9, 12},
            {"valid", 3, 2, "[1, 0]", 8, 9}
        };
        for (Object[] c : cases) {
            String padding = (String) c[0];
            int k = (int) c[1];
            int s = (int) c[2];
            int outH = (int) c[4];
            int outW = (int) c[5];
            float[][][][] kernel = new float[k][k][cout][cin];
            for (float[][][] a : kernel) {
                for (float[][] b : a) {
                    for (int o = 0; o < cout; o++) {
                        b[o] = uniform(cin);
                    }
                }
            }
            float[] bias = uniform(cout);
            Map<String, Object> weights = new LinkedHashMap<>();
            weights.put("kernel", kernel);
            weights.put("bias", bias);
            String name = "deconv_" + padding + k + s + ((String) c[3]).replaceAll("\\W", "");
            Path file = sequential(
                    name,
                    new int[] {h, w, cin},
                    List.of(new Layer(
                            "Conv2DTranspose",
                            "deconv",
                            "\"filters\": " + cout + ", \"kernel_size\": [" + k + ", " + k + "], \"strides\": [" + s
                                    + ", " + s + "], \"padding\": \"" + padding + "\", \"output_padding\": " + c[3]
                                    + ", \"dilation_rate\": [1, 1], \"activation\": \"linear\", \"use_bias\": true",
                            weights)));
            float[] x = uniform(h * w * cin);
            float[] y = conv2dTranspose(x, h, w, cin, kernel, bias, s, outH, outW, padding.equals("same"));
            Model m = checkAgainstReference(file, x, y);
            assertThat(m.outputs().get(0).shape().dims()).as(name).containsExactly(-1, outH, outW, cout);
            assertThat(ModelSummary.of(m).totalParams()).isEqualTo((long) k * k * cin * cout + cout);
        }
        Map<String, Object> weights = new LinkedHashMap<>();
        weights.put("kernel", new float[3][3][cout][cin]);
        weights.put("bias", new float[cout]);
        Path bad = sequential(
                "deconv_bad",
                new int[] {h, w, cin},
                List.of(new Layer(
                        "Conv2DTranspose",
                        "deconv",
                        "\"filters\": 3, \"kernel_size\": [3, 3], \"strides\": [2, 2], \"padding\": \"same\", "
                                + "\"output_padding\": [1, 3]",
                        weights)));
        assertThatThrownBy(() -> KerasImporter.load(bad))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("deconv")
                .hasMessageContaining("output_padding")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void embeddingGathersRowsOfAnInt32Input() {
        int vocab = 7;
        int dim = 4;
        float[][] table = new float[vocab][];
        for (int i = 0; i < vocab; i++) {
            table[i] = uniform(dim);
        }
        String json = """
                {"class_name": "Sequential", "config": {"name": "embed", "layers": [
                  {"class_name": "InputLayer", "config": {"name": "ids", "batch_input_shape": [null, 5],
                   "dtype": "int32"}},
                  {"class_name": "Embedding", "config": {"name": "emb", "input_dim": 7, "output_dim": 4,
                   "mask_zero": false, "input_length": 5}},
                  {"class_name": "GlobalAveragePooling1D", "config": {"name": "avg"}}]}}
                """;
        Path file = functional("embed", json, Map.of("emb", Map.of("embeddings", table)));
        int[] ids = {3, 0, 6, 3, 1};
        float[] y = new float[dim];
        for (int id : ids) {
            for (int j = 0; j < dim; j++) {
                y[j] += table[id][j] / ids.length;
            }
        }
        Model m = KerasImporter.load(file);
        assertThat(m.inputs().get(0).dtype()).isEqualTo(dev.quanta.ir.DType.INT32);
        float[] quanta = new float[dim];
        try (dev.quanta.runtime.Interpreter it = new dev.quanta.runtime.Interpreter(m)) {
            it.resizeInput(0, new int[] {1, 5});
            it.run(ids, quanta);
        }
        assertClose("quanta", quanta, y);
        byte[] tflite = TfliteWriter.toBytes(m);
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                assertThat(o.inputType(0)).isEqualTo("INT32");
                o.setInput(0, ids);
                o.invoke();
                assertClose("tflite " + k, o.outputFloat(0), y);
            }
        }
        assertThat(ModelSummary.of(m).totalParams()).isEqualTo((long) vocab * dim);

        // int8, calibrated on token ids: the gathered rows keep the embedding table's parameters, and the file runs
        // in TFLite as in Quanta; a calibration value that is no token id is refused in one line
        float[] calibration = new float[20 * 5]; // random ids, the scored sample among them
        for (int i = 0; i < calibration.length; i++) {
            calibration[i] = i < ids.length ? ids[i] : rnd.nextInt(vocab);
        }
        dev.quanta.quantize.Converter.Conversion c = dev.quanta.quantize.Converter.fromModel(m)
                .withConfig(dev.quanta.quantize.QuantizationConfig.defaults()
                        .withMode(dev.quanta.quantize.QuantizationMode.INT8))
                .withRepresentativeDataset(dev.quanta.data.Dataset.of("ids", new int[] {5}, calibration, new int[20]))
                .convert();
        Model q = c.model();
        float[] quantized = quantizedRun(q, ids, dim, dev.quanta.kernels.QuantizedPath.XNNPACK);
        // the table and the mean are each rounded to an int8 grid over a range within [-1, 1]: a step is at most
        // 2/255, and the output carries at most half a step of each plus the table's rounding averaged
        for (int j = 0; j < dim; j++) {
            assertThat(Math.abs(quantized[j] - y[j])).as("int8 output %d", j).isLessThanOrEqualTo(2 * 2f / 255);
        }
        byte[] qfile = TfliteWriter.toBytes(q);
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(qfile, k, 1)) {
                o.setInput(0, ids);
                o.invoke();
                dev.quanta.kernels.QuantizedPath path = k == TfliteOracle.Kernels.XNNPACK
                        ? dev.quanta.kernels.QuantizedPath.XNNPACK
                        : dev.quanta.kernels.QuantizedPath.BUILTIN;
                assertThat(o.outputFloat(0)).as("int8 tflite " + k).containsExactly(quantizedRun(q, ids, dim, path));
            }
        }
        float[] notIds = calibration.clone();
        notIds[7] = 2.5f;
        assertThatThrownBy(() -> dev.quanta.quantize.Converter.fromModel(m)
                        .withConfig(dev.quanta.quantize.QuantizationConfig.defaults()
                                .withMode(dev.quanta.quantize.QuantizationMode.INT8))
                        .withRepresentativeDataset(
                                dev.quanta.data.Dataset.of("ids", new int[] {5}, notIds, new int[20]))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("calibration sample 1, element 2, is 2.5")
                .hasMessageNotContaining("\n");
    }

    @Test
    void layerNormalizationOverTheLastAxis() {
        int steps = 3;
        int ch = 6;
        float[] gamma = uniform(ch);
        float[] beta = uniform(ch);
        Map<String, Object> weights = new LinkedHashMap<>();
        weights.put("gamma", gamma);
        weights.put("beta", beta);
        Path file = sequential(
                "layer_norm",
                new int[] {steps, ch},
                List.of(new Layer(
                        "LayerNormalization",
                        "ln",
                        "\"axis\": [2], \"epsilon\": 0.001, \"center\": true, \"scale\": true",
                        weights)));
        float[] x = uniform(steps * ch);
        for (int i = 0; i < ch; i++) {
            x[i] *= 5; // a wider first row
        }
        float[] y = new float[x.length];
        for (int t = 0; t < steps; t++) {
            double mean = 0;
            for (int c = 0; c < ch; c++) {
                mean += x[t * ch + c] / (double) ch;
            }
            double var = 0;
            for (int c = 0; c < ch; c++) {
                double d = x[t * ch + c] - mean;
                var += d * d / ch;
            }
            for (int c = 0; c < ch; c++) {
                y[t * ch + c] = (float) ((x[t * ch + c] - mean) / Math.sqrt(var + 0.001) * gamma[c] + beta[c]);
            }
        }
        Model m = checkAgainstReference(file, x, y);
        ModelSummary s = ModelSummary.of(m);
        assertThat(s.totalParams()).isEqualTo(2L * ch);
        assertThat(s.trainableParams()).isEqualTo(2L * ch);
    }

    @Test
    void lambdaAndUnknownLayersAreNamedInOneLine() {
        Path lambda = sequential(
                "lambda",
                new int[] {4},
                List.of(layer("Lambda", "double_it", "\"function\": [\"4wEAAAAAAAAA\", null, null]")));
        assertThatThrownBy(() -> KerasImporter.load(lambda))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("double_it")
                .hasMessageContaining("Lambda")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        Path unknown = sequential("unknown", new int[] {4}, List.of(layer("MyCustomLayer", "custom", "")));
        assertThatThrownBy(() -> KerasImporter.load(unknown))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("custom")
                .hasMessageContaining("MyCustomLayer")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private float[][] matrix(int rows, int cols) {
        float[][] m = new float[rows][];
        for (int r = 0; r < rows; r++) {
            m[r] = uniform(cols);
        }
        return m;
    }

    /** Keras SimpleRNN with tanh: h_t = tanh(x_t·kernel + h_{t−1}·recurrent + bias), every step's h. */
    private static float[][] simpleRnn(float[] x, int steps, int in, float[][] kernel, float[][] rec, float[] bias) {
        int units = bias.length;
        float[][] hs = new float[steps][units];
        float[] h = new float[units];
        for (int t = 0; t < steps; t++) {
            float[] next = new float[units];
            for (int u = 0; u < units; u++) {
                double s = bias[u];
                for (int i = 0; i < in; i++) {
                    s += x[t * in + i] * kernel[i][u];
                }
                for (int j = 0; j < units; j++) {
                    s += h[j] * rec[j][u];
                }
                next[u] = (float) Math.tanh(s);
            }
            h = next;
            hs[t] = next;
        }
        return hs;
    }

    @Test
    void simpleRnnWithAndWithoutSequences() {
        int steps = 5;
        int in = 3;
        int units = 4;
        for (boolean sequences : new boolean[] {true, false}) {
            float[][] kernel = matrix(in, units);
            float[][] rec = matrix(units, units);
            float[] bias = uniform(units);
            Map<String, Object> weights = new LinkedHashMap<>();
            weights.put("kernel", kernel);
            weights.put("recurrent_kernel", rec);
            weights.put("bias", bias);
            Path file = sequential(
                    "rnn_" + sequences,
                    new int[] {steps, in},
                    List.of(new Layer(
                            "SimpleRNN",
                            "rnn",
                            "\"units\": 4, \"activation\": \"tanh\", \"use_bias\": true, \"return_sequences\": "
                                    + sequences,
                            weights)));
            float[] x = uniform(steps * in);
            float[][] hs = simpleRnn(x, steps, in, kernel, rec, bias);
            float[] y = sequences ? flatten(hs) : hs[steps - 1];
            Model m = checkAgainstReference(file, x, y);
            assertThat(ModelSummary.of(m).totalParams()).isEqualTo((long) in * units + units * units + units);
        }
    }

    private static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /**
     * Keras LSTM (gates i, f, c, o in kernel [in, 4u], recurrent [u, 4u], bias [4u]) over the steps in {@code order};
     * the returned h is indexed by step.
     */
    private static float[][] lstm(float[] x, int in, float[][] kernel, float[][] rec, float[] bias, int[] order) {
        int units = bias.length / 4;
        float[][] hs = new float[order.length][];
        double[] h = new double[units];
        double[] c = new double[units];
        for (int t : order) {
            double[] z = new double[4 * units];
            for (int g = 0; g < 4 * units; g++) {
                double s = bias[g];
                for (int i = 0; i < in; i++) {
                    s += x[t * in + i] * kernel[i][g];
                }
                for (int j = 0; j < units; j++) {
                    s += h[j] * rec[j][g];
                }
                z[g] = s;
            }
            float[] out = new float[units];
            for (int u = 0; u < units; u++) {
                double ig = sigmoid(z[u]);
                double fg = sigmoid(z[units + u]);
                double cg = Math.tanh(z[2 * units + u]);
                double og = sigmoid(z[3 * units + u]);
                c[u] = fg * c[u] + ig * cg;
                h[u] = og * Math.tanh(c[u]);
                out[u] = (float) h[u];
            }
            hs[t] = out;
        }
        return hs;
    }

    /**
     * go_backwards on LSTM and SimpleRNN: Keras feeds x_{T−1} first and returns the outputs in that processing order
     * (with return_sequences output k is the state after x_{T−1−k}; without, the state after x_0). Imported as a
     * REVERSE_V2 along the time axis before the layer, and run in Quanta and TFLite on both paths.
     */
    @Test
    void lstmAndSimpleRnnGoBackwards() {
        int steps = 4;
        int in = 3;
        int units = 2;
        int[] backwards = {3, 2, 1, 0};
        for (boolean sequences : new boolean[] {true, false}) {
            float[][] kernel = matrix(in, 4 * units);
            float[][] rec = matrix(units, 4 * units);
            float[] bias = uniform(4 * units);
            Map<String, Object> weights = new LinkedHashMap<>();
            weights.put("kernel", kernel);
            weights.put("recurrent_kernel", rec);
            weights.put("bias", bias);
            Path file = sequential(
                    "lstm_back_" + sequences,
                    new int[] {steps, in},
                    List.of(new Layer(
                            "LSTM",
                            "lstm",
                            "\"units\": 2, \"activation\": \"tanh\", \"recurrent_activation\": \"sigmoid\","
                                    + " \"use_bias\": true, \"go_backwards\": true, \"return_sequences\": "
                                    + sequences,
                            weights)));
            float[] x = uniform(steps * in);
            float[][] byStep = lstm(x, in, kernel, rec, bias, backwards);
            float[] y;
            if (sequences) {
                y = new float[steps * units];
                for (int k = 0; k < steps; k++) {
                    System.arraycopy(byStep[steps - 1 - k], 0, y, k * units, units);
                }
            } else {
                y = byStep[0];
            }
            Model m = checkAgainstReference(file, x, y);
            assertThat(m.ops()).extracting(Op::type).contains(OpType.REVERSE_V2);

            float[][] k2 = matrix(in, units);
            float[][] r2 = matrix(units, units);
            float[] b2 = uniform(units);
            Map<String, Object> rnnWeights = new LinkedHashMap<>();
            rnnWeights.put("kernel", k2);
            rnnWeights.put("recurrent_kernel", r2);
            rnnWeights.put("bias", b2);
            Path rnnFile = sequential(
                    "rnn_back_" + sequences,
                    new int[] {steps, in},
                    List.of(new Layer(
                            "SimpleRNN",
                            "rnn",
                            "\"units\": 2, \"activation\": \"tanh\", \"use_bias\": true, \"go_backwards\": true,"
                                    + " \"return_sequences\": " + sequences,
                            rnnWeights)));
            float[] reversed = new float[steps * in];
            for (int t = 0; t < steps; t++) {
                System.arraycopy(x, (steps - 1 - t) * in, reversed, t * in, in);
            }
            float[][] hs = simpleRnn(reversed, steps, in, k2, r2, b2); // in processing order
            checkAgainstReference(rnnFile, x, sequences ? flatten(hs) : hs[steps - 1]);
        }
    }

    /**
     * Keras GRU with reset_after (kernel [in, 3u], recurrent [u, 3u], bias [2, 3u]: input and recurrent rows, gates
     * z, r, h) over x [steps, in] in the given order of steps; row k is the state after the k-th step read.
     */
    private static float[][] gru(float[] x, int in, float[][] kernel, float[][] rec, float[][] bias, int[] order) {
        int units = rec.length;
        double[] h = new double[units];
        float[][] out = new float[order.length][];
        for (int k = 0; k < order.length; k++) {
            int t = order[k];
            double[] xs = new double[3 * units];
            double[] hs = new double[3 * units];
            for (int j = 0; j < 3 * units; j++) {
                xs[j] = bias[0][j];
                for (int i = 0; i < in; i++) {
                    xs[j] += x[t * in + i] * kernel[i][j];
                }
                hs[j] = bias[1][j];
                for (int q = 0; q < units; q++) {
                    hs[j] += h[q] * rec[q][j];
                }
            }
            double[] next = new double[units];
            out[k] = new float[units];
            for (int u = 0; u < units; u++) {
                double z = sigmoid(xs[u] + hs[u]);
                double r = sigmoid(xs[units + u] + hs[units + u]);
                double n = Math.tanh(xs[2 * units + u] + r * hs[2 * units + u]);
                next[u] = z * h[u] + (1 - z) * n;
                out[k][u] = (float) next[u];
            }
            h = next;
        }
        return out;
    }

    /** A Bidirectional (concat) Keras 2 .h5 around one {@code cls} layer, forward then backward weights. */
    private Path bidirectionalFile(String name, int steps, int in, String cls, String innerConfig, List<Object[]> w) {
        return bidirectionalFile(name, steps, in, cls, innerConfig, w, "\"concat\"");
    }

    /**
     * A Keras 2 .h5 with a Bidirectional layer "bidir" around one {@code cls} layer (forward then backward weights)
     * and merge_mode {@code merge} (a JSON value: {@code null} makes a functional model with the layer's two outputs
     * as its outputs).
     */
    private Path bidirectionalFile(
            String name, int steps, int in, String cls, String innerConfig, List<Object[]> w, String merge) {
        return bidirectionalFile(name, steps, in, cls, innerConfig, w, merge, "[[\"bidir\", 0, 0], [\"bidir\", 0, 1]]");
    }

    /** As above, a functional model with merge_mode None having {@code outputLayers} as its output_layers. */
    private Path bidirectionalFile(
            String name,
            int steps,
            int in,
            String cls,
            String innerConfig,
            List<Object[]> w,
            String merge,
            String outputLayers) {
        String bidir = "{\"class_name\": \"Bidirectional\", \"name\": \"bidir\", \"config\": {\"name\": \"bidir\","
                + " \"merge_mode\": " + merge + ", \"layer\": {\"class_name\": \"" + cls + "\", \"config\": {\"name\":"
                + " \"rnn\", " + innerConfig + "}}}";
        String inputLayer = "{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": {\"name\": \"x\","
                + " \"batch_input_shape\": [null, " + steps + ", " + in + "], \"dtype\": \"float32\"}";
        String json = merge.equals("null")
                ? "{\"class_name\": \"Functional\", \"config\": {\"name\": \"" + name + "\", \"layers\": ["
                        + inputLayer + ", \"inbound_nodes\": []}, " + bidir
                        + ", \"inbound_nodes\": [[[\"x\", 0, 0, {}]]]}], \"input_layers\": [[\"x\", 0, 0]],"
                        + " \"output_layers\": " + outputLayers + "}}"
                : "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"" + name + "\", \"layers\": [" + inputLayer
                        + "}, " + bidir + "}]}}";
        Path file = tmp.resolve(name + ".h5");
        String cell = cls.equals("GRU") ? "gru_cell" : cls.equals("LSTM") ? "lstm_cell" : "simple_rnn_cell";
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", json);
            h.putAttribute("keras_version", "2.15.0");
            h.putAttribute("backend", "tensorflow");
            WritableGroup mw = h.putGroup("model_weights");
            mw.putAttribute("layer_names", new String[] {"bidir"});
            WritableGroup g = mw.putGroup("bidir");
            List<String> names = new ArrayList<>();
            WritableGroup top = g.putGroup("bidir");
            String[] dirs = {"forward_rnn", "backward_rnn"};
            String[] keys = {"kernel", "recurrent_kernel", "bias"};
            for (int d = 0; d < 2; d++) {
                WritableGroup c = top.putGroup(dirs[d]).putGroup(cell);
                for (int k = 0; k < 3; k++) {
                    c.putDataset(keys[k] + ":0", w.get(d)[k]);
                    names.add("bidir/" + dirs[d] + "/" + cell + "/" + keys[k] + ":0");
                }
            }
            g.putAttribute("weight_names", names.toArray(String[]::new));
        }
        return file;
    }

    /** [forward row t, backward row t] for every t, or the two given rows when {@code last}. */
    private static float[] concatRows(float[][] fwd, float[][] bwdByStep, boolean sequences) {
        int u = fwd[0].length;
        int steps = fwd.length;
        if (!sequences) {
            float[] y = new float[2 * u];
            System.arraycopy(fwd[steps - 1], 0, y, 0, u);
            System.arraycopy(bwdByStep[0], 0, y, u, u);
            return y;
        }
        float[] y = new float[steps * 2 * u];
        for (int t = 0; t < steps; t++) {
            System.arraycopy(fwd[t], 0, y, t * 2 * u, u);
            System.arraycopy(bwdByStep[t], 0, y, t * 2 * u + u, u);
        }
        return y;
    }

    /**
     * Bidirectional(GRU) and Bidirectional(SimpleRNN), merge_mode concat, with and without return_sequences: step t
     * is [forward h_t, backward h_t], the backward state after x_{T−1} … x_t; without sequences [forward h after
     * x_{T−1}, backward h after x_0]. In Quanta and TFLite on both paths; parameters counted as Keras does (both
     * directions).
     */
    @Test
    void bidirectionalGruAndSimpleRnnConcat() {
        int steps = 4;
        int in = 3;
        int units = 2;
        int[] forwardOrder = {0, 1, 2, 3};
        int[] backwardOrder = {3, 2, 1, 0};
        for (boolean sequences : new boolean[] {true, false}) {
            List<Object[]> gw = new ArrayList<>();
            for (int d = 0; d < 2; d++) {
                gw.add(new Object[] {matrix(in, 3 * units), matrix(units, 3 * units), matrix(2, 3 * units)});
            }
            Path gruFile = bidirectionalFile(
                    "bigru_" + sequences,
                    steps,
                    in,
                    "GRU",
                    "\"units\": 2, \"activation\": \"tanh\", \"recurrent_activation\": \"sigmoid\", \"use_bias\": true,"
                            + " \"reset_after\": true, \"return_sequences\": " + sequences,
                    gw);
            float[] x = uniform(steps * in);
            float[][] fwd = gru(
                    x, in, (float[][]) gw.get(0)[0], (float[][]) gw.get(0)[1], (float[][]) gw.get(0)[2], forwardOrder);
            float[][] bwdRead = gru(
                    x, in, (float[][]) gw.get(1)[0], (float[][]) gw.get(1)[1], (float[][]) gw.get(1)[2], backwardOrder);
            float[][] bwdByStep = new float[steps][];
            for (int k = 0; k < steps; k++) {
                bwdByStep[backwardOrder[k]] = bwdRead[k];
            }
            Model m = checkAgainstReference(gruFile, x, concatRows(fwd, bwdByStep, sequences));
            assertThat(ModelSummary.of(m).totalParams()).isEqualTo(2L * (3L * units * (in + units) + 6L * units));

            List<Object[]> rw = new ArrayList<>();
            for (int d = 0; d < 2; d++) {
                rw.add(new Object[] {matrix(in, units), matrix(units, units), uniform(units)});
            }
            Path rnnFile = bidirectionalFile(
                    "birnn_" + sequences,
                    steps,
                    in,
                    "SimpleRNN",
                    "\"units\": 2, \"activation\": \"tanh\", \"use_bias\": true, \"return_sequences\": " + sequences,
                    rw);
            float[] reversed = new float[steps * in];
            for (int t = 0; t < steps; t++) {
                System.arraycopy(x, (steps - 1 - t) * in, reversed, t * in, in);
            }
            float[][] rf =
                    simpleRnn(x, steps, in, (float[][]) rw.get(0)[0], (float[][]) rw.get(0)[1], (float[]) rw.get(0)[2]);
            float[][] rbRead = simpleRnn(
                    reversed, steps, in, (float[][]) rw.get(1)[0], (float[][]) rw.get(1)[1], (float[]) rw.get(1)[2]);
            float[][] rbByStep = new float[steps][];
            for (int k = 0; k < steps; k++) {
                rbByStep[steps - 1 - k] = rbRead[k];
            }
            Model r = checkAgainstReference(rnnFile, x, concatRows(rf, rbByStep, sequences));
            assertThat(ModelSummary.of(r).totalParams()).isEqualTo(2L * (in * units + units * units + units));
        }
    }

    /**
     * Bidirectional(LSTM), Bidirectional(GRU) and Bidirectional(SimpleRNN) with merge_mode sum, mul and ave (the
     * two directions' outputs f and b merged as f + b, f ⊙ b and (f + b) / 2) and None (f and b as the model's two
     * outputs), with and without return_sequences: each output against the Keras semantics computed here, in Quanta
     * and in TFLite on both paths.
     */
    @Test
    void bidirectionalMergeModes() {
        int steps = 4;
        int in = 3;
        int units = 2;
        int[] forwardOrder = {0, 1, 2, 3};
        int[] backwardOrder = {3, 2, 1, 0};
        for (String cls : new String[] {"LSTM", "GRU", "SimpleRNN"}) {
            for (boolean sequences : new boolean[] {true, false}) {
                List<Object[]> w = new ArrayList<>();
                for (int d = 0; d < 2; d++) {
                    w.add(
                            switch (cls) {
                                case "LSTM" ->
                                    new Object[] {matrix(in, 4 * units), matrix(units, 4 * units), uniform(4 * units)};
                                case "GRU" ->
                                    new Object[] {matrix(in, 3 * units), matrix(units, 3 * units), matrix(2, 3 * units)
                                    };
                                default -> new Object[] {matrix(in, units), matrix(units, units), uniform(units)};
                            });
                }
                String config = "\"units\": 2, \"activation\": \"tanh\", \"use_bias\": true, \"return_sequences\": "
                        + sequences
                        + (cls.equals("SimpleRNN") ? "" : ", \"recurrent_activation\": \"sigmoid\"")
                        + (cls.equals("GRU") ? ", \"reset_after\": true" : "");
                float[] x = uniform(steps * in);
                float[][] fwd = direction(cls, x, steps, in, w.get(0), forwardOrder);
                float[][] bwdRead = direction(cls, x, steps, in, w.get(1), backwardOrder);
                float[][] bwd = new float[steps][];
                for (int k = 0; k < steps; k++) {
                    bwd[backwardOrder[k]] = bwdRead[k];
                }
                float[] f = sequences ? flatten(fwd) : fwd[steps - 1];
                float[] b = sequences ? flatten(bwd) : bwd[0];
                for (String merge : new String[] {"sum", "mul", "ave"}) {
                    float[] y = new float[f.length];
                    for (int i = 0; i < y.length; i++) {
                        y[i] = switch (merge) {
                            case "sum" -> f[i] + b[i];
                            case "mul" -> f[i] * b[i];
                            default -> (f[i] + b[i]) / 2;
                        };
                    }
                    Path file = bidirectionalFile(
                            cls + "_" + merge + "_" + sequences, steps, in, cls, config, w, "\"" + merge + "\"");
                    checkAgainstReference(file, x, y);
                }
                Path file = bidirectionalFile(cls + "_none_" + sequences, steps, in, cls, config, w, "null");
                Model m = KerasImporter.load(file);
                assertThat(m.outputs()).hasSize(2);
                float[][] want = {f, b};
                try (Interpreter it = new Interpreter(m)) {
                    float[][] got = {new float[f.length], new float[b.length]};
                    it.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {got[0], got[1]});
                    for (int k = 0; k < 2; k++) {
                        assertClose(cls + " None quanta output " + k, got[k], want[k]);
                    }
                }
                byte[] tflite = TfliteWriter.toBytes(m);
                for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
                    try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                        o.setInput(0, x);
                        o.invoke();
                        for (int j = 0; j < 2; j++) {
                            assertClose(cls + " None tflite " + k + " output " + j, o.outputFloat(j), want[j]);
                        }
                    }
                }
            }
        }
    }

    /** A model output naming a third output of a Bidirectional layer (merge_mode None has two) is refused. */
    @Test
    void refusesAnOutputIndexBeyondTheLayersOutputs() {
        List<Object[]> w = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            w.add(new Object[] {matrix(3, 2), matrix(2, 2), uniform(2)});
        }
        Path file = bidirectionalFile(
                "third",
                4,
                3,
                "SimpleRNN",
                "\"units\": 2, \"activation\": \"tanh\", \"use_bias\": true",
                w,
                "null",
                "[[\"bidir\", 0, 2]]");
        assertThatThrownBy(() -> KerasImporter.load(file))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("third.h5")
                .hasMessageContaining("reads output 2 of layer 'bidir', which has 2")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    /** One direction's states in the order it reads the steps ({@code order}), for the layer class {@code cls}. */
    private float[][] direction(String cls, float[] x, int steps, int in, Object[] w, int[] order) {
        return switch (cls) {
            case "LSTM" -> {
                float[][] byStep = lstm(x, in, (float[][]) w[0], (float[][]) w[1], (float[]) w[2], order);
                float[][] read = new float[steps][];
                for (int k = 0; k < steps; k++) {
                    read[k] = byStep[order[k]];
                }
                yield read;
            }
            case "GRU" -> gru(x, in, (float[][]) w[0], (float[][]) w[1], (float[][]) w[2], order);
            default -> {
                float[] ordered = new float[steps * in];
                for (int t = 0; t < steps; t++) {
                    System.arraycopy(x, order[t] * in, ordered, t * in, in);
                }
                yield simpleRnn(ordered, steps, in, (float[][]) w[0], (float[][]) w[1], (float[]) w[2]);
            }
        };
    }

    /**
     * Layers that only act in training (SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout) pass their
     * input through at inference: imported as IDENTITY ops, which the float conversion removes, a Dense after them
     * computes as if they were absent, in Quanta and TFLite on both paths, and they hold no parameters.
     */
    @Test
    void trainingOnlyLayersPassTheirInputThrough() {
        float[][] w = matrix(3, 2);
        Map<String, Object> weights = new LinkedHashMap<>();
        weights.put("kernel", w);
        Path file = sequential(
                "noise",
                new int[] {4, 3},
                List.of(
                        layer("SpatialDropout1D", "sd", "\"rate\": 0.5"),
                        layer("GaussianNoise", "gn", "\"stddev\": 0.3"),
                        layer("GaussianDropout", "gd", "\"rate\": 0.2"),
                        layer("AlphaDropout", "ad", "\"rate\": 0.1"),
                        new Layer("Dense", "d", "\"units\": 2, \"use_bias\": false", weights)));
        float[] x = uniform(12);
        float[] y = new float[8];
        for (int r = 0; r < 4; r++) {
            for (int o = 0; o < 2; o++) {
                for (int i = 0; i < 3; i++) {
                    y[r * 2 + o] += x[r * 3 + i] * w[i][o];
                }
            }
        }
        Model m = KerasImporter.load(file);
        assertThat(m.ops())
                .filteredOn(op -> !op.origin().layerName().equals("d"))
                .extracting(Op::type)
                .containsOnly(OpType.IDENTITY);
        assertClose("quanta", ModelChecks.outputs(m, x, 1), y);
        assertThat(ModelSummary.of(m).totalParams()).isEqualTo(6L);
        // the float conversion drops the identities (TFLite has no such op), as TFLite's converter does
        Model converted = dev.quanta.quantize.Converter.fromModel(m)
                .withConfig(dev.quanta.quantize.QuantizationConfig.defaults()
                        .withMode(dev.quanta.quantize.QuantizationMode.FLOAT32))
                .convert()
                .model();
        assertThat(converted.ops()).extracting(Op::type).doesNotContain(OpType.IDENTITY);
        byte[] tflite = TfliteWriter.toBytes(converted);
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(tflite, k, 1)) {
                assertClose("tflite " + k, o.runFloat(x), y);
            }
        }
    }

    @Test
    void bidirectionalLstmConcatWithAndWithoutSequences() {
        int steps = 4;
        int in = 3;
        int units = 2;
        for (boolean sequences : new boolean[] {true, false}) {
            float[][][] w = new float[6][][];
            float[][] biases = new float[2][];
            for (int d = 0; d < 2; d++) {
                w[3 * d] = matrix(in, 4 * units);
                w[3 * d + 1] = matrix(units, 4 * units);
                biases[d] = uniform(4 * units);
            }
            String lstm = "{\"class_name\": \"LSTM\", \"config\": {\"name\": \"lstm\", \"units\": 2, \"activation\": "
                    + "\"tanh\", \"recurrent_activation\": \"sigmoid\", \"use_bias\": true, \"return_sequences\": "
                    + sequences + "}}";
            String json = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"bidir\", \"layers\": ["
                    + "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\", \"batch_input_shape\": [null, "
                    + steps + ", " + in + "], \"dtype\": \"float32\"}},"
                    + "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bidir\", \"merge_mode\": "
                    + "\"concat\", \"layer\": " + lstm + "}}]}}";
            Path file = tmp.resolve("bidir_" + sequences + ".h5");
            try (WritableHdfFile h = HdfFile.write(file)) {
                h.putAttribute("model_config", json);
                h.putAttribute("keras_version", "2.15.0");
                h.putAttribute("backend", "tensorflow");
                WritableGroup mw = h.putGroup("model_weights");
                mw.putAttribute("layer_names", new String[] {"bidir"});
                WritableGroup g = mw.putGroup("bidir");
                List<String> names = new ArrayList<>();
                WritableGroup top = g.putGroup("bidir");
                String[] dirs = {"forward_lstm", "backward_lstm"};
                for (int d = 0; d < 2; d++) {
                    WritableGroup cell = top.putGroup(dirs[d]).putGroup("lstm_cell");
                    cell.putDataset("kernel:0", w[3 * d]);
                    cell.putDataset("recurrent_kernel:0", w[3 * d + 1]);
                    cell.putDataset("bias:0", biases[d]);
                    for (String k : new String[] {"kernel", "recurrent_kernel", "bias"}) {
                        names.add("bidir/" + dirs[d] + "/lstm_cell/" + k + ":0");
                    }
                }
                g.putAttribute("weight_names", names.toArray(String[]::new));
            }
            float[] x = uniform(steps * in);
            float[][] fwd = lstm(x, in, w[0], w[1], biases[0], new int[] {0, 1, 2, 3});
            float[][] bwd = lstm(x, in, w[3], w[4], biases[1], new int[] {3, 2, 1, 0});
            float[] y;
            if (sequences) {
                y = new float[steps * 2 * units];
                for (int t = 0; t < steps; t++) {
                    System.arraycopy(fwd[t], 0, y, t * 2 * units, units);
                    System.arraycopy(bwd[t], 0, y, t * 2 * units + units, units);
                }
            } else {
                y = new float[2 * units];
                System.arraycopy(fwd[steps - 1], 0, y, 0, units);
                System.arraycopy(bwd[0], 0, y, units, units);
            }
            Model m = checkAgainstReference(file, x, y);
            assertThat(ModelSummary.of(m).totalParams())
                    .isEqualTo(2L * (in * 4 * units + units * 4 * units + 4 * units));
        }
        Path bad = tmp.resolve("bidir_max.h5");
        try (WritableHdfFile h = HdfFile.write(bad)) {
            h.putAttribute(
                    "model_config",
                    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"b\", \"layers\": [{\"class_name\": "
                            + "\"InputLayer\", \"config\": {\"name\": \"x\", \"batch_input_shape\": [null, 4, 3]}}, "
                            + "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bidir\", \"merge_mode\": "
                            + "\"max\", \"layer\": {\"class_name\": \"LSTM\", \"config\": {\"units\": 2}}}}]}}");
            h.putGroup("model_weights").putAttribute("layer_names", new String[] {"bidir"});
        }
        assertThatThrownBy(() -> KerasImporter.load(bad))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("bidir")
                .hasMessageContaining("merge_mode")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void weightsOnlyFileMatchesRecurrentLayersByPosition() throws Exception {
        String json = """
                {"class_name": "Sequential", "config": {"name": "renamed", "layers": [
                  {"class_name": "SimpleRNN", "config": {"name": "rnn", "units": 2, "batch_input_shape": [null, 3, 2]}},
                  {"class_name": "Dense", "config": {"name": "out", "units": 1}}]}, "keras_version": "2.15.0"}
                """;
        Path jsonFile = java.nio.file.Files.writeString(tmp.resolve("renamed.json"), json);
        float[][] kernel = {{1, 2}, {3, 4}};
        float[][] rec = {{5, 6}, {7, 8}};
        Path weights = tmp.resolve("renamed.h5");
        try (WritableHdfFile h = HdfFile.write(weights)) {
            h.putAttribute("layer_names", new String[] {"simple_rnn_3", "dense_9"});
            WritableGroup g = h.putGroup("simple_rnn_3");
            g.putAttribute(
                    "weight_names",
                    new String[] {"simple_rnn_3/kernel:0", "simple_rnn_3/recurrent_kernel:0", "simple_rnn_3/bias:0"});
            WritableGroup gi = g.putGroup("simple_rnn_3");
            gi.putDataset("kernel:0", kernel);
            gi.putDataset("recurrent_kernel:0", rec);
            gi.putDataset("bias:0", new float[] {0.5f, -0.5f});
            WritableGroup d = h.putGroup("dense_9");
            d.putAttribute("weight_names", new String[] {"dense_9/kernel:0", "dense_9/bias:0"});
            WritableGroup di = d.putGroup("dense_9");
            di.putDataset("kernel:0", new float[][] {{1}, {-1}});
            di.putDataset("bias:0", new float[] {0.25f});
        }
        Model m = KerasImporter.load(jsonFile, weights);
        // IR W_x = kernelᵀ
        assertThat(m.tensor("rnn/kernel").data().floats()).containsExactly(1, 3, 2, 4);
        assertThat(m.tensor("rnn/recurrent_kernel").data().floats()).containsExactly(5, 7, 6, 8);
        assertThat(row(ModelSummary.of(m), "rnn").params()).isEqualTo(10);
        assertThat(ModelSummary.of(m).totalParams()).isEqualTo(13);
    }

    /** {@code q}'s output for one sample of int32 {@code ids}, with the integer kernels of {@code path}. */
    private static float[] quantizedRun(Model q, int[] ids, int dim, dev.quanta.kernels.QuantizedPath path) {
        float[] out = new float[dim];
        try (dev.quanta.runtime.Interpreter it = new dev.quanta.runtime.Interpreter(
                q, dev.quanta.runtime.Interpreter.Options.defaults().withKernelPath(path))) {
            it.resizeInput(0, new int[] {1, ids.length});
            it.run(ids, out);
        }
        return out;
    }
}
