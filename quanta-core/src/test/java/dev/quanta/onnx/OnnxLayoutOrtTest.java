package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpType;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.UsesOracle;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer's layout handling on a graph built in code, with ONNX Runtime as the second oracle: an NCHW input
 * through Conv (asymmetric pads), depthwise and grouped Conv, Relu, Add with a per-channel constant, Concat on the
 * channel axis, Slice of channels, MaxPool with ceil_mode, BatchNormalization, ReduceMean over H and W, Softmax over
 * channels, Transpose and Flatten — channels-last inside, NCHW at the boundary, with no transpose between the
 * spatial ops.
 */
@UsesOracle
class OnnxLayoutOrtTest {
    @TempDir
    Path tmp;

    private static final Random RANDOM = new Random(12);

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(v)
                .build();
    }

    static TensorProto floats(String name, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        long n = 1;
        for (long d : dims) {
            t.addDims(d);
            n *= d;
        }
        for (long i = 0; i < n; i++) {
            t.addFloatData((float) RANDOM.nextGaussian() * 0.5f);
        }
        return t.build();
    }

    static TensorProto positive(String name, long c) {
        TensorProto.Builder t = TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(c);
        for (long i = 0; i < c; i++) {
            t.addFloatData(0.5f + RANDOM.nextFloat());
        }
        return t.build();
    }

    static TensorProto longs(String name, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(v.length);
        for (long x : v) {
            t.addInt64Data(x);
        }
        return t.build();
    }

    static NodeProto node(String op, List<String> in, String out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder()
                .setName(out + "_node")
                .setOpType(op)
                .addAllInput(in)
                .addOutput(out);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        return n.build();
    }

    static ModelProto model() {
        GraphProto g = GraphProto.newBuilder()
                .setName("layout")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 2, 4, 9, 10))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 2, 12))
                .addOutput(OnnxReaderTest.valueInfo("feat", TensorProto.DataType.FLOAT_VALUE, 2, 6, 4, 3))
                .addInitializer(floats("w1", 6, 4, 3, 3))
                .addInitializer(floats("b1", 6))
                .addInitializer(floats("wd", 6, 1, 3, 3))
                .addInitializer(floats("wg", 6, 3, 1, 1))
                .addInitializer(floats("chan", 6, 1, 1))
                .addInitializer(floats("gamma", 12))
                .addInitializer(floats("beta", 12))
                .addInitializer(floats("mean", 12))
                .addInitializer(positive("var", 12))
                .addInitializer(longs("starts", 1))
                .addInitializer(longs("ends", 7))
                .addInitializer(longs("axes", 1))
                .addNode(node("Conv", List.of("x", "w1", "b1"), "c1", ints("pads", 1, 0, 2, 1), ints("strides", 2, 1)))
                .addNode(node("Relu", List.of("c1"), "r1"))
                .addNode(node("Conv", List.of("r1", "wd"), "dw", intAttr("group", 6), ints("pads", 1, 1, 1, 1)))
                .addNode(node("Conv", List.of("r1", "wg"), "gc", intAttr("group", 2)))
                .addNode(node("Add", List.of("gc", "chan"), "gcb"))
                .addNode(node("Concat", List.of("dw", "gcb"), "cat", intAttr("axis", 1)))
                .addNode(node("Slice", List.of("cat", "starts", "ends", "axes"), "sl"))
                .addNode(node(
                        "MaxPool",
                        List.of("cat"),
                        "mp",
                        ints("kernel_shape", 2, 2),
                        ints("strides", 2, 2),
                        intAttr("ceil_mode", 1)))
                .addNode(node("BatchNormalization", List.of("mp", "gamma", "beta", "mean", "var"), "bn"))
                .addNode(node("ReduceMean", List.of("bn"), "gap", ints("axes", 2, 3)))
                .addNode(node("Softmax", List.of("gap"), "sm", intAttr("axis", 1)))
                .addNode(node("Transpose", List.of("sm"), "tr", ints("perm", 0, 2, 3, 1)))
                .addNode(node("Flatten", List.of("tr"), "y"))
                .addNode(node(
                        "AveragePool",
                        List.of("sl"),
                        "feat",
                        ints("kernel_shape", 2, 3),
                        ints("strides", 1, 3),
                        ints("pads", 0, 1, 0, 1),
                        intAttr("count_include_pad", 1)))
                .build();
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g)
                .build();
    }

    @Test
    void quantaAgreesWithOnnxRuntimeAndTransposesOnlyAtTheBoundary() throws Exception {
        ModelProto mp = model();
        Path f = tmp.resolve("layout.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        long transposes =
                m.ops().stream().filter(op -> op.type() == OpType.TRANSPOSE).count();
        // in: NCHW → NHWC once; out: the Slice-fed pool back to NCHW once; the Transpose node composes with the
        // channels-last value (the Flatten after it is a pure reshape)
        assertThat(transposes).isLessThanOrEqualTo(3);
        float[] x = new float[2 * 4 * 9 * 10];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) RANDOM.nextGaussian();
        }
        float[] y = new float[2 * 12];
        float[] feat = new float[2 * 6 * 4 * 3];
        try (Interpreter in = new Interpreter(m)) {
            in.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {y, feat});
        }
        float[][] expected = ort(mp, x, new long[] {2, 4, 9, 10});
        assertClose(y, expected[0]);
        assertClose(feat, expected[1]);
    }

    /** An LSTM with biases and peepholes, and the composite ops (InstanceNormalization, ReduceL2, Softplus). */
    static ModelProto sequenceModel() {
        GraphProto g = GraphProto.newBuilder()
                .setName("seq")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 5, 2, 3))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 5, 1, 2, 4))
                .addOutput(OnnxReaderTest.valueInfo("y_h", TensorProto.DataType.FLOAT_VALUE, 1, 2, 4))
                .addOutput(OnnxReaderTest.valueInfo("z", TensorProto.DataType.FLOAT_VALUE, 2, 1, 3))
                .addInitializer(floats("W", 1, 16, 3))
                .addInitializer(floats("R", 1, 16, 4))
                .addInitializer(floats("B", 1, 32))
                .addInitializer(floats("P", 1, 12))
                .addInitializer(positive("scale", 5))
                .addInitializer(floats("bias", 5))
                .addNode(NodeProto.newBuilder()
                        .setName("lstm")
                        .setOpType("LSTM")
                        .addAllInput(List.of("x", "W", "R", "B", "", "", "", "P"))
                        .addOutput("y")
                        .addOutput("y_h")
                        .addAttribute(intAttr("hidden_size", 4)))
                .addNode(node("Transpose", List.of("x"), "xt", ints("perm", 1, 0, 2)))
                .addNode(node("Unsqueeze", List.of("xt"), "x4", ints("axes", 3)))
                .addNode(node("Transpose", List.of("x4"), "x5", ints("perm", 0, 1, 2, 3)))
                .addNode(node("InstanceNormalization", List.of("x5", "scale", "bias"), "in"))
                .addNode(node("Softplus", List.of("in"), "sp"))
                .addNode(node("ReduceL2", List.of("sp"), "l2", ints("axes", 1), intAttr("keepdims", 1)))
                .addNode(node("Squeeze", List.of("l2"), "z", ints("axes", 3)))
                .build();
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(12))
                .setGraph(g)
                .build();
    }

    @Test
    void lstmAndCompositeOpsAgreeWithOnnxRuntime() throws Exception {
        ModelProto mp = sequenceModel();
        Path f = tmp.resolve("seq.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        assertThat(m.ops()).extracting(op -> op.type()).contains(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM);
        float[] x = new float[5 * 2 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) RANDOM.nextGaussian();
        }
        float[] y = new float[5 * 2 * 4];
        float[] yh = new float[2 * 4];
        float[] z = new float[2 * 3];
        try (Interpreter in = new Interpreter(m)) {
            in.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {y, yh, z});
        }
        float[][] expected = ort(mp, x, new long[] {5, 2, 3});
        assertClose(y, expected[0]);
        assertClose(yh, expected[1]);
        assertClose(z, expected[2]);
    }

    static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addFloatData(v)
                .build();
    }

    /** PyTorch's erf GELU, y = x·(erf(x/√2) + 1)·0.5, after a Gemm. */
    @Test
    void theErfGeluPatternBecomesOneGeluOp() throws Exception {
        GraphProto g = GraphProto.newBuilder()
                .setName("gelu")
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, 3, 6))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, 3, 5))
                .addInitializer(floats("w", 5, 6))
                .addInitializer(scalar("sqrt2", (float) Math.sqrt(2)))
                .addInitializer(scalar("one", 1f))
                .addInitializer(scalar("half", 0.5f))
                .addNode(node("Gemm", List.of("x", "w"), "h", intAttr("transB", 1)))
                .addNode(node("Div", List.of("h", "sqrt2"), "d"))
                .addNode(node("Erf", List.of("d"), "e"))
                .addNode(node("Add", List.of("e", "one"), "a"))
                .addNode(node("Mul", List.of("h", "a"), "m"))
                .addNode(node("Mul", List.of("m", "half"), "y"))
                .build();
        ModelProto mp = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g)
                .build();
        Path f = tmp.resolve("gelu.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        assertThat(m.ops()).extracting(op -> op.type()).containsExactly(OpType.FULLY_CONNECTED, OpType.GELU);
        float[] x = new float[18];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) RANDOM.nextGaussian() * 2;
        }
        float[] y = new float[15];
        try (Interpreter in = new Interpreter(m)) {
            in.run(x, y);
        }
        assertClose(y, ort(mp, x, new long[] {3, 6})[0]);
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        float range = 0;
        for (float e : expected) {
            range = Math.max(range, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i]))
                    .as("element %d: %s vs ONNX Runtime %s", i, actual[i], expected[i])
                    .isLessThanOrEqualTo(1e-5f * Math.max(range, 1f));
        }
    }

    /** Both outputs from ONNX Runtime (CPU). */
    static float[][] ort(ModelProto mp, float[] x, long[] shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(mp.toByteArray(), opts);
                OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                OrtSession.Result r = s.run(Map.of("x", in))) {
            float[][] out = new float[r.size()][];
            for (int i = 0; i < r.size(); i++) {
                FloatBuffer b = ((OnnxTensor) r.get(i)).getFloatBuffer();
                out[i] = new float[b.remaining()];
                b.get(out[i]);
            }
            return out;
        }
    }
}
