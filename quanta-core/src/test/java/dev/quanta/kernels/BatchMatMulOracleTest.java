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
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * BATCH_MATMUL against the official runtime on both paths: seeded single-op models of float32, int8 and int16 with
 * ranks 2 to 4, broadcast batch axes, adj_x and adj_y, and a second operand that is a graph input or a constant.
 * Integer outputs must be bit-exact; float32 within 1e-5 of the output's range.
 */
class BatchMatMulOracleTest {
    @TestFactory
    @UsesOracle
    Stream<DynamicTest> agreesWithTfliteOnBothPaths() {
        SingleOpModels g = new SingleOpModels(20261203L);
        List<DynamicTest> tests = new ArrayList<>();
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.INT16}) {
            for (int i = 0; i < 12; i++) {
                SingleOpModels.Case c = batchMatMul(g, type, i % 3 == 2);
                tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                    List<String> results = new ArrayList<>();
                    for (QuantizedPath path : QuantizedPath.values()) {
                        String r = TransposeConvOracleTest.compare(g, c, path);
                        System.out.println(c.name() + " " + path + ": " + r);
                        results.add(path + ": " + r);
                    }
                    assertThat(results).as(c.name()).allMatch(r -> r.contains(": ok"));
                }));
            }
        }
        return tests.stream();
    }

    /**
     * XNNPACK's delegate reads the second operand of an int8 BATCH_MATMUL as symmetric whatever its zero point, and
     * requantizes in fp32: Quanta's XNNPACK path does the same, so a file with zero points on every tensor gives
     * TFLite's values on each path, and the two paths differ.
     */
    @Test
    @UsesOracle
    void xnnpackIgnoresTheSecondZeroPoint() {
        SingleOpModels g = new SingleOpModels(99);
        for (boolean constant : new boolean[] {false, true}) {
            Tensor a = g.activation("a", DType.INT8, 0.05f, -20, 3, 4, 7);
            Tensor b = constant
                    ? new Tensor(
                            "b",
                            Shape.of(3, 7, 5),
                            DType.INT8,
                            constant(g, DType.INT8, 0.05f, new int[] {3, 7, 5}).data(),
                            QuantParams.perTensor(0.05f, 17),
                            true)
                    : g.activation("b", DType.INT8, 0.05f, 17, 3, 7, 5);
            Tensor y = g.activation("y", DType.INT8, 0.03f, -3, 3, 4, 5);
            Op op = SingleOpModels.op(OpType.BATCH_MATMUL, new OpAttributes.BatchMatMul(false, false), y, a, b);
            SingleOpModels.Case c = new SingleOpModels.Case(
                    "zero points", SingleOpModels.model("bmm", constant ? List.of(a) : List.of(a, b), op));
            assertThat(TransposeConvOracleTest.compare(g, c, QuantizedPath.XNNPACK))
                    .startsWith("ok delegated");
            assertThat(TransposeConvOracleTest.compare(g, c, QuantizedPath.BUILTIN))
                    .startsWith("ok builtin");
            Object in = g.randomInput(a);
            Object[] ins = constant ? new Object[] {in} : new Object[] {in, g.randomInput(b)};
            try (KernelRunner xnn = new KernelRunner(c.model(), QuantizedPath.XNNPACK);
                    KernelRunner builtin = new KernelRunner(c.model(), QuantizedPath.BUILTIN)) {
                xnn.run(ins);
                builtin.run(ins);
                assertThat((byte[]) xnn.output()).isNotEqualTo((byte[]) builtin.output());
            }
        }
    }

    /**
     * Ties: a·1 · (0.5·0.5/1) = a/4, so every a ≡ 2 (mod 4) lies on a tie of the final shift, both signs. TFLite's
     * built-in int8 kernel rounds them away from zero (gemmlowp's double rounding), XNNPACK to even; Quanta each as
     * its path.
     */
    @Test
    @UsesOracle
    void tiesRoundAsEachPath() {
        SingleOpModels g = new SingleOpModels(100);
        Tensor a = g.activation("a", DType.INT8, 0.5f, 0, 256, 1);
        Tensor b = new Tensor(
                "one",
                Shape.of(1, 1),
                DType.INT8,
                TensorData.ofBytes(DType.INT8, new byte[] {1}),
                QuantParams.perTensor(0.5f, 0),
                true);
        Tensor y = g.activation("y", DType.INT8, 1f, 0, 256, 1);
        Op op = SingleOpModels.op(OpType.BATCH_MATMUL, new OpAttributes.BatchMatMul(false, false), y, a, b);
        SingleOpModels.Case c = new SingleOpModels.Case("ties", SingleOpModels.model("bmm", List.of(a), op));
        assertThat(TransposeConvOracleTest.compare(g, c, QuantizedPath.BUILTIN)).startsWith("ok builtin");
        assertThat(TransposeConvOracleTest.compare(g, c, QuantizedPath.XNNPACK)).startsWith("ok delegated");
        byte[] in = new byte[256];
        for (int i = 0; i < 256; i++) {
            in[i] = (byte) (i - 128);
        }
        try (KernelRunner builtin = new KernelRunner(c.model(), QuantizedPath.BUILTIN);
                KernelRunner xnn = new KernelRunner(c.model(), QuantizedPath.XNNPACK)) {
            builtin.run((Object) in);
            xnn.run((Object) in);
            byte[] yb = (byte[]) builtin.output();
            byte[] yx = (byte[]) xnn.output();
            assertThat(yb[128 - 6]).isEqualTo((byte) -2); // −6/4 = −1.5: away from zero
            assertThat(yb[128 + 6]).isEqualTo((byte) 2); // 1.5
            assertThat(yb[128 + 2]).isEqualTo((byte) 1); // 0.5
            assertThat(yx[128 - 6]).isEqualTo((byte) -2); // to even
            assertThat(yx[128 + 2]).isEqualTo((byte) 0); // 0.5 to even
        }
    }

    /** Random batch shapes (each axis of one operand 1 or the full size), adj flags and a variable or constant b. */
    static SingleOpModels.Case batchMatMul(SingleOpModels g, DType type, boolean constantB) {
        Random r = g.random;
        int rank = 2 + r.nextInt(3);
        int m = 1 + r.nextInt(6);
        int k = 1 + r.nextInt(40);
        int n = 1 + r.nextInt(6);
        boolean adjX = r.nextBoolean();
        boolean adjY = r.nextBoolean();
        int[] batch = new int[rank - 2];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = 1 + r.nextInt(3);
        }
        int[] as = new int[rank];
        int[] bs = new int[rank - (rank > 2 && r.nextBoolean() ? 1 : 0)]; // b may have a batch axis fewer
        for (int i = 0; i < rank - 2; i++) {
            as[i] = r.nextInt(3) == 0 ? 1 : batch[i];
            int j = i - (rank - bs.length);
            if (j >= 0) {
                // with adj_x, TFLite's built-in kernel reads uninitialized memory where b's axis is 1 against a's
                // larger one (see BatchMatMulKernels): those combinations are left out
                bs[j] = as[i] == 1 || adjX ? batch[i] : (r.nextInt(3) == 0 ? 1 : batch[i]);
            }
        }
        as[rank - 2] = adjX ? k : m;
        as[rank - 1] = adjX ? m : k;
        bs[bs.length - 2] = adjY ? n : k;
        bs[bs.length - 1] = adjY ? k : n;
        var attrs = new OpAttributes.BatchMatMul(adjX, adjY);
        Shape ys = ShapeInference.infer(
                OpType.BATCH_MATMUL,
                attrs,
                List.of(g.activation("a", DType.FLOAT32, 0, 0, as), g.activation("b", DType.FLOAT32, 0, 0, bs)));
        float sa = type == DType.FLOAT32 ? 0 : g.logUniform(0.01f, 0.1f);
        float sb = type == DType.FLOAT32 ? 0 : g.logUniform(0.01f, 0.1f);
        Tensor a = g.activation("a", type, sa, g.zeroPoint(type), as);
        Tensor b = constantB ? constant(g, type, sb, bs) : g.activation("b", type, sb, g.zeroPoint(type), bs);
        float sy = type == DType.FLOAT32 ? 0 : g.accumulatorScale(sa, sb, k, type);
        Tensor y = g.activation("y", type, sy, g.zeroPoint(type), ys.dims());
        String name = "BATCH_MATMUL " + type + " " + Arrays.toString(as) + " x " + Arrays.toString(bs) + " adj " + adjX
                + "/" + adjY + (constantB ? " constant b" : "");
        Op op = SingleOpModels.op(OpType.BATCH_MATMUL, attrs, y, a, b);
        return new SingleOpModels.Case(name, SingleOpModels.model("bmm", constantB ? List.of(a) : List.of(a, b), op));
    }

    private static Tensor constant(SingleOpModels g, DType type, float scale, int[] dims) {
        Object v = g.randomInput(new Tensor("c", Shape.of(dims), type, null, null, false));
        TensorData data = switch (type) {
            case FLOAT32 -> TensorData.ofFloats((float[]) v);
            case INT8 -> TensorData.ofBytes(type, (byte[]) v);
            default -> {
                short[] s = (short[]) v;
                byte[] bytes = new byte[2 * s.length];
                for (int i = 0; i < s.length; i++) {
                    bytes[2 * i] = (byte) s[i];
                    bytes[2 * i + 1] = (byte) (s[i] >> 8);
                }
                yield TensorData.ofBytes(type, bytes);
            }
        };
        QuantParams q = type == DType.FLOAT32 ? null : QuantParams.perTensor(scale, g.zeroPoint(type));
        return new Tensor("b_const", Shape.of(dims), type, data, q, true);
    }

    /** The writer keeps adj_x and adj_y; the reader gives the op back. */
    @Test
    void writeThenReadKeepsTheFlags() {
        SingleOpModels g = new SingleOpModels(5);
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.INT16}) {
            for (int i = 0; i < 4; i++) {
                SingleOpModels.Case c = batchMatMul(g, type, i % 2 == 0);
                Op written = c.model().ops().get(0);
                Model back = TfliteReader.read(TfliteWriter.toBytes(c.model()), Path.of("bmm.tflite"));
                Op op = back.ops().get(0);
                assertThat(op.type()).isEqualTo(OpType.BATCH_MATMUL);
                assertThat(op.attrs(OpAttributes.BatchMatMul.class))
                        .isEqualTo(written.attrs(OpAttributes.BatchMatMul.class));
                assertThat(op.input(1).isConstant()).isEqualTo(written.input(1).isConstant());
            }
        }
    }

    /** Inner sizes that differ, and batch axes that do not broadcast, are refused naming the shapes. */
    @Test
    void refusesShapesThatDoNotFit() {
        SingleOpModels g = new SingleOpModels(6);
        var plain = new OpAttributes.BatchMatMul(false, false);
        Tensor a = g.activation("a", DType.FLOAT32, 0, 0, 2, 3, 4);
        assertThatThrownBy(() -> ShapeInference.infer(
                        OpType.BATCH_MATMUL, plain, List.of(a, g.activation("b", DType.FLOAT32, 0, 0, 2, 5, 6))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inner sizes 4 and 5");
        assertThatThrownBy(() -> ShapeInference.infer(
                        OpType.BATCH_MATMUL, plain, List.of(a, g.activation("b", DType.FLOAT32, 0, 0, 3, 4, 6))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not broadcast (2 vs 3)");
        // adj_y reads b [2, 6, 4] as [2, 4, 6]
        assertThat(ShapeInference.infer(
                                OpType.BATCH_MATMUL,
                                new OpAttributes.BatchMatMul(false, true),
                                List.of(a, g.activation("b", DType.FLOAT32, 0, 0, 1, 6, 4)))
                        .dims())
                .containsExactly(2, 3, 6);
    }

    /** int16 operands with a zero point have no kernel, in TFLite or here. */
    @Test
    void refusesAsymmetricInt16() {
        SingleOpModels g = new SingleOpModels(7);
        Tensor a = g.activation("a", DType.INT16, 0.01f, 3, 2, 4);
        Tensor b = g.activation("b", DType.INT16, 0.01f, 0, 4, 2);
        Tensor y = g.activation("y", DType.INT16, 0.01f, 0, 2, 2);
        Model m = SingleOpModels.model(
                "bad",
                List.of(a, b),
                SingleOpModels.op(OpType.BATCH_MATMUL, new OpAttributes.BatchMatMul(false, false), y, a, b));
        assertThatThrownBy(() -> new KernelRunner(m, QuantizedPath.BUILTIN))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("zero point 0");
    }
}
