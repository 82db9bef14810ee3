package dev.quanta.onnx;

import static dev.quanta.onnx.OnnxLayoutOrtTest.floats;
import static dev.quanta.onnx.OnnxLayoutOrtTest.intAttr;
import static dev.quanta.onnx.OnnxLayoutOrtTest.ints;
import static dev.quanta.onnx.OnnxRecurrentOrtTest.string;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.UsesOracle;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX ConvTranspose against ONNX Runtime on graphs built in code, where ONNX's node suite has few or no cases:
 * depthwise and grouped weights, dilations with strides, output_padding with pads, output_shape, auto_pad SAME_UPPER
 * and SAME_LOWER, and 1-D; outputs within 1e-5 of the range, output shapes equal.
 */
@UsesOracle
class OnnxConvTransposeOrtTest {
    @TempDir
    Path tmp;

    /** A case: input [N, C, spatial…], weights [C, Cout/group, k…] and the node's attributes. */
    record Case(String name, long[] x, long[] w, List<AttributeProto> attrs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                        new Case(
                                "depthwise, stride 2, pads",
                                new long[] {2, 4, 5, 6},
                                new long[] {4, 1, 3, 3},
                                List.of(intAttr("group", 4), ints("strides", 2, 2), ints("pads", 1, 0, 1, 2))),
                        new Case(
                                "group 2, 2 outputs per group, dilations 2x3, strides 2x1",
                                new long[] {1, 4, 4, 5},
                                new long[] {4, 2, 3, 2},
                                List.of(intAttr("group", 2), ints("dilations", 2, 3), ints("strides", 2, 1))),
                        new Case(
                                "output_padding with pads",
                                new long[] {1, 3, 4, 4},
                                new long[] {3, 2, 3, 3},
                                List.of(ints("strides", 3, 2), ints("output_padding", 2, 1), ints("pads", 1, 1, 0, 2))),
                        new Case(
                                "output_shape larger than the full output",
                                new long[] {1, 2, 3, 3},
                                new long[] {2, 3, 3, 3},
                                List.of(ints("strides", 2, 2), ints("output_shape", 8, 8))),
                        new Case(
                                "output_shape smaller than the full output",
                                new long[] {1, 2, 4, 4},
                                new long[] {2, 3, 3, 3},
                                List.of(ints("strides", 2, 2), ints("output_shape", 8, 7))),
                        new Case(
                                "auto_pad SAME_UPPER",
                                new long[] {1, 2, 4, 5},
                                new long[] {2, 2, 4, 3},
                                List.of(string("auto_pad", "SAME_UPPER"), ints("strides", 2, 2))),
                        new Case(
                                "auto_pad SAME_LOWER",
                                new long[] {1, 2, 4, 5},
                                new long[] {2, 2, 4, 3},
                                List.of(string("auto_pad", "SAME_LOWER"), ints("strides", 2, 2))),
                        new Case(
                                "1-D, group 3, dilation 2, stride 2",
                                new long[] {2, 6, 7},
                                new long[] {6, 1, 3},
                                List.of(
                                        intAttr("group", 3),
                                        ints("dilations", 2),
                                        ints("strides", 2),
                                        ints("pads", 1, 0))))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithOnnxRuntime(Case c) throws Exception {
        int group = 1;
        for (AttributeProto a : c.attrs()) {
            if (a.getName().equals("group")) {
                group = (int) a.getI();
            }
        }
        long cout = c.w()[1] * group;
        NodeProto.Builder node = NodeProto.newBuilder()
                .setName("ct")
                .setOpType("ConvTranspose")
                .addAllInput(List.of("x", "w", "b"))
                .addOutput("y")
                .addAllAttribute(c.attrs());
        GraphProto g = GraphProto.newBuilder()
                .setName("ct")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, c.x()))
                .addOutput(ValueInfoProto.newBuilder()
                        .setName("y")
                        .setType(TypeProto.newBuilder()
                                .setTensorType(
                                        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))
                .addInitializer(floats("w", c.w()))
                .addInitializer(floats("b", cout))
                .addNode(node)
                .build();
        ModelProto mp = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g)
                .build();
        Path f = tmp.resolve("ct.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        Random r = new Random(5);
        float[] x = new float[(int) Arrays.stream(c.x()).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        long[] ortShape;
        float[] expected;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(mp.toByteArray(), opts);
                OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), c.x());
                OrtSession.Result res = s.run(Map.of("x", in))) {
            OnnxTensor out = (OnnxTensor) res.get(0);
            ortShape = out.getInfo().getShape();
            FloatBuffer b = out.getFloatBuffer();
            expected = new float[b.remaining()];
            b.get(expected);
        }
        int[] dims = m.outputs().get(0).shape().dims().clone();
        if (dims[0] < 0) {
            dims[0] = (int) c.x()[0]; // a batch of 1 imports as dynamic
        }
        assertThat(Arrays.stream(dims).asLongStream().toArray())
                .as("output shape")
                .containsExactly(ortShape);
        float[] y = new float[expected.length];
        try (Interpreter in = new Interpreter(m)) {
            in.run(x, y);
        }
        float range = 0;
        for (float e : expected) {
            range = Math.max(range, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(y[i] - expected[i]))
                    .as("element %d of %s: %s vs ONNX Runtime %s", i, Arrays.toString(dims), y[i], expected[i])
                    .isLessThanOrEqualTo(1e-5f * Math.max(range, 1f));
        }
    }
}
