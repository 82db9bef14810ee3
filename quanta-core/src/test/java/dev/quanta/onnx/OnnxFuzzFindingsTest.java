package dev.quanta.onnx;

import static dev.quanta.onnx.OnnxReaderTest.tensor;
import static dev.quanta.onnx.OnnxReaderTest.valueInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.runtime.Interpreter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bugs {@code OnnxFuzzIT}'s mutants found, each on a tiny model built in code: every one now ends in a one-line
 * {@link QuantaException} instead of another exception, a multi-line message or a huge allocation.
 */
class OnnxFuzzFindingsTest {
    @TempDir
    Path tmp;

    private Path write(String name, GraphProto.Builder g) throws IOException {
        ModelProto m = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g)
                .build();
        return Files.write(tmp.resolve(name), m.toByteArray());
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    private static void assertOneLine(
            Path file, org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        assertThatThrownBy(call)
                .isInstanceOf(QuantaException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .startsWith(file.toString())
                        .doesNotContain("\n")
                        .contains(parts));
    }

    @Test
    void aNodeWithoutOutputsIsRefusedInsteadOfIndexOutOfBounds() throws IOException {
        Path f = write(
                "no-output.onnx",
                GraphProto.newBuilder()
                        .addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 2))
                        .addOutput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 2))
                        .addNode(NodeProto.newBuilder()
                                .setName("r")
                                .setOpType("Relu")
                                .addInput("x")));
        assertOneLine(f, () -> ModelFiles.load(f), "node 'r' (Relu)", "has no output");
    }

    @Test
    void namesWithLineBreaksAreEscapedInErrors() throws IOException {
        Path f = write(
                "names.onnx",
                GraphProto.newBuilder()
                        .addInput(ValueInfoProto.newBuilder().setName("in\nput\u2028"))
                        .addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 1)));
        assertOneLine(f, () -> ModelFiles.load(f), "graph input 'in\\u000aput\\u2028' is not a tensor");
    }

    @Test
    void dropoutsMaskOfATensorPastTheElementLimitIsRefusedBeforeAllocating() throws IOException {
        // Pad makes [1, 1, 40001, 40001] (1.6e9 elements) from a one-element input: the mask would be that large
        Path f = write(
                "dropout.onnx",
                GraphProto.newBuilder()
                        .addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 1, 1, 1))
                        .addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 1, 1, 40001, 40001))
                        .addInitializer(tensor("pads", TensorProto.DataType.INT64_VALUE, 8)
                                .addInt64Data(0)
                                .addInt64Data(0)
                                .addInt64Data(20000)
                                .addInt64Data(20000)
                                .addInt64Data(0)
                                .addInt64Data(0)
                                .addInt64Data(20000)
                                .addInt64Data(20000))
                        .addNode(NodeProto.newBuilder()
                                .setName("pad")
                                .setOpType("Pad")
                                .addInput("x")
                                .addInput("pads")
                                .addOutput("p"))
                        .addNode(NodeProto.newBuilder()
                                .setName("drop")
                                .setOpType("Dropout")
                                .addInput("p")
                                .addOutput("y")
                                .addOutput("mask")));
        assertOneLine(f, () -> ModelFiles.load(f), "tensor 'mask'", "claim more than");
    }

    @Test
    void constantOfShapeOfTwoToThe28Int64sIsRefusedInsteadOfOverflowingTheByteCount() throws IOException {
        // 2^28 elements is within the element limit, but 2^28 x 8 bytes overflowed the int byte count
        Path f = write(
                "cos.onnx",
                GraphProto.newBuilder()
                        .addOutput(valueInfo("y", TensorProto.DataType.INT64_VALUE, 1L << 28))
                        .addInitializer(tensor("shape", TensorProto.DataType.INT64_VALUE, 1)
                                .addInt64Data(1L << 28))
                        .addNode(NodeProto.newBuilder()
                                .setName("fill")
                                .setOpType("ConstantOfShape")
                                .addInput("shape")
                                .addOutput("y")
                                .addAttribute(AttributeProto.newBuilder()
                                        .setName("value")
                                        .setType(AttributeProto.AttributeType.TENSOR)
                                        .setT(tensor("v", TensorProto.DataType.INT64_VALUE, 1)
                                                .addInt64Data(7)))));
        assertOneLine(f, () -> ModelFiles.load(f), "node 'fill' (ConstantOfShape)", "2147483648 bytes");
    }

    private static NodeProto fill(String name) {
        return NodeProto.newBuilder()
                .setName(name)
                .setOpType("ConstantOfShape")
                .addInput(name + "_shape")
                .addOutput(name)
                .addAttribute(AttributeProto.newBuilder()
                        .setName("value")
                        .setType(AttributeProto.AttributeType.TENSOR)
                        .setT(tensor("v", TensorProto.DataType.FLOAT_VALUE, 1).addFloatData(0.5f)))
                .build();
    }

    @Test
    void constantsComputedPastTheImportBudgetAreRefusedBeforeAllocating() throws IOException {
        // each fill is within the element limit; together 2^24 + 2^28 floats pass the 1 GiB budget, so the second is
        // refused before its 1 GiB is allocated
        long small = 1L << 24;
        long big = 1L << 28;
        Path f = write(
                "fills.onnx",
                GraphProto.newBuilder()
                        .addOutput(valueInfo("small", TensorProto.DataType.FLOAT_VALUE, small))
                        .addOutput(valueInfo("big", TensorProto.DataType.FLOAT_VALUE, big))
                        .addInitializer(tensor("small_shape", TensorProto.DataType.INT64_VALUE, 1)
                                .addInt64Data(small))
                        .addInitializer(tensor("big_shape", TensorProto.DataType.INT64_VALUE, 1)
                                .addInt64Data(big))
                        .addNode(fill("small"))
                        .addNode(fill("big")));
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertOneLine(
                f,
                () -> ModelFiles.load(f),
                "node 'big' (ConstantOfShape)",
                "would bring the constants computed while importing to 1140850688 bytes",
                "budget of 1073741824 bytes");
        assertThat(threads.getCurrentThreadAllocatedBytes() - before)
                .as("bytes allocated by the refused import")
                .isLessThan(256L << 20);
    }

    @Test
    void aConvTransposeWhoseDilationsClaimAHugeOutputIsRefusedBeforeAllocating() throws IOException {
        Path f = write(
                "ct.onnx",
                GraphProto.newBuilder()
                        .addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 1, 3, 3))
                        .addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 1, 1, 3, 3))
                        .addInitializer(tensor("w", TensorProto.DataType.FLOAT_VALUE, 1, 1, 3, 3)
                                .addAllFloatData(java.util.Collections.nCopies(9, 1f)))
                        .addNode(NodeProto.newBuilder()
                                .setName("up")
                                .setOpType("ConvTranspose")
                                .addInput("x")
                                .addInput("w")
                                .addOutput("y")
                                .addAttribute(ints("dilations", 100_000, 100_000))));
        assertOneLine(f, () -> ModelFiles.load(f), "node 'up' (ConvTranspose)", "is too large");
    }

    @Test
    void aConvWhoseDilationNeedsAHugePaddedCopyIsRefusedByTheInterpreter() throws IOException {
        // SAME_UPPER with dilation 10^8: the kernel spans 2*10^8+1 columns, so the padded input would too
        Path f = write(
                "dilated.onnx",
                GraphProto.newBuilder()
                        .addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 1, 8, 8))
                        .addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 1, 1, 8, 8))
                        .addInitializer(tensor("w", TensorProto.DataType.FLOAT_VALUE, 1, 1, 3, 3)
                                .setRawData(OnnxReaderTest.le(36, b -> {
                                    for (int i = 0; i < 9; i++) {
                                        b.putFloat(1f);
                                    }
                                })))
                        .addNode(NodeProto.newBuilder()
                                .setName("conv")
                                .setOpType("Conv")
                                .addInput("x")
                                .addInput("w")
                                .addOutput("y")
                                .addAttribute(ints("dilations", 1, 100_000_000))
                                .addAttribute(AttributeProto.newBuilder()
                                        .setName("auto_pad")
                                        .setType(AttributeProto.AttributeType.STRING)
                                        .setS(com.google.protobuf.ByteString.copyFromUtf8("SAME_UPPER")))));
        Model m = ModelFiles.load(f);
        try (Interpreter in = new Interpreter(m)) {
            assertThatThrownBy(in::allocateTensors)
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("padded input")
                    .hasMessageContaining("more than 268435456 elements");
        }
    }

    /** A LeakyRelu whose alpha attribute declares {@code type} and holds 1 in the int field, 0.5 in the float one. */
    private Path leakyRelu(String name, AttributeProto.AttributeType type) throws IOException {
        return write(
                name,
                GraphProto.newBuilder()
                        .addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 1, 4))
                        .addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 1, 4))
                        .addNode(NodeProto.newBuilder()
                                .setName("lr")
                                .setOpType("LeakyRelu")
                                .addInput("x")
                                .addOutput("y")
                                .addAttribute(AttributeProto.newBuilder()
                                        .setName("alpha")
                                        .setType(type)
                                        .setI(1)
                                        .setF(0.5f))));
    }

    @Test
    void anAttributeOfAnotherTypeIsRefusedInsteadOfReadAsZero() throws IOException {
        Path wrong = leakyRelu("wrong-type.onnx", AttributeProto.AttributeType.INT);
        assertOneLine(wrong, () -> ModelFiles.load(wrong), "node 'lr'", "attribute 'alpha' is INT, expected FLOAT");

        Path right = leakyRelu("right-type.onnx", AttributeProto.AttributeType.FLOAT);
        Model m = ModelFiles.load(right);
        try (Interpreter in = new Interpreter(m)) {
            float[] y = new float[4];
            in.run(new float[] {-2f, -1f, 0f, 3f}, y);
            assertThat(y).containsExactly(-1f, -0.5f, 0f, 3f);
        }
    }
}
