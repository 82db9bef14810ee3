package dev.quanta.keras;

import static dev.quanta.testing.CoreArrays.argmax;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import io.jhdf.HdfFile;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Imports every Keras fixture and checks the result against Keras' own numbers and the TFLite twins. */
@UsesFixtures
@UsesOracle
class KerasImporterFixturesTest {
    private static final String LENET = "fashion-mnist/keras_lenet/";
    private static final Map<String, Model> CACHE = new ConcurrentHashMap<>();

    private static Model load(String relative) {
        return CACHE.computeIfAbsent(relative, r -> KerasImporter.load(Fixtures.require(r)));
    }

    private static Model lenet() {
        return CACHE.computeIfAbsent(
                "lenet",
                r -> KerasImporter.load(
                        Fixtures.require(LENET + "modelConfig.json"),
                        Fixtures.require(LENET + "mnist_weights_only.h5")));
    }

    private static long[] params(Model m) {
        long total = 0;
        long frozen = 0;
        for (Tensor c : m.constants()) {
            total += c.shape().elementCount();
            if (!c.trainable()) {
                frozen += c.shape().elementCount();
            }
        }
        return new long[] {total, frozen};
    }

    private static Op op(Model m, String name) {
        return m.ops().stream()
                .filter(o -> o.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no op " + name));
    }

    /** Keras' model.summary() totals (total, non-trainable). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "mlperf-tiny/ic/pretrainedResnet.h5, 78666, 480",
        "mlperf-tiny/vww/vww_96.h5, 221794, 5472",
        "mlperf-tiny/ad/ad01.h5, 269992, 2064",
        "mlperf-tiny/sww/str_ww_ref_model.h5, 47707, 832",
        "mnist/keras_mlp/mnist.h5, 101770, 0",
        "mnist/keras3_mlp/mnist_model.keras, 101770, 0",
    })
    void parameterCountsMatchKeras(String file, long total, long nonTrainable) {
        assertThat(params(load(file))).containsExactly(total, nonTrainable);
    }

    @Test
    void lenetFromJsonAndWeightsOnlyFile() {
        Model m = lenet();
        // conv 3*3*1*32+32, conv 3*3*32*64+64, dense 3136*256+256, 256*84+84, 84*10+10
        long expected = 320 + 18_496 + 803_072 + 21_588 + 850;
        assertThat(params(m)).containsExactly(expected, 0L);
        assertThat(m.name()).isEqualTo("sequential");
        assertThat(m.inputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("conv2d_input");
            assertThat(t.shape()).isEqualTo(Shape.batched(28, 28, 1));
        });
        assertThat(m.outputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("dense_2");
            assertThat(t.shape()).isEqualTo(Shape.batched(10));
        });
        assertThat(CoreOps.types(m))
                .isEqualTo("CONV_2D MAX_POOL_2D CONV_2D MAX_POOL_2D RESHAPE "
                        + "FULLY_CONNECTED FULLY_CONNECTED FULLY_CONNECTED");
        assertThat(CoreOps.names(m))
                .isEqualTo("conv2d max_pooling2d conv2d_1 max_pooling2d_1 flatten dense dense_1 dense_2");
        assertThat(op(m, "conv2d").attrs(OpAttributes.Conv2D.class))
                .isEqualTo(new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU));
        assertThat(op(m, "max_pooling2d").attrs(OpAttributes.Pool2D.class))
                .isEqualTo(new OpAttributes.Pool2D(Padding.SAME, 2, 2, 2, 2, Activation.NONE));
        assertThat(op(m, "flatten").attrs(OpAttributes.Reshape.class).newShape())
                .containsExactly(-1, 3136);
        assertThat(op(m, "dense_2").attrs(OpAttributes.FullyConnected.class).activation())
                .isEqualTo(Activation.NONE);
        assertThat(m.tensor("conv2d_1/kernel").shape()).isEqualTo(Shape.of(64, 3, 3, 32));
        assertThat(m.tensor("dense/kernel").shape()).isEqualTo(Shape.of(256, 3136));
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_JSON_WEIGHTS);
        assertThat(m.metadata().frameworkVersion()).isEqualTo("2.2.4-tf");
        assertThat(m.metadata().backend()).isEqualTo("tensorflow");
        assertThat(m.metadata().modelClass()).isEqualTo("Sequential");
        assertThat(m.metadata().trainingConfig()).isNull();
    }

    @Test
    void lenetClassifiesFashionMnist() throws IOException {
        Model m = lenet();
        float[][] images = idxImages(Fixtures.require("fashion-mnist/t10k-images-idx3-ubyte.gz"), 150);
        int[] labels = idxLabels(Fixtures.require("fashion-mnist/t10k-labels-idx1-ubyte.gz"), 150);
        int correct = 0;
        for (int i = 0; i < images.length; i++) {
            correct += argmax(ReferenceRunner.output(m, images[i])) == labels[i] ? 1 : 0;
        }
        // 84.14% over all 10000 images; the first 150 must be well above chance (10%) for the kernel layout to
        // be right.
        assertThat(correct).isGreaterThan(110);
    }

    @Test
    void resnetGraph() {
        Model m = load("mlperf-tiny/ic/pretrainedResnet.h5");
        assertThat(m.name()).isEqualTo("model");
        assertThat(CoreOps.counts(m))
                .isEqualTo(CoreOps.parseCounts("CONV_2D 9, BATCH_NORM 7, RELU 7, ADD 3, "
                        + "AVERAGE_POOL_2D 1, RESHAPE 1, FULLY_CONNECTED 1, SOFTMAX 1"));
        assertThat(m.inputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("input_1");
            assertThat(t.shape().toString()).isEqualTo("(None, 32, 32, 3)");
        });
        assertThat(m.outputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("dense");
            assertThat(t.shape().toString()).isEqualTo("(None, 10)");
        });
        // Dense + softmax: the FC op feeds a separate SOFTMAX op of the same origin, which produces "dense".
        Op fc = op(m, "dense/fully_connected");
        Op softmax = op(m, "dense/softmax");
        assertThat(fc.origin()).isEqualTo(softmax.origin());
        assertThat(fc.origin().layerClass()).isEqualTo("Dense");
        assertThat(softmax.input(0)).isSameAs(fc.output(0));
        assertThat(softmax.output(0).name()).isEqualTo("dense");
        assertThat(softmax.attrs(OpAttributes.Softmax.class).beta()).isEqualTo(1f);
        assertThat(m.producer(m.outputs().get(0))).isSameAs(softmax);

        assertThat(op(m, "conv2d_3").attrs(OpAttributes.Conv2D.class))
                .isEqualTo(new OpAttributes.Conv2D(Padding.SAME, 2, 2, 1, 1, Activation.NONE));
        assertThat(m.tensor("conv2d/kernel").shape()).isEqualTo(Shape.of(16, 3, 3, 3));
        assertThat(m.tensor("conv2d_5/kernel").shape()).isEqualTo(Shape.of(32, 1, 1, 16));
        OpAttributes.BatchNorm bn = op(m, "batch_normalization").attrs(OpAttributes.BatchNorm.class);
        assertThat(bn.epsilon()).isEqualTo(0.001f);
        assertThat(bn.axis()).isEqualTo(3);
        assertThat(bn.hasGamma()).isTrue();
        assertThat(bn.hasBeta()).isTrue();
        assertThat(op(m, "batch_normalization").inputs())
                .extracting(Tensor::name)
                .containsExactly(
                        "conv2d",
                        "batch_normalization/gamma",
                        "batch_normalization/beta",
                        "batch_normalization/moving_mean",
                        "batch_normalization/moving_variance");
        assertThat(m.tensor("batch_normalization/moving_mean").trainable()).isFalse();
        assertThat(m.tensor("batch_normalization/gamma").trainable()).isTrue();
        assertThat(op(m, "add_1").inputs())
                .extracting(Tensor::name)
                .containsExactly("conv2d_5", "batch_normalization_4");
        assertThat(op(m, "average_pooling2d").output(0).shape()).isEqualTo(Shape.batched(1, 1, 64));
        for (Op op : m.ops()) {
            assertThat(op.origin().layerName()).isNotBlank();
        }
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_H5);
        assertThat(m.metadata().source()).endsWith("pretrainedResnet.h5");
        assertThat(m.metadata().frameworkVersion()).isEqualTo("2.4.0");
        assertThat(m.metadata().backend()).isEqualTo("tensorflow");
        assertThat(m.metadata().modelClass()).isEqualTo("Functional");
        assertThat(m.metadata().isFunctional()).isTrue();
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("categorical_crossentropy");
        assertThat(m.metadata().trainingConfig().fromLogits()).isFalse();
        assertThat(m.metadata().trainingConfig().metrics()).containsExactly("accuracy");
    }

    @Test
    void resnetMatchesItsTfliteTwin() throws IOException {
        Model m = load("mlperf-tiny/ic/pretrainedResnet.h5");
        Path dir = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        List<String> lines = Files.readAllLines(dir.resolve("y_labels.csv"));
        try (TfliteOracle tflite = TfliteOracle.open(
                Fixtures.require("mlperf-tiny/ic/pretrainedResnet.tflite"), TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int s = 0; s < 3; s++) {
                byte[] img = Files.readAllBytes(dir.resolve(lines.get(s).trim().split(",")[0]));
                float[] x = new float[img.length];
                for (int i = 0; i < img.length; i++) {
                    x[i] = img[i] & 0xff; // raw 0..255, as the model was trained
                }
                float[] expected = tflite.runFloat(x);
                float[] actual = ReferenceRunner.output(m, x);
                assertThat(actual).containsExactly(expected, within(2e-4f));
            }
        }
    }

    @Test
    void vwwGraphAndDepthwiseLayoutMatchTflite() {
        Model m = load("mlperf-tiny/vww/vww_96.h5");
        Map<OpType, Integer> counts = CoreOps.counts(m);
        assertThat(counts.get(OpType.CONV_2D)).isEqualTo(14);
        assertThat(counts.get(OpType.DEPTHWISE_CONV_2D)).isEqualTo(13);
        assertThat(counts.get(OpType.BATCH_NORM)).isEqualTo(27);
        assertThat(m.tensor("depthwise_conv2d/depthwise_kernel").shape()).isEqualTo(Shape.of(1, 3, 3, 8));
        assertThat(op(m, "depthwise_conv2d_1").attrs(OpAttributes.DepthwiseConv2D.class))
                .isEqualTo(new OpAttributes.DepthwiseConv2D(Padding.SAME, 2, 2, 1, 1, 1, Activation.NONE));
        assertThat(m.outputs().get(0).shape()).isEqualTo(Shape.batched(2));

        Random rnd = new Random(7);
        float[] x = new float[96 * 96 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat();
        }
        try (TfliteOracle tflite = TfliteOracle.open(
                Fixtures.require("mlperf-tiny/vww/vww_96_float.tflite"), TfliteOracle.Kernels.BUILTIN, 1)) {
            float[] expected = tflite.runFloat(x);
            assertThat(ReferenceRunner.output(m, x)).containsExactly(expected, within(2e-4f));
        }
    }

    @Test
    void streamingWakeWordModel() {
        Model m = load("mlperf-tiny/sww/str_ww_ref_model.h5");
        Map<OpType, Integer> counts = CoreOps.counts(m);
        assertThat(counts)
                .containsEntry(OpType.IDENTITY, 4)
                .containsEntry(OpType.DEPTHWISE_CONV_2D, 4)
                .containsEntry(OpType.CONV_2D, 4)
                .containsEntry(OpType.BATCH_NORM, 4);
        Op dropout = op(m, "dropout");
        assertThat(dropout.type()).isEqualTo(OpType.IDENTITY);
        assertThat(dropout.origin().layerClass()).isEqualTo("Dropout");
        // use_bias false: only input and kernel
        assertThat(op(m, "depthwise_conv2d").inputs()).hasSize(2);
        assertThat(m.tensor("depthwise_conv2d_3/depthwise_kernel").shape()).isEqualTo(Shape.of(1, 15, 1, 128));
        assertThat(m.tensor("conv2d/kernel").shape()).isEqualTo(Shape.of(128, 1, 1, 40));
        // "scale": 1 (an int) still means gamma is present
        assertThat(op(m, "batch_normalization")
                        .attrs(OpAttributes.BatchNorm.class)
                        .hasGamma())
                .isTrue();
        assertThat(m.inputs().get(0).shape()).isEqualTo(Shape.batched(30, 1, 40));
        assertThat(m.outputs().get(0).shape()).isEqualTo(Shape.batched(3));
        assertThat(m.metadata().frameworkVersion()).isEqualTo("2.14.0");
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("categorical_crossentropy");
        assertThat(m.metadata().trainingConfig().metrics())
                .containsExactly("categorical_accuracy", "precision", "recall");
    }

    @Test
    void anomalyDetectionAutoencoder() {
        Model m = load("mlperf-tiny/ad/ad01.h5");
        assertThat(m.name()).isEqualTo("functional_1");
        assertThat(CoreOps.counts(m))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(OpType.FULLY_CONNECTED, 10, OpType.BATCH_NORM, 9, OpType.RELU, 9));
        assertThat(op(m, "batch_normalization_4")
                        .attrs(OpAttributes.BatchNorm.class)
                        .axis())
                .isEqualTo(1);
        assertThat(m.tensor("dense_4/kernel").shape()).isEqualTo(Shape.of(8, 128));
        assertThat(m.inputs().get(0).shape()).isEqualTo(Shape.batched(640));
        assertThat(m.outputs().get(0).name()).isEqualTo("dense_9");
        assertThat(m.outputs().get(0).shape()).isEqualTo(Shape.batched(640));
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("mean_squared_error");
        assertThat(m.metadata().trainingConfig().metrics()).isEmpty();
    }

    @Test
    void mnistMlpKernelIsTransposed() {
        Path file = Fixtures.require("mnist/keras_mlp/mnist.h5");
        Model m = load("mnist/keras_mlp/mnist.h5");
        float[][] keras;
        float[] kerasBias;
        try (HdfFile h = new HdfFile(file)) {
            keras = (float[][])
                    h.getDatasetByPath("model_weights/dense_6/dense_6/kernel:0").getData();
            kerasBias = (float[])
                    h.getDatasetByPath("model_weights/dense_6/dense_6/bias:0").getData();
        }
        Tensor kernel = m.tensor("dense_6/kernel");
        assertThat(kernel.shape()).isEqualTo(Shape.of(128, 784));
        float[] ir = kernel.data().floats();
        int[][] probes = {{0, 0}, {783, 127}, {400, 3}, {12, 100}, {777, 64}};
        for (int[] p : probes) {
            int in = p[0];
            int out = p[1];
            assertThat(ir[out * 784 + in]).as("kernel[%d][%d]", in, out).isEqualTo(keras[in][out]);
        }
        assertThat(m.tensor("dense_6/bias").data().floats()).containsExactly(kerasBias);
        assertThat(m.inputs().get(0).name()).isEqualTo("flatten_3_input");
        assertThat(m.inputs().get(0).shape().toString()).isEqualTo("(None, 28, 28)");
        assertThat(m.metadata().modelClass()).isEqualTo("Sequential");
        assertThat(m.metadata().frameworkVersion()).isEqualTo("2.2.4-tf");
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("sparse_categorical_crossentropy");
        assertThat(m.metadata().trainingConfig().metrics()).containsExactly("accuracy");
        assertThat(op(m, "dense_6").attrs(OpAttributes.FullyConnected.class).activation())
                .isEqualTo(Activation.RELU);
        assertThat(CoreOps.names(m)).isEqualTo("flatten_3 dense_6 dense_7/fully_connected dense_7/softmax");
    }

    @Test
    void mnistModelsClassifyDigits() throws IOException {
        float[][] images = idxImages(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"), 500);
        int[] labels = idxLabels(Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"), 500);
        for (String file : new String[] {"mnist/keras_mlp/mnist.h5", "mnist/keras3_mlp/mnist_model.keras"}) {
            Model m = load(file);
            int correct = 0;
            for (int i = 0; i < images.length; i++) {
                float[] probs = ReferenceRunner.output(m, images[i]);
                assertThat(probs).hasSize(10);
                correct += argmax(probs) == labels[i] ? 1 : 0;
            }
            assertThat(correct).as(file).isGreaterThanOrEqualTo(470); // ~97% claimed/checked over all 10000
        }
    }

    @Test
    void keras3Archive() {
        Model m = load("mnist/keras3_mlp/mnist_model.keras");
        assertThat(m.name()).isEqualTo("sequential");
        assertThat(m.inputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("input_layer");
            assertThat(t.shape()).isEqualTo(Shape.batched(784));
        });
        assertThat(m.outputs().get(0).name()).isEqualTo("dense_1");
        assertThat(CoreOps.types(m)).isEqualTo("FULLY_CONNECTED FULLY_CONNECTED SOFTMAX");
        assertThat(m.tensor("dense/kernel").shape()).isEqualTo(Shape.of(128, 784));
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_V3);
        assertThat(m.metadata().frameworkVersion()).isEqualTo("3.11.3");
        assertThat(m.metadata().modelClass()).isEqualTo("Sequential");
        assertThat(m.metadata().trainingConfig().loss()).isEqualTo("categorical_crossentropy");
        assertThat(m.metadata().trainingConfig().metrics()).containsExactly("categorical_accuracy");
    }

    @Test
    void formatIsDetectedByContentNotExtension(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path h5 = Files.copy(Fixtures.require("mnist/keras_mlp/mnist.h5"), tmp.resolve("model.bin"));
        Path keras = Files.copy(Fixtures.require("mnist/keras3_mlp/mnist_model.keras"), tmp.resolve("model.h5"));
        assertThat(KerasImporter.load(h5).metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_H5);
        assertThat(KerasImporter.load(keras).metadata().sourceFormat()).isEqualTo(SourceFormat.KERAS_V3);
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The first {@code n} images of a gzip IDX3 file, as pixels / 255. */
    static float[][] idxImages(Path gz, int n) throws IOException {
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(gz)))) {
            assertThat(in.readInt()).isEqualTo(0x803);
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            List<float[]> out = new ArrayList<>();
            byte[] buf = new byte[rows * cols];
            for (int i = 0; i < Math.min(n, count); i++) {
                in.readFully(buf);
                float[] x = new float[buf.length];
                for (int j = 0; j < buf.length; j++) {
                    x[j] = (buf[j] & 0xff) / 255f;
                }
                out.add(x);
            }
            return out.toArray(float[][]::new);
        }
    }

    static int[] idxLabels(Path gz, int n) throws IOException {
        try (InputStream raw = new GZIPInputStream(Files.newInputStream(gz));
                DataInputStream in = new DataInputStream(raw)) {
            assertThat(in.readInt()).isEqualTo(0x801);
            int count = Math.min(n, in.readInt());
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = in.readUnsignedByte();
            }
            return labels;
        }
    }
}
