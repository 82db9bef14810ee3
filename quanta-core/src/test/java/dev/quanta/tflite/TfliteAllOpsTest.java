package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A Keras-like float model built in code with every op the writer supports: written to TFLite, the official
 * runtime agrees with Quanta's interpreter, and reading the file back gives the same graph.
 */
class TfliteAllOpsTest {
    private static final Origin O = new Origin("layer", "Test");

    private static float[] weights(SplittableRandom r, int n, double scale) {
        return CoreArrays.uniform(r, n, -scale, scale);
    }

    /** Input [N,16,16,3]; outputs softmax [N,10] and mean [N,32]. */
    static Model allOps() {
        SplittableRandom r = new SplittableRandom(42);
        ModelBuilder b = new ModelBuilder("all_ops");
        Tensor x = b.input("image", Shape.batched(16, 16, 3));
        Tensor padded =
                b.add(OpType.PAD, "pad", O, new OpAttributes.Pad(new int[][] {{0, 0}, {1, 1}, {1, 1}, {0, 0}}), x);
        Tensor conv = b.add(
                OpType.CONV_2D,
                "conv",
                O,
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.RELU),
                padded,
                b.constant("conv/w", Shape.of(8, 3, 3, 3), weights(r, 8 * 27, 0.3)),
                b.constant("conv/b", Shape.of(8), weights(r, 8, 0.1)));
        Tensor dw = b.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                O,
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 2, Activation.RELU6),
                conv,
                b.constant("dw/w", Shape.of(1, 3, 3, 16), weights(r, 9 * 16, 0.4)),
                b.constant("dw/b", Shape.of(16), weights(r, 16, 0.1)));
        Tensor dilated = b.add(
                OpType.CONV_2D,
                "dilated",
                O,
                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 2, 2, Activation.NONE),
                dw,
                b.constant("dilated/w", Shape.of(16, 3, 3, 16), weights(r, 16 * 9 * 16, 0.15)));
        Tensor maxPool = b.add(
                OpType.MAX_POOL_2D,
                "max_pool",
                O,
                new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE),
                dilated);
        Tensor avgPool = b.add(
                OpType.AVERAGE_POOL_2D,
                "avg_pool",
                O,
                new OpAttributes.Pool2D(Padding.SAME, 3, 3, 1, 1, Activation.NONE),
                maxPool);
        Tensor shifted = b.add(
                OpType.ADD,
                "add_broadcast",
                O,
                new OpAttributes.Add(Activation.NONE),
                avgPool,
                b.constant("shift", Shape.of(16), weights(r, 16, 0.5)));
        Tensor leaky = b.add(OpType.LEAKY_RELU, "leaky", O, new OpAttributes.LeakyRelu(0.2f), shifted);
        Tensor sig = b.add(OpType.LOGISTIC, "sigmoid", O, OpAttributes.None.INSTANCE, leaky);
        Tensor tanh = b.add(OpType.TANH, "tanh", O, OpAttributes.None.INSTANCE, leaky);
        Tensor cat = b.add(
                OpType.CONCATENATION, "concat", O, new OpAttributes.Concatenation(-1, Activation.NONE), sig, tanh);
        Tensor relu = b.add(OpType.RELU, "relu", O, OpAttributes.None.INSTANCE, cat);
        Tensor mean = b.add(OpType.MEAN, "gap", O, new OpAttributes.Mean(new int[] {1, 2}, false), relu);
        Tensor nchw = b.add(OpType.TRANSPOSE, "to_nchw", O, new OpAttributes.Transpose(new int[] {0, 3, 1, 2}), relu);
        Tensor flat = b.add(OpType.RESHAPE, "flatten", O, new OpAttributes.Reshape(new int[] {-1, 8 * 8 * 32}), nchw);
        Tensor fc1 = b.add(
                OpType.FULLY_CONNECTED,
                "fc1",
                O,
                new OpAttributes.FullyConnected(Activation.RELU6),
                mean,
                b.constant("fc1/w", Shape.of(10, 32), weights(r, 320, 0.5)),
                b.constant("fc1/b", Shape.of(10), weights(r, 10, 0.1)));
        Tensor fc2 = b.add(
                OpType.FULLY_CONNECTED,
                "fc2",
                O,
                new OpAttributes.FullyConnected(Activation.NONE),
                flat,
                b.constant("fc2/w", Shape.of(10, 2048), weights(r, 20480, 0.05)));
        Tensor sum = b.add(OpType.ADD, "logits", O, new OpAttributes.Add(Activation.NONE), fc1, fc2);
        Tensor relu6 = b.add(OpType.RELU6, "clip", O, OpAttributes.None.INSTANCE, sum);
        Tensor softmax = b.add(OpType.SOFTMAX, "softmax", O, new OpAttributes.Softmax(1.0f), relu6);
        return b.output(softmax).output(mean).build(ModelMetadata.inMemory());
    }

    @Test
    @UsesOracle
    void everyWritableOpRunsInTheOracleLikeInQuanta() {
        Model m = allOps();
        Set<OpType> types = EnumSet.noneOf(OpType.class);
        m.ops().forEach(op -> types.add(op.type()));
        Set<OpType> elsewhere = EnumSet.of(
                OpType.BATCH_NORM,
                OpType.IDENTITY,
                OpType.QUANTIZE,
                OpType.DEQUANTIZE,
                OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, // TfliteLstmFixturesTest, LstmQuantizationIT
                OpType.CAST,
                OpType.STRIDED_SLICE,
                OpType.MUL,
                OpType.DIV,
                OpType.MINIMUM, // TensorOpsOracleTest
                OpType.MAXIMUM,
                OpType.HARD_SWISH, // ActivationOpsOracleTest
                OpType.PRELU,
                OpType.ELU,
                OpType.GELU,
                OpType.RELU_N1_TO_1,
                OpType.RELU_0_TO_1,
                OpType.LOG_SOFTMAX,
                OpType.DETECTION_POSTPROCESS, // DetectionPostProcessOracleTest
                OpType.UNIDIRECTIONAL_SEQUENCE_RNN, // UnidirectionalRnnOracleTest
                OpType.BIDIRECTIONAL_SEQUENCE_LSTM, // BidirectionalLstmOracleTest
                OpType.TRANSPOSE_CONV, // TransposeConvOracleTest
                OpType.BATCH_MATMUL); // BatchMatMulOracleTest
        elsewhere.addAll(EnumSet.range(OpType.RESIZE_BILINEAR, OpType.L2_NORMALIZATION)); // ResizeOps/ReduceOps oracles
        elsewhere.addAll(EnumSet.range(OpType.SUB, OpType.LOGICAL_NOT)); // ElementwiseOpsOracleTest
        for (OpType t : OpType.values()) {
            if (t.isSignal()) {
                elsewhere.add(t); // read and run (MicroSpeechIT), not written
            }
        }
        elsewhere.addAll(EnumSet.range(OpType.SPLIT, OpType.RANGE)); // DataMovementOpsOracleTest
        assertThat(types).containsAll(EnumSet.complementOf(EnumSet.copyOf(elsewhere)));
        byte[] written = TfliteWriter.toBytes(m);

        SplittableRandom r = new SplittableRandom(5);
        double maxAbs = 0;
        double maxRef = 0;
        try (Interpreter quanta = new Interpreter(m);
                TfliteOracle oracle = TfliteOracle.open(written, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(written, TfliteOracle.Kernels.BUILTIN, 1)) {
            assertThat(oracle.outputShape(0)).containsExactly(1, 10);
            assertThat(oracle.outputShape(1)).containsExactly(1, 32);
            for (int s = 0; s < 8; s++) {
                float[] in = CoreArrays.uniform(r, 16 * 16 * 3, -1, 1);
                float[] q0 = new float[10];
                float[] q1 = new float[32];
                quanta.runForMultipleInputsOutputs(new Object[] {in}, new Object[] {q0, q1});
                for (TfliteOracle o : List.of(oracle, builtin)) {
                    o.setInput(0, in);
                    o.invoke();
                    float[][] ref = {o.outputFloat(0), o.outputFloat(1)};
                    float[][] got = {q0, q1};
                    for (int k = 0; k < 2; k++) {
                        for (int i = 0; i < ref[k].length; i++) {
                            maxAbs = Math.max(maxAbs, Math.abs(ref[k][i] - got[k][i]));
                            maxRef = Math.max(maxRef, Math.abs(ref[k][i]));
                        }
                    }
                }
            }
        }
        System.out.printf("all-ops model: max |Quanta - TFLite| %.3g (outputs up to %.3g)%n", maxAbs, maxRef);
        assertThat(maxAbs / maxRef).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void readingTheWrittenFileGivesTheSameGraphAndResults() {
        Model m = allOps();
        Model back = TfliteReader.read(TfliteWriter.toBytes(m), java.nio.file.Path.of("all_ops.tflite"));
        assertThat(back.ops()).hasSameSizeAs(m.ops());
        for (int i = 0; i < m.ops().size(); i++) {
            Op a = m.ops().get(i);
            Op b = back.ops().get(i);
            assertThat(b.type()).isEqualTo(a.type());
            if (a.type() == OpType.CONV_2D && a.inputs().size() == 2) {
                // TFLite's CONV_2D needs a bias: the writer adds zeros
                assertThat(b.inputs()).hasSize(3);
                assertThat(b.input(2).data().floats())
                        .containsOnly(0f)
                        .hasSize(a.input(1).shape().dim(0));
            } else {
                assertThat(b.inputs()).hasSameSizeAs(a.inputs());
            }
            assertThat(b.output(0).name()).isEqualTo(a.output(0).name());
            assertThat(b.output(0).shape()).isEqualTo(a.output(0).shape());
            assertThat(b.origin())
                    .isEqualTo(new Origin(a.output(0).name(), a.type().name()));
            assertThat(b.attributes()).usingRecursiveComparison().isEqualTo(normalized(a.attributes(), a));
            for (int k = 0; k < a.inputs().size(); k++) {
                Tensor ta = a.input(k);
                Tensor tb = b.input(k);
                assertThat(tb.name()).isEqualTo(ta.name());
                if (ta.isConstant()) {
                    assertThat(tb.data().bytes()).isEqualTo(ta.data().bytes());
                }
            }
        }
        SplittableRandom r = new SplittableRandom(9);
        try (Interpreter qa = new Interpreter(m);
                Interpreter qb = new Interpreter(back)) {
            for (int s = 0; s < 3; s++) {
                float[] in = CoreArrays.uniform(r, 16 * 16 * 3, -1, 1);
                float[] a0 = new float[10];
                float[] a1 = new float[32];
                float[] b0 = new float[10];
                float[] b1 = new float[32];
                qa.runForMultipleInputsOutputs(new Object[] {in}, new Object[] {a0, a1});
                qb.runForMultipleInputsOutputs(new Object[] {in}, new Object[] {b0, b1});
                assertThat(b0).containsExactly(a0);
                assertThat(b1).containsExactly(a1);
            }
        }
    }

    /** The writer normalizes a negative concatenation axis. */
    private static Object normalized(OpAttributes attrs, Op op) {
        if (attrs instanceof OpAttributes.Concatenation c && c.axis() < 0) {
            return new OpAttributes.Concatenation(c.axis() + op.input(0).shape().rank(), c.activation());
        }
        return attrs;
    }

    /** A dense layer on a rank-3 input keeps its leading axes (keep_num_dims in TFLite). */
    @Test
    @UsesOracle
    void fullyConnectedOnRank3InputKeepsItsDims() {
        SplittableRandom r = new SplittableRandom(3);
        ModelBuilder b = new ModelBuilder("seq_dense");
        Tensor x = b.input("x", Shape.batched(4, 8));
        Tensor y = b.add(
                OpType.FULLY_CONNECTED,
                "dense",
                O,
                new OpAttributes.FullyConnected(Activation.NONE),
                x,
                b.constant("w", Shape.of(5, 8), weights(r, 40, 1)),
                b.constant("b", Shape.of(5), weights(r, 5, 1)));
        Model m = b.output(y).build(ModelMetadata.inMemory());
        byte[] written = TfliteWriter.toBytes(m);
        float[] in = CoreArrays.uniform(r, 32, -1, 1);
        float[] out = new float[20];
        try (Interpreter q = new Interpreter(m);
                TfliteOracle o = TfliteOracle.open(written, TfliteOracle.Kernels.XNNPACK, 1)) {
            q.run(in, out);
            assertThat(o.outputShape(0)).containsExactly(1, 4, 5);
            float[] ref = o.runFloat(in);
            for (int i = 0; i < 20; i++) {
                assertThat((double) out[i]).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        Model back = TfliteReader.read(written, java.nio.file.Path.of("seq_dense.tflite"));
        assertThat(back.ops()).extracting(Op::type).containsExactly(OpType.FULLY_CONNECTED);
        assertThat(back.outputs().get(0).shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 4, 5));
    }

    /**
     * A hand-built file whose FULLY_CONNECTED (no keep_num_dims) flattens a [1,2,3] input to [2,3] rows: the
     * batch cannot be dynamic there, so the reader keeps the file's static shapes and inserts a RESHAPE.
     */
    @Test
    @UsesOracle
    void aDenseLayerThatFoldsTheBatchKeepsStaticShapes() {
        SplittableRandom r = new SplittableRandom(8);
        float[] w = weights(r, 12, 1);
        float[] bias = weights(r, 4, 1);
        TfliteBuilder b = new TfliteBuilder(4096);
        int[] buffers = {
            b.buffer(null),
            b.buffer(dev.quanta.ir.TensorData.ofFloats(w).bytes()),
            b.buffer(dev.quanta.ir.TensorData.ofFloats(bias).bytes())
        };
        int[] tensors = {
            b.tensor("x", new int[] {1, 2, 3}, new int[] {-1, 2, 3}, TfliteSchema.TT_FLOAT32, 0, 0),
            b.tensor("w", new int[] {4, 3}, null, TfliteSchema.TT_FLOAT32, 1, 0),
            b.tensor("b", new int[] {4}, null, TfliteSchema.TT_FLOAT32, 2, 0),
            b.tensor("y", new int[] {2, 4}, null, TfliteSchema.TT_FLOAT32, 0, 0)
        };
        int options = new TfliteOptions.FullyConnected(TfliteSchema.ACT_NONE, 0, false, false).write(b.fb);
        int op = b.operator(0, new int[] {0, 1, 2}, new int[] {3}, TfliteOptions.FullyConnected.TYPE, options);
        int subgraph = b.subgraph(tensors, new int[] {0}, new int[] {3}, new int[] {op}, "main");
        byte[] file = b.finishModel(
                new int[] {b.operatorCode(TfliteSchema.OP_FULLY_CONNECTED, 1)},
                new int[] {subgraph},
                "hand-built",
                buffers,
                new int[0],
                new int[0]);

        Model m = TfliteReader.read(file, java.nio.file.Path.of("flatten_dense.tflite"));
        assertThat(m.inputs().get(0).shape()).isEqualTo(Shape.of(1, 2, 3));
        assertThat(types(m)).containsExactly(OpType.RESHAPE, OpType.FULLY_CONNECTED);
        assertThat(m.outputs().get(0).shape()).isEqualTo(Shape.of(2, 4));
        float[] in = CoreArrays.uniform(r, 6, -1, 1);
        float[] out = new float[8];
        try (Interpreter q = new Interpreter(m);
                TfliteOracle o = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1)) {
            q.run(in, out);
            float[] ref = o.runFloat(in);
            for (int i = 0; i < 8; i++) {
                assertThat((double) out[i]).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    /** Collects every op type a list of models uses. */
    static List<OpType> types(Model m) {
        List<OpType> out = new ArrayList<>();
        m.ops().forEach(op -> out.add(op.type()));
        return out;
    }
}
