package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layout of written files, operator versions, and the file-system side of {@link TfliteWriter#write}. */
class TfliteWriterTest {

    @TempDir
    Path tmp;

    /** builtin code -> version of the operator codes that the file's operators use. */
    private static Map<Integer, Integer> usedVersions(TfliteFile f) {
        List<TfliteFile.OperatorCode> codes = f.operatorCodes();
        Map<Integer, Integer> out = new HashMap<>();
        for (TfliteFile.OperatorDef op : f.mainSubgraph().operators()) {
            TfliteFile.OperatorCode c = codes.get((int) op.opcodeIndex());
            out.merge(c.code(), c.version(), Math::max);
        }
        return out;
    }

    @Test
    @UsesFixtures
    void writtenFilesFollowTheSchemaConventions() {
        Path ic = Fixtures.require("mlperf-tiny/ic/pretrainedResnet_quant.tflite");
        byte[] bytes = TfliteWriter.toBytes(TfliteReader.read(ic));
        assertThat(new String(bytes, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("TFL3");
        TfliteFile f = TfliteFile.open(Path.of("written.tflite"), bytes);
        assertThat(f.description()).isEqualTo("Quanta");
        assertThat(f.subgraphCount()).isEqualTo(1);
        assertThat(f.bufferData(0, "test")).isEmpty();
        TfliteFile.SubGraph g = f.mainSubgraph();
        int constants = 0;
        for (TfliteFile.TensorDef t : g.tensors()) {
            byte[] data = f.bufferData(t.buffer(), "test");
            if (data.length > 0) {
                constants++;
                assertThat(f.bufferDataPosition((int) t.buffer()) % 16)
                        .as(t.describe() + " data alignment")
                        .isZero();
            } else {
                assertThat(t.buffer()).as("activations use buffer 0").isZero();
            }
        }
        assertThat(f.bufferCount()).as("buffer 0 plus one per constant").isEqualTo(constants + 1);
        TfliteFile.TensorDef input = g.tensors().get(g.inputs()[0]);
        assertThat(input.shape()).containsExactly(1, 32, 32, 3);
        assertThat(input.shapeSignature()).containsExactly(-1, 32, 32, 3);
        for (TfliteFile.OperatorCode c : f.operatorCodes()) {
            assertThat(c.builtinCode()).isEqualTo(c.code());
            assertThat(c.deprecatedBuiltinCode()).isEqualTo(Math.min(c.builtinCode(), 127));
        }
    }

    /** On the converter's own files (no hybrid ops), the writer picks the versions the converter picked. */
    @Test
    @UsesFixtures
    void operatorVersionsMatchTheConvertersOnItsFiles() {
        for (String fixture : List.of(
                "mlperf-tiny/ic/pretrainedResnet.tflite",
                "mlperf-tiny/ic/pretrainedResnet_quant.tflite",
                "mlperf-tiny/kws/kws_ref_model.tflite",
                "mlperf-tiny/vww/vww_96_float.tflite",
                "mlperf-tiny/vww/vww_96_int8.tflite",
                "mlperf-tiny/ad/ad01_int8.tflite",
                "mlperf-tiny/ad/model_ToyCar_quant_fullint_floatio.tflite",
                "tflite-micro/hello_world/hello_world_int8.tflite",
                "mlperf-tiny/sww/str_ww_ref_model.tflite")) {
            Path file = Fixtures.require(fixture);
            Map<Integer, Integer> original = usedVersions(TfliteFile.open(file, TfliteSamples.bytes(file)));
            byte[] written = TfliteWriter.toBytes(TfliteReader.read(file));
            Map<Integer, Integer> ours = usedVersions(TfliteFile.open(Path.of("w"), written));
            assertThat(ours).as(fixture).isEqualTo(original);
        }
        // int8 CONV_2D 3, DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 4, pools/softmax/ADD 2, RESHAPE 1
        Path kws = Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite");
        Map<Integer, Integer> v = usedVersions(TfliteFile.open(kws, TfliteWriter.toBytes(TfliteReader.read(kws))));
        assertThat(v)
                .containsEntry(TfliteSchema.OP_CONV_2D, 3)
                .containsEntry(TfliteSchema.OP_DEPTHWISE_CONV_2D, 3)
                .containsEntry(TfliteSchema.OP_FULLY_CONNECTED, 4)
                .containsEntry(TfliteSchema.OP_AVERAGE_POOL_2D, 2)
                .containsEntry(TfliteSchema.OP_SOFTMAX, 2)
                .containsEntry(TfliteSchema.OP_RESHAPE, 1);
    }

    /**
     * Hybrid (float input, INT8 weights) dense layers keep the file's asymmetric_quantize_inputs (ToyCar's: off,
     * version 3, as its converter wrote); Quanta's own dynamic-range layers get it on, version 9, as current
     * converters write them.
     */
    @Test
    @UsesFixtures
    void hybridFullyConnectedKeepsItsInputQuantization() {
        Path file = Fixtures.require("mlperf-tiny/ad/model_ToyCar_quant_dynamic_range.tflite");
        TfliteFile f = TfliteFile.open(Path.of("w"), TfliteWriter.toBytes(TfliteReader.read(file)));
        assertThat(usedVersions(f)).containsExactly(Map.entry(TfliteSchema.OP_FULLY_CONNECTED, 3));
        for (TfliteFile.OperatorDef op : f.mainSubgraph().operators()) {
            assertThat(TfliteOptions.FullyConnected.read(op.options()).asymmetricQuantizeInputs())
                    .isFalse();
        }
        dev.quanta.ir.Model dynamic = dev.quanta.quantize.Converter.fromModel(
                        dev.quanta.io.ModelFiles.load(Fixtures.require("mnist/keras_mlp/mnist.h5")))
                .withConfig(dev.quanta.quantize.QuantizationConfig.defaults()
                        .withMode(dev.quanta.quantize.QuantizationMode.DYNAMIC))
                .convert()
                .model();
        TfliteFile d = TfliteFile.open(Path.of("d"), TfliteWriter.toBytes(dynamic));
        assertThat(usedVersions(d)).containsEntry(TfliteSchema.OP_FULLY_CONNECTED, 9);
        for (TfliteFile.OperatorDef op : d.mainSubgraph().operators()) {
            if (op.optionsType() == TfliteSchema.BO_FULLY_CONNECTED) {
                assertThat(TfliteOptions.FullyConnected.read(op.options()).asymmetricQuantizeInputs())
                        .isTrue();
            }
        }
    }

    @Test
    void opNamesFollowTheSchema() {
        assertThat(TfliteSchema.opName(0)).isEqualTo("ADD");
        assertThat(TfliteSchema.opName(44)).isEqualTo("UNIDIRECTIONAL_SEQUENCE_LSTM");
        assertThat(TfliteSchema.opName(98)).isEqualTo("LEAKY_RELU");
        assertThat(TfliteSchema.opName(114)).isEqualTo("QUANTIZE");
        assertThat(TfliteSchema.opName(127)).isEqualTo("PLACEHOLDER_FOR_GREATER_OP_CODES");
        assertThat(TfliteSchema.opName(161)).isEqualTo("RIGHT_SHIFT");
        assertThat(TfliteSchema.opName(202)).isEqualTo("STABLEHLO_TRANSPOSE");
        assertThat(TfliteSchema.opName(999)).isEqualTo("builtin code 999");
    }

    private static Model withBatchNorm() {
        ModelBuilder b = new ModelBuilder("bn");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor y = b.add(
                OpType.BATCH_NORM,
                "bn",
                new Origin("batch_normalization", "BatchNormalization"),
                new OpAttributes.BatchNorm(1e-3f, -1, false, false),
                x,
                b.nonTrainableConstant("mean", Shape.of(4), new float[4]),
                b.nonTrainableConstant("var", Shape.of(4), new float[] {1, 1, 1, 1}));
        return b.output(y).build(ModelMetadata.inMemory());
    }

    @Test
    void batchNormAndIdentityHaveNoTfliteOp() {
        assertThatThrownBy(() -> TfliteWriter.toBytes(withBatchNorm()))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("batch_normalization")
                .hasMessageContaining("BATCH_NORM")
                .hasMessageContaining("fold BatchNorm first");
        ModelBuilder b = new ModelBuilder("id");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor y = b.add(OpType.IDENTITY, "dropout", new Origin("dropout", "Dropout"), OpAttributes.None.INSTANCE, x);
        Tensor z = CoreModels.relu(b, "relu", y);
        Model m = b.output(z).build(ModelMetadata.inMemory());
        assertThatThrownBy(() -> TfliteWriter.toBytes(m))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("dropout")
                .hasMessageContaining("IDENTITY");
    }

    private List<Path> listTmp() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path out = tmp.resolve("model.tflite");
        Files.writeString(out, "old contents");
        TfliteWriter.write(CoreModels.tinyDense(), out);
        assertThat(listTmp()).containsExactly(out);
        Model back = TfliteReader.read(out);
        assertThat(back.metadata().sourceFormat()).isEqualTo(SourceFormat.TFLITE);
        assertThat(back.metadata().source()).isEqualTo(out.toString());
        assertThat(Files.readAllBytes(out)).isEqualTo(TfliteWriter.toBytes(CoreModels.tinyDense()));
    }

    @Test
    void aFailedWriteLeavesTheTargetAloneAndNoTemporaryFile() throws IOException {
        Path out = tmp.resolve("model.tflite");
        Files.writeString(out, "old contents");
        assertThatThrownBy(() -> TfliteWriter.write(withBatchNorm(), out)).isInstanceOf(QuantaException.class);
        assertThat(Files.readString(out)).isEqualTo("old contents");
        assertThat(listTmp()).containsExactly(out);
    }

    @Test
    @UsesFixtures
    void refusesToOverwriteTheModelsOwnSource() throws IOException {
        Path copy = tmp.resolve("hello.tflite");
        Files.copy(Fixtures.require("tflite-micro/hello_world/hello_world_float.tflite"), copy);
        byte[] before = Files.readAllBytes(copy);
        Model m = TfliteReader.read(copy);
        Files.createDirectory(tmp.resolve("sub"));
        Path link = Files.createSymbolicLink(tmp.resolve("link.tflite"), copy);
        Path hard = Files.createLink(tmp.resolve("hard.tflite"), copy);
        for (Path same : List.of(copy, tmp.resolve("sub/../hello.tflite"), tmp.resolve("./hello.tflite"), link, hard)) {
            assertThatThrownBy(() -> TfliteWriter.write(m, same))
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("is the same file as the input model source");
        }
        assertThat(Files.readAllBytes(copy)).isEqualTo(before);
        TfliteWriter.write(m, tmp.resolve("hello_copy.tflite")); // another path is fine
        assertThat(listTmp())
                .extracting(p -> p.getFileName().toString())
                .containsExactly("hard.tflite", "hello.tflite", "hello_copy.tflite", "link.tflite", "sub");
    }

    @Test
    void anUnwritableDirectoryGivesAOneLineErrorNamingThePath() throws IOException {
        Path notADir = Files.writeString(tmp.resolve("plain-file"), "x");
        Path out = notADir.resolve("model.tflite");
        assertThatThrownBy(() -> TfliteWriter.write(CoreModels.tinyDense(), out))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(out.toString())
                .hasMessageNotContaining("\n");
        Path missing = tmp.resolve("no/such/dir/model.tflite");
        assertThatThrownBy(() -> TfliteWriter.write(CoreModels.tinyDense(), missing))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(missing.toString())
                .hasMessageContaining("does not exist");
        assertThat(listTmp()).containsExactly(notADir);
    }
}
