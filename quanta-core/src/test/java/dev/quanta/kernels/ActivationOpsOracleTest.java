package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The activation ops of issue 11 (HARD_SWISH, PRELU, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1, LOG_SOFTMAX) and
 * quantized MINIMUM / MAXIMUM against TFLite 2.21 on both paths: seeded random single-op models (random shapes and
 * quantization parameters) written by Quanta's writer, read back by its reader, run by Quanta's interpreter on the
 * path and by TFLite on the same path. Integer outputs must be bit-exact, float outputs within 1e-5 of their
 * range; combinations TFLite refuses must be refused by Quanta too.
 */
@UsesOracle
class ActivationOpsOracleTest {
    private static final int CASES = 6;
    private static final int SAMPLES = 3;

    private final SingleOpModels g = new SingleOpModels(20261202L);

    private record Case(String name, Model model) {}

    @TestFactory
    Stream<DynamicTest> matchesTfliteOnBothPaths() {
        List<DynamicTest> tests = new ArrayList<>();
        add(
                tests,
                "HARD_SWISH",
                () -> unary(OpType.HARD_SWISH, OpAttributes.None.INSTANCE),
                DType.FLOAT32,
                DType.INT8,
                DType.UINT8);
        add(tests, "ELU", () -> unary(OpType.ELU, OpAttributes.None.INSTANCE), DType.FLOAT32, DType.INT8);
        // s_y = 2 s_x exactly: half the outputs of x >= 0 are ties, which tell std::round from rint
        add(tests, "ELU ties", () -> t -> ties(OpType.ELU, t), DType.INT8);
        add(tests, "GELU ties", () -> t -> ties(OpType.GELU, t), DType.INT8, DType.UINT8);
        add(tests, "HARD_SWISH ties", () -> t -> ties(OpType.HARD_SWISH, t), DType.INT8, DType.UINT8);
        add(
                tests,
                "GELU",
                () -> unary(OpType.GELU, new OpAttributes.Gelu(false)),
                DType.FLOAT32,
                DType.INT8,
                DType.UINT8,
                DType.INT16);
        add(
                tests,
                "GELU approximate",
                () -> unary(OpType.GELU, new OpAttributes.Gelu(true)),
                DType.FLOAT32,
                DType.INT8,
                DType.UINT8,
                DType.INT16);
        add(
                tests,
                "RELU_N1_TO_1",
                () -> unary(OpType.RELU_N1_TO_1, OpAttributes.None.INSTANCE),
                DType.FLOAT32,
                DType.INT8,
                DType.UINT8);
        add(
                tests,
                "RELU_0_TO_1",
                () -> unary(OpType.RELU_0_TO_1, OpAttributes.None.INSTANCE),
                DType.FLOAT32,
                DType.INT8,
                DType.UINT8);
        add(
                tests,
                "LOG_SOFTMAX",
                () -> unary(OpType.LOG_SOFTMAX, OpAttributes.None.INSTANCE),
                DType.FLOAT32,
                DType.INT8,
                DType.UINT8);
        add(tests, "PRELU", () -> this::prelu, DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16);
        add(tests, "MINIMUM", () -> t -> minMax(OpType.MINIMUM, t), DType.INT8, DType.UINT8, DType.INT16);
        add(tests, "MAXIMUM", () -> t -> minMax(OpType.MAXIMUM, t), DType.INT8, DType.UINT8, DType.INT16);
        return tests.stream();
    }

    /** Combinations TFLite 2.21 has no kernel for: Quanta refuses them too, naming the op. */
    @TestFactory
    Stream<DynamicTest> refusesWhatTfliteRefuses() {
        List<DynamicTest> tests = new ArrayList<>();
        Object[][] refused = {
            {OpType.ELU, DType.UINT8},
            {OpType.ELU, DType.INT16},
            {OpType.HARD_SWISH, DType.INT16},
            {OpType.RELU_N1_TO_1, DType.INT16},
            {OpType.RELU_0_TO_1, DType.INT16},
            {OpType.LOG_SOFTMAX, DType.INT16},
        };
        for (Object[] r : refused) {
            OpType type = (OpType) r[0];
            DType t = (DType) r[1];
            tests.add(DynamicTest.dynamicTest(type + " " + t, () -> {
                OpAttributes attrs = type == OpType.GELU ? new OpAttributes.Gelu(false) : OpAttributes.None.INSTANCE;
                Case c = unary(type, attrs).apply(t);
                byte[] bytes = TfliteWriter.toBytes(c.model());
                assertThatThrownBy(() -> {
                            try (NativeTflite oracle = new NativeTflite(bytes, false)) {
                                oracle.setInputArray(
                                        0, g.randomInput(c.model().inputs().get(0)));
                                oracle.invoke(); // TFLite's kernels refuse the type in Prepare or in Eval
                            }
                        })
                        .as("TFLite refuses " + c.name())
                        .isInstanceOf(IllegalStateException.class);
                Model read = TfliteReader.read(bytes, Path.of(c.name() + ".tflite"));
                assertThatThrownBy(() -> {
                            try (Interpreter quanta = new Interpreter(read)) {
                                quanta.resizeInput(
                                        0, c.model().inputs().get(0).shape().dims());
                                quanta.allocateTensors();
                            }
                        })
                        .hasMessageContaining(type.name())
                        .hasMessageContaining(t.name());
            }));
        }
        return tests.stream();
    }

