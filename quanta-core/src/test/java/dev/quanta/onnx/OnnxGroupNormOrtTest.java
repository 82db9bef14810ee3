package dev.quanta.onnx;

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
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GroupNormalization after a Conv (channels-last inside) against ONNX Runtime: opset 21 with scale and bias per channel,
 * opset 18 with them per group (ONNX's node suite has opset 21 only); within 1e-5 of the range.
 */
@UsesOracle
class OnnxGroupNormOrtTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"21, 6", "18, 3"})
    void agreesWithOnnxRuntime(int opset, int scaleCount) throws Exception {
        GraphProto g = GraphProto.newBuilder()
                .setName("gn")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 2, 6, 3, 5))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 2, 6, 3, 5))
                .addInitializer(OnnxLayoutOrtTest.floats("w", 6, 6, 1, 1))
                .addInitializer(OnnxLayoutOrtTest.floats("scale", scaleCount))
                .addInitializer(OnnxLayoutOrtTest.floats("bias", scaleCount))
                .addNode(NodeProto.newBuilder()
                        .setOpType("Conv")
                        .addAllInput(List.of("x", "w"))
                        .addOutput("c"))
                .addNode(NodeProto.newBuilder()
                        .setOpType("GroupNormalization")
                        .addAllInput(List.of("c", "scale", "bias"))
                        .addOutput("y")
                        .addAttribute(OnnxLayoutOrtTest.intAttr("num_groups", 3)))
                .build();
        ModelProto mp = ModelProto.newBuilder()
                .setIrVersion(opset >= 21 ? 10 : 8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g)
                .build();
        Path f = tmp.resolve("gn.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        Random r = new Random(8);
        float[] x = new float[2 * 6 * 3 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 3 + 1;
        }
        float[] y = new float[x.length];
        try (Interpreter in = new Interpreter(m)) {
            in.run(x, y);
        }
        float[] expected = OnnxLayoutOrtTest.ort(mp, x, new long[] {2, 6, 3, 5})[0];
        float range = 0;
        for (float e : expected) {
            range = Math.max(range, Math.abs(e));
        }
        for (int i = 0; i < y.length; i++) {
            assertThat(Math.abs(y[i] - expected[i]))
                    .as("element %d: %s vs ONNX Runtime %s", i, y[i], expected[i])
                    .isLessThanOrEqualTo(1e-5f * Math.max(range, 1f));
        }
    }
}
