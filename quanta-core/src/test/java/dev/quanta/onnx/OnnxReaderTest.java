package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.quanta.QuantaException;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.TensorShapeProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.runtime.Interpreter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX reader on tiny files built in code: every initializer type from raw_data and from the typed fields,
 * external data, and bad input (sizes that do not match, hostile dims, truncated files, other domains and opsets)
 * ending in a one-line error that names the file and what is wrong, before anything is allocated.
 */
class OnnxReaderTest {
    @TempDir
    Path tmp;

    private static final Path FILE = Path.of("t.onnx");

    static ByteString le(int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return ByteString.copyFrom(b.array());
    }

    static TensorProto.Builder tensor(String name, int type, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
        for (long d : dims) {
            t.addDims(d);
        }
        return t;
    }

    static OnnxTensors.Decoded decode(TensorProto t) {
        return OnnxTensors.decode(t, FILE, null);
    }

    @Test
    void decodesFloatFromRawDataAndFromFloatData() {
        TensorProto raw = tensor("w", TensorProto.DataType.FLOAT_VALUE, 2, 2)
                .setRawData(
                        le(16, b -> b.putFloat(1.5f).putFloat(-2f).putFloat(0f).putFloat(3.25f)))
                .build();
        TensorProto typed = tensor("w", TensorProto.DataType.FLOAT_VALUE, 2, 2)
                .addAllFloatData(java.util.List.of(1.5f, -2f, 0f, 3.25f))
                .build();
        for (TensorProto t : new TensorProto[] {raw, typed}) {
            OnnxTensors.Decoded d = decode(t);
            assertThat(d.dtype()).isEqualTo(DType.FLOAT32);
            assertThat(d.dims()).containsExactly(2, 2);
            assertThat(d.data().floats()).containsExactly(1.5f, -2f, 0f, 3.25f);
        }
    }

    @Test
    void decodesEveryIntegerTypeFromRawAndTypedFields() {
        // INT8, UINT8, INT16 and BOOL live in int32_data; INT64 in int64_data
        assertThat((byte[]) decode(tensor("a", TensorProto.DataType.INT8_VALUE, 3)
                                .addAllInt32Data(java.util.List.of(-128, 5, 127))
                                .build())
                        .data()
                        .toArray())
                .containsExactly(-128, 5, 127);
        assertThat((byte[]) decode(tensor("a", TensorProto.DataType.INT8_VALUE, 3)
                                .setRawData(ByteString.copyFrom(new byte[] {-128, 5, 127}))
                                .build())
                        .data()
                        .toArray())
                .containsExactly(-128, 5, 127);
        OnnxTensors.Decoded u8 = decode(tensor("a", TensorProto.DataType.UINT8_VALUE, 2)
                .addAllInt32Data(java.util.List.of(255, 7))
                .build());
        assertThat(u8.dtype()).isEqualTo(DType.UINT8);
        assertThat(OnnxTensors.longs(u8.data())).containsExactly(255, 7);
        assertThat((short[]) decode(tensor("a", TensorProto.DataType.INT16_VALUE, 2)
                                .addAllInt32Data(java.util.List.of(-32768, 1234))
                                .build())
                        .data()
                        .toArray())
                .containsExactly((short) -32768, (short) 1234);
        assertThat((short[]) decode(tensor("a", TensorProto.DataType.INT16_VALUE, 2)
                                .setRawData(
                                        le(4, b -> b.putShort((short) -32768).putShort((short) 1234)))
                                .build())
                        .data()
                        .toArray())
                .containsExactly((short) -32768, (short) 1234);
        assertThat((int[]) decode(tensor("a", TensorProto.DataType.INT32_VALUE, 2)
                                .setRawData(
                                        le(8, b -> b.putInt(Integer.MIN_VALUE).putInt(42)))
                                .build())
                        .data()
                        .toArray())
                .containsExactly(Integer.MIN_VALUE, 42);
        assertThat((long[]) decode(tensor("a", TensorProto.DataType.INT64_VALUE, 2)
                                .addAllInt64Data(java.util.List.of(Long.MIN_VALUE, 1L << 40))
                                .build())
                        .data()
                        .toArray())
                .containsExactly(Long.MIN_VALUE, 1L << 40);
        assertThat((long[]) decode(tensor("a", TensorProto.DataType.INT64_VALUE, 2)
                                .setRawData(le(16, b -> b.putLong(-3).putLong(1L << 40)))
                                .build())
                        .data()
                        .toArray())
                .containsExactly(-3L, 1L << 40);
        OnnxTensors.Decoded bool = decode(tensor("b", TensorProto.DataType.BOOL_VALUE, 3)
                .addAllInt32Data(java.util.List.of(1, 0, 1))
                .build());
        assertThat(bool.dtype()).isEqualTo(DType.BOOL);
        assertThat((byte[]) bool.data().toArray()).containsExactly(1, 0, 1);
        assertThat((byte[]) decode(tensor("b", TensorProto.DataType.BOOL_VALUE, 3)
                                .setRawData(ByteString.copyFrom(new byte[] {0, 1, 1}))
                                .build())
                        .data()
                        .toArray())
                .containsExactly(0, 1, 1);
    }

