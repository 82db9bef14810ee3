package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * int16 LOGISTIC, TANH and SOFTMAX against the official runtime on both paths (XNNPACK does not take int16, so the
 * built-in kernels run on both). LOGISTIC and TANH see every int16 value once, at power-of-two input scales (TFLite's
 * gemmlowp path) and others (its interpolated sigmoid table); SOFTMAX sees seeded rows spread over the full int16
 * range and rows of nearby values (where many exponentials matter), with several input scales and betas.
 */
@UsesOracle
class Int16ActivationOracleTest {
    private static final float[] SCALES = {
        1f / 4096, 1f / 2048, 1f / 8192, 3f / 32768, 0.01f, 0.1f, 0.0003f, 1.5f / 4096, 0.5f
    };

    @TestFactory
    Stream<DynamicTest> logisticAndTanhEveryInput() {
        List<DynamicTest> tests = new ArrayList<>();
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) (i - 32768);
        }
        for (OpType type : new OpType[] {OpType.LOGISTIC, OpType.TANH}) {
            for (float s : SCALES) {
                tests.add(DynamicTest.dynamicTest(type + " s_x=" + s, () -> {
                    SingleOpModels g = new SingleOpModels(1);
                    Tensor x = g.activation("x", DType.INT16, s, 0, 1, all.length);
                    Tensor y = g.activation("y", DType.INT16, 1f / 32768, 0, 1, all.length);
                    Model m = SingleOpModels.model(
                            type.name().toLowerCase(),
                            List.of(x),
                            SingleOpModels.op(type, OpAttributes.None.INSTANCE, y, x));
                    assertBitExact(m, List.of(all));
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> softmax() {
        List<DynamicTest> tests = new ArrayList<>();
        for (float s : SCALES) {
            for (float beta : new float[] {1f, 0.7f, 2.5f}) {
                tests.add(DynamicTest.dynamicTest("SOFTMAX s_x=" + s + " beta=" + beta, () -> {
                    Random r = new Random(Float.floatToIntBits(s) * 31L + Float.floatToIntBits(beta));
                    SingleOpModels g = new SingleOpModels(2);
                    int rows = 64;
                    int depth = 1 + r.nextInt(40);
                    Tensor x = g.activation("x", DType.INT16, s, 0, rows, depth);
                    Tensor y = g.activation("y", DType.INT16, 1f / 32768, 0, rows, depth);
                    Model m = SingleOpModels.model(
                            "softmax",
                            List.of(x),
                            SingleOpModels.op(OpType.SOFTMAX, new OpAttributes.Softmax(beta), y, x));
                    List<Object> samples = new ArrayList<>();
                    for (int k = 0; k < 4; k++) {
                        short[] in = new short[rows * depth];
                        for (int row = 0; row < rows; row++) {
                            // spread: full range, or a few thousand / hundred steps around a random centre
                            int spread = switch (row % 4) {
                                case 0 -> 65536;
                                case 1 -> 4096;
                                case 2 -> 256;
                                default -> 16;
                            };
                            int centre = r.nextInt(65536) - 32768;
                            for (int j = 0; j < depth; j++) {
                                int v = spread == 65536
                                        ? r.nextInt(65536) - 32768
                                        : centre + r.nextInt(spread) - spread / 2;
                                in[row * depth + j] = (short) Math.max(-32768, Math.min(32767, v));
                            }
                        }
                        samples.add(in);
                    }
                    assertBitExact(m, samples);
                }));
            }
        }
        return tests.stream();
    }

    private static void assertBitExact(Model m, List<Object> samples) {
        byte[] bytes = TfliteWriter.toBytes(m);
        for (QuantizedPath path : QuantizedPath.values()) {
            try (NativeTflite oracle = new NativeTflite(bytes, path == QuantizedPath.XNNPACK);
                    KernelRunner mine = new KernelRunner(m, path)) {
                for (Object in : samples) {
                    oracle.setInputArray(0, in);
                    oracle.invoke();
                    mine.run(in);
                    short[] got = (short[]) mine.output();
                    short[] want = (short[]) oracle.outputArray(0, got);
                    int diffs = 0;
                    String first = null;
                    for (int i = 0; i < got.length; i++) {
                        if (got[i] != want[i]) {
                            diffs++;
                            if (first == null) {
                                first = "at " + i + " input " + ((short[]) in)[i] + ": got " + got[i] + ", want "
                                        + want[i];
                            }
                        }
                    }
                    assertThat(diffs)
                            .as(path + " " + diffs + "/" + got.length + " differ, first " + first)
                            .isZero();
                }
            }
        }
    }
}
