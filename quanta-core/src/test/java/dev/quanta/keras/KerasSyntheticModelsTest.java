package dev.quanta.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreOps;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small Keras files written in code with jhdf's writer (string attributes, string-array attributes, nested groups
 * and float64 datasets all work; an empty string-array attribute does not), covering graph shapes and layers the
 * fixtures do not have: branches and merges, Keras 3 inbound nodes and weight layout, depthwise multipliers,
 * padding, batch norm without beta, and matching weights by position.
 */
class KerasSyntheticModelsTest {
    @TempDir
    Path tmp;

    private static final Random RND = new Random(1234);

    private static double[][] randn(int a, int b) {
        double[][] m = new double[a][b];
        for (double[] row : m) {
            for (int j = 0; j < b; j++) {
                row[j] = RND.nextGaussian() * 0.5;
            }
        }
        return m;
    }

    private static double[] randn(int n) {
        return randn(1, n)[0];
    }

    private static float[][] toFloat(double[][] m) {
        float[][] f = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            f[i] = new float[m[i].length];
            for (int j = 0; j < m[i].length; j++) {
                f[i][j] = (float) m[i][j];
            }
        }
        return f;
    }

    /** A Keras 2 layer group: weight_names plus datasets under {@code <layer>/<layer>/}; bias may be null. */
    private static void keras2Layer(WritableGroup parent, String layer, Object kernel, Object bias) {
        WritableGroup g = parent.putGroup(layer);
        g.putAttribute(
                "weight_names",
                bias == null
                        ? new String[] {layer + "/kernel:0"}
                        : new String[] {layer + "/kernel:0", layer + "/bias:0"});
        WritableGroup inner = g.putGroup(layer);
        inner.putDataset("kernel:0", kernel);
        if (bias != null) {
            inner.putDataset("bias:0", bias);
        }
    }

    // A Keras 2 functional model with two branches, a three-way Add and a Concatenate.
    private static final String BRANCHY = """
            {"class_name": "Model", "config": {"name": "branchy", "layers": [
              {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [null, 4],
               "dtype": "float32", "sparse": false}, "inbound_nodes": []},
              {"class_name": "Dense", "name": "d1", "config": {"name": "d1", "units": 3, "activation": "relu",
               "use_bias": true}, "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "Dense", "name": "d2", "config": {"name": "d2", "units": 3, "activation": "tanh",
               "use_bias": true}, "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "Add", "name": "sum", "config": {"name": "sum"},
               "inbound_nodes": [[["d1", 0, 0, {}], ["d2", 0, 0, {}], ["d1", 0, 0, {}]]]},
              {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat", "axis": -1},
               "inbound_nodes": [[["sum", 0, 0, {}], ["d2", 0, 0, {}]]]},
              {"class_name": "Dropout", "name": "drop", "config": {"name": "drop", "rate": 0.5},
               "inbound_nodes": [[["cat", 0, 0, {}]]]},
              {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2, "activation": "softmax",
               "use_bias": true}, "inbound_nodes": [[["drop", 0, 0, {}]]]}],
             "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]]}}
            """;

    @Test
    void keras2FunctionalWithBranchesWrittenByJhdf() {
        double[][] w1 = randn(4, 3);
        double[] b1 = randn(3);
        double[][] w2 = randn(4, 3);
        double[] b2 = randn(3);
        double[][] w3 = randn(6, 2);
        double[] b3 = randn(2);
        Path file = tmp.resolve("branchy.h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", BRANCHY);
            h.putAttribute(
                    "training_config",
                    "{\"loss\": {\"class_name\": \"SparseCategoricalCrossentropy\", "
                            + "\"config\": {\"from_logits\": true, \"name\": \"sparse_categorical_crossentropy\"}}, "
                            + "\"metrics\": [[\"accuracy\", {\"class_name\": \"MeanMetricWrapper\", "
                            + "\"config\": {\"name\": \"acc2\"}}]]}");
            h.putAttribute("keras_version", "2.15.0");
            h.putAttribute("backend", "tensorflow");
            WritableGroup mw = h.putGroup("model_weights");
            mw.putAttribute("layer_names", new String[] {"x", "d1", "d2", "sum", "cat", "drop", "out"});
            keras2Layer(mw, "d1", w1, b1); // float64 on disk
            keras2Layer(mw, "d2", toFloat(w2), toFloat(new double[][] {b2})[0]);
            keras2Layer(mw, "out", w3, b3);
        }

        Model m = KerasImporter.load(file);
        assertThat(m.name()).isEqualTo("branchy");
        assertThat(m.metadata().modelClass()).isEqualTo("Functional");
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_H5);
        assertThat(m.metadata().frameworkVersion()).isEqualTo("2.15.0");
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("sparse_categorical_crossentropy");
        assertThat(m.metadata().trainingConfig().fromLogits()).isTrue();
        assertThat(m.metadata().trainingConfig().metrics()).containsExactly("accuracy", "acc2");
        assertThat(CoreOps.names(m))
                .isEqualTo("d1 d2/fully_connected d2/tanh sum/add sum cat drop out/fully_connected out/softmax");
        assertThat(CoreOps.types(m))
                .isEqualTo(
                        "FULLY_CONNECTED FULLY_CONNECTED TANH ADD ADD CONCATENATION IDENTITY FULLY_CONNECTED SOFTMAX");
        Op tanh = m.ops().get(2);
        assertThat(tanh.output(0).name()).isEqualTo("d2");
        assertThat(tanh.origin()).isEqualTo(m.ops().get(1).origin());
        assertThat(m.ops().get(0).attrs(OpAttributes.FullyConnected.class).activation())
                .isEqualTo(Activation.RELU);
        assertThat(m.ops().get(3).inputs()).extracting(Tensor::name).containsExactly("d1", "d2");
        assertThat(m.ops().get(4).inputs()).extracting(Tensor::name).containsExactly("sum/add", "d1");
        assertThat(m.tensor("cat").shape()).isEqualTo(Shape.batched(6));
        assertThat(m.outputs()).extracting(Tensor::name).containsExactly("out");

        // Forward pass computed straight from the Keras-layout weights.
        double[] x = {0.3, -1.2, 2.0, 0.7};
        double[] h1 = new double[3];
        double[] h2 = new double[3];
        for (int o = 0; o < 3; o++) {
            double s1 = b1[o];
            double s2 = (float) b2[o];
            for (int i = 0; i < 4; i++) {
                s1 += x[i] * w1[i][o];
                s2 += x[i] * (float) w2[i][o];
            }
            h1[o] = Math.max(s1, 0);
            h2[o] = Math.tanh(s2);
        }
        double[] cat = {2 * h1[0] + h2[0], 2 * h1[1] + h2[1], 2 * h1[2] + h2[2], h2[0], h2[1], h2[2]};
        double[] logits = new double[2];
        for (int o = 0; o < 2; o++) {
            logits[o] = b3[o];
            for (int i = 0; i < 6; i++) {
                logits[o] += cat[i] * w3[i][o];
            }
        }
        double e0 = Math.exp(logits[0]);
        double e1 = Math.exp(logits[1]);
        float[] y = ReferenceRunner.output(m, new float[] {0.3f, -1.2f, 2.0f, 0.7f});
        assertThat(y).containsExactly(new float[] {(float) (e0 / (e0 + e1)), (float) (e1 / (e0 + e1))}, within(1e-5f));
    }

    @Test
    void missingWeightsGroupInFullModelFile() {
        Path file = tmp.resolve("missing.h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", BRANCHY);
            WritableGroup mw = h.putGroup("model_weights");
            keras2Layer(mw, "d1", randn(4, 3), randn(3));
            keras2Layer(mw, "d2", randn(4, 3), randn(3));
        }
        QuantaException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                QuantaException.class, () -> KerasImporter.load(file));
        assertThat(e)
                .hasMessage(file + ": layer 'out' (Dense): no weights in the file (expected group "
                        + "'model_weights/out')");
    }

    // Keras 3 spelling: inbound nodes with args/keras_history, a flat input_layers triple, vars/0..n weights.
    private static String tensor(String layer) {
        return "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": null, \"dtype\": \"float32\", "
                + "\"keras_history\": [\"" + layer + "\", 0, 0]}}";
    }

    private static String node(String... layers) {
        if (layers.length == 1) {
            return "[{\"args\": [" + tensor(layers[0]) + "], \"kwargs\": {}}]";
        }
        StringBuilder sb = new StringBuilder("[{\"args\": [[");
        for (int i = 0; i < layers.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(tensor(layers[i]));
        }
        return sb.append("]], \"kwargs\": {}}]").toString();
    }

    private static String layer(String cls, String name, String config, String inbound) {
        return "{\"module\": \"keras.layers\", \"class_name\": \"" + cls + "\", \"name\": \"" + name + "\", "
                + "\"config\": {\"name\": \"" + name + "\", \"trainable\": true, \"dtype\": {\"module\": \"keras\", "
                + "\"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}}"
                + (config.isEmpty() ? "" : ", ") + config + "}, \"inbound_nodes\": " + inbound + "}";
    }

    @Test
    void keras3FunctionalJsonWithKeras3WeightsLayout() throws IOException {
        String json = "{\"module\": \"keras\", \"class_name\": \"Functional\", \"config\": {\"name\": \"k3\", "
                + "\"trainable\": true, \"layers\": ["
                + "{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\", \"name\": \"img\", \"config\": "
                + "{\"name\": \"img\", \"batch_shape\": [null, 6, 6, 2], \"dtype\": \"float32\", \"sparse\": false}, "
                + "\"inbound_nodes\": []}, "
                + layer(
                        "ZeroPadding2D",
                        "pad",
                        "\"padding\": [[1, 0], [0, 1]], \"data_format\": \"channels_last\"",
                        node("img"))
                + ", "
                + layer(
                        "Conv2D",
                        "conv",
                        "\"filters\": 3, \"kernel_size\": [3, 3], \"strides\": [2, 2], "
                                + "\"padding\": \"valid\", \"data_format\": \"channels_last\", "
                                + "\"dilation_rate\": [1, 1], "
                                + "\"groups\": 1, \"activation\": \"relu6\", \"use_bias\": true",
                        node("pad"))
                + ", "
                + layer(
                        "DepthwiseConv2D",
                        "dw",
                        "\"kernel_size\": [2, 2], \"strides\": [1, 1], \"padding\": \"same\", "
                                + "\"depth_multiplier\": 2, \"activation\": \"linear\", \"use_bias\": true",
                        node("conv"))
                + ", "
                + layer(
                        "BatchNormalization",
                        "bn",
                        "\"axis\": -1, \"epsilon\": 0.01, \"center\": false, \"scale\": true",
                        node("dw"))
                + ", "
                + layer("ReLU", "relu", "\"max_value\": 6.0, \"negative_slope\": 0.0, \"threshold\": 0.0", node("bn"))
                + ", "
                + layer("LeakyReLU", "leaky", "\"negative_slope\": 0.1", node("bn")) + ", "
                + layer("Concatenate", "cat", "\"axis\": -1", node("relu", "leaky")) + ", "
                + layer(
                        "GlobalAveragePooling2D",
                        "gap",
                        "\"data_format\": \"channels_last\", \"keepdims\": false",
                        node("cat"))
                + ", "
                + layer("Reshape", "reshape", "\"target_shape\": [3, 4]", node("gap")) + ", "
                + layer("Softmax", "sm", "\"axis\": -1", node("reshape"))
                + "], \"input_layers\": [\"img\", 0, 0], \"output_layers\": [[\"sm\", 0, 0]]}, "
                + "\"compile_config\": {\"loss\": \"mse\", \"metrics\": [\"MeanAbsoluteError\"]}}";
        Path jsonFile = Files.writeString(tmp.resolve("config.json"), json);

        double[][][][] convK = new double[3][3][2][3];
        double[][][][] dwK = new double[2][2][3][2];
        fill(convK);
        fill(dwK);
        double[] convB = randn(3);
        double[] dwB = randn(6);
        double[] gamma = randn(6);
        double[] mean = randn(6);
        double[] var = new double[6];
        for (int i = 0; i < 6; i++) {
            var[i] = 0.5 + RND.nextDouble();
        }
        Path weights = tmp.resolve("k3.weights.h5");
        try (WritableHdfFile h = HdfFile.write(weights)) {
            WritableGroup layers = h.putGroup("layers");
            WritableGroup conv = layers.putGroup("conv").putGroup("vars");
            conv.putDataset("0", convK);
            conv.putDataset("1", convB);
            WritableGroup dw = layers.putGroup("dw").putGroup("vars");
            dw.putDataset("0", dwK);
            dw.putDataset("1", dwB);
            WritableGroup bn = layers.putGroup("bn").putGroup("vars");
            bn.putDataset("0", gamma);
            bn.putDataset("1", mean);
            bn.putDataset("2", var);
        }

        Model m = KerasImporter.load(jsonFile, weights);
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_JSON_WEIGHTS);
        assertThat(m.metadata().modelClass()).isEqualTo("Functional");
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("mean_squared_error");
        assertThat(m.metadata().trainingConfig().metrics()).containsExactly("mean_absolute_error");
        assertThat(CoreOps.types(m))
                .isEqualTo(
                        "PAD CONV_2D DEPTHWISE_CONV_2D BATCH_NORM RELU6 LEAKY_RELU CONCATENATION MEAN RESHAPE SOFTMAX");
        assertThat(CoreOps.names(m)).isEqualTo("pad conv dw bn relu leaky cat gap reshape sm");
        assertThat(m.ops().get(0).attrs(OpAttributes.Pad.class).paddings())
                .isDeepEqualTo(new int[][] {{0, 0}, {1, 0}, {0, 1}, {0, 0}});
        assertThat(m.tensor("pad").shape()).isEqualTo(Shape.batched(7, 7, 2));
        assertThat(m.tensor("conv").shape()).isEqualTo(Shape.batched(3, 3, 3));
        assertThat(m.ops().get(1).attrs(OpAttributes.Conv2D.class).activation()).isEqualTo(Activation.RELU6);
        assertThat(m.tensor("dw/depthwise_kernel").shape()).isEqualTo(Shape.of(1, 2, 2, 6));
        assertThat(m.ops().get(2).attrs(OpAttributes.DepthwiseConv2D.class).depthMultiplier())
                .isEqualTo(2);
        OpAttributes.BatchNorm bnAttrs = m.ops().get(3).attrs(OpAttributes.BatchNorm.class);
        assertThat(bnAttrs).isEqualTo(new OpAttributes.BatchNorm(0.01f, 3, true, false));
        assertThat(m.ops().get(3).inputs())
                .extracting(Tensor::name)
                .containsExactly("dw", "bn/gamma", "bn/moving_mean", "bn/moving_variance");
        assertThat(m.ops().get(5).attrs(OpAttributes.LeakyRelu.class).alpha()).isEqualTo(0.1f);
        assertThat(m.tensor("gap").shape()).isEqualTo(Shape.batched(12));
        assertThat(m.outputs().get(0).shape()).isEqualTo(Shape.batched(3, 4));
        long nonTrainable = m.constants().stream()
                .filter(t -> !t.trainable())
                .mapToLong(t -> t.shape().elementCount())
                .sum();
        assertThat(nonTrainable).isEqualTo(12);

        // Forward pass straight from the Keras-layout arrays.
        float[] xf = new float[6 * 6 * 2];
        double[][][] x = new double[6][6][2];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                for (int c = 0; c < 2; c++) {
                    x[i][j][c] = RND.nextDouble() * 2 - 1;
                    xf[(i * 6 + j) * 2 + c] = (float) x[i][j][c];
                }
            }
        }
        double[][][] padded = new double[7][7][2];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                padded[i + 1][j] = x[i][j].clone();
            }
        }
        double[][][] conv = new double[3][3][3];
        for (int oy = 0; oy < 3; oy++) {
            for (int ox = 0; ox < 3; ox++) {
                for (int o = 0; o < 3; o++) {
                    double s = convB[o];
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            for (int c = 0; c < 2; c++) {
                                s += padded[oy * 2 + ky][ox * 2 + kx][c] * convK[ky][kx][c][o];
                            }
                        }
                    }
                    conv[oy][ox][o] = Math.min(Math.max(s, 0), 6);
                }
            }
        }
        // SAME padding with a 2x2 kernel, stride 1: nothing before, one after.
        double[][][] dwOut = new double[3][3][6];
        for (int oy = 0; oy < 3; oy++) {
            for (int ox = 0; ox < 3; ox++) {
                for (int c = 0; c < 3; c++) {
                    for (int mm = 0; mm < 2; mm++) {
                        double s = dwB[c * 2 + mm];
                        for (int ky = 0; ky < 2; ky++) {
                            for (int kx = 0; kx < 2; kx++) {
                                if (oy + ky < 3 && ox + kx < 3) {
                                    s += conv[oy + ky][ox + kx][c] * dwK[ky][kx][c][mm];
                                }
                            }
                        }
                        dwOut[oy][ox][c * 2 + mm] = s;
                    }
                }
            }
        }
        double[] gapOut = new double[12];
        for (int oy = 0; oy < 3; oy++) {
            for (int ox = 0; ox < 3; ox++) {
                for (int ch = 0; ch < 6; ch++) {
                    double b = gamma[ch] * (dwOut[oy][ox][ch] - mean[ch]) / Math.sqrt(var[ch] + 0.01);
                    gapOut[ch] += Math.min(Math.max(b, 0), 6) / 9;
                    gapOut[6 + ch] += (b >= 0 ? b : 0.1 * b) / 9;
                }
            }
        }
        float[] expected = new float[12];
        for (int r = 0; r < 3; r++) {
            double sum = 0;
            for (int k = 0; k < 4; k++) {
                sum += Math.exp(gapOut[r * 4 + k]);
            }
            for (int k = 0; k < 4; k++) {
                expected[r * 4 + k] = (float) (Math.exp(gapOut[r * 4 + k]) / sum);
            }
        }
        Map<Tensor, float[]> values = ReferenceRunner.run(m, xf);
        assertThat(values.get(m.tensor("dw"))[7]).isCloseTo((float) dwOut[0][1][1], within(1e-5f));
        assertThat(values.get(m.outputs().get(0))).containsExactly(expected, within(1e-5f));
    }

    private static void fill(double[][][][] a) {
        for (double[][][] b : a) {
            for (double[][] c : b) {
                for (double[] d : c) {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = RND.nextGaussian() * 0.5;
                    }
                }
            }
        }
    }

    /**
     * jhdf cannot write float16, so this writes float32 datasets whose bytes already hold the halves, then turns
     * every float32 datatype message into a float16 one (same property layout) and fixes the object-header
     * checksums. The datasets keep their dimensions, so the readers see float16 arrays.
     */
    private static void rewriteFloat32AsFloat16(Path file) throws IOException {
        byte[] orig = Files.readAllBytes(file);
        byte[] b = orig.clone();
        byte[] f32 = {0x11, 0x20, 0x1f, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0};
        byte[] f16 = {0x11, 0x20, 0x0f, 0x00, 2, 0, 0, 0, 0, 0, 16, 0, 10, 5, 0, 10, 15, 0, 0, 0};
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(orig).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int patched = 0;
        for (int i = 0; i + f32.length <= b.length; i++) {
            if (!java.util.Arrays.equals(orig, i, i + f32.length, f32, 0, f32.length)) {
                continue;
            }
            System.arraycopy(f16, 0, b, i, f16.length);
            int ohdr = i;
            while (ohdr >= 0
                    && !(orig[ohdr] == 'O'
                            && orig[ohdr + 1] == 'H'
                            && orig[ohdr + 2] == 'D'
                            && orig[ohdr + 3] == 'R')) {
                ohdr--;
            }
            assertThat(ohdr).isNotNegative();
            for (int pos = i + f32.length; pos + 4 <= b.length; pos++) {
                if (io.jhdf.checksum.ChecksumUtils.checksum(java.util.Arrays.copyOfRange(orig, ohdr, pos))
                        == in.getInt(pos)) {
                    byte[] header = java.util.Arrays.copyOfRange(b, ohdr, pos);
                    out.putInt(pos, io.jhdf.checksum.ChecksumUtils.checksum(header));
                    break;
                }
            }
            patched++;
        }
        assertThat(patched).isEqualTo(2);
        Files.write(file, b);
    }

    /** {@code n} float32 values whose little-endian bytes are the float16 encodings of {@code values}. */
    private static float[] packHalves(float[] values) {
        float[] packed = new float[values.length];
        for (int i = 0; i < values.length; i += 2) {
            int lo = Float.floatToFloat16(values[i]) & 0xffff;
            int hi = i + 1 < values.length ? Float.floatToFloat16(values[i + 1]) & 0xffff : 0;
            packed[i / 2] = Float.intBitsToFloat(lo | hi << 16);
        }
        return packed;
    }

    @Test
    void float16WeightsBecomeFloat32() throws IOException {
        String json = """
                {"class_name": "Sequential", "config": {"name": "half", "layers": [
                  {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 2]}},
                  {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "linear"}}]}}
                """;
        float[] kernel = {0.5f, -1.25f, 2f, 3.5f, -0.125f, 1f}; // Keras [2, 3], exact in float16
        float[] bias = {0.25f, -4f, 1.5f, 0f};
        float[] k = packHalves(kernel);
        Path file = tmp.resolve("half.h5");
        try (WritableHdfFile h = HdfFile.write(file)) {
            h.putAttribute("model_config", json);
            keras2Layer(
                    h.putGroup("model_weights"),
                    "d",
                    new float[][] {{k[0], k[1], k[2]}, {k[3], k[4], k[5]}},
                    java.util.Arrays.copyOf(packHalves(bias), 3));
        }
        rewriteFloat32AsFloat16(file);
        try (HdfFile h = new HdfFile(file)) {
            assertThat(h.getDatasetByPath("model_weights/d/d/kernel:0")
                            .getDataType()
                            .getSize())
                    .isEqualTo(2);
        }
        Model m = KerasImporter.load(file);
        assertThat(m.tensor("d/kernel").dtype()).isEqualTo(dev.quanta.ir.DType.FLOAT32);
        assertThat(m.tensor("d/kernel").data().floats()).containsExactly(0.5f, 3.5f, -1.25f, -0.125f, 2f, 1f);
        assertThat(m.tensor("d/bias").data().floats()).containsExactly(0.25f, -4f, 1.5f);
        assertThat(ReferenceRunner.output(m, new float[] {1f, 2f})).containsExactly(7.75f, -5.5f, 5.5f);
    }

    @Test
    void weightsOnlyFileMatchedByPositionWhenNamesDiffer() throws IOException {
        String json = """
                {"class_name": "Sequential", "config": {"name": "renamed", "layers": [
                  {"class_name": "Dense", "config": {"name": "a", "units": 3, "activation": "sigmoid",
                   "batch_input_shape": [null, 4]}},
                  {"class_name": "Dense", "config": {"name": "b", "units": 2, "use_bias": false}}]},
                 "keras_version": "2.3.1", "backend": "tensorflow"}
                """;
        Path jsonFile = Files.writeString(tmp.resolve("renamed.json"), json);
        double[][] k1 = randn(4, 3);
        double[] b1 = randn(3);
        double[][] k2 = randn(3, 2);
        Path weights = tmp.resolve("renamed.h5");
        try (WritableHdfFile h = HdfFile.write(weights)) {
            h.putAttribute("layer_names", new String[] {"dense_7", "dense_8"});
            h.putAttribute("keras_version", "2.3.1");
            keras2Layer(h, "dense_7", k1, b1);
            keras2Layer(h, "dense_8", k2, null);
        }
        Model m = KerasImporter.load(jsonFile, weights);
        assertThat(m.inputs().get(0).name()).isEqualTo("a_input");
        assertThat(m.metadata().frameworkVersion()).isEqualTo("2.3.1");
        assertThat(CoreOps.names(m)).isEqualTo("a/fully_connected a/sigmoid b");
        assertThat(m.ops().get(1).type()).isEqualTo(OpType.LOGISTIC);
        assertThat(m.ops().get(2).inputs()).hasSize(2);
        assertThat(m.tensor("b/kernel").data().floats()[1 * 3 + 2]).isEqualTo((float) k2[2][1]);
        assertThat(m.tensor("a/kernel").data().floats()[2 * 4 + 0]).isEqualTo((float) k1[0][2]);
    }
}