    @Test
    void decodesFloat16FromRawAndFromInt32Bits() {
        short one = Float.floatToFloat16(1f);
        short half = Float.floatToFloat16(-0.5f);
        OnnxTensors.Decoded raw = decode(tensor("h", TensorProto.DataType.FLOAT16_VALUE, 2)
                .setRawData(le(4, b -> b.putShort(one).putShort(half)))
                .build());
        OnnxTensors.Decoded typed = decode(tensor("h", TensorProto.DataType.FLOAT16_VALUE, 2)
                .addAllInt32Data(java.util.List.of(one & 0xffff, half & 0xffff))
                .build());
        for (OnnxTensors.Decoded d : new OnnxTensors.Decoded[] {raw, typed}) {
            assertThat(d.dtype()).isEqualTo(DType.FLOAT16);
            assertThat(OnnxTensors.floats(d.data())).containsExactly(1f, -0.5f);
        }
    }

    @Test
    void refusesTypesTheRuntimeCannotRunNamingTensorAndType() {
        TensorProto dbl = tensor("scale", TensorProto.DataType.DOUBLE_VALUE, 1)
                .addDoubleData(0.5)
                .build();
        assertOneLine(() -> decode(dbl), "t.onnx", "tensor 'scale'", "DOUBLE");
        TensorProto str = tensor("labels", TensorProto.DataType.STRING_VALUE, 1)
                .addStringData(ByteString.copyFromUtf8("x"))
                .build();
        assertOneLine(() -> decode(str), "tensor 'labels'", "STRING");
    }

    @Test
    void refusesSizesThatDoNotMatchTheData() {
        TensorProto shortRaw = tensor("w", TensorProto.DataType.FLOAT_VALUE, 3)
                .setRawData(ByteString.copyFrom(new byte[8]))
                .build();
        assertOneLine(() -> decode(shortRaw), "tensor 'w'", "need 12 bytes of raw_data, found 8");
        TensorProto fewTyped =
                tensor("w", TensorProto.DataType.INT64_VALUE, 4).addInt64Data(1).build();
        assertOneLine(() -> decode(fewTyped), "tensor 'w'", "hold 4 elements but int64_data has 1");
        TensorProto negative = tensor("w", TensorProto.DataType.FLOAT_VALUE, -1).build();
        assertOneLine(() -> decode(negative), "tensor 'w'", "dimension 0 is -1");
    }

    @Test
    void aTensorClaimingTenToTheTwelveElementsIsRefusedWithoutAllocating() {
        TensorProto huge = tensor("big", TensorProto.DataType.FLOAT_VALUE, 1_000_000, 1_000_000)
                .setRawData(ByteString.copyFrom(new byte[16]))
                .build();
        assertOneLine(() -> decode(huge), "tensor 'big'", "claim more than");
        TensorProto overflow = tensor("big", TensorProto.DataType.INT64_VALUE, 1L << 31 - 1, 1L << 31 - 1, 1L << 31 - 1)
                .build();
        assertOneLine(() -> decode(overflow), "tensor 'big'", "claim more than");
    }

