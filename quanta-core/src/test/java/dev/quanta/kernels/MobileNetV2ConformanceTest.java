package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The int8 MobileNetV2 that TinyNeuralNetwork converted from PyTorch (tflite-micro's xtensa example: NCHW int8
 * input followed by a TRANSPOSE, then PAD + CONV_2D / DEPTHWISE_CONV_2D blocks, ADD, MEAN, RESHAPE,
 * FULLY_CONNECTED), run by Quanta's interpreter on both kernel paths and by the official runtime on both paths,
 * on seeded random int8 inputs. Each Quanta path must be bit-exact with the runtime path it reproduces; the report
 * gives the whole 2×2 comparison (exact count and largest difference in output steps) and the time of one
 * inference, single-threaded, in Quanta and in TFLite.
 *
 * <p>MobileNetV2 is about 300 M multiply-adds and Quanta's kernels are scalar, so only a few inputs are run
 * ({@code -Dmobilenet.samples=N} for more).
 */
@UsesFixtures
@UsesOracle
class MobileNetV2ConformanceTest {
    static final String FILE = "tflite-micro/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite";
    private static final int SAMPLES = Integer.getInteger("mobilenet.samples", 6);

    @Test
    void importsWithATransposeFirst() {
        Model model = TfliteReader.read(Fixtures.require(FILE));
        Map<OpType, Integer> counts = CoreOps.counts(model);
        System.out.println("mobilenet_v2 ops " + counts);
        assertThat(model.inputs().get(0).shape().withBatch(1).dims()).containsExactly(1, 3, 224, 224);
        Op first = model.ops().get(0);
        assertThat(first.type()).isEqualTo(OpType.TRANSPOSE);
        assertThat(first.attrs(OpAttributes.Transpose.class).perm()).containsExactly(0, 2, 3, 1);
        assertThat(counts)
                .containsAllEntriesOf(CoreOps.parseCounts(
                        "TRANSPOSE 1, CONV_2D 35, DEPTHWISE_CONV_2D 17, PAD 18, ADD 10, FULLY_CONNECTED 1"));
    }

    @Test
    void bitExactWithTheOfficialRuntimeOnBothPaths() {
        Path file = Fixtures.require(FILE);
        Model model = TfliteReader.read(file);
        int inLen = Math.toIntExact(model.inputs().get(0).shape().withBatch(1).elementCount());
        List<FixtureConformanceTest.Sample> samples = FixtureConformanceTest.randomSamples(SAMPLES, inLen, 224);
        QuantizedPath[] paths = QuantizedPath.values();
        Map<QuantizedPath, Interpreter> quanta = new EnumMap<>(QuantizedPath.class);
        Map<QuantizedPath, TfliteOracle> oracles = new EnumMap<>(QuantizedPath.class);
        int[][] exact = new int[paths.length][paths.length];
        int[][] maxDiff = new int[paths.length][paths.length];
        long[] quantaNanos = new long[paths.length];
        long[] oracleNanos = new long[paths.length];
        long[] quantaFirst = new long[paths.length];
        try {
            for (QuantizedPath p : paths) {
                quanta.put(
                        p, new Interpreter(model, Interpreter.Options.defaults().withKernelPath(p)));
                oracles.put(
                        p,
                        TfliteOracle.open(
                                file,
                                p == QuantizedPath.XNNPACK
                                        ? TfliteOracle.Kernels.XNNPACK
                                        : TfliteOracle.Kernels.BUILTIN,
                                1));
            }
            for (int s = 0; s < samples.size(); s++) {
                byte[] input = samples.get(s).input();
                byte[][] got = new byte[paths.length][];
                byte[][] want = new byte[paths.length][];
                for (QuantizedPath p : paths) {
                    TfliteOracle o = oracles.get(p);
                    long t0 = System.nanoTime();
                    o.setInput(0, input);
                    o.invoke();
                    want[p.ordinal()] = o.outputInt8(0);
                    oracleNanos[p.ordinal()] += System.nanoTime() - t0;
                    byte[] out = new byte[want[p.ordinal()].length];
                    t0 = System.nanoTime();
                    quanta.get(p).run(input, out);
                    long dt = System.nanoTime() - t0;
                    if (s == 0) {
                        quantaFirst[p.ordinal()] = dt; // includes kernel preparation and JIT warm-up
                    } else {
                        quantaNanos[p.ordinal()] += dt;
                    }
                    got[p.ordinal()] = out;
                }
                for (int q = 0; q < paths.length; q++) {
                    for (int o = 0; o < paths.length; o++) {
                        int d = 0;
                        for (int i = 0; i < got[q].length; i++) {
                            d = Math.max(d, Math.abs(got[q][i] - want[o][i]));
                        }
                        exact[q][o] += d == 0 ? 1 : 0;
                        maxDiff[q][o] = Math.max(maxDiff[q][o], d);
                    }
                }
            }
        } finally {
            quanta.values().forEach(Interpreter::close);
            oracles.values().forEach(TfliteOracle::close);
        }
        int n = samples.size();
        for (QuantizedPath q : paths) {
            for (QuantizedPath o : paths) {
                System.out.printf(
                        "mobilenet_v2 Quanta %-8s vs TFLite %-8s bit-exact %d/%d, max |diff| %d steps%n",
                        q, o, exact[q.ordinal()][o.ordinal()], n, maxDiff[q.ordinal()][o.ordinal()]);
            }
        }
        for (QuantizedPath p : paths) {
            System.out.printf(
                    "mobilenet_v2 %-8s 1 thread: Quanta first run %.0f ms%s, TFLite %.0f ms/inference%n",
                    p,
                    quantaFirst[p.ordinal()] / 1e6,
                    n > 1 ? String.format(", then %.0f ms/inference", quantaNanos[p.ordinal()] / 1e6 / (n - 1)) : "",
                    oracleNanos[p.ordinal()] / 1e6 / n);
        }
        for (QuantizedPath p : paths) {
            assertThat(exact[p.ordinal()][p.ordinal()])
                    .as("Quanta " + p + " vs TFLite " + p + " (max diff " + maxDiff[p.ordinal()][p.ordinal()]
                            + " steps)")
                    .isEqualTo(n);
        }
    }
}
