package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
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
import dev.quanta.testing.CoreModels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bias absorption after cross-layer equalization, on generated models: constants from the channels' calibration
 * values (ReLU: max(0, min(0.135% point, mean − 3 sd)); no activation: midrange), outputs the same (to float rounding)
 * on every input where each channel stays at or above its constant, narrower activation tensors, and pairs whose
 * second layer reads padding left alone.
 */
class BiasAbsorptionTest {
    private static final int C = 4;

    /**
     * x[6, 6, 3] → Conv2D "c1" 4 filters 3×3 VALID + ReLU (biases 3, 2.5, 0, −0.5, so channels 0 and 1 stay
     * positive) → DepthwiseConv2D "dw" 3×3 VALID, no activation (biases 1, −2, 0.5, 4) → Conv2D "c2" 2 filters 1×1.
     */
    static Model valid() {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder mb = new ModelBuilder("valid");
        Tensor x = mb.input("x", Shape.batched(6, 6, 3));
        Tensor h1 = CoreModels.conv2d(
                mb,
                "c1",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.RELU),
                x,
                mb.constant("c1/kernel", Shape.of(C, 3, 3, 3), CoreArrays.uniform(r, C * 27, -0.1, 0.1)),
                mb.constant("c1/bias", Shape.of(C), new float[] {3f, 2.5f, 0f, -0.5f}));
        Tensor h2 = mb.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.VALID, 1, 1, 1, 1, 1, Activation.NONE),
                h1,
                mb.constant("dw/kernel", Shape.of(1, 3, 3, C), CoreArrays.uniform(r, 9 * C, -1, 1)),
                mb.constant("dw/bias", Shape.of(C), new float[] {1f, -2f, 0.5f, 4f}));
        Tensor y = CoreModels.conv2d(
                mb,
                "c2",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                h2,
                mb.constant("c2/kernel", Shape.of(2, 1, 1, C), CoreArrays.uniform(r, 2 * C, -1, 1)),
                mb.constant("c2/bias", Shape.of(2), new float[] {0.25f, -0.25f}));
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    private static Dataset data(long seed, int samples, int side) {
        return Dataset.of(
                "d",
                new int[] {side, side, 3},
                CoreArrays.uniform(new SplittableRandom(seed), samples * side * side * 3, -1, 1),
                null);
    }

    private static QuantizationConfig config() {
        return QuantizationConfig.defaults().withCalibrationThreads(1);
    }

    /** Every tensor of {@code m} after one run over all of {@code d}, read by {@code read}. */
    private static float[] tensor(Model m, Dataset d, String opName) {
        float[] in = new float[d.size() * d.sampleSize()];
        d.copyBatch(0, d.size(), in);
        int[] dims = m.inputs().get(0).shape().dims();
        dims[0] = d.size();
        try (Interpreter it = new Interpreter(m, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
            it.resizeInput(0, dims);
            it.runForMultipleInputsOutputs(new Object[] {in}, new Object[0]);
            Tensor t = opName == null ? m.outputs().get(0) : op(m, opName).output(0);
            return it.readTensorAsFloats(t).clone();
        }
    }

    private static Op op(Model m, String name) {
        return m.ops().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
    }

    private static double[] channelMin(float[] v) {
        double[] m = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        for (int e = 0; e < v.length; e++) {
            m[e % C] = Math.min(m[e % C], v[e]);
        }
        return m;
    }

    private static double[] channelMax(float[] v) {
        double[] m = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        for (int e = 0; e < v.length; e++) {
            m[e % C] = Math.max(m[e % C], v[e]);
        }
        return m;
    }

    private static double width(float[] v) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (float x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return hi - lo;
    }

    /**
     * Channel i's ReLU constant: max(0, min(p, μ − 3σ)), p the value at index ⌊0.00135 · n⌋ of its n values sorted,
     * μ and σ their mean and standard deviation.
     */
    private static double reluConstant(float[] v, int i) {
        double[] ch = new double[v.length / C];
        double sum = 0;
        for (int e = i; e < v.length; e += C) {
            ch[e / C] = v[e];
            sum += v[e];
        }
        double mean = sum / ch.length;
        double squares = 0;
        for (double x : ch) {
            squares += (x - mean) * (x - mean);
        }
        java.util.Arrays.sort(ch);
        double p = ch[(int) Math.floor(BiasAbsorption.BELOW * ch.length)];
        return Math.max(0, Math.min(p, mean - 3 * Math.sqrt(squares / ch.length)));
    }

    @Test
    void constantsAreLowPointsAndMidrangesAndTheFunctionStays() {
        Model cle = CrossLayerEqualization.apply(valid()).model();
        // 64 samples × 16 positions: p is each ReLU channel's second smallest value (index ⌊1.38⌋)
        Dataset calibration = data(2, 64, 6);
        BiasAbsorption.Result result = BiasAbsorption.apply(cle, calibration, config());
        Model absorbed = result.model();

        float[] c1Out = tensor(cle, calibration, "c1");
        double[] dwMin = channelMin(tensor(cle, calibration, "dw"));
        double[] dwMax = channelMax(tensor(cle, calibration, "dw"));
        float[] c1Bias = op(cle, "c1").input(2).data().floats();
        float[] c1Absorbed = op(absorbed, "c1").input(2).data().floats();
        float[] dwKernel = op(cle, "dw").input(1).data().floats();
        float[] dwBias = op(cle, "dw").input(2).data().floats();
        float[] dwAbsorbed = op(absorbed, "dw").input(2).data().floats();
        double[] c = new double[C];
        int positive = 0;
        double largest = 0;
        for (int i = 0; i < C; i++) {
            c[i] = reluConstant(c1Out, i);
            positive += c[i] > 0 ? 1 : 0;
            largest = Math.max(largest, c[i]);
            assertThat((double) c1Absorbed[i]).isCloseTo(c1Bias[i] - c[i], within(1e-5));
            // dw's bias: its own midrange taken out, c1's constants (times the tap sums) put in
            double taps = 0;
            for (int t = 0; t < 9; t++) {
                taps += dwKernel[t * C + i];
            }
            double midrange = (dwMin[i] + dwMax[i]) / 2;
            assertThat((double) dwAbsorbed[i]).isCloseTo(dwBias[i] - midrange + taps * c[i], within(1e-4));
        }
        assertThat(positive).isEqualTo(2);
        assertThat(result.lines()).hasSize(2);
        assertThat(result.lines().get(0))
                .isEqualTo(String.format(
                        java.util.Locale.ROOT,
                        "c1 -> dw: 2 of 4 channels absorbed (ReLU: min(0.135%% point, mean - 3 sd)), largest c %.4g",
                        largest));
        assertThat(result.lines().get(1)).startsWith("dw -> c2: 4 of 4 channels absorbed (no activation: channel");

        // the same outputs on every calibration and fresh sample on which c1's channels stay at or above c
        int exact = exactWhereAboveC(cle, absorbed, calibration, c);
        assertThat(exact).isBetween(calibration.size() - 2, calibration.size());
        assertThat(exactWhereAboveC(cle, absorbed, data(3, 64, 6), c)).isGreaterThan(32);

        // the tensors calibration ranges per tensor narrow: c1's output (its largest channel moved down) and dw's
        assertThat(width(tensor(absorbed, calibration, "c1"))).isLessThan(width(c1Out) * 0.9);
        assertThat(width(tensor(absorbed, calibration, "dw"))).isLessThan(width(tensor(cle, calibration, "dw")) * 0.9);
    }

    /**
     * Checks that {@code before} and {@code after} agree within 10⁻⁵ of the output range on each sample of {@code d}
     * whose c1 output is at or above {@code c} in every channel; returns how many samples that was.
     */
    private static int exactWhereAboveC(Model before, Model after, Dataset d, double[] c) {
        float[] c1 = tensor(before, d, "c1");
        int per = c1.length / d.size();
        int kept = 0;
        for (int s = 0; s < d.size(); s++) {
            boolean above = true;
            for (int e = s * per; e < (s + 1) * per; e++) {
                above &= c1[e] >= c[e % C];
            }
            if (above) {
                assertSameOutputs(before, after, d.slice(s, s + 1));
                kept++;
            }
        }
        return kept;
    }

    /** Conv2D "c1" 1×1 from 3 to C channels, no activation, random weights and biases 5, −3, 2, 0. */
    private static Tensor linearC1(ModelBuilder mb, Tensor x, SplittableRandom r) {
        return CoreModels.conv2d(
                mb,
                "c1",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                x,
                mb.constant("c1/kernel", Shape.of(C, 1, 1, 3), CoreArrays.uniform(r, C * 3, -1, 1)),
                mb.constant("c1/bias", Shape.of(C), new float[] {5f, -3f, 2f, 0f}));
    }

    private static void assertSameOutputs(Model before, Model after, Dataset d) {
        float[] b = tensor(before, d, null);
        float[] a = tensor(after, d, null);
        double range = width(b);
        for (int i = 0; i < b.length; i++) {
            assertThat((double) a[i]).isCloseTo(b[i], within(1e-5 * range));
        }
    }

    /**
     * x[5, 5, 3] → Conv2D "c1" 1×1, no activation (biases 5, −3, 2, 0) → DepthwiseConv2D "dw" 3×3 SAME → Conv2D "c2"
     * 2 filters 3×3 VALID: dw reads zero padding at the border, where an absorbed constant would show, so c1 → dw
     * stays; dw → c2 reads none and is absorbed.
     */
    @Test
    void pairsWhoseSecondLayerReadsPaddingStay() {
        SplittableRandom r = new SplittableRandom(7);
        ModelBuilder mb = new ModelBuilder("same");
        Tensor x = mb.input("x", Shape.batched(5, 5, 3));
        Tensor h1 = linearC1(mb, x, r);
        Tensor h2 = mb.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 1, Activation.NONE),
                h1,
                mb.constant("dw/kernel", Shape.of(1, 3, 3, C), CoreArrays.uniform(r, 9 * C, 0.5, 1)),
                mb.constant("dw/bias", Shape.of(C), new float[] {1f, 2f, 3f, 4f}));
        Tensor y = CoreModels.conv2d(
                mb,
                "c2",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                h2,
                mb.constant("c2/kernel", Shape.of(2, 3, 3, C), CoreArrays.uniform(r, 2 * 9 * C, -1, 1)),
                mb.constant("c2/bias", Shape.of(2), new float[2]));
        Model m = mb.output(y).build(ModelMetadata.inMemory());
        Dataset d = data(4, 8, 5);
        BiasAbsorption.Result result = BiasAbsorption.apply(m, d, config());
        assertThat(result.lines())
                .containsExactly(
                        "c1 -> dw: not absorbed (dw reads zero padding, which would stand for c)",
                        result.lines().get(1));
        assertThat(result.lines().get(1)).startsWith("dw -> c2: 4 of 4 channels absorbed (no activation: ");
        assertThat(op(result.model(), "c1")).isSameAs(op(m, "c1"));
        // dw's bias only lost its own midranges; the model computes the same on any input (no activation)
        assertThat(op(result.model(), "dw").input(2).data().floats()).doesNotContain(1f, 2f, 3f, 4f);
        assertSameOutputs(m, result.model(), data(9, 8, 5));
    }

    /**
     * x[4, 4, 3] → Conv2D "c1" 1×1, no activation → PAD of 2 zero channels → Conv2D "c2" 1×1 over C + 2 channels:
     * c2's last 2 input channels are no channel of c1's, so the pair is no CLE pair and absorption leaves it alone
     * (before, its shift read a constant per c2 input channel from c1's 4).
     */
    @Test
    void pairsWithAChannelPaddingBetweenThemAreNoPairs() {
        SplittableRandom r = new SplittableRandom(3);
        ModelBuilder mb = new ModelBuilder("channel pad");
        Tensor x = mb.input("x", Shape.batched(4, 4, 3));
        Tensor h1 = linearC1(mb, x, r);
        Tensor padded = mb.add(
                OpType.PAD,
                "pad",
                new Origin("pad", "ZeroPadding"),
                new OpAttributes.Pad(new int[][] {{0, 0}, {0, 0}, {0, 0}, {0, 2}}),
                h1);
        Tensor y = CoreModels.conv2d(
                mb,
                "c2",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                padded,
                mb.constant("c2/kernel", Shape.of(2, 1, 1, C + 2), CoreArrays.uniform(r, 2 * (C + 2), -1, 1)),
                mb.constant("c2/bias", Shape.of(2), new float[2]));
        Model m = mb.output(y).build(ModelMetadata.inMemory());
        assertThat(CrossLayerEqualization.pairs(m)).isEmpty();
        BiasAbsorption.Result result = BiasAbsorption.apply(m, data(4, 8, 4), config());
        assertThat(result.lines()).isEmpty();
        assertThat(result.model()).isSameAs(m);
    }

    /**
     * Calibration samples that do not fit the input (larger ones, which the float pass would copy beyond its input
     * buffer) are refused as without CLE, before absorption's float pass.
     */
    @Test
    void wrongSizeSamplesAreRefusedAsWithoutCle() {
        Dataset wrong = data(2, 8, 7);
        String without = catchThrowableOfType(
                        QuantaException.class,
                        () -> CoreModels.int8(valid(), wrong, c -> c).convert())
                .getMessage();
        assertThat(without).startsWith("d: calibration samples have shape [7, 7, 3] (147 values)");
        assertThatThrownBy(() -> CoreModels.int8(valid(), wrong, c -> c.withCrossLayerEqualization(true))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessage(without);
    }

    @Test
    void relu6PairsAreNotAbsorbed() {
        Model m = CrossLayerEqualizationTest.chain(Activation.RELU6);
        BiasAbsorption.Result result = BiasAbsorption.apply(m, CrossLayerEqualizationTest.data(), config());
        assertThat(result.lines()).hasSize(1);
        assertThat(result.lines().get(0)).startsWith("c1 -> dw: ");
        assertThat(op(result.model(), "dw").output(0)).isSameAs(op(m, "dw").output(0));
        assertThat(op(result.model(), "c2").input(2).data().floats())
                .containsExactly(op(m, "c2").input(2).data().floats());
    }

    /**
     * A distributed statistics source calibrates {@link Converter#calibrationModel()}, which has no absorbed biases
     * (their constants depend on the calibration data): when absorption moves a channel, the conversion calibrates the
     * absorbed model itself, and gives the file a conversion without the source gives.
     */
    @Test
    void absorbedModelsAreNotCalibratedByADistributedSource() {
        Dataset d = data(2, 64, 6);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        Converter converter = CoreModels.int8(
                valid(), d, c -> c.withGranularity(Granularity.PER_TENSOR).withCrossLayerEqualization(true));
        Converter.Conversion local = converter.convert();
        Converter.Conversion distributed = converter
                .withCalibrationStatistics((model, n, settings, keep) -> {
                    calls.incrementAndGet();
                    return CalibrationStatistics.collect(model, d, 0, n, settings, keep);
                })
                .convert();
        assertThat(local.report().render()).contains("Bias absorption:\n  c1 -> dw: 2 of 4 channels absorbed");
        assertThat(calls).hasValue(0);
        assertThat(dev.quanta.tflite.TfliteWriter.toBytes(distributed.model()))
                .isEqualTo(dev.quanta.tflite.TfliteWriter.toBytes(local.model()));
    }
}
