package dev.quanta.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.QuantaException;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input ends in a one-line {@link QuantaException} that names the file and the problem. */
class KerasImporterErrorsTest {
    private static final String LENET = "fashion-mnist/keras_lenet/";

    @TempDir
    Path tmp;

    private static QuantaException failure(Runnable r) {
        QuantaException e = catchThrowableOfType(QuantaException.class, r::run);
        assertThat(e).as("expected a QuantaException").isNotNull();
        assertThat(e.getMessage()).doesNotContain("\n");
        return e;
    }

    private static String lenetJson() throws IOException {
        return Files.readString(Fixtures.require(LENET + "modelConfig.json"));
    }

    /** The LeNet model JSON with {@code edit} applied to the config of layer {@code layer}. */
    private Path editedLenet(String layer, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode root = mapper.readTree(lenetJson());
        boolean found = false;
        for (JsonNode l : root.get("config").get("layers")) {
            if (layer.equals(l.get("config").get("name").asText())) {
                edit.accept((ObjectNode) l.get("config"));
                found = true;
            }
        }
        assertThat(found).as("layer " + layer).isTrue();
        return writeJson(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    private Path writeJson(String json) throws IOException {
        Path p = tmp.resolve("model.json");
        Files.writeString(p, json);
        return p;
    }

    private static Path lenetWeights() {
        return Fixtures.require(LENET + "mnist_weights_only.h5");
    }

    @Test
    @UsesFixtures
    void missingFile() {
        Path p = tmp.resolve("nothing-here.h5");
        assertThat(failure(() -> KerasImporter.load(p)).getMessage()).isEqualTo(p + ": no such file");
        assertThat(failure(() -> KerasImporter.load(p, lenetWeights())).getMessage())
                .isEqualTo(p + ": no such file");
        Path json = Fixtures.require(LENET + "modelConfig.json");
        assertThat(failure(() -> KerasImporter.load(json, p)).getMessage()).isEqualTo(p + ": no such file");
    }

    @Test
    void directoryAndEmptyFile() throws IOException {
        assertThat(failure(() -> KerasImporter.load(tmp)).getMessage()).startsWith(tmp + ": is a directory");
        Path empty = Files.createFile(tmp.resolve("empty.h5"));
        assertThat(failure(() -> KerasImporter.load(empty)).getMessage())
                .isEqualTo(empty + ": empty file: not a Keras model");
    }

    @ParameterizedTest(name = "first {0} bytes")
    @ValueSource(ints = {8, 100, 800, 4096, 200_000, 1_000_000, 1_247_679})
    @UsesFixtures
    void truncatedH5(int bytes) throws IOException {
        Path source = Fixtures.require("mnist/keras_mlp/mnist.h5");
        Path cut = tmp.resolve("cut.h5");
        try (InputStream in = Files.newInputStream(source)) {
            Files.write(cut, in.readNBytes(bytes));
        }
        QuantaException e = failure(() -> KerasImporter.load(cut));
        assertThat(e.getMessage()).startsWith(cut + ": not a readable HDF5 file (");
    }

    @Test
    @UsesFixtures
    void truncationIsReportedWithSizes() throws IOException {
        Path source = Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5");
        Path cut = tmp.resolve("resnet.h5");
        try (InputStream in = Files.newInputStream(source)) {
            Files.write(cut, in.readNBytes(500_000));
        }
        assertThat(failure(() -> KerasImporter.load(cut)).getMessage())
                .isEqualTo(cut
                        + ": not a readable HDF5 file (truncated: the file has 500000 bytes but its HDF5 "
                        + "superblock says "
                        + "1116712)");
    }

    @Test
    void randomBytes() throws IOException {
        byte[] junk = new byte[5000];
        new Random(42).nextBytes(junk);
        junk[0] = 0x13;
        Path h5 = Files.write(tmp.resolve("random.h5"), junk);
        assertThat(failure(() -> KerasImporter.load(h5)).getMessage())
                .startsWith(h5 + ": not a readable HDF5 file (no HDF5 signature");
        Path bin = Files.write(tmp.resolve("random.bin"), junk);
        assertThat(failure(() -> KerasImporter.load(bin)).getMessage()).startsWith(bin + ": not a Keras model file");
        Path keras = Files.write(tmp.resolve("random.keras"), junk);
        assertThat(failure(() -> KerasImporter.load(keras)).getMessage())
                .startsWith(keras + ": not a readable .keras file");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void hdf5SignatureFollowedByRandomBytes(long seed) throws IOException {
        byte[] junk = new byte[3000];
        new Random(seed).nextBytes(junk);
        System.arraycopy(Hdf5.SIGNATURE, 0, junk, 0, 8);
        junk[8] = (byte) (seed % 4); // plausible superblock versions
        Path p = Files.write(tmp.resolve("junk.h5"), junk);
        assertThat(failure(() -> KerasImporter.load(p)).getMessage()).startsWith(p + ": not a readable HDF5 file (");
    }

    @Test
    @UsesFixtures
    void corruptedBytesInsideARealFile() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.require("mnist/keras_mlp/mnist.h5"));
        Random rnd = new Random(11);
        for (int round = 0; round < 6; round++) {
            byte[] copy = bytes.clone();
            int from = 96 + rnd.nextInt(4000);
            for (int i = from; i < from + 64; i++) {
                copy[i] = (byte) rnd.nextInt();
            }
            Path p = Files.write(tmp.resolve("corrupt" + round + ".h5"), copy);
            try {
                KerasImporter.load(p); // the damage may hit unused bytes
            } catch (QuantaException e) {
                assertThat(e.getMessage()).startsWith(p + ": ").doesNotContain("\n");
            }
        }
    }

    @Test
    @UsesFixtures
    void weightsOnlyFile() {
        Path w = lenetWeights();
        assertThat(failure(() -> KerasImporter.load(w)).getMessage())
                .isEqualTo(w + ": no model_config attribute: this is a weights-only file; give the model JSON");
    }

    @Test
    @UsesFixtures
    void jsonWithoutWeights() {
        Path json = Fixtures.require(LENET + "modelConfig.json");
        assertThat(failure(() -> KerasImporter.load(json)).getMessage())
                .isEqualTo(json + ": this is a model JSON without weights: load it together with its weights .h5 file");
    }

    @Test
    @UsesFixtures
    void swappedArguments() {
        Path json = Fixtures.require(LENET + "modelConfig.json");
        assertThat(failure(() -> KerasImporter.load(lenetWeights(), json)).getMessage())
                .startsWith(lenetWeights() + ": expected a model JSON but this is an HDF5 file");
        assertThat(failure(() -> KerasImporter.load(json, json)).getMessage())
                .startsWith(json + ": not a readable HDF5 file (no HDF5 signature");
    }

    @Test
    @UsesFixtures
    void unknownLayerClass() throws IOException {
        Path json = writeJson(lenetJson().replaceFirst("\"MaxPooling2D\"", "\"FancyPooling2D\""));
        assertThat(json).content().contains("FancyPooling2D");
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .isEqualTo(json + ": layer 'max_pooling2d' (FancyPooling2D): unsupported layer class");
    }

    @Test
    @UsesFixtures
    void weightShapeMismatch() throws IOException {
        Path json = editedLenet("dense", c -> c.put("units", 128));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .isEqualTo(lenetWeights()
                        + ": layer 'dense' (Dense): weight 'kernel' has shape [3136, 256] but the layer "
                        + "expects [3136, 128]");
    }

    @Test
    @UsesFixtures
    void convFilterMismatch() throws IOException {
        Path json = editedLenet("conv2d_1", c -> c.put("filters", 48));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .isEqualTo(lenetWeights()
                        + ": layer 'conv2d_1' (Conv2D): weight 'kernel' has shape [3, 3, 32, 64] but the layer expects "
                        + "[3, 3, 32, 48]");
    }

    @Test
    @UsesFixtures
    void missingBias() throws IOException {
        Path json = editedLenet("conv2d", c -> c.put("use_bias", false));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .startsWith(lenetWeights() + ": layer 'conv2d' (Conv2D): the file has 2 weight(s)");
    }

    @Test
    @UsesFixtures
    void missingWeightsGroup() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode root = mapper.readTree(lenetJson());
        ArrayNode layers = (ArrayNode) root.get("config").get("layers");
        ObjectNode extra = mapper.createObjectNode().put("class_name", "Dense");
        extra.putObject("config")
                .put("name", "dense_extra")
                .put("units", 256)
                .put("activation", "relu")
                .put("use_bias", true);
        layers.insert(6, extra); // after dense, before dense_1
        Path p = writeJson(mapper.writeValueAsString(root));
        assertThat(failure(() -> KerasImporter.load(p, lenetWeights())).getMessage())
                .isEqualTo(lenetWeights()
                        + ": layer 'dense_extra' (Dense): no weights in the file (expected group 'dense_extra')");
    }