    @Test
    void readsExternalDataInsideTheModelFolderAndRefusesPathsOutsideIt() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        byte[] data = new byte[4 + 12];
        ByteBuffer.wrap(data, 4, 12)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1f)
                .putFloat(2f)
                .putFloat(-3f);
        Files.write(dir.resolve("weights.bin"), data);
        TensorProto ext = external("w", "weights.bin", "4", "12");
        OnnxTensors.Decoded d = OnnxTensors.decode(ext, dir.resolve("m.onnx"), dir);
        assertThat(d.data().floats()).containsExactly(1f, 2f, -3f);

        Files.write(tmp.resolve("secret.bin"), new byte[12]);
        assertOneLine(
                () -> OnnxTensors.decode(external("w", "../secret.bin", "0", "12"), dir.resolve("m.onnx"), dir),
                "tensor 'w'",
                "leaves the model folder");
        assertOneLine(
                () -> OnnxTensors.decode(external("w", "weights.bin", "8", "12"), dir.resolve("m.onnx"), dir),
                "tensor 'w'",
                "too few for 12 bytes at offset 8");
        assertOneLine(
                () -> OnnxTensors.decode(external("w", "weights.bin", "0", "8"), dir.resolve("m.onnx"), dir),
                "external data length 8 but its dims need 12 bytes");
        assertOneLine(
                () -> OnnxTensors.decode(external("w", "missing.bin", "0", "12"), dir.resolve("m.onnx"), dir),
                "'missing.bin' not found");
    }

    private static TensorProto external(String name, String location, String offset, String length) {
        return tensor(name, TensorProto.DataType.FLOAT_VALUE, 3)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("offset").setValue(offset))
                .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("length").setValue(length))
                .build();
    }

    /** x [1, 2] → Add with an int initializer cast to float → y; a real model to read and truncate. */
    static ModelProto addModel(int opset, String domain) {
        GraphProto g = GraphProto.newBuilder()
                .setName("g")
                .addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 2))
                .addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 1, 2))
                .addInitializer(tensor("b", TensorProto.DataType.INT64_VALUE, 2)
                        .addInt64Data(10)
                        .addInt64Data(-4))
                .addNode(NodeProto.newBuilder()
                        .setName("cast_b")
                        .setOpType("Cast")
                        .addInput("b")
                        .addOutput("bf")
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("to")
                                .setType(AttributeProto.AttributeType.INT)
                                .setI(TensorProto.DataType.FLOAT_VALUE)))
                .addNode(NodeProto.newBuilder()
                        .setName("plus")
                        .setOpType("Add")
                        .setDomain(domain)
                        .addInput("x")
                        .addInput("bf")
                        .addOutput("y"))
                .build();
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g)
                .build();
    }

    static ValueInfoProto valueInfo(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(
                                TypeProto.Tensor.newBuilder().setElemType(type).setShape(s)))
                .build();
    }

    @Test
    void importsAndRunsATinyModelThroughModelFiles() throws IOException {
        Path f = tmp.resolve("add.onnx");
        Files.write(f, addModel(13, "").toByteArray());
        Model m = ModelFiles.load(f);
        assertThat(m.ops()).extracting(op -> op.origin().layerName()).containsExactly("plus");
        float[] y = new float[2];
        try (Interpreter in = new Interpreter(m)) {
            in.run(new float[] {0.5f, 1f}, y);
        }
        assertThat(y).containsExactly(10.5f, -3f);
    }

    @Test
    void refusesOtherDomainsAndOpsetsNamingThem() throws IOException {
        Path f = tmp.resolve("ml.onnx");
        Files.write(f, addModel(13, "com.microsoft").toByteArray());
        assertOneLine(() -> ModelFiles.load(f), f.toString(), "node 'plus'", "Add", "com.microsoft");
        Path g = tmp.resolve("new.onnx");
        Files.write(g, addModel(23, "").toByteArray());
        assertOneLine(() -> ModelFiles.load(g), "opset 23 is not supported");
        Path h = tmp.resolve("old.onnx");
        Files.write(h, addModel(6, "").toByteArray());
        assertOneLine(() -> ModelFiles.load(h), "opset 6 is not supported");
    }

    @Test
    void everyTruncationOfAModelEndsInAModelOrAOneLineError() throws IOException {
        byte[] whole = addModel(13, "").toByteArray();
        int errors = 0;
        for (int len = 0; len < whole.length; len++) {
            Path f = tmp.resolve("cut" + len + ".onnx");
            Files.write(f, Arrays.copyOf(whole, len));
            try {
                ModelFiles.load(f);
            } catch (QuantaException e) {
                assertThat(e.getMessage()).startsWith(f.toString()).doesNotContain("\n");
                errors++;
            }
        }
        assertThat(errors).as("truncated files refused").isGreaterThan(whole.length / 2);
    }

    private static void assertOneLine(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        assertThatThrownBy(call)
                .isInstanceOf(QuantaException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").contains(parts));
    }
}
