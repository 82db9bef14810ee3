package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
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
 * The activations built from other ops (Elu with α ≠ 1, Selu, Celu, ThresholdedRelu, Shrink) after a Conv, so on a
 * channels-last value, against ONNX Runtime within 1e-5 of the range (ONNX's node suite has Celu only at opset 28).
 */
@UsesOracle
class OnnxActivationsOrtTest {
    @TempDir
    Path tmp;

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.FLOAT)
                .setF(v)
                .build();
    }

    @ParameterizedTest
    @CsvSource({
        "Elu, alpha, 0.3",
        "Selu, alpha, 1.2",
        "Celu, alpha, 0.7",
        "ThresholdedRelu, alpha, 0.4",
        "Shrink, bias, 0.25"
    })
    void agreesWithOnnxRuntime(String op, String attr, float value) throws Exception {
        NodeProto.Builder act = NodeProto.newBuilder()
                .setOpType(op)
                .addInput("c")
                .addOutput("y")
                .addAttribute(floatAttr(attr, value));
        if (op.equals("Shrink")) {
            act.addAttribute(floatAttr("lambd", 0.6f));
        }
        GraphProto g = GraphProto.newBuilder()
                .setName("act")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 2, 3, 4, 5))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 2, 3, 4, 5))
                .addInitializer(OnnxLayoutOrtTest.floats("w", 3, 3, 1, 1))
                .addNode(NodeProto.newBuilder()
                        .setOpType("Conv")
                        .addAllInput(List.of("x", "w"))
                        .addOutput("c"))
                .addNode(act)
                .build();
        ModelProto mp = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g)
                .build();
        Path f = tmp.resolve("act.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        Random r = new Random(4);
        float[] x = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 2;
        }
        float[] y = new float[x.length];
        try (Interpreter in = new Interpreter(m)) {
            in.run(x, y);
        }
        float[] expected = OnnxLayoutOrtTest.ort(mp, x, new long[] {2, 3, 4, 5})[0];
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
