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
import java.util.ArrayList;
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
 * ONNX Resize against ONNX Runtime where TFLite's resize ops do not apply (the per-axis taps of the importer), on
 * graphs built in code: tf_half_pixel_for_nn with ceil after a Conv (channels-last), cubic with exclude_outside on
 * two of the axes, antialiased linear downsampling, keep_aspect_ratio_policy, fractional output sizes,
 * round_prefer_floor at exact half-way samples, half_pixel_symmetric on a 3-D input and tf_crop_and_resize with
 * extrapolation; outputs within 1e-5 of the range and the same shapes.
 */
@UsesOracle
class OnnxResizeOrtTest {
    @TempDir
    Path tmp;

    /**
     * A case: opset, input shape, whether a 1×1 Conv runs first (so the Resize reads a channels-last value), roi,
     * scales or sizes and the node's attributes.
     */
    record Case(
            String name,
            int opset,
            long[] x,
            boolean conv,
            float[] roi,
            float[] scales,
            long[] sizes,
            List<AttributeProto> attrs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.FLOAT)
                .setF(v)
                .build();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                        new Case(
                                "nearest tf_half_pixel_for_nn ceil after a Conv",
                                12,
                                new long[] {1, 2, 4, 3},
                                true,
                                null,
                                new float[] {1, 1, 1.5f, 2.5f},
                                null,
                                List.of(
                                        string("coordinate_transformation_mode", "tf_half_pixel_for_nn"),
                                        string("nearest_mode", "ceil"))),
                        new Case(
                                "cubic A -0.5 exclude_outside sizes on axes 2, 3",
                                18,
                                new long[] {2, 3, 4, 4},
                                false,
                                null,
                                null,
                                new long[] {5, 7},
                                List.of(
                                        string("mode", "cubic"),
                                        floatAttr("cubic_coeff_a", -0.5f),
                                        intAttr("exclude_outside", 1),
                                        ints("axes", 2, 3))),
                        new Case(
                                "linear antialias downsampling",
                                18,
                                new long[] {1, 2, 10, 9},
                                true,
                                null,
                                new float[] {0.6f, 0.5f},
                                null,
                                List.of(string("mode", "linear"), intAttr("antialias", 1), ints("axes", 2, 3))),
                        new Case(
                                "nearest asymmetric floor, sizes not_smaller on axes 2, 3",
                                18,
                                new long[] {1, 2, 5, 6},
                                false,
                                null,
                                null,
                                new long[] {3, 4},
                                List.of(
                                        string("coordinate_transformation_mode", "asymmetric"),
                                        string("nearest_mode", "floor"),
                                        string("keep_aspect_ratio_policy", "not_smaller"),
                                        ints("axes", 2, 3))),
                        new Case(
                                "linear asymmetric to fractional sizes",
                                13,
                                new long[] {1, 2, 5, 6},
                                false,
                                null,
                                new float[] {1, 1, 0.7f, 1.3f},
                                null,
                                List.of(
                                        string("mode", "linear"),
                                        string("coordinate_transformation_mode", "asymmetric"))),
                        new Case(
                                "nearest half_pixel round_prefer_floor at half-way samples",
                                13,
                                new long[] {1, 2, 4, 4},
                                true,
                                null,
                                null,
                                new long[] {1, 2, 6, 4},
                                List.of()),
                        new Case(
                                "linear half_pixel_symmetric on 3-D",
                                19,
                                new long[] {2, 3, 5},
                                false,
                                null,
                                new float[] {1, 1, 2.5f},
                                null,
                                List.of(
                                        string("mode", "linear"),
                                        string("coordinate_transformation_mode", "half_pixel_symmetric"))),
                        new Case(
                                "tf_crop_and_resize with extrapolation",
                                13,
                                new long[] {1, 1, 4, 4},
                                false,
                                new float[] {0, 0, 0.4f, -0.2f, 1, 1, 1.3f, 0.7f},
                                null,
                                new long[] {1, 1, 3, 5},
                                List.of(
                                        string("mode", "linear"),
                                        string("coordinate_transformation_mode", "tf_crop_and_resize"),
                                        floatAttr("extrapolation_value", 10f))))
                .map(Arguments::of);
    }

    static TensorProto constant(String name, float[] v) {
        TensorProto.Builder t = TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(v.length);
        for (float f : v) {
            t.addFloatData(f);
        }
        return t.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithOnnxRuntime(Case c) throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName("resize")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, c.x()))
                .addOutput(ValueInfoProto.newBuilder()
                        .setName("y")
                        .setType(TypeProto.newBuilder()
                                .setTensorType(
                                        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        String in = "x";
        if (c.conv()) {
            g.addInitializer(floats("w", c.x()[1], c.x()[1], 1, 1));
            g.addNode(NodeProto.newBuilder()
                    .setOpType("Conv")
                    .addAllInput(List.of("x", "w"))
                    .addOutput("c"));
            in = "c";
        }
        List<String> inputs = new ArrayList<>(List.of(in, "", "", ""));
        if (c.roi() != null || c.opset() < 13) {
            g.addInitializer(constant("roi", c.roi() != null ? c.roi() : new float[0])); // required before 13
            inputs.set(1, "roi");
        }
        if (c.scales() != null) {
            g.addInitializer(constant("scales", c.scales()));
            inputs.set(2, "scales");
        } else {
            g.addInitializer(OnnxLayoutOrtTest.longs("sizes", c.sizes()));
            inputs.set(3, "sizes");
        }
        while (inputs.get(inputs.size() - 1).isEmpty()) {
            inputs.remove(inputs.size() - 1);
        }
        g.addNode(NodeProto.newBuilder()
                .setName("resize")
                .setOpType("Resize")
                .addAllInput(inputs)
                .addOutput("y")
                .addAllAttribute(c.attrs()));
        ModelProto mp = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(c.opset()))
                .setGraph(g)
                .build();
        Path f = tmp.resolve("resize.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        Random r = new Random(9);
        float[] x = new float[(int) Arrays.stream(c.x()).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        long[] ortShape;
        float[] expected;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(mp.toByteArray(), opts);
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), c.x());
                OrtSession.Result res = s.run(Map.of("x", input))) {
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
        try (Interpreter interpreter = new Interpreter(m)) {
            interpreter.run(x, y);
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
