package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * ARG_MAX, ARG_MIN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD and L2_NORMALIZATION against TFLite 2.21 on both paths,
 * on seeded random shapes (rank 1 to 4), axes (negative and repeated ones too) and keep_dims, in every type the
 * built-in kernels take. Integer outputs bit-exact (indices on ties included: small integer ranges make ties
 * common), float outputs within 1e-5 of the range; the combinations TFLite refuses are refused by both.
 */
@UsesOracle
class ReduceOpsOracleTest {
    private static final int SHAPES = 4;
    private static final int SAMPLES = 2;

    private record Case(String name, Model model, int intSpread, float floatScale) {}

    private final ResampleReduceOracleSupport g = new ResampleReduceOracleSupport(20261203L);

    private int[] randomShape() {
        int[] s = new int[1 + g.random.nextInt(4)];
        for (int i = 0; i < s.length; i++) {
            s[i] = 1 + g.random.nextInt(5);
        }
        return s;
    }

    private int[] randomAxes(int rank) {
        int n = 1 + g.random.nextInt(rank);
        int[] axes = new int[n];
        for (int i = 0; i < n; i++) {
            int a = g.random.nextInt(rank);
            axes[i] = g.random.nextBoolean() ? a - rank : a;
        }
        return axes;
    }

    private Case argMinMax(OpType op, DType in, DType out) {
        int[] s = randomShape();
        int axis = g.random.nextInt(s.length) - (g.random.nextBoolean() ? s.length : 0);
        Tensor x = g.tensor("x", in, g.params(in), s);
        Model m = ResampleReduceOracleSupport.model(op, new OpAttributes.ArgMinMax(axis), x, out, null, "arg");
        return new Case(op + " " + in + " -> " + out + " " + Arrays.toString(s) + " axis " + axis, m, 3, 1f);
    }

    /** A reduction; {@code sameParams} gives the output the input's parameters, else calibrated-looking ones. */
    private Case reduce(OpType op, DType t, boolean sameParams) {
        int[] s = randomShape();
        int[] axes = randomAxes(s.length);
        boolean keep = g.random.nextBoolean();
        QuantParams qx = g.params(t);
        QuantParams qy = qx;
        if (!sameParams && qx != null) {
            if (op == OpType.REDUCE_PROD) {
                float sx = 1f / 128 * g.logUniform(0.5f, 2f);
                qx = QuantParams.perTensor(sx, qx.zeroPoint());
                qy = QuantParams.perTensor(sx * g.logUniform(0.5f, 4f), t == DType.INT16 ? 0 : qx.zeroPoint() / 2);
            } else {
                qy = QuantParams.perTensor(
                        qx.scale() * g.logUniform(1f, 8f),
                        t == DType.INT16 ? 0 : g.params(t).zeroPoint());
            }
        }
        Tensor x = g.tensor("x", t, qx, s);
        Model m = ResampleReduceOracleSupport.model(op, new OpAttributes.Reduce(axes, keep), x, t, qy, "reduce");
        int spread = op == OpType.REDUCE_PROD && qx == null ? 3 : 0;
        float floatScale = op == OpType.REDUCE_PROD ? 1f : 3f;
        return new Case(
                op + " " + t + (sameParams ? " same params " : " ") + Arrays.toString(s) + " axes "
                        + Arrays.toString(axes) + " keep_dims=" + keep,
                m,
                spread,
                floatScale);
    }

    private Case l2(DType t) {
        int[] s = randomShape();
        QuantParams qy = t == DType.UINT8
                ? QuantParams.perTensor(1f / 128, 128)
                : t == DType.INT8 ? QuantParams.perTensor(1f / 128, 0) : null;
        Tensor x = g.tensor("x", t, g.params(t), s);
        Model m = ResampleReduceOracleSupport.model(
                OpType.L2_NORMALIZATION, dev.quanta.ir.OpAttributes.None.INSTANCE, x, t, qy, "l2");
        return new Case("L2_NORMALIZATION " + t + " " + Arrays.toString(s), m, 0, 3f);
    }