    @Test
    @UsesFixtures
    void unsupportedActivation() throws IOException {
        Path json = editedLenet("dense_2", c -> c.put("activation", "selu"));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .startsWith(json + ": layer 'dense_2' (Dense): unsupported config value activation='selu'");
    }

    @Test
    @UsesFixtures
    void channelsFirst() throws IOException {
        Path json = editedLenet("conv2d", c -> c.put("data_format", "channels_first"));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .startsWith(json + ": layer 'conv2d' (Conv2D): unsupported config value data_format='channels_first'");
    }

    @Test
    @UsesFixtures
    void groupedConvolution() throws IOException {
        Path json = editedLenet("conv2d", c -> c.put("groups", 2));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .startsWith(json + ": layer 'conv2d' (Conv2D): unsupported config value groups=2");
    }

    @Test
    @UsesFixtures
    void variableSpatialInput() throws IOException {
        Path json = editedLenet("conv2d", c -> {
            ArrayNode shape = c.putArray("batch_input_shape");
            shape.addNull().addNull().addNull().add(1);
        });
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .isEqualTo(json
                        + ": layer 'conv2d' (Conv2D): config 'batch_input_shape' (None, None, None, 1) has an "
                        + "unknown size "
                        + "(None) in dimension 1: only the batch dimension may be unknown");
    }

