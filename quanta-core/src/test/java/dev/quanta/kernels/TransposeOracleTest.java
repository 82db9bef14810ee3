package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
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
 * TRANSPOSE against the official runtime: seeded single-op models of float32, int8, uint8 and int16 with
 * permutations of rank 1 to 6 (NCHW → NHWC and back among them, negative entries too), written with the TFLite
 * writer, run by Quanta's kernels and by TFLite on each path. A transpose only moves values, so every output must
 * be bit-exact.
 */
class TransposeOracleTest {
    private static final int SAMPLES = 2;

    /** Shape and permutation pairs. */
    private static final int[][][] CASES = {
        {{1, 3, 7, 5}, {0, 2, 3, 1}}, // NCHW -> NHWC
        {{2, 6, 5, 3}, {0, 3, 1, 2}}, // NHWC -> NCHW
        {{2, 3, 4, 5}, {3, 2, 1, 0}},
        {{2, 3, 4, 5}, {0, 1, 2, 3}}, // identity
        {{3, 4, 2, 5}, {1, 0, 2, 3}},
        {{1, 3, 6, 4}, {0, -2, -1, 1}}, // negative entries: NCHW -> NHWC
        {{7, 9}, {1, 0}},
        {{4, 5, 6}, {2, 0, 1}},
        {{4, 5, 6}, {0, 2, 1}},
        {{11}, {0}},
        {{2, 3, 2, 4, 3}, {4, 0, 3, 1, 2}},
        {{2, 1, 3, 2, 2, 3}, {5, 3, 1, 0, 2, 4}},
    };

    @TestFactory
    @UsesOracle
    Stream<DynamicTest> bitExactOnBothPaths() {
        SingleOpModels g = new SingleOpModels(20261128L);
        List<DynamicTest> tests = new ArrayList<>();
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16}) {
            for (int[][] c : CASES) {
                String name = "TRANSPOSE " + type + " " + Arrays.toString(c[0]) + " perm " + Arrays.toString(c[1]);
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    SingleOpModels.Case mc = transpose(g, type, c[0], c[1]);
                    for (QuantizedPath path : QuantizedPath.values()) {
                        SingleOpSweep.Result r = SingleOpSweep.run(g, mc, path, SAMPLES);
                        System.out.println(r);
                        assertThat(r.ok()).as(r.toString()).isTrue();
                    }
                }));
            }
        }
        return tests.stream();
    }

    static SingleOpModels.Case transpose(SingleOpModels g, DType type, int[] shape, int[] perm) {
        float s = g.logUniform(0.01f, 0.2f);
        int zp = g.zeroPoint(type);
        int rank = shape.length;
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = shape[perm[i] < 0 ? perm[i] + rank : perm[i]];
        }
        Tensor x = g.activation("x", type, s, zp, shape);
        Tensor y = g.activation("y", type, s, zp, out);
        Op op = SingleOpModels.op(OpType.TRANSPOSE, new OpAttributes.Transpose(perm.clone()), y, x);
        return new SingleOpModels.Case(
                "TRANSPOSE " + type + " " + Arrays.toString(shape) + " perm " + Arrays.toString(perm),
                SingleOpModels.model("transpose", List.of(x), op));
    }

    /** The writer stores the permutation as an INT32 input; the reader gives it back unchanged. */
    @Test
    void writeThenReadKeepsThePermutation() {
        SingleOpModels g = new SingleOpModels(7);
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.INT16}) {
            SingleOpModels.Case c = transpose(g, type, new int[] {1, 3, 4, 5}, new int[] {0, 2, -1, 1});
            Model back = TfliteReader.read(TfliteWriter.toBytes(c.model()), Path.of("transpose.tflite"));
            assertThat(back.ops()).hasSize(1);
            Op op = back.ops().get(0);
            assertThat(op.type()).isEqualTo(OpType.TRANSPOSE);
            assertThat(op.attrs(OpAttributes.Transpose.class).perm()).containsExactly(0, 2, -1, 1);
            assertThat(op.inputs()).hasSize(1);
            // the reader makes the batch dynamic; the other axes are permuted
            assertThat(op.output(0).shape().withBatch(1).dims()).containsExactly(1, 4, 5, 3);
            assertThat(op.output(0).dtype()).isEqualTo(type);
            if (type != DType.FLOAT32) {
                assertThat(op.output(0).quant()).isEqualTo(op.input(0).quant());
            }
        }
    }
}