    private interface Gen {
        Case apply(DType t);
    }

    private void add(List<DynamicTest> tests, String name, Supplier<Gen> gen, DType... types) {
        for (DType t : types) {
            tests.add(DynamicTest.dynamicTest(name + " " + t, () -> {
                List<String> failures = new ArrayList<>();
                for (int i = 0; i < CASES; i++) {
                    Case c = gen.get().apply(t);
                    for (QuantizedPath path : QuantizedPath.values()) {
                        String r = check(c, path);
                        if (r != null) {
                            failures.add(r);
                        }
                    }
                }
                assertThat(failures).as(name + " " + t).isEmpty();
            }));
        }
    }

    /** Null when Quanta agrees with TFLite on {@code path}, else what differs. */
    private String check(Case c, QuantizedPath path) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of(c.name() + ".tflite"));
        Interpreter.Options options = Interpreter.Options.defaults().withKernelPath(path);
        try (NativeTflite oracle = new NativeTflite(bytes, path == QuantizedPath.XNNPACK);
                Interpreter quanta = new Interpreter(read, options)) {
            for (int i = 0; i < read.inputs().size(); i++) {
                quanta.resizeInput(i, c.model().inputs().get(i).shape().dims());
            }
            for (int s = 0; s < SAMPLES; s++) {
                Object[] ins = new Object[c.model().inputs().size()];
                for (int i = 0; i < ins.length; i++) {
                    ins[i] = g.randomInput(c.model().inputs().get(i));
                    oracle.setInputArray(i, ins[i]);
                }
                oracle.invoke();
                Tensor out = c.model().outputs().get(0);
                Object got = Buffers.allocate(
                        out.dtype(), Math.toIntExact(out.shape().elementCount()));
                quanta.runForMultipleInputsOutputs(ins, new Object[] {got});
                Object want = oracle.outputArray(0, got);
                String where = c.name() + " " + path + (oracle.delegated() ? " (delegated)" : " (built-in)");
                if (got instanceof float[] f) {
                    float[] w = (float[]) want;
                    double range = 1;
                    for (float v : w) {
                        range = Math.max(range, Math.abs(v));
                    }
                    double d = SingleOpSweep.maxDiff(got, want, out);
                    if (d > 1e-5 * range) {
                        return where + ": max diff " + d + " (range " + range + ")";
                    }
                } else {
                    int differ = 0;
                    int first = -1;
                    for (int i = 0; i < Buffers.length(got); i++) {
                        if (Quant.get(got, out.dtype(), i) != Quant.get(want, out.dtype(), i)) {
                            differ++;
                            first = first < 0 ? i : first;
                        }
                    }
                    if (differ > 0) {
                        return where + ": " + differ + "/" + Buffers.length(got) + " differ, first at " + first
                                + " input "
                                + Quant.get(ins[0], c.model().inputs().get(0).dtype(), first) + " got "
                                + Quant.get(got, out.dtype(), first) + " want " + Quant.get(want, out.dtype(), first)
                                + " params " + c.model().inputs().get(0).quant() + " -> " + out.quant();
                    }
                }
            }
        }
        return null;
    }

    /** A random shape of rank 1 to 4 with at most a few hundred elements. */
    private int[] randomShape() {
        int rank = 1 + g.random.nextInt(4);
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = 1 + g.random.nextInt(rank == 1 ? 300 : rank == 2 ? 20 : 7);
        }
        return d;
    }

    private Gen unary(OpType type, OpAttributes attrs) {
        return t -> {
            int[] dims = randomShape();
            float sx = g.logUniform(0.01f, 0.2f);
            int zx = g.zeroPoint(t);
            float sy = sx * g.logUniform(0.5f, 2f);
            int zy = g.zeroPoint(t);
            if (type == OpType.LOG_SOFTMAX) { // TFLite's fixed output parameters
                sy = 16f / 256;
                zy = t == DType.INT8 ? 127 : 255;
            }
            Tensor x = g.activation("x", t, sx, zx, dims);
            Tensor y = g.activation("y", t, sy, zy, dims);
            return new Case(
                    type + " " + t + " " + Shape.of(dims),
                    SingleOpModels.model(type.name().toLowerCase(), List.of(x), SingleOpModels.op(type, attrs, y, x)));
        };
    }

    /** A unary op with power-of-two scales, s_y = 2 s_x, so that exact ties occur. */
    private Case ties(OpType type, DType t) {
        int[] dims = {1, 256};
        float sx = 1f / (1 << (4 + g.random.nextInt(3)));
        int zx = g.zeroPoint(t);
        int zy = g.zeroPoint(t);
        Tensor x = g.activation("x", t, sx, zx, dims);
        Tensor y = g.activation("y", t, 2 * sx, zy, dims);
        OpAttributes attrs = type == OpType.GELU ? new OpAttributes.Gelu(false) : OpAttributes.None.INSTANCE;
        return new Case(
                type + " " + t + " s_x " + sx + " s_y " + (2 * sx),
                SingleOpModels.model(type.name().toLowerCase(), List.of(x), SingleOpModels.op(type, attrs, y, x)));
    }

    /** PRELU on [1, h, w, c] with slopes of shape [c], [1, 1, c] or [h, w, c]. */
    private Case prelu(DType t) {
        int h = 1 + g.random.nextInt(6);
        int w = 1 + g.random.nextInt(6);
        int ch = 1 + g.random.nextInt(8);
        int[][] alphaShapes = {{ch}, {1, 1, ch}, {h, w, ch}};
        int[] as = alphaShapes[g.random.nextInt(alphaShapes.length)];
        int n = 1;
        for (int d : as) {
            n *= d;
        }
        float sx = g.logUniform(0.01f, 0.2f);
        Tensor x = g.activation("x", t, sx, g.zeroPoint(t), 1, h, w, ch);
        Tensor alpha;
        if (t == DType.FLOAT32) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) (g.random.nextDouble() * 0.6 - 0.1);
            }
            alpha = new Tensor("alpha", Shape.of(as), t, TensorData.ofFloats(a), null, true);
        } else {
            // int16 activations take int8 slopes (the 16x8 scheme)
            DType at = t == DType.INT16 ? DType.INT8 : t;
            byte[] a = new byte[n];
            g.random.nextBytes(a);
            QuantParams q = QuantParams.perTensor(g.logUniform(0.001f, 0.01f), t == DType.INT16 ? 0 : g.zeroPoint(t));
            alpha = new Tensor("alpha", Shape.of(as), at, TensorData.ofBytes(at, a), q, true);
        }
        Shape ys = ShapeInference.broadcast(x.shape(), alpha.shape());
        Tensor y = g.activation("y", t, sx * g.logUniform(0.5f, 2f), g.zeroPoint(t), ys.dims());
        Op op = SingleOpModels.op(OpType.PRELU, OpAttributes.None.INSTANCE, y, x, alpha);
        return new Case(
                "PRELU " + t + " x " + x.shape() + " alpha " + alpha.shape(),
                SingleOpModels.model("prelu", List.of(x), op));
    }

    /** Quantized MINIMUM / MAXIMUM with the parameters shared, as the converter writes them; b broadcast. */
    private Case minMax(OpType type, DType t) {
        int[] a = randomShape();
        int[] b = a.clone();
        for (int i = 0; i < b.length; i++) {
            if (g.random.nextInt(3) == 0) {
                b[i] = 1;
            }
        }
        float s = g.logUniform(0.01f, 0.2f);
        int zp = g.zeroPoint(t);
        Tensor x = g.activation("a", t, s, zp, a);
        Tensor z = g.activation("b", t, s, zp, b);
        Tensor y = g.activation("y", t, s, zp, a);
        return new Case(
                type + " " + t + " " + Shape.of(a) + " " + Shape.of(b),
                SingleOpModels.model(
                        type.name().toLowerCase(),
                        List.of(x, z),
                        SingleOpModels.op(type, OpAttributes.None.INSTANCE, y, x, z)));
    }
}
