package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
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
 * FULLY_CONNECTED over an input of rank 3 or 4 (TFLite's keep_num_dims: the output keeps the leading axes), in
 * float32, int8 (per-tensor and per-channel weights), uint8 and 16x8, against the official runtime on both paths:
 * integer outputs bit-exact, float32 within 1e-5 of the output's range.
 */
class FullyConnectedKeepNumDimsOracleTest {
    @TestFactory
    @UsesOracle
    Stream<DynamicTest> agreesWithTfliteOnBothPaths() {
        SingleOpModels g = new SingleOpModels(20261204L);
        List<DynamicTest> tests = new ArrayList<>();
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16}) {
            for (int i = 0; i < 6; i++) {
                SingleOpModels.Case c = fullyConnected(g, type, type != DType.UINT8 && i % 2 == 1, 3 + i % 2);
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

    static SingleOpModels.Case fullyConnected(SingleOpModels g, DType type, boolean perChannel, int rank) {
        Random r = g.random;
        int k = 1 + r.nextInt(60);
        int n = 1 + r.nextInt(20);
        int[] xs = new int[rank];
        for (int i = 0; i < rank - 1; i++) {
            xs[i] = 1 + r.nextInt(4);
        }
        xs[rank - 1] = k;
        int[] ys = xs.clone();
        ys[rank - 1] = n;
        Activation act = g.activation();
        Tensor x;
        Tensor w;
        Tensor b;
        Tensor y;
        if (type == DType.FLOAT32) {
            x = g.activation("x", type, 0, 0, xs);
            float[] wv = new float[n * k];
            for (int i = 0; i < wv.length; i++) {
                wv[i] = (float) r.nextGaussian();
            }
            w = Tensor.constant("w", Shape.of(n, k), wv);
            b = Tensor.constant("b", Shape.of(n), new float[n]);
            y = g.activation("y", type, 0, 0, ys);
        } else {
            float sx = g.logUniform(0.005f, 0.1f);
            x = g.activation("x", type, sx, g.zeroPoint(type), xs);
            w = g.weights(type == DType.UINT8 ? DType.UINT8 : DType.INT8, new int[] {n, k}, 0, perChannel);
            b = g.bias(type, x, w, n, 5000);
            y = g.activation("y", type, g.accumulatorScale(sx, w.quant().scales()[0], k, type), g.zeroPoint(type), ys);
        }
        String name = "FC keep_num_dims " + type + (perChannel && type != DType.FLOAT32 ? " per-channel " : " ")
                + Arrays.toString(xs) + " -> " + n + " " + act;
        Op op = SingleOpModels.op(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(act), y, x, w, b);
        return new SingleOpModels.Case(name, SingleOpModels.model("fc", List.of(x), op));
    }

    /** The file says keep_num_dims, so reading it back gives one FULLY_CONNECTED of the same rank (no RESHAPE). */
    @Test
    void writeThenReadKeepsTheRank() {
        SingleOpModels g = new SingleOpModels(8);
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.INT16}) {
            SingleOpModels.Case c = fullyConnected(g, type, false, 3);
            Model back = TfliteReader.read(TfliteWriter.toBytes(c.model()), Path.of("fc.tflite"));
            assertThat(back.ops()).extracting(Op::type).containsExactly(OpType.FULLY_CONNECTED);
            Op op = back.ops().get(0);
            assertThat(op.output(0).shape().rank()).isEqualTo(3);
            assertThat(op.output(0).shape().withBatch(1).dims())
                    .containsExactly(
                            c.model().outputs().get(0).shape().withBatch(1).dims());
        }
    }
}
