package dev.quanta.onnx;

import static dev.quanta.onnx.OnnxLayoutOrtTest.intAttr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.UsesOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ops whose output is a constant when their inputs are (ONNX's node suite feeds those inputs at run time, which Quanta
 * does not take): Range of float32 scalars and HannWindow, HammingWindow and BlackmanWindow (periodic and symmetric),
 * each added to or multiplied with a graph input, against ONNX Runtime.
 */
@UsesOracle
class OnnxGeneratorsOrtTest {
    @TempDir
    Path tmp;

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addFloatData(v)
                .build();
    }

    private static TensorProto longScalar(String name, long v) {
        return TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addInt64Data(v)
                .build();
    }

    private static NodeProto node(String op, List<String> in, String out) {
        return NodeProto.newBuilder()
                .setOpType(op)
                .addAllInput(in)
                .addOutput(out)
                .build();
    }

    @Test
    void rangeAndWindowsAgreeWithOnnxRuntime() throws Exception {
        int n = 7; // ⌈(2.5 − (−1)) / 0.5⌉ = 7
        GraphProto g = GraphProto.newBuilder()
                .setName("generators")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 4, n))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 4, n))
                .addInitializer(scalar("start", -1f))
                .addInitializer(scalar("limit", 2.5f))
                .addInitializer(scalar("delta", 0.5f))
                .addInitializer(longScalar("size", n))
                .addNode(node("Range", List.of("start", "limit", "delta"), "r"))
                .addNode(node("HannWindow", List.of("size"), "hann"))
                .addNode(node("HammingWindow", List.of("size"), "hamming").toBuilder()
                        .addAttribute(intAttr("periodic", 0))
                        .build())
                .addNode(node("BlackmanWindow", List.of("size"), "blackman"))
                .addNode(node("Concat", List.of("r", "hann", "hamming", "blackman"), "all").toBuilder()
                        .addAttribute(intAttr("axis", 0))
                        .build())
                .addInitializer(OnnxLayoutOrtTest.longs("shape", 4, n))
                .addNode(node("Reshape", List.of("all", "shape"), "table"))
                .addNode(node("Add", List.of("x", "table"), "y"))
                .build();
        ModelProto mp = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g)
                .build();
        Path f = tmp.resolve("generators.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        float[] x = new float[4 * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.25f - 3;
        }
        float[] y = new float[4 * n];
        try (Interpreter in = new Interpreter(m)) {
            in.run(x, y);
        }
        float[] expected = OnnxLayoutOrtTest.ort(mp, x, new long[] {4, n})[0];
        for (int i = 0; i < y.length; i++) {
            assertThat(y[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }
}
