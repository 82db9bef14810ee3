package dev.quanta.onnx;

import static dev.quanta.onnx.OnnxQdqFoldingTest.FLOAT;
import static dev.quanta.onnx.OnnxQdqFoldingTest.INT8;
import static dev.quanta.onnx.OnnxQdqFoldingTest.UINT8;
import static dev.quanta.onnx.OnnxQdqFoldingTest.floatBytes;
import static dev.quanta.onnx.OnnxQdqFoldingTest.intAttr;
import static dev.quanta.onnx.OnnxQdqFoldingTest.node;
import static dev.quanta.onnx.OnnxQdqFoldingTest.tensor;
import static dev.quanta.onnx.OnnxQdqFoldingTest.valueInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.QuantParams;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QuantizeLinear / DequantizeLinear on values from the spec, and the one-line errors of quantized ops. */
class OnnxQuantizedOpsTest {
    @TempDir
    Path dir;

    /** y = saturate(round_half_even(x / s) + zp): ties go to the even integer, then the zero point is added. */
    @Test
    void quantizeLinearRoundsHalfToEvenThenSaturates() throws Exception {
        float[] x = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 200f, -10f, 0.7499999f};
        Model m = load(graph(UINT8, 10, 0.5f));
        byte[] y = (byte[]) run(m, x);
        // x / 0.5 = 0.5, 1.5, 2.5, -0.5, -1.5, 400, -20, 1.4999998 → 0, 2, 2, -0, -2, … → + 10, saturated to 0..255
        assertThat(toUnsigned(y)).containsExactly(10, 12, 12, 10, 8, 255, 0, 11);
        assertThat(m.outputs().get(0).quant()).isEqualTo(QuantParams.perTensor(0.5f, 10));

        byte[] s = (byte[]) run(load(graph(INT8, -3, 0.5f)), x);
        assertThat(s).containsExactly(-3, -1, -1, -3, -5, 127, -23, -2);
    }

    /** Without a zero point the output is uint8 (zero point 0), or output_dtype's type (opset 21). */
    @Test
    void quantizeLinearWithoutZeroPointTakesOutputDtypeElseUint8() throws Exception {
        float[] x = {-1f, 0.5f, 1.5f, 2f, 300f, -300f, 0f, 3f};
        GraphProto.Builder plain = graph(UINT8, 0, 1f);
        plain.setNode(0, node("QuantizeLinear", List.of("x", "s"), "y"));
        Model u = load(plain);
        assertThat(u.outputs().get(0).dtype()).isEqualTo(DType.UINT8);
        assertThat(toUnsigned((byte[]) run(u, x))).containsExactly(0, 0, 2, 2, 255, 0, 0, 3);

        GraphProto.Builder typed = graph(INT8, 0, 1f);
        typed.setNode(0, node("QuantizeLinear", List.of("x", "s"), "y", intAttr("output_dtype", INT8)));
        Model i = load(typed);
        assertThat(i.outputs().get(0).dtype()).isEqualTo(DType.INT8);
        assertThat((byte[]) run(i, x)).containsExactly(-1, 0, 2, 2, 127, -128, 0, 3);
    }

    /** y = (x − zp[c]) · s[c] along axis 1. */
    @Test
    void dequantizeLinearPerAxis() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder()
                .addInput(valueInfo("x", INT8, 2, 3))
                .addOutput(valueInfo("y", FLOAT, 2, 3))
                .addInitializer(tensor("s", FLOAT, new long[] {3}, floatBytes(new float[] {0.5f, 2f, 0.125f})))
                .addInitializer(tensor("zp", INT8, new long[] {3}, new byte[] {1, -2, 0}))
                .addNode(node("DequantizeLinear", List.of("x", "s", "zp"), "y", intAttr("axis", 1)));
        float[] y = (float[]) run(load(g), new byte[] {3, 3, 8, -128, 127, -1});
        assertThat(y).containsExactly(1f, 10f, 1f, -64.5f, 258f, -0.125f);
    }

    @Test
    void quantizedOpsTheImportCannotRunEndInOneLineErrors() throws Exception {
        GraphProto.Builder blocked = graph(INT8, 0, 1f);
        blocked.setNode(0, blocked.getNode(0).toBuilder().addAttribute(intAttr("block_size", 2)));
        assertOneLineError(blocked, "node 'y' (QuantizeLinear): block_size 2 (blocked quantization) is not supported");

        GraphProto.Builder contrib = graph(INT8, 0, 1f);
        contrib.setNode(
                0, contrib.getNode(0).toBuilder().setOpType("QLinearSigmoid").setDomain("com.microsoft"));
        assertOneLineError(contrib, "op QLinearSigmoid of domain 'com.microsoft' is not supported");

        GraphProto.Builder forged = graph(INT8, 0, 1f);
        forged.setNode(
                0,
                NodeProto.newBuilder()
                        .setOpType(OnnxQdqFolding.FUSED)
                        .addOutput("y")
                        .build());
        assertOneLineError(forged, "op Quanta.QdqFolded is not supported");

        GraphProto.Builder oneInput = graph(INT8, 0, 1f);
        oneInput.setNode(0, node("DequantizeLinear", List.of("x"), "y"));
        assertOneLineError(oneInput, "(DequantizeLinear): takes 2 to 3 inputs, has 1");
    }

    /** x [8] float → QuantizeLinear(scale, zp of {@code type}) → y. */
    private static GraphProto.Builder graph(int type, int zp, float scale) {
        return GraphProto.newBuilder()
                .addInput(valueInfo("x", FLOAT, 8))
                .addOutput(valueInfo("y", type, 8))
                .addInitializer(tensor("s", FLOAT, new long[0], floatBytes(new float[] {scale})))
                .addInitializer(tensor("zp", type, new long[0], new byte[] {(byte) zp}))
                .addNode(node("QuantizeLinear", List.of("x", "s", "zp"), "y"));
    }

    private void assertOneLineError(GraphProto.Builder g, String message) {
        assertThatThrownBy(() -> load(g))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining(message)
                .hasMessageNotContaining("\n");
    }

    private Model load(GraphProto.Builder g) throws Exception {
        ModelProto m = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(21))
                .setGraph(g.setName("q"))
                .build();
        Path file = dir.resolve("q.onnx");
        Files.write(file, m.toByteArray());
        return OnnxImporter.load(file);
    }

    private static Object run(Model m, Object x) {
        DType t = x instanceof float[] ? DType.FLOAT32 : DType.INT8;
        int[] dims = m.inputs().get(0).shape().dims();
        return OnnxTestData.run(m, List.of(new OnnxTestData.Array(dims, t, x)))
                .get(0)
                .values();
    }

    private static int[] toUnsigned(byte[] b) {
        int[] v = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            v[i] = b[i] & 0xff;
        }
        return v;
    }
}