    private DynamicTest sweep(String name, java.util.function.Supplier<Case> gen) {
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < SHAPES; i++) {
            cases.add(gen.get());
        }
        return DynamicTest.dynamicTest(name, () -> {
            for (Case c : cases) {
                for (QuantizedPath path : QuantizedPath.values()) {
                    if (path == QuantizedPath.XNNPACK && xnnpackRefuses(c.model())) {
                        assertThatThrownBy(() -> g.compare(c.model(), path, 1, 0, 1f))
                                .as(c.name() + ": the XNNPACK delegate refuses repeated axes")
                                .isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("AllocateTensors failed");
                        continue;
                    }
                    ResampleReduceOracleSupport.Outcome o;
                    try {
                        o = g.compare(c.model(), path, SAMPLES, c.intSpread(), c.floatScale());
                    } catch (IllegalStateException e) {
                        throw new AssertionError(c.name() + " on " + path + ": " + e.getMessage(), e);
                    }
                    ResampleReduceOracleSupport.assertMatches(
                            c.name(), path, c.model().outputs().get(0).dtype(), o);
                }
                if (c.model().ops().get(0).type() == OpType.SUM
                        && c.model().outputs().get(0).quant() != null) {
                    assertThat(g.crossPathDiff(c.model(), SAMPLES))
                            .as(c.name() + ": XNNPACK vs built-in")
                            .isLessThanOrEqualTo(1.0);
                }
            }
        });
    }

    /**
     * True for the models TFLite fails to prepare with its default XNNPACK delegate: SUM, REDUCE_MAX or REDUCE_MIN
     * of float32, int8 or uint8 (which XNNPACK takes) over an axis list that names an axis twice.
     */
    private static boolean xnnpackRefuses(Model m) {
        var op = m.ops().get(0);
        if (!(op.attributes() instanceof OpAttributes.Reduce a)
                || op.type() == OpType.REDUCE_PROD
                || !(op.input(0).dtype() == DType.FLOAT32
                        || op.input(0).dtype() == DType.INT8
                        || op.input(0).dtype() == DType.UINT8)) {
            return false;
        }
        int rank = op.input(0).shape().rank();
        boolean[] seen = new boolean[rank];
        for (int axis : a.axes()) {
            int ax = axis < 0 ? axis + rank : axis;
            if (seen[ax]) {
                return true;
            }
            seen[ax] = true;
        }
        return false;
    }

    @TestFactory
    Stream<DynamicTest> bitExactWithTfliteOnBothPaths() {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.ARG_MAX, OpType.ARG_MIN}) {
            for (DType in : new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT32, DType.BOOL}) {
                for (DType out : new DType[] {DType.INT32, DType.INT64}) {
                    tests.add(sweep(op + " " + in + " -> " + out, () -> argMinMax(op, in, out)));
                }
            }
        }
        for (OpType op : new OpType[] {OpType.SUM, OpType.REDUCE_MAX, OpType.REDUCE_MIN, OpType.REDUCE_PROD}) {
            for (DType t : new DType[] {DType.FLOAT32, DType.INT32, DType.INT64}) {
                tests.add(sweep(op + " " + t, () -> reduce(op, t, true)));
            }
        }
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16}) {
            tests.add(sweep("SUM same params " + t, () -> reduce(OpType.SUM, t, true)));
            tests.add(sweep("REDUCE_MAX " + t, () -> reduce(OpType.REDUCE_MAX, t, true)));
            tests.add(sweep("REDUCE_MIN " + t, () -> reduce(OpType.REDUCE_MIN, t, true)));
        }
        tests.add(sweep("SUM rescaled INT8", () -> reduce(OpType.SUM, DType.INT8, false)));
        tests.add(sweep("SUM rescaled UINT8", () -> reduce(OpType.SUM, DType.UINT8, false)));
        tests.add(sweep("SUM rescaled INT16", () -> reduce(OpType.SUM, DType.INT16, false)));
        tests.add(sweep("REDUCE_PROD quantized INT8", () -> reduce(OpType.REDUCE_PROD, DType.INT8, false)));
        tests.add(sweep("REDUCE_PROD quantized INT16", () -> reduce(OpType.REDUCE_PROD, DType.INT16, false)));
        for (DType t : new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8}) {
            tests.add(sweep("L2_NORMALIZATION " + t, () -> l2(t)));
        }
        return tests.stream();
    }

    /** What TFLite refuses, Quanta refuses too (naming the op), rather than computing something else. */
    @Test
    void refusesWhatTfliteRefuses() throws Exception {
        List<Case> refused = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.REDUCE_MAX, OpType.REDUCE_MIN}) {
            refused.add(reduce(op, DType.INT8, false)); // output parameters differ from the input's
        }
        refused.add(argMinMax(OpType.ARG_MAX, DType.INT64, DType.INT32));
        refused.add(argMinMax(OpType.ARG_MIN, DType.INT64, DType.INT64));
        QuantParams q = QuantParams.perTensor(0.05f, 3);
        refused.add(new Case(
                "uint8 REDUCE_PROD",
                ResampleReduceOracleSupport.model(
                        OpType.REDUCE_PROD,
                        new OpAttributes.Reduce(new int[] {0}, false),
                        g.tensor("x", DType.UINT8, q, 4, 3),
                        DType.UINT8,
                        q,
                        "prod"),
                0,
                1f));
        for (Case c : refused) {
            byte[] bytes = TfliteWriter.toBytes(c.model());
            boolean tfliteRefuses;
            try (NativeTflite t = new NativeTflite(bytes, false)) {
                t.setInputArray(0, g.randomBytes(c.model().inputs().get(0), 0, 1f));
                t.invoke();
                tfliteRefuses = false;
            } catch (IllegalStateException e) {
                tfliteRefuses = true;
            }
            assertThat(tfliteRefuses).as(c.name() + ": TFLite refuses").isTrue();
            Model read = TfliteReader.read(bytes, Path.of("refused.tflite"));
            assertThatThrownBy(() -> {
                        try (Interpreter i = new Interpreter(read)) {
                            Tensor x = c.model().inputs().get(0);
                            i.resizeInput(0, x.shape().dims());
                            Object in = ResampleReduceOracleSupport.decode(g.randomBytes(x, 0, 1f), x.dtype());
                            Tensor y = c.model().outputs().get(0);
                            Object out = Buffers.allocate(
                                    y.dtype(), Math.toIntExact(y.shape().elementCount()));
                            i.runForMultipleInputsOutputs(new Object[] {in}, new Object[] {out});
                        }
                    })
                    .as(c.name())
                    .hasMessageContaining(c.model().ops().get(0).type().name());
        }
    }
}