    @Test
    @UsesFixtures
    void invalidJson() throws IOException {
        Path json = writeJson(lenetJson().substring(0, 300));
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .startsWith(json + ": the model JSON is not valid JSON at line");
        Path notModel = writeJson("{\"hello\": 1}");
        assertThat(failure(() -> KerasImporter.load(notModel, lenetWeights())).getMessage())
                .isEqualTo(notModel + ": the model config has no class_name: not a Keras model config");
    }

    @Test
    @UsesFixtures
    void subclassedModel() throws IOException {
        Path json = writeJson("{\"class_name\": \"MyModel\", \"config\": {\"name\": \"m\"}}");
        assertThat(failure(() -> KerasImporter.load(json, lenetWeights())).getMessage())
                .startsWith(json + ": unsupported model class 'MyModel'");
    }

    @Test
    @UsesFixtures
    void nestedModel() throws IOException {
        String json = """
                {"class_name": "Functional", "config": {"name": "outer",
                  "layers": [
                    {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 4]},
                     "inbound_nodes": []},
                    {"class_name": "Sequential", "name": "inner", "config": {"name": "inner", "layers": []},
                     "inbound_nodes": [[["in", 0, 0, {}]]]}],
                  "input_layers": [["in", 0, 0]], "output_layers": [["inner", 0, 0]]}}
                """;
        Path p = writeJson(json);
        assertThat(failure(() -> KerasImporter.load(p, lenetWeights())).getMessage())
                .startsWith(p + ": layer 'inner' (Sequential): a nested model used as a layer is not supported");
    }

