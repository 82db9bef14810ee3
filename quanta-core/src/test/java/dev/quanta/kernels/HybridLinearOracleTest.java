package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
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
 * Hybrid TRANSPOSE_CONV and BATCH_MATMUL (float32 activations, int8 weights) against TFLite 2.21's built-in hybrid
 * kernels: seeded single-op models, outputs within 1e-5 of the output's range. XNNPACK's delegate takes both ops
 * with its own dynamic quantization, which Quanta does not reproduce: there the test only requires that both run.
 */
@UsesOracle
class HybridLinearOracleTest {
    @TestFactory
    Stream<DynamicTest> agreesWithTflitesBuiltinHybridKernels() {
        SingleOpModels g = new SingleOpModels(20261202L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            SingleOpModels.Case c = i % 2 == 0 ? transposeConv(g, i % 4 == 0) : batchMatMul(g, i % 3 != 0);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                String builtin = TransposeConvOracleTest.compare(g, c, QuantizedPath.BUILTIN);
                String xnnpack = TransposeConvOracleTest.compare(g, c, QuantizedPath.XNNPACK);
                System.out.println(c.name() + " BUILTIN: " + builtin + "; XNNPACK: " + xnnpack);
                assertThat(builtin).as(c.name()).startsWith("ok builtin");
                assertThat(xnnpack).as(c.name()).startsWith("ok");
            }));
        }
        return tests.stream();
    }

    /** A hybrid TRANSPOSE_CONV of random geometry, per-channel or per-tensor weights, with a float bias or none. */
    static SingleOpModels.Case transposeConv(SingleOpModels g, boolean perChannel) {
        Random r = g.random;
        int batch = 1 + r.nextInt(2);
        int h = 1 + r.nextInt(6);
        int wd = 1 + r.nextInt(6);
        int c = 1 + r.nextInt(5);
        int o = 1 + r.nextInt(7);
        int kh = 1 + r.nextInt(4);
        int kw = 1 + r.nextInt(4);
        int stride = 1 + r.nextInt(3);
        Padding pad = r.nextBoolean() ? Padding.SAME : Padding.VALID;
        int oh = pad == Padding.SAME ? h * stride : (h - 1) * stride + Math.max(kh, stride);
        int ow = pad == Padding.SAME ? wd * stride : (wd - 1) * stride + Math.max(kw, stride);
        Activation act = g.activation();
        boolean withBias = r.nextInt(4) != 0;
        Tensor x = g.activation("x", DType.FLOAT32, 0, 0, batch, h, wd, c);
        Tensor w = g.weights(DType.INT8, new int[] {o, kh, kw, c}, 0, perChannel);
        Tensor y = g.activation("y", DType.FLOAT32, 0, 0, batch, oh, ow, o);
        var a = new OpAttributes.TransposeConv(pad, stride, stride, oh, ow, act);
        String name = "hybrid TRANSPOSE_CONV " + (perChannel ? "per-channel" : "per-tensor") + " b" + batch + " " + h
                + "x" + wd + "x" + c + " -> " + oh + "x" + ow + "x" + o + " k" + kh + "x" + kw + " s" + stride + " "
                + pad + " " + act + (withBias ? "" : " no bias");
        Op op = withBias
                ? SingleOpModels.op(OpType.TRANSPOSE_CONV, a, y, x, w, Tensor.constant("b", Shape.of(o), gauss(r, o)))
                : SingleOpModels.op(OpType.TRANSPOSE_CONV, a, y, x, w);
        return new SingleOpModels.Case(name, SingleOpModels.model("htconv", List.of(x), op));
    }

    /**
     * A hybrid BATCH_MATMUL: a float input of rank 2 to 4 (at most one batch axis larger than 1 when of rank 4),
     * constant int8 weights [K, N] (or [N, K] with adj_y), per tensor or per output column, inputs quantized
     * asymmetrically or symmetrically.
     */
    static SingleOpModels.Case batchMatMul(SingleOpModels g, boolean asymmetric) {
        Random r = g.random;
        int rank = 2 + r.nextInt(3);
        int m = 1 + r.nextInt(6);
        int k = 1 + r.nextInt(60);
        int n = 1 + r.nextInt(8);
        boolean adjX = r.nextBoolean();
        boolean adjY = r.nextBoolean();
        boolean perChannel = r.nextInt(3) == 0;
        int[] as = new int[rank];
        for (int i = 0; i < rank - 2; i++) {
            as[i] = 1 + r.nextInt(3);
        }
        if (rank == 4) {
            as[r.nextInt(2)] = 1;
        }
        as[rank - 2] = adjX ? k : m;
        as[rank - 1] = adjX ? m : k;
        int[] bs = adjY ? new int[] {n, k} : new int[] {k, n};
        Tensor a = g.activation("a", DType.FLOAT32, 0, 0, as);
        Tensor b = g.weights(DType.INT8, bs, adjY ? 0 : 1, perChannel);
        var attrs = new OpAttributes.BatchMatMul(adjX, adjY, asymmetric);
        Shape ys = ShapeInference.infer(OpType.BATCH_MATMUL, attrs, List.of(a, b));
        Tensor y = g.activation("y", DType.FLOAT32, 0, 0, ys.dims());
        String name = "hybrid BATCH_MATMUL " + Arrays.toString(as) + " x " + Arrays.toString(bs) + " adj " + adjX + "/"
                + adjY + (perChannel ? " per-channel" : " per-tensor") + (asymmetric ? " asymmetric" : " symmetric");
        Op op = SingleOpModels.op(OpType.BATCH_MATMUL, attrs, y, a, b);
        return new SingleOpModels.Case(name, SingleOpModels.model("hbmm", List.of(a), op));
    }

    /**
     * Shapes where TFLite's hybrid kernel addresses rows in its own way: two batch axes larger than 1 (row scales of
     * other rows), batched weights [B, K, N] and weights [1, K, N] (folded into a matrix). Quanta follows it on the
     * built-in path, bit for bit with per-tensor weights.
     */
    @Test
    void followsTflitesRowAddressing() {
        SingleOpModels g = new SingleOpModels(21);
        int[][][] shapes = {
            {{2, 3, 4, 9}, {9, 5}},
            {{2, 3, 4, 9}, {3, 9, 5}},
            {{3, 4, 9}, {3, 9, 5}},
            {{3, 4, 9}, {1, 9, 5}},
            {{2, 3, 4, 9}, {1, 9, 5}},
            {{2, 1, 4, 9}, {2, 3, 9, 5}}
        };
        for (int[][] s : shapes) {
            Tensor a = g.activation("a", DType.FLOAT32, 0, 0, s[0]);
            Tensor b = g.weights(DType.INT8, s[1], 0, false);
            var attrs = new OpAttributes.BatchMatMul(false, false, true);
            Tensor y = g.activation(
                    "y",
                    DType.FLOAT32,
                    0,
                    0,
                    ShapeInference.infer(OpType.BATCH_MATMUL, attrs, List.of(a, b))
                            .dims());
            SingleOpModels.Case c = new SingleOpModels.Case(
                    Arrays.toString(s[0]) + " x " + Arrays.toString(s[1]),
                    SingleOpModels.model("hbmm", List.of(a), SingleOpModels.op(OpType.BATCH_MATMUL, attrs, y, a, b)));
            assertThat(TransposeConvOracleTest.compare(g, c, QuantizedPath.BUILTIN))
                    .as(c.name())
                    .isEqualTo("ok builtin, max diff 0.0");
        }
    }

    private static float[] gauss(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** The writer keeps asymmetric_quantize_inputs and the int8 weights; the reader gives the hybrid op back. */
    @Test
    void writeThenReadKeepsTheHybridForm() {
        SingleOpModels g = new SingleOpModels(8);
        for (boolean asymmetric : new boolean[] {false, true}) {
            SingleOpModels.Case c = batchMatMul(g, asymmetric);
            Model back = TfliteReader.read(TfliteWriter.toBytes(c.model()), Path.of("hbmm.tflite"));
            Op op = back.ops().get(0);
            assertThat(op.attrs(OpAttributes.BatchMatMul.class))
                    .isEqualTo(c.model().ops().get(0).attrs(OpAttributes.BatchMatMul.class));
            assertThat(op.input(1).dtype()).isEqualTo(DType.INT8);
        }
        SingleOpModels.Case t = transposeConv(g, true);
        Model back = TfliteReader.read(TfliteWriter.toBytes(t.model()), Path.of("htconv.tflite"));
        assertThat(back.ops().get(0).input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(back.ops().get(0).input(1).quant().scales())
                .containsExactly(t.model().ops().get(0).input(1).quant().scales());
    }
}
