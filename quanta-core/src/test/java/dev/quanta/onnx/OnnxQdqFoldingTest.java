package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.TensorShapeProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.testing.UsesOracle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A QDQ model built in code as ONNX Runtime's {@code quantize_static} writes one (Conv + Relu, depthwise Conv,
 * MaxPool, Flatten, Gemm; int8 weights per output channel, int32 biases through DequantizeLinear and one float
 * bias), imported, run, and compared with ONNX Runtime within one output step. With int8 activations the
 * convolutions and the Gemm fold into Quanta's int8 ops; with uint8 activations nothing folds and every op runs as
 * written. Mismatch counts are printed.
 */
@UsesOracle
class OnnxQdqFoldingTest {
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT32 = 6;
    private static final float OUT_SCALE = 0.1f;

    @TempDir
    Path dir;

    @Test
    void int8QdqModelFoldsIntoIntegerOpsAndAgreesWithOnnxRuntime() throws Exception {
        Model model = load(qdqModel(INT8));
        Set<OpType> int8Ops = EnumSet.noneOf(OpType.class);
        for (Op op : model.ops()) {
            if (op.output(0).dtype() == DType.INT8 && op.input(0).dtype() == DType.INT8) {
                int8Ops.add(op.type());
            }
        }
        assertThat(int8Ops).contains(OpType.CONV_2D, OpType.DEPTHWISE_CONV_2D, OpType.FULLY_CONNECTED);
        assertThat(model.ops().stream()
                        .filter(o -> o.type() == OpType.FULLY_CONNECTED
                                && o.output(0).dtype() == DType.INT8))
                .hasSize(2);
        assertThat(model.ops().stream()
                        .filter(o -> o.type() == OpType.CONV_2D)
                        .findFirst()
                        .orElseThrow()
                        .attributes())
                .hasToString("Conv2D[padding=SAME, strideH=1, strideW=1, dilationH=1, dilationW=1, activation=RELU]");
        compareWithOnnxRuntime(model, qdqModel(INT8), "int8 (folded)");
    }

    /** Pads TFLite has no padding for (1 before, 0 after): that Conv runs as written, the depthwise one still folds. */
    @Test
    void groupThatDoesNotFitTheIntegerKernelsRunsAsWritten() throws Exception {
        ModelProto proto = qdqModel(INT8, new long[] {1, 1, 0, 0});
        Model model = load(proto);
        assertThat(model.ops())
                .anyMatch(o -> o.type() == OpType.CONV_2D && o.output(0).dtype() == DType.FLOAT32);
        assertThat(model.ops())
                .anyMatch(
                        o -> o.type() == OpType.DEPTHWISE_CONV_2D && o.output(0).dtype() == DType.INT8);
        compareWithOnnxRuntime(model, proto, "int8, first Conv as written");
    }

    @Test
    void uint8QdqModelRunsAsWrittenAndAgreesWithOnnxRuntime() throws Exception {
        Model model = load(qdqModel(UINT8));
        assertThat(model.ops())
                .noneMatch(o -> o.type() == OpType.CONV_2D && o.output(0).dtype() != DType.FLOAT32);
        compareWithOnnxRuntime(model, qdqModel(UINT8), "uint8 (as written)");
    }

