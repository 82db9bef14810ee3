package dev.quanta.keras;

import static dev.quanta.testing.CoreArrays.uniform;
import static dev.quanta.testing.Hdf5Reading.shapes;
import static dev.quanta.testing.Hdf5Reading.weights;
import static dev.quanta.testing.ModelChecks.assertSameConstants;
import static dev.quanta.testing.ModelChecks.outputs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import dev.quanta.testing.CoreModels;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Group;
import io.jhdf.object.datatype.StringData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KerasH5Writer}: file layout read back with jhdf, errors, and the round trip through the importer. */
class KerasH5WriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * Every supported layer kind: Conv2D without bias (fused relu6), DepthwiseConv2D (multiplier 2, fused relu),
     * AveragePooling2D (same), LeakyReLU, MaxPooling2D (stride 1), ReLU, Reshape, Flatten, Dense with a separate
     * tanh op of the same layer, Activation(sigmoid), Dense with softmax.
     */
    static Model everyLayer() {
        SplittableRandom r = new SplittableRandom(99);
        ModelBuilder b = new ModelBuilder("every_layer");
        Tensor x = b.input("inputs", Shape.batched(12, 12, 3));
        Tensor t = CoreModels.conv2d(
                b,
                "c1",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.RELU6),
                x,
                b.constant("c1/kernel", Shape.of(4, 3, 3, 3), uniform(r, 4 * 3 * 3 * 3, -1, 1)));
        t = b.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 2, 2, 1, 1, 2, Activation.RELU),
                t,
                b.constant("dw/kernel", Shape.of(1, 3, 3, 8), uniform(r, 72, -1, 1)),
                b.constant("dw/bias", Shape.of(8), uniform(r, 8, -1, 1)));
        t = CoreModels.averagePool(b, "ap", new OpAttributes.Pool2D(Padding.SAME, 2, 2, 2, 2, Activation.NONE), t);
        t = b.add(OpType.LEAKY_RELU, "lr", new Origin("lr", "LeakyReLU"), new OpAttributes.LeakyRelu(0.25f), t);
        t = CoreModels.maxPool(b, "mp", new OpAttributes.Pool2D(Padding.VALID, 2, 2, 1, 1, Activation.NONE), t);
        t = CoreModels.relu(b, "re", t);
        t = b.add(OpType.RESHAPE, "rs", new Origin("rs", "Reshape"), new OpAttributes.Reshape(new int[] {-1, 4, 8}), t);
        t = CoreModels.flatten(b, "fl", t);
        t = CoreModels.dense(b, "d1", t, uniform(r, 160, -1, 1), uniform(r, 5, -1, 1));
        t = b.add(OpType.TANH, "d1/tanh", CoreModels.dense("d1"), OpAttributes.None.INSTANCE, t);
        t = CoreModels.activation(b, OpType.LOGISTIC, "act", t);
        t = CoreModels.dense(b, "d2", t, uniform(r, 15, -1, 1), uniform(r, 3, -1, 1));
        t = b.add(OpType.SOFTMAX, "d2/softmax", CoreModels.dense("d2"), new OpAttributes.Softmax(1f), t);
        b.output(t);
        return b.build(ModelMetadata.inMemorySequential(
                new TrainingConfig("sparse_categorical_crossentropy", false, List.of("accuracy"))));
    }

    @Test
    void layoutMirrorsKeras2FullModelFiles() throws IOException {
        Model m = everyLayer();
        Path file = tmp.resolve("every.h5");
        KerasH5Writer.write(m, file, KerasH5Writer.Optimizer.adam(0.01, 0.9, 0.999, 1e-7));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("every.h5");
        }
        // no trace of the writing library, its version, the OS or the CPU
        String bytes = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(bytes)
                .doesNotContain("jHDF")
                .doesNotContain(System.getProperty("os.name"))
                .doesNotContain(System.getProperty("os.arch"));
        try (HdfFile h5 = new HdfFile(file)) {
            assertThat(h5.getAttributes().keySet())
                    .containsExactlyInAnyOrder("model_config", "training_config", "keras_version", "backend");
            for (Attribute a : h5.getAttributes().values()) {
                assertThat(a.isScalar()).as(a.getName()).isTrue();
                assertThat(a.getDataType()).as(a.getName()).isInstanceOf(StringData.class);
                assertThat(a.getData()).as(a.getName()).isInstanceOf(String.class);
            }
            assertThat(h5.getAttribute("keras_version").getData()).isEqualTo("2.15.0");
            assertThat(h5.getAttribute("backend").getData()).isEqualTo("tensorflow");

            JsonNode config = jsonAttribute(h5, "model_config");
            assertThat(config.get("class_name").asText()).isEqualTo("Sequential");
            assertThat(config.at("/config/name").asText()).isEqualTo("every_layer");
            List<String> classes = new ArrayList<>();
            config.at("/config/layers")
                    .forEach(l -> classes.add(l.get("class_name").asText()));
            assertThat(classes)
                    .containsExactly(
                            "InputLayer",
                            "Conv2D",
                            "DepthwiseConv2D",
                            "AveragePooling2D",
                            "LeakyReLU",
                            "MaxPooling2D",
                            "ReLU",
                            "Reshape",
                            "Flatten",
                            "Dense",
                            "Activation",
                            "Dense");
            JsonNode layers = config.at("/config/layers");
            assertThat(layers.at("/0/config/batch_input_shape").toString()).isEqualTo("[null,12,12,3]");
            assertThat(layers.at("/0/config/name").asText()).isEqualTo("inputs");
            JsonNode c1 = layers.at("/1/config");
            assertThat(c1.get("name").asText()).isEqualTo("c1");
            assertThat(c1.get("filters").asInt()).isEqualTo(4);
            assertThat(c1.get("kernel_size").toString()).isEqualTo("[3,3]");
            assertThat(c1.get("padding").asText()).isEqualTo("valid");
            assertThat(c1.get("activation").asText()).isEqualTo("relu6");
            assertThat(c1.get("use_bias").asBoolean()).isFalse();
            JsonNode dw = layers.at("/2/config");
            assertThat(dw.get("depth_multiplier").asInt()).isEqualTo(2);
            assertThat(dw.get("strides").toString()).isEqualTo("[2,2]");
            assertThat(dw.get("padding").asText()).isEqualTo("same");
            assertThat(dw.get("activation").asText()).isEqualTo("relu");
            assertThat(layers.at("/3/config/pool_size").toString()).isEqualTo("[2,2]");
            assertThat(layers.at("/4/config/alpha").asDouble()).isEqualTo(0.25);
            assertThat(layers.at("/5/config/strides").toString()).isEqualTo("[1,1]");
            assertThat(layers.at("/6/config/max_value").isNull()).isTrue();
            assertThat(layers.at("/7/config/target_shape").toString()).isEqualTo("[4,8]");
            assertThat(layers.at("/9/config/units").asInt()).isEqualTo(5);
            assertThat(layers.at("/9/config/activation").asText()).isEqualTo("tanh");
            assertThat(layers.at("/10/config/activation").asText()).isEqualTo("sigmoid");
            assertThat(layers.at("/11/config/activation").asText()).isEqualTo("softmax");
            assertThat(layers.at("/11/build_config/input_shape").toString()).isEqualTo("[null,5]");

            JsonNode training = jsonAttribute(h5, "training_config");
            assertThat(training.get("loss").asText()).isEqualTo("sparse_categorical_crossentropy");
            assertThat(training.get("metrics").toString()).isEqualTo("[\"accuracy\"]");
            assertThat(training.at("/optimizer_config/class_name").asText()).isEqualTo("Adam");
            assertThat(training.at("/optimizer_config/config/learning_rate").asDouble())
                    .isEqualTo(0.01);

            Group weights = (Group) h5.getChild("model_weights");
            Attribute layerNames = weights.getAttribute("layer_names");
            assertThat(layerNames.getDataType()).isInstanceOf(StringData.class);
            assertThat((String[]) layerNames.getData()).containsExactly("c1", "dw", "d1", "d2");
            assertThat(weights.getAttribute("keras_version").getData()).isEqualTo("2.15.0");
            assertThat(weights.getChildren().keySet()).containsExactlyInAnyOrder("c1", "dw", "d1", "d2");
            assertThat(weightNames(weights, "c1")).containsExactly("c1/kernel:0");
            assertThat(weightNames(weights, "dw")).containsExactly("dw/depthwise_kernel:0", "dw/bias:0");
            assertThat(weightNames(weights, "d1")).containsExactly("d1/kernel:0", "d1/bias:0");

            Map<String, int[]> shapes = shapes(h5);
            assertThat(shapes)
                    .containsOnlyKeys(
                            "/model_weights/c1/c1/kernel:0",
                            "/model_weights/dw/dw/depthwise_kernel:0",
                            "/model_weights/dw/dw/bias:0",
                            "/model_weights/d1/d1/kernel:0",
                            "/model_weights/d1/d1/bias:0",
                            "/model_weights/d2/d2/kernel:0",
                            "/model_weights/d2/d2/bias:0");
            assertThat(shapes.get("/model_weights/c1/c1/kernel:0")).containsExactly(3, 3, 3, 4);
            assertThat(shapes.get("/model_weights/dw/dw/depthwise_kernel:0")).containsExactly(3, 3, 4, 2);
            assertThat(shapes.get("/model_weights/d1/d1/kernel:0")).containsExactly(32, 5);

            // Keras layouts: Dense [in, out] = IR [out, in]ᵀ; Conv2D [kh, kw, in, out] from IR [out, kh, kw, in]
            Map<String, float[]> values = weights(h5);
            float[] denseIr = constant(m, "d1/kernel");
            float[] denseKeras = values.get("/model_weights/d1/d1/kernel:0");
            for (int i = 0; i < 32; i++) {
                for (int o = 0; o < 5; o++) {
                    assertThat(denseKeras[i * 5 + o]).isEqualTo(denseIr[o * 32 + i]);
                }
            }
            float[] convIr = constant(m, "c1/kernel");
            float[] convKeras = values.get("/model_weights/c1/c1/kernel:0");
            for (int o = 0; o < 4; o++) {
                for (int k = 0; k < 9; k++) {
                    for (int c = 0; c < 3; c++) {
                        assertThat(convKeras[(k * 3 + c) * 4 + o]).isEqualTo(convIr[(o * 9 + k) * 3 + c]);
                    }
                }
            }
            assertThat(values.get("/model_weights/dw/dw/depthwise_kernel:0")).isEqualTo(constant(m, "dw/kernel"));
            assertThat(values.get("/model_weights/dw/dw/bias:0")).isEqualTo(constant(m, "dw/bias"));
        }
    }

    private static float[] constant(Model m, String name) {
        return m.tensor(name).data().floats();
    }

    @Test
    void writesTheSameBytesEveryTime() throws IOException {
        Path a = tmp.resolve("a.h5");
        Path b = tmp.resolve("b.h5");
        KerasH5Writer.write(everyLayer(), a);
        KerasH5Writer.write(everyLayer(), b);
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        // without an optimizer, Keras' compile() default is recorded so that Keras can compile the model
        try (HdfFile h5 = new HdfFile(a)) {
            JsonNode training = jsonAttribute(h5, "training_config");
            assertThat(training.at("/optimizer_config/class_name").asText()).isEqualTo("RMSprop");
        }
    }

    @Test
    void roundTripThroughTheImporterKeepsWeightsAndOutputs() {
        Model m = everyLayer();
        Path file = tmp.resolve("every.h5");
        KerasH5Writer.write(m, file);
        Model back = KerasImporter.load(file);

        assertThat(back.name()).isEqualTo("every_layer");
        assertThat(back.metadata().modelClass()).isEqualTo("Sequential");
        assertThat(back.metadata().trainingConfig()).isEqualTo(m.metadata().trainingConfig());
        assertThat(back.inputs().get(0).shape()).isEqualTo(m.inputs().get(0).shape());
        assertSameConstants(back, m);
        List<String> origins = new ArrayList<>();
        for (Op op : back.ops()) {
            origins.add(op.origin().layerName() + ":" + op.type());
        }
        List<String> expected = new ArrayList<>();
        for (Op op : m.ops()) {
            expected.add(op.origin().layerName() + ":" + op.type());
        }
        assertThat(origins).isEqualTo(expected);

        float[] x = uniform(new SplittableRandom(5), 3 * 12 * 12 * 3, -1, 1);
        assertThat(outputs(back, x, 3)).isEqualTo(outputs(m, x, 3));
    }

    /** The JSON text of the file's attribute {@code name}, parsed. */
    private static JsonNode jsonAttribute(HdfFile h5, String name) throws IOException {
        return JSON.readTree((String) h5.getAttribute(name).getData());
    }

    /** The weight_names attribute of {@code layer}'s group under model_weights. */
    private static String[] weightNames(Group modelWeights, String layer) {
        return (String[]) ((Group) modelWeights.getChild(layer))
                .getAttribute("weight_names")
                .getData();
    }

    @Test
    void unsupportedOpIsNamedAndNothingIsWritten() throws IOException {
        ModelBuilder b = new ModelBuilder("gap");
        Tensor x = b.input("x", Shape.batched(4, 4, 2));
        Tensor t = b.add(
                OpType.MEAN,
                "gap_mean",
                new Origin("gap", "GlobalAveragePooling2D"),
                new OpAttributes.Mean(new int[] {1, 2}, false),
                x);
        b.output(t);
        Model m = b.build(ModelMetadata.inMemory());
        Path file = tmp.resolve("gap.h5");
        Files.writeString(file, "previous content");
        assertThatThrownBy(() -> KerasH5Writer.write(m, file))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("gap_mean")
                .hasMessageContaining("MEAN")
                .hasMessageContaining("layer 'gap' (GlobalAveragePooling2D)");
        assertThat(Files.readString(file)).isEqualTo("previous content");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).containsExactly(file);
        }
    }

    @Test
    void branchingGraphIsRejected() {
        ModelBuilder b = new ModelBuilder("branch");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor r = CoreModels.relu(b, "r", x);
        Tensor s = b.add(OpType.ADD, "add", new Origin("add", "Add"), new OpAttributes.Add(Activation.NONE), x, r);
        b.output(s);
        Model m = b.build(ModelMetadata.inMemory());
        assertThatThrownBy(() -> KerasH5Writer.write(m, tmp.resolve("branch.h5")))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("'add' (ADD)");
        assertThat(tmp.resolve("branch.h5")).doesNotExist();
    }

    @Test
    void fusedActivationWithoutKerasNameIsRejected() {
        ModelBuilder b = new ModelBuilder("clip");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor t = CoreModels.dense(
                b, "fc", Activation.RELU_N1_TO_1, x, b.constant("w", Shape.of(2, 2), new float[] {1, 0, 0, 1}));
        b.output(t);
        Model m = b.build(ModelMetadata.inMemory());
        assertThatThrownBy(() -> KerasH5Writer.write(m, tmp.resolve("clip.h5")))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("'fc' (FULLY_CONNECTED)")
                .hasMessageContaining("RELU_N1_TO_1");
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path file = tmp.resolve("m.h5");
        Files.writeString(file, "old");
        KerasH5Writer.write(everyLayer(), file);
        assertThat(weights(file)).hasSize(7);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).containsExactly(file);
        }
    }

    @Test
    void missingFolderIsAnError() {
        Path file = tmp.resolve("no/such/folder/m.h5");
        assertThatThrownBy(() -> KerasH5Writer.write(everyLayer(), file))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("does not exist");
    }
}
