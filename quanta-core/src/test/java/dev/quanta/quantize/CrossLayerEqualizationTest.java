package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Cross-layer equalization on a generated conv → ReLU → depthwise → ReLU → conv chain: the float outputs stay the
 * same, the matching channel ranges of each pair become equal, ReLU6 pairs are left alone, and per-tensor int8 gets
 * closer to float.
 */
class CrossLayerEqualizationTest {
    private static final int C = 4;

    /**
     * x[5, 5, 3] → Conv2D "c1" 4 filters 3×3 SAME + ReLU (filter i drawn at magnitude 10^(i−2)) → DepthwiseConv2D
     * "dw" 3×3 SAME + {@code between} → Conv2D "c2" 2 filters 1×1.
     */
    static Model chain(Activation between) {
        return chain(between, false);
    }

    /** As {@link #chain(Activation)}; with {@code deadChannel0}, c1's filter 0 is 10⁻³⁰ everywhere (bias 0.001). */
    static Model chain(Activation between, boolean deadChannel0) {
        SplittableRandom r = new SplittableRandom(11);
        ModelBuilder mb = new ModelBuilder("chain");
        Tensor x = mb.input("x", Shape.batched(5, 5, 3));
        float[] k1 = CoreArrays.uniform(r, C * 9 * 3, -1, 1);
        for (int e = 0; e < k1.length; e++) {
            k1[e] *= (float) Math.pow(10, e / 27 - 2);
            if (deadChannel0 && e < 27) {
                k1[e] = 1e-30f;
            }
        }
        float[] b1 = {0.001f, 0.02f, -0.1f, 3f};
        Tensor h1 = CoreModels.conv2d(
                mb,
                "c1",
                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU),
                x,
                mb.constant("c1/kernel", Shape.of(C, 3, 3, 3), k1),
                mb.constant("c1/bias", Shape.of(C), b1));
        float[] kd = CoreArrays.uniform(r, 9 * C, -1, 1);
        for (int e = 0; e < kd.length; e++) {
            kd[e] *= e % C == 1 ? 20 : 1;
        }
        Tensor h2 = mb.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 1, between),
                h1,
                mb.constant("dw/kernel", Shape.of(1, 3, 3, C), kd),
                mb.constant("dw/bias", Shape.of(C), new float[] {0.5f, -0.5f, 0.1f, 0f}));
        Tensor y = CoreModels.conv2d(
                mb,
                "c2",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                h2,
                mb.constant("c2/kernel", Shape.of(2, 1, 1, C), CoreArrays.uniform(r, 2 * C, -1, 1)),
                mb.constant("c2/bias", Shape.of(2), new float[] {0.25f, -0.25f}));
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    static Dataset data() {
        return Dataset.of("d", new int[] {5, 5, 3}, CoreArrays.uniform(new SplittableRandom(2), 8 * 75, -1, 1), null);
    }

    private static float[] run(Model m, Dataset d) {
        float[] in = new float[d.size() * d.sampleSize()];
        d.copyBatch(0, d.size(), in);
        try (Interpreter it = new Interpreter(m)) {
            it.resizeInput(0, new int[] {d.size(), 5, 5, 3});
            float[] out = new float[d.size() * 25 * 2];
            it.run(in, out);
            return out;
        }
    }

    private static Op op(Model m, String name) {
        return m.ops().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
    }

    private static double[] outRanges(Op op) {
        float[] w = op.input(1).data().floats();
        int[] dims = op.input(1).shape().dims();
        boolean dw = op.type() == OpType.DEPTHWISE_CONV_2D;
        int n = dw ? dims[3] : dims[0];
        double[] r = new double[n];
        for (int e = 0; e < w.length; e++) {
            int c = dw ? e % n : e / (w.length / n);
            r[c] = Math.max(r[c], Math.abs(w[e]));
        }
        return r;
    }

    private static double[] inRanges(Op op) {
        float[] w = op.input(1).data().floats();
        int n = op.input(1).shape().dims()[3];
        double[] r = new double[n];
        for (int e = 0; e < w.length; e++) {
            r[e % n] = Math.max(r[e % n], Math.abs(w[e]));
        }
        return r;
    }

    @Test
    void floatOutputsStayAndChannelRangesMatch() {
        Model f = chain(Activation.RELU);
        CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(f);
        Model e = cle.model();
        float[] before = run(f, data());
        float[] after = run(e, data());
        double maxAbs = 0;
        for (float v : before) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        for (int i = 0; i < before.length; i++) {
            assertThat((double) Math.abs(after[i] - before[i])).isLessThanOrEqualTo(1e-5 * maxAbs);
        }
        // both pairs equalized: c1's output channel i and dw's channel i have the same range, and so do dw's and
        // c2's input channel i (the chain converged, so both hold at once)
        double[] c1 = outRanges(op(e, "c1"));
        double[] dwIn = inRanges(op(e, "dw"));
        double[] dwOut = outRanges(op(e, "dw"));
        double[] c2 = inRanges(op(e, "c2"));
        double[] c1Before = outRanges(op(f, "c1"));
        for (int i = 0; i < C; i++) {
            assertThat(c1[i]).isCloseTo(dwIn[i], org.assertj.core.api.Assertions.within(1e-4 * dwIn[i]));
            assertThat(dwOut[i]).isCloseTo(c2[i], org.assertj.core.api.Assertions.within(1e-4 * c2[i]));
        }
        // c1's channel ranges spanned 10^-2..10^1 before; after, within a factor 100 of each other at most
        assertThat(max(c1Before) / min(c1Before)).isGreaterThan(500);
        assertThat(max(c1) / min(c1)).isLessThan(max(c1Before) / min(c1Before) / 10);
        assertThat(cle.lines()).hasSize(2);
        assertThat(cle.lines().get(0)).startsWith("c1 -> dw: 4 channels scaled by ");
        assertThat(cle.lines().get(1)).startsWith("dw -> c2: 4 channels scaled by ");
    }

    /**
     * A dead channel (weights 10⁻³⁰, output the constant ReLU(bias)) keeps scale 1: s = √(r_A / r_B) ≈ 10⁻¹⁵ would
     * multiply its bias by 10¹⁵, and the per-tensor range of c1's output with it.
     */
    @Test
    void deadChannelsAreNotScaled() {
        Model f = chain(Activation.RELU, true);
        Model e = CrossLayerEqualization.apply(f).model();
        assertThat(op(e, "c1").input(2).data().floats()[0]).isEqualTo(0.001f);
        assertThat(op(e, "c1").input(1).data().floats()[0]).isEqualTo(1e-30f);
        // the other channels are equalized as before
        assertThat(op(e, "c1").input(2).data().floats()[3])
                .isEqualTo(
                        op(CrossLayerEqualization.apply(chain(Activation.RELU)).model(), "c1")
                                .input(2)
                                .data()
                                .floats()[3]);
        float[] before = run(f, data());
        float[] after = run(e, data());
        for (int i = 0; i < before.length; i++) {
            assertThat((double) after[i]).isCloseTo(before[i], org.assertj.core.api.Assertions.within(1e-4));
        }
    }

    @Test
    void relu6PairsAreLeftAlone() {
        Model f = chain(Activation.RELU6);
        CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(f);
        assertThat(cle.lines()).hasSize(1);
        assertThat(cle.lines().get(0)).startsWith("c1 -> dw:");
        assertThat(op(cle.model(), "c2").input(1).data().floats())
                .containsExactly(op(f, "c2").input(1).data().floats());
    }

    @Test
    void perTensorInt8GetsCloserToFloat() {
        Model f = chain(Activation.RELU);
        Dataset d = data();
        float[] exact = run(f, d);
        double plain = mse(exact, run(perTensor(f, d, false), d));
        double equalized = mse(exact, run(perTensor(f, d, true), d));
        assertThat(equalized).isLessThan(plain / 2);
    }

    private static Model perTensor(Model f, Dataset d, boolean equalize) {
        Converter.Conversion c = CoreModels.int8(
                        f, d, s -> s.withGranularity(Granularity.PER_TENSOR).withCrossLayerEqualization(equalize))
                .convert();
        if (equalize) {
            assertThat(c.report().render()).contains("Cross-layer equalization:\n  c1 -> dw: 4 channels scaled by ");
        }
        return c.model();
    }

    private static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return s / a.length;
    }

    private static double max(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) {
            m = Math.min(m, x);
        }
        return m;
    }
}