    /** com.microsoft QLinearAdd and QLinearMul (int8 and uint8) against ONNX Runtime's contrib kernels. */
    @Test
    void contribQLinearAddAndMulAgreeWithOnnxRuntime() throws Exception {
        for (int type : new int[] {INT8, UINT8}) {
            ModelProto proto = qlinearBinaryModel(type);
            Model model = load(proto);
            Random random = new Random(3);
            int[] mismatches = new int[2];
            int[] worst = new int[2];
            int elements = 0;
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                    OrtSession session = env.createSession(proto.toByteArray(), options)) {
                for (int s = 0; s < 20; s++) {
                    float[] a = new float[4 * 5 * 5];
                    float[] b = new float[a.length];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = (float) random.nextGaussian();
                        b[i] = (float) random.nextGaussian() * 0.7f;
                    }
                    long[] dims = {1, 4, 5, 5};
                    float[][] expected = new float[2][];
                    try (OnnxTensor ta = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), dims);
                            OnnxTensor tb = OnnxTensor.createTensor(env, FloatBuffer.wrap(b), dims);
                            OrtSession.Result r = session.run(Map.of("a", ta, "b", tb))) {
                        for (int o = 0; o < 2; o++) {
                            expected[o] = flatten((float[][][][]) r.get(o).getValue());
                        }
                    }
                    int[] d = {1, 4, 5, 5};
                    List<OnnxTestData.Array> actual = OnnxTestData.run(
                            model,
                            List.of(
                                    new OnnxTestData.Array(d, DType.FLOAT32, a),
                                    new OnnxTestData.Array(d, DType.FLOAT32, b)));
                    for (int o = 0; o < 2; o++) {
                        float[] y = (float[]) actual.get(o).values();
                        for (int i = 0; i < y.length; i++) {
                            int steps = Math.round(Math.abs(y[i] - expected[o][i]) / C_SCALE);
                            worst[o] = Math.max(worst[o], steps);
                            mismatches[o] += steps != 0 ? 1 : 0;
                        }
                    }
                    elements += a.length;
                }
            }
            String t = type == INT8 ? "int8" : "uint8";
            System.out.printf(
                    "QLinearAdd %s vs ONNX Runtime: %d of %d differ (at most %d step); QLinearMul: %d of %d (at most %d)%n",
                    t, mismatches[0], elements, worst[0], mismatches[1], elements, worst[1]);
            assertThat(worst).as("largest differences in steps, " + t).containsOnly(0, 1);
        }
    }

    private static final float C_SCALE = 0.02f;

    private static float[] flatten(float[][][][] v) {
        float[] f = new float[v.length * v[0].length * v[0][0].length * v[0][0][0].length];
        int i = 0;
        for (float[][][] a : v) {
            for (float[][] b : a) {
                for (float[] c : b) {
                    for (float x : c) {
                        f[i++] = x;
                    }
                }
            }
        }
        return f;
    }

    /** a, b → QuantizeLinear → com.microsoft QLinearAdd and QLinearMul → DequantizeLinear → y_add, y_mul. */
    private static ModelProto qlinearBinaryModel(int type) {
        boolean signed = type == INT8;
        GraphProto.Builder g = GraphProto.newBuilder().setName("qlinear_binary");
        g.addInput(valueInfo("a", FLOAT, 1, 4, 5, 5));
        g.addInput(valueInfo("b", FLOAT, 1, 4, 5, 5));
        g.addOutput(valueInfo("y_add", FLOAT, 1, 4, 5, 5));
        g.addOutput(valueInfo("y_mul", FLOAT, 1, 4, 5, 5));
        addParams(g, "pa", 0.017f, signed ? 3 : 131, type);
        addParams(g, "pb", 0.011f, signed ? -9 : 119, type);
        addParams(g, "pc", C_SCALE, signed ? 1 : 128, type);
        g.addNode(node("QuantizeLinear", List.of("a", "pa_scale", "pa_zp"), "a_q"));
        g.addNode(node("QuantizeLinear", List.of("b", "pb_scale", "pb_zp"), "b_q"));
        List<String> ins = List.of("a_q", "pa_scale", "pa_zp", "b_q", "pb_scale", "pb_zp", "pc_scale", "pc_zp");
        g.addNode(node("QLinearAdd", ins, "add_q").toBuilder().setDomain("com.microsoft"));
        g.addNode(node("QLinearMul", ins, "mul_q").toBuilder().setDomain("com.microsoft"));
        g.addNode(node("DequantizeLinear", List.of("add_q", "pc_scale", "pc_zp"), "y_add"));
        g.addNode(node("DequantizeLinear", List.of("mul_q", "pc_scale", "pc_zp"), "y_mul"));
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("OnnxQdqFoldingTest")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .addOpsetImport(OperatorSetIdProto.newBuilder()
                        .setDomain("com.microsoft")
                        .setVersion(1))
                .setGraph(g)
                .build();
    }

    private Model load(ModelProto m) throws Exception {
        Path file = dir.resolve("qdq.onnx");
        Files.write(file, m.toByteArray());
        return OnnxImporter.load(file);
    }

    private static void compareWithOnnxRuntime(Model model, ModelProto proto, String what) throws OrtException {
        Random random = new Random(12);
        int samples = 40;
        int mismatches = 0;
        int elements = 0;
        int worstSteps = 0;
        java.util.Set<Integer> levels = new java.util.TreeSet<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(proto.toByteArray(), options)) {
            for (int s = 0; s < samples; s++) {
                float[] x = new float[3 * 8 * 8];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextGaussian() * 1.2);
                }
                float[] expected;
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 3, 8, 8});
                        OrtSession.Result r = session.run(Map.of("x", t))) {
                    expected = ((float[][]) r.get(0).getValue())[0];
                }
                float[] actual = (float[]) OnnxTestData.run(
                                model, List.of(new OnnxTestData.Array(new int[] {1, 3, 8, 8}, DType.FLOAT32, x)))
                        .get(0)
                        .values();
                assertThat(actual).hasSameSizeAs(expected);
                for (int i = 0; i < expected.length; i++) {
                    levels.add(Math.round(expected[i] / OUT_SCALE));
                    int steps = Math.round(Math.abs(actual[i] - expected[i]) / OUT_SCALE);
                    worstSteps = Math.max(worstSteps, steps);
                    mismatches += steps != 0 ? 1 : 0;
                    elements++;
                }
            }
        }
        System.out.printf(
                "QDQ %s vs ONNX Runtime: %d of %d outputs differ (by at most %d step); %d distinct output levels"
                        + " %s..%s%n",
                what,
                mismatches,
                elements,
                worstSteps,
                levels.size(),
                levels.iterator().next(),
                ((java.util.TreeSet<Integer>) levels).last());
        assertThat(levels.size()).as("distinct outputs (not saturated)").isGreaterThan(40);
        assertThat(worstSteps).as("largest difference in output steps").isLessThanOrEqualTo(1);
        assertThat(mismatches).as("outputs one step apart").isLessThan(elements / 10);
    }

    // ---- the model ----

    /**
     * x → Q → DQ → Conv(3→8, 3×3, SAME) → Relu → Q → DQ → depthwise Conv → Q → DQ → MaxPool → Flatten → Q → DQ →
     * Gemm → Q → DQ → MatMul → Q → DQ.
     */
    static ModelProto qdqModel(int act) {
        return qdqModel(act, new long[] {1, 1, 1, 1});
    }

    /** The model with the first Conv's {@code pads}. */
    static ModelProto qdqModel(int act, long[] firstPads) {
        Random r = new Random(7);
        GraphProto.Builder g = GraphProto.newBuilder().setName("qdq");
        g.addInput(valueInfo("x", FLOAT, 1, 3, 8, 8));
        g.addOutput(valueInfo("y", FLOAT, 1, 6));
        boolean signed = act == INT8;
        float s0 = 0.03f;
        float s1 = 0.04f;
        float s2 = 0.05f;
        float s3 = 0.045f;
        addParams(g, "p0", s0, signed ? -3 : 125, act);
        addParams(g, "p1", s1, signed ? -128 : 0, act);
        addParams(g, "p2", s2, signed ? 10 : 138, act);
        addParams(g, "p3", s3, signed ? -20 : 108, act);
        addParams(g, "p4", OUT_SCALE, signed ? 5 : 133, act);
        addParams(g, "p5", 0.08f, signed ? -7 : 121, act);
        qdq(g, "x", "p0", "x_q", "x_dq");
        // Conv 3→8, 3×3, pads 1, int32 bias at s0·s_w
        float[] w1s = scales(r, 8);
        addWeights(g, "w1", r, new long[] {8, 3, 3, 3}, w1s, 0);
        addBias(g, "b1", r, s0, w1s);
        g.addNode(node(
                "Conv", List.of("x_dq", "w1_dq", "b1_dq"), "c1", ints("pads", firstPads), ints("kernel_shape", 3, 3)));
        g.addNode(node("Relu", List.of("c1"), "c1_relu"));
        qdq(g, "c1_relu", "p1", "c1_q", "c1_dq");
        // depthwise 3×3, group 8, pads 1
        float[] w2s = scales(r, 8);
        addWeights(g, "w2", r, new long[] {8, 1, 3, 3}, w2s, 0);
        addBias(g, "b2", r, s1, w2s);
        g.addNode(
                node("Conv", List.of("c1_dq", "w2_dq", "b2_dq"), "c2", ints("pads", 1, 1, 1, 1), intAttr("group", 8)));
        qdq(g, "c2", "p2", "c2_q", "c2_dq");
        g.addNode(node("MaxPool", List.of("c2_dq"), "pool", ints("kernel_shape", 2, 2), ints("strides", 2, 2)));
        g.addNode(node("Flatten", List.of("pool"), "flat"));
        qdq(g, "flat", "p3", "flat_q", "flat_dq");
        // Gemm 128→10, transB, float bias
        float[] w3s = scales(r, 10);
        long h = (8 + firstPads[0] + firstPads[2] - 2) / 2;
        long w = (8 + firstPads[1] + firstPads[3] - 2) / 2;
        addWeights(g, "w3", r, new long[] {10, 8 * h * w}, w3s, 0);
        float[] bias = new float[10];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = (float) r.nextGaussian() * 0.3f;
        }
        g.addInitializer(tensor("b3", FLOAT, new long[] {10}, floatBytes(bias)));
        AttributeProto transB = AttributeProto.newBuilder()
                .setName("transB")
                .setType(AttributeProto.AttributeType.INT)
                .setI(1)
                .build();
        g.addNode(node("Gemm", List.of("flat_dq", "w3_dq", "b3"), "fc", transB));
        qdq(g, "fc", "p5", "fc_q", "fc_dq");
        // MatMul 10→6, weights [K, N] per column (axis 1), no bias
        float[] w4s = scales(r, 6);
        addWeights(g, "w4", r, new long[] {10, 6}, w4s, 1);
        g.addNode(node("MatMul", List.of("fc_dq", "w4_dq"), "mm"));
        qdq(g, "mm", "p4", "mm_q", "y");
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("OnnxQdqFoldingTest")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g)
                .build();
    }

    static void qdq(GraphProto.Builder g, String x, String params, String q, String dq) {
        g.addNode(node("QuantizeLinear", List.of(x, params + "_scale", params + "_zp"), q));
        g.addNode(node("DequantizeLinear", List.of(q, params + "_scale", params + "_zp"), dq));
    }

    static float[] scales(Random r, int n) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = 0.002f + r.nextFloat() * 0.004f;
        }
        return s;
    }

    static void addParams(GraphProto.Builder g, String name, float scale, int zp, int type) {
        g.addInitializer(tensor(name + "_scale", FLOAT, new long[0], floatBytes(new float[] {scale})));
        g.addInitializer(tensor(name + "_zp", type, new long[0], new byte[] {(byte) zp}));
    }

    /** int8 weights, symmetric per output channel along {@code axis}, and their DequantizeLinear. */
    static void addWeights(GraphProto.Builder g, String name, Random r, long[] dims, float[] scales, int axis) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        byte[] q = new byte[(int) n];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (r.nextInt(255) - 127);
        }
        g.addInitializer(tensor(name, INT8, dims, q));
        g.addInitializer(tensor(name + "_scale", FLOAT, new long[] {scales.length}, floatBytes(scales)));
        g.addInitializer(tensor(name + "_zp", INT8, new long[] {scales.length}, new byte[scales.length]));
        AttributeProto a = AttributeProto.newBuilder()
                .setName("axis")
                .setType(AttributeProto.AttributeType.INT)
                .setI(axis)
                .build();
        g.addNode(node("DequantizeLinear", List.of(name, name + "_scale", name + "_zp"), name + "_dq", a));
    }

    /** An int32 bias at scale s_x·s_w[c] (per channel, axis 0) and its DequantizeLinear. */
    private static void addBias(GraphProto.Builder g, String name, Random r, float sx, float[] ws) {
        ByteBuffer b = ByteBuffer.allocate(4 * ws.length).order(ByteOrder.LITTLE_ENDIAN);
        float[] scales = new float[ws.length];
        for (int i = 0; i < ws.length; i++) {
            b.putInt(r.nextInt(4001) - 2000);
            scales[i] = sx * ws[i];
        }
        g.addInitializer(tensor(name, INT32, new long[] {ws.length}, b.array()));
        g.addInitializer(tensor(name + "_scale", FLOAT, new long[] {ws.length}, floatBytes(scales)));
        g.addInitializer(tensor(name + "_zp", INT32, new long[] {ws.length}, new byte[4 * ws.length]));
        AttributeProto axis = AttributeProto.newBuilder()
                .setName("axis")
                .setType(AttributeProto.AttributeType.INT)
                .setI(0)
                .build();
        g.addNode(node("DequantizeLinear", List.of(name, name + "_scale", name + "_zp"), name + "_dq", axis));
    }

    static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder n =
                NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output);
        inputs.forEach(n::addInput);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        return n.build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(v)
                .build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static TensorProto tensor(String name, int type, long[] dims, byte[] raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
        for (long d : dims) {
            t.addDims(d);
        }
        return t.setRawData(ByteString.copyFrom(raw)).build();
    }

    static byte[] floatBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
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
}
