package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The float fixtures read into the IR: Quanta's interpreter agrees with the official runtime (XNNPACK) on the
 * original files, and the files written back run bit for bit like the originals in the official runtime.
 */
@UsesFixtures
@UsesOracle
class TfliteFloatFixturesTest {

    private static final String IC = "mlperf-tiny/ic/pretrainedResnet.tflite";
    private static final String VWW = "mlperf-tiny/vww/vww_96_float.tflite";
    private static final String AD = "mlperf-tiny/ad/ad01_fp32.tflite";
    private static final String HELLO = "tflite-micro/hello_world/hello_world_float.tflite";

    /** Max abs difference between Quanta and the oracle, and the oracle's output range, over all inputs. */
    private record Agreement(double maxAbs, double range) {
        double relative() {
            return maxAbs / range;
        }
    }

    private static Agreement agreement(Model model, Path tflite, List<float[]> inputs) {
        double maxAbs = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        try (Interpreter quanta = new Interpreter(model);
                TfliteOracle oracle = TfliteOracle.open(tflite, TfliteOracle.Kernels.XNNPACK, 1)) {
            float[] out = new float[quanta.getOutputTensor(0).numElements()];
            for (float[] in : inputs) {
                quanta.run(in, out);
                float[] ref = oracle.runFloat(in);
                assertThat(ref).hasSameSizeAs(out);
                for (int i = 0; i < ref.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(out[i] - ref[i]));
                    lo = Math.min(lo, ref[i]);
                    hi = Math.max(hi, ref[i]);
                }
            }
        }
        return new Agreement(maxAbs, hi - lo);
    }

    /** Runs the original file and {@code written} in the oracle on the same inputs; counts differing bits. */
    static void assertOracleBitIdentical(Path original, byte[] written, List<float[]> inputs) {
        try (TfliteOracle a = TfliteOracle.open(original, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle b = TfliteOracle.open(written, TfliteOracle.Kernels.XNNPACK, 1)) {
            assertThat(b.inputShape(0)).isEqualTo(a.inputShape(0));
            assertThat(b.outputShape(0)).isEqualTo(a.outputShape(0));
            for (float[] in : inputs) {
                float[] x = a.runFloat(in);
                float[] y = b.runFloat(in);
                assertThat(y).as("outputs of the rewritten file").containsExactly(x);
            }
        }
    }

    private static List<float[]> random(int count, int size, double lo, double hi, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(CoreArrays.uniform(r, size, lo, hi));
        }
        return out;
    }

    private static List<float[]> icInputs(int n) {
        List<float[]> out = new ArrayList<>();
        for (TfliteSamples.Sample s : TfliteSamples.icImages(n)) {
            out.add(TfliteSamples.pixels(s.bytes()));
        }
        return out;
    }

    @Test
    void icResnetMatchesTheOracleAndScores171Of200() {
        Path file = Fixtures.require(IC);
        Model m = TfliteReader.read(file);
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.TFLITE);
        assertThat(m.metadata().source()).isEqualTo(file.toString());
        assertThat(m.inputs().get(0).shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 32, 32, 3));
        assertThat(m.outputs().get(0).shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 10));
        assertThat(CoreOps.counts(m)).isEqualTo(CoreOps.IC_RESNET_COUNTS);
        Op first = m.ops().get(0);
        assertThat(first.origin().layerClass()).isEqualTo("CONV_2D");
        assertThat(first.origin().layerName()).isEqualTo(first.output(0).name());

        List<TfliteSamples.Sample> images = TfliteSamples.icImages(200);
        int correct = 0;
        double maxAbs = 0;
        try (Interpreter quanta = new Interpreter(m);
                TfliteOracle oracle = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1)) {
            float[] out = new float[10];
            for (TfliteSamples.Sample s : images) {
                float[] in = TfliteSamples.pixels(s.bytes());
                quanta.run(in, out);
                float[] ref = oracle.runFloat(in);
                for (int i = 0; i < 10; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(out[i] - ref[i]));
                }
                if (CoreArrays.argmax(out) == s.label()) {
                    correct++;
                }
            }
        }
        System.out.printf(
                "IC float via TfliteReader: top-1 %d/200, max |Quanta - TFLite| %.3g (softmax)%n", correct, maxAbs);
        assertThat(correct).isEqualTo(171);
        assertThat(maxAbs).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void vwwAdAndHelloWorldMatchTheOracleWithin1e5OfTheOutputRange() {
        Map<String, List<float[]>> cases = Map.of(
                VWW, random(8, 96 * 96 * 3, 0, 1, 2026),
                AD, List.of(TfliteSamples.adWindows(24)),
                HELLO, random(64, 1, 0, 2 * Math.PI, 7));
        for (Map.Entry<String, List<float[]>> c : cases.entrySet()) {
            Path file = Fixtures.require(c.getKey());
            Model m = TfliteReader.read(file);
            Agreement a = agreement(m, file, c.getValue());
            System.out.printf(
                    "%s: max |Quanta - TFLite| %.3g over an output range of %.3g (%.2g relative)%n",
                    file.getFileName(), a.maxAbs(), a.range(), a.relative());
            assertThat(a.relative()).as(c.getKey()).isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void floatFixturesOpCounts() {
        assertThat(CoreOps.counts(TfliteReader.read(Fixtures.require(VWW)))).isEqualTo(CoreOps.VWW_MOBILENET_COUNTS);
        assertThat(CoreOps.counts(TfliteReader.read(Fixtures.require(AD))))
                .isEqualTo(CoreOps.parseCounts("FULLY_CONNECTED 10"));
        Model hello = TfliteReader.read(Fixtures.require(HELLO));
        assertThat(CoreOps.counts(hello)).isEqualTo(CoreOps.parseCounts("FULLY_CONNECTED 3"));
        assertThat(hello.inputs().get(0).shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 1));
    }

    @Test
    void floatFixturesWrittenBackRunBitIdenticalInTheOracle() {
        Map<String, List<float[]>> cases = Map.of(
                IC, icInputs(20),
                VWW, random(4, 96 * 96 * 3, 0, 1, 99),
                AD, List.of(TfliteSamples.adWindows(8)),
                HELLO, random(32, 1, 0, 2 * Math.PI, 3));
        for (Map.Entry<String, List<float[]>> c : cases.entrySet()) {
            Path file = Fixtures.require(c.getKey());
            byte[] written = TfliteWriter.toBytes(TfliteReader.read(file));
            assertOracleBitIdentical(file, written, c.getValue());
        }
    }

    @Test
    void theInterpreterResizesTheDynamicBatch() {
        Path file = Fixtures.require(IC);
        Model m = TfliteReader.read(file);
        List<float[]> images = icInputs(3);
        float[] batch = new float[3 * 3072];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(images.get(i), 0, batch, i * 3072, 3072);
        }
        try (Interpreter quanta = new Interpreter(m);
                TfliteOracle oracle = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1)) {
            quanta.resizeInput(0, new int[] {3, 32, 32, 3});
            float[] out = new float[30];
            quanta.run(batch, out);
            for (int i = 0; i < 3; i++) {
                float[] ref = oracle.runFloat(images.get(i));
                for (int k = 0; k < 10; k++) {
                    assertThat((double) out[i * 10 + k]).isCloseTo(ref[k], org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }
}
