package dev.quanta.onnx;

import static dev.quanta.onnx.OnnxQdqFoldingTest.FLOAT;
import static dev.quanta.onnx.OnnxQdqFoldingTest.INT8;
import static dev.quanta.onnx.OnnxQdqFoldingTest.floatBytes;
import static dev.quanta.onnx.OnnxQdqFoldingTest.ints;
import static dev.quanta.onnx.OnnxQdqFoldingTest.node;
import static dev.quanta.onnx.OnnxQdqFoldingTest.tensor;
import static dev.quanta.onnx.OnnxQdqFoldingTest.valueInfo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.QuantParams;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Transpose of an int8 tensor between QuantizeLinear and DequantizeLinear (as Quanta's QDQ writer puts one after the
 * input of an NCHW model) keeps the tensor's scale and zero point: its output is the same integers, moved.
 */
class OnnxQuantizedTransposeTest {
    @TempDir
    Path dir;

    @Test
    void transposeOfQuantizedValuesKeepsTheirParameters() throws Exception {
        GraphProto g = GraphProto.newBuilder()
                .setName("t")
                .addInput(valueInfo("x", FLOAT, 2, 3))
                .addOutput(valueInfo("y", INT8, 3, 2))
                .addInitializer(tensor("s", FLOAT, new long[0], floatBytes(new float[] {0.5f})))
                .addInitializer(tensor("zp", INT8, new long[0], new byte[] {-3}))
                .addNode(node("QuantizeLinear", List.of("x", "s", "zp"), "q"))
                .addNode(node("Transpose", List.of("q"), "y", ints("perm", 1, 0)))
                .build();
        Path file = dir.resolve("t.onnx");
        Files.write(
                file,
                ModelProto.newBuilder()
                        .setIrVersion(8)
                        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                        .setGraph(g)
                        .build()
                        .toByteArray());
        Model m = OnnxImporter.load(file);
        assertThat(m.outputs().get(0).quant()).isEqualTo(QuantParams.perTensor(0.5f, -3));
        float[] x = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 200f};
        byte[] y = (byte[]) OnnxTestData.run(m, List.of(new OnnxTestData.Array(new int[] {2, 3}, DType.FLOAT32, x)))
                .get(0)
                .values();
        // q = round_half_even(x / 0.5) - 3 = [[-3, -1, -1], [-3, -5, 127]] (200 saturates), then transposed
        assertThat(y).containsExactly(-3, -3, -1, -5, -1, 127);
    }
}