    @Test
    @UsesFixtures
    void reluWithThresholdAndSoftmaxOnAnotherAxis() throws IOException {
        String relu = """
                {"class_name": "Sequential", "config": {"name": "s", "layers": [
                  {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [null, 4, 3]}},
                  {"class_name": "ReLU", "config": {"name": "r", "threshold": 0.5}}]}}
                """;
        Path p = writeJson(relu);
        assertThat(failure(() -> KerasImporter.load(p, lenetWeights())).getMessage())
                .isEqualTo(p + ": layer 'r' (ReLU): unsupported config value threshold=0.5 (only 0 is supported)");
        Path q = writeJson(relu.replace(
                "{\"class_name\": \"ReLU\", \"config\": {\"name\": \"r\", \"threshold\": 0.5}}",
                "{\"class_name\": \"Softmax\", \"config\": {\"name\": \"sm\", \"axis\": 1}}"));
        assertThat(failure(() -> KerasImporter.load(q, lenetWeights())).getMessage())
                .isEqualTo(q + ": layer 'sm' (Softmax): unsupported config value axis=1 "
                        + "(only the last axis is supported)");
    }

    @Test
    @UsesFixtures
    void sharedLayer() throws IOException {
        String json = """
                {"class_name": "Functional", "config": {"name": "m",
                  "layers": [
                    {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 4]},
                     "inbound_nodes": []},
                    {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 4},
                     "inbound_nodes": [[["in", 0, 0, {}]], [["d", 0, 0, {}]]]}],
                  "input_layers": [["in", 0, 0]], "output_layers": [["d", 1, 0]]}}
                """;
        Path p = writeJson(json);
        assertThat(failure(() -> KerasImporter.load(p, lenetWeights())).getMessage())
                .startsWith(p + ": layer 'd' (Dense): the layer is called 2 times (a shared layer)");
    }

    @Test
    @UsesFixtures
    void truncatedKerasArchive() throws IOException {
        Path source = Fixtures.require("mnist/keras3_mlp/mnist_model.keras");
        byte[] bytes = Files.readAllBytes(source);
        Path cut = Files.write(tmp.resolve("cut.keras"), Arrays.copyOf(bytes, bytes.length / 2));
        assertThat(failure(() -> KerasImporter.load(cut)).getMessage())
                .startsWith(cut + ": not a readable .keras (zip) file (");
    }

    @Test
    @UsesFixtures
    void kerasArchiveWithDamagedWeights() throws IOException {
        Path source = Fixtures.require("mnist/keras3_mlp/mnist_model.keras");
        Path out = tmp.resolve("damaged.keras");
        try (ZipFile zip = new ZipFile(source.toFile());
                OutputStream os = Files.newOutputStream(out);
                ZipOutputStream zos = new ZipOutputStream(os)) {
            for (ZipEntry e : zip.stream().toList()) {
                byte[] data = zip.getInputStream(e).readAllBytes();
                if (e.getName().equals("model.weights.h5")) {
                    data = Arrays.copyOf(data, 20_000);
                }
                zos.putNextEntry(new ZipEntry(e.getName()));
                zos.write(data);
                zos.closeEntry();
            }
        }
        assertThat(failure(() -> KerasImporter.load(out)).getMessage())
                .startsWith(out + "!/model.weights.h5: not a readable HDF5 file (truncated: the file has 20000 bytes");

        Path noConfig = tmp.resolve("noconfig.keras");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(noConfig))) {
            zos.putNextEntry(new ZipEntry("metadata.json"));
            zos.write("{}".getBytes());
            zos.closeEntry();
        }
        assertThatThrownBy(() -> KerasImporter.load(noConfig))
                .isInstanceOf(QuantaException.class)
                .hasMessage(noConfig + ": a zip archive without config.json: not a Keras 3 .keras file");
    }
}
