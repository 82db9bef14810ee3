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
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guards on weight scales ({@link QuantMath}) on tiny models with dead channels, as BatchNorm folding leaves
 * them: weights about 0 (or exactly 0) and a bias. Every number is worked out here from the rule:
 *
 * <pre>
 * s_w = max(max|w|, 5e-7) / 127
 * if |round(b / (s_in · s_w))| > 2^30: s_w = the smallest float with |round(b / (s_in · s_w))| ≤ 2^30
 * </pre>
 *
 * The input range is [0, 255/128], so s_in = 2^-7 exactly and the bias-fitting scales are powers of two.
 */
@UsesOracle
class WeightScaleGuardsTest {
    private static final float S_IN = 0x1p-7f;
    private static final float MIN_SCALE = (float) (5e-7 / 127);
    private static final float[] BIAS = {0.1f, 0.5f, 0f, -1e-3f};

    @TempDir
    Path tmp;

    /**
     * x[3, 3, 2] → 1×1 Conv2D "conv" with four filters: a live one (0.5, −0.2), a dead one (±1e-30) with bias 0.5,
     * an all-zero one with bias 0, an all-zero one with bias −1e-3.
     */
    static Model deadChannelConv() {
        ModelBuilder mb = new ModelBuilder("dead_channels");
        Tensor x = mb.input("x", Shape.batched(3, 3, 2));
        float[] k = {0.5f, -0.2f, 1e-30f, -1e-30f, 0f, 0f, 0f, 0f};
        Tensor y = CoreModels.conv2d(
                mb,
                "conv",
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                x,
                mb.constant("conv/kernel", Shape.of(4, 1, 1, 2), k),
                mb.constant("conv/bias", Shape.of(4), BIAS));
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /** Seeded samples in [0, 255/128], the first holding both ends (so the input scale is exactly 2^-7). */
    static Dataset inputs(int n, int sampleSize) {
        float[] x = CoreArrays.uniform(new SplittableRandom(5), n * sampleSize, 0, 1.9921875f);
        x[0] = 0f;
        x[1] = 1.9921875f;
        return Dataset.of("inputs", new int[] {3, 3, 2}, x, null);
    }

    private static Converter.Conversion int8(Model m, QuantizationScheme scheme, Granularity g) {
        return Converter.fromModel(m)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withScheme(scheme)
                        .withGranularity(g))
                .withRepresentativeDataset(inputs(16, 18))
                .convert();
    }

    private static Op opOf(Model m, OpType type) {
        return m.ops().stream().filter(o -> o.type() == type).findFirst().orElseThrow();
    }

    @Test
    void deadChannelsGetTheMinimumScaleAndScalesTheirBiasesFit() {
        Converter.Conversion c = int8(deadChannelConv(), QuantizationScheme.SYMMETRIC, Granularity.PER_CHANNEL);
        Op conv = opOf(c.model(), OpType.CONV_2D);
        assertThat(conv.input(0).quant()).isEqualTo(QuantParams.perTensor(S_IN, -128));
        Tensor w = conv.input(1);
        float[] s = w.quant().scales();
        // live channel: max|w| / 127; dead with bias 0.5: 0.5 / (2^-7 · 2^30) = 2^-24; all-zero ones: the minimum
        assertThat(s).containsExactly(0.5f / 127, 0x1p-24f, MIN_SCALE, MIN_SCALE);
        // the minimum alone would have put the bias 0.5 at 0.5 / (2^-7 · 3.94e-9) ≈ 1.6e10, beyond int32
        assertThat(0.5 / (S_IN * MIN_SCALE)).isGreaterThan(Integer.MAX_VALUE);
        assertThat(w.data().bytes()).containsExactly(127, -51, 0, 0, 0, 0, 0, 0);

        Tensor b = conv.input(2);
        float[] bs = b.quant().scales();
        for (int ch = 0; ch < 4; ch++) {
            assertThat(bs[ch]).isEqualTo(S_IN * s[ch]);
        }
        assertThat(b.data().ints())
                .containsExactly(
                        (int) Math.round(BIAS[0] / (double) (S_IN * (0.5f / 127))),
                        1 << 30, // 0.5 / 2^-31, the largest bias the rule allows
                        0,
                        (int) Math.round(BIAS[3] / (double) (S_IN * MIN_SCALE))); // ≈ −3.25e7: fits without help

        List<ScaleAdjustment> adjusted = c.report().scaleAdjustments();
        assertThat(adjusted).extracting(ScaleAdjustment::channel).containsExactly(1, 2, 3);
        assertThat(adjusted).extracting(ScaleAdjustment::layer).containsOnly("conv");
        assertThat(adjusted.get(0).originalScale()).isEqualTo((float) (1e-30 / 127));
        assertThat(adjusted.get(0).newScale()).isEqualTo(0x1p-24f);
        assertThat(adjusted.get(0).causes())
                .containsExactly(ScaleAdjustment.Cause.MINIMUM_SCALE, ScaleAdjustment.Cause.BIAS_RANGE);
        assertThat(adjusted.get(1).originalScale()).isZero();
        assertThat(adjusted.get(1).newScale()).isEqualTo(MIN_SCALE);
        assertThat(adjusted.get(1).causes()).containsExactly(ScaleAdjustment.Cause.MINIMUM_SCALE);
        assertThat(adjusted.get(2).causes()).containsExactly(ScaleAdjustment.Cause.MINIMUM_SCALE);
        // one line per layer: the channel with the smallest plain scale (channel 2's all-zero weights: 0)
        assertThat(c.report().render())
                .contains("Weight scales adjusted (3 channels in 1 layer")
                .contains("  conv: 3 channels (minimum scale 3, bias range 1); smallest scale 0.00 -> 3.94e-09"
                        + " (channel 2)\n")
                .doesNotContain("conv channel 1:");
        assertThat(c.report().render(true)).contains("  conv channel 1: scale 7.87e-33 -> 5.96e-08");
    }

    @Test
    void aDeadChannelOutputsItsBiasInQuantaAndInTfliteOnBothPaths() throws Exception {
        Converter.Conversion c = int8(deadChannelConv(), QuantizationScheme.SYMMETRIC, Granularity.PER_CHANNEL);
        Path file = tmp.resolve("dead.tflite");
        TfliteWriter.write(c.model(), file);
        Model written = TfliteReader.read(file);
        QuantParams out = opOf(written, OpType.CONV_2D).output(0).quant();
        // the requantization multiplier of the dead channel, s_in · s_w / s_out = 2^-31 / s_out, is representable
        assertThat(S_IN * 0x1p-24 / out.scale()).isGreaterThan(0x1p-31);
        Dataset d = inputs(4, 18);
        Offset<Double> halfStep = Offset.offset(out.scale() / 2.0);
        float[] x = new float[18];
        try (Interpreter xnnQuanta = new Interpreter(written);
                Interpreter builtinQuanta =
                        new Interpreter(written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int i = 0; i < d.size(); i++) {
                d.copySample(i, x, 0);
                float[] mine = new float[36];
                xnnQuanta.run(x, mine);
                for (int p = 0; p < 9; p++) {
                    // channel 1 is the constant 0.5 (within half a step), channel 2 exactly 0, channel 3 ≈ −1e-3
                    assertThat((double) mine[p * 4 + 1]).isCloseTo(0.5, halfStep);
                    assertThat(mine[p * 4 + 2]).isZero();
                    assertThat((double) mine[p * 4 + 3]).isCloseTo(-1e-3, halfStep);
                }
                float[] mineBuiltin = new float[36];
                builtinQuanta.run(x, mineBuiltin);
                assertThat(xnn.runFloat(x)).as("XNNPACK, sample " + i).containsExactly(mine);
                assertThat(builtin.runFloat(x)).as("built-in, sample " + i).containsExactly(mineBuiltin);
            }
        }
    }

    /** Weights with one scale: the largest |b| decides, the minimum applies to the whole tensor. */
    @Test
    void perTensorWeightsFitTheLargestBias() {
        ModelBuilder mb = new ModelBuilder("dead_dense");
        Tensor x = mb.input("x", Shape.batched(3, 3, 2));
        Tensor flat = CoreModels.flatten(mb, "flatten", x);
        float[] k = new float[2 * 18];
        k[3] = 1e-30f;
        Tensor y = CoreModels.dense(mb, "dense", flat, k, new float[] {0.5f, -0.25f});
        Model m = mb.output(y).build(ModelMetadata.inMemory());

        Converter.Conversion c = int8(m, QuantizationScheme.SYMMETRIC, Granularity.PER_CHANNEL);
        Op fc = opOf(c.model(), OpType.FULLY_CONNECTED);
        assertThat(fc.input(1).quant()).isEqualTo(QuantParams.perTensor(0x1p-24f, 0));
        assertThat(fc.input(2).data().ints()).containsExactly(1 << 30, -(1 << 29));
        assertThat(c.report().scaleAdjustments()).singleElement().satisfies(a -> {
            assertThat(a.layer()).isEqualTo("dense");
            assertThat(a.channel()).isEqualTo(-1);
            assertThat(a.newScale()).isEqualTo(0x1p-24f);
        });

        // uint8: the range [0, 1e-30] is widened to ±5e-7, then the scale is raised for the bias; zero point from
        // the low end: round(5e-7 / 2^-24) = 8
        Converter.Conversion u = int8(m, QuantizationScheme.ASYMMETRIC, Granularity.PER_TENSOR);
        Op ufc = opOf(u.model(), OpType.FULLY_CONNECTED);
        assertThat(ufc.input(0).quant()).isEqualTo(QuantParams.perTensor(S_IN, 0));
        assertThat(ufc.input(1).quant()).isEqualTo(QuantParams.perTensor(0x1p-24f, 8));
        assertThat(ufc.input(2).data().ints()).containsExactly(1 << 30, -(1 << 29));
        assertThat(u.report().scaleAdjustments().get(0).causes())
                .containsExactly(ScaleAdjustment.Cause.MINIMUM_SCALE, ScaleAdjustment.Cause.BIAS_RANGE);
    }

    /** A live channel whose bias is too large for its scale gets a coarser scale, as TFLite's converter does. */
    @Test
    void aLargeBiasCoarsensALiveChannel() {
        float s = QuantMath.biasFittingWeightScale(1e5, S_IN, 0.02f / 127);
        assertThat(s).isEqualTo(1e5f * 0x1p-23f); // 1e5 / (2^-7 · 2^30)
        assertThat(QuantMath.quantizedBiasMagnitude(1e5, S_IN, s)).isEqualTo(1 << 30);
        // a bias that fits leaves the scale alone
        assertThat(QuantMath.biasFittingWeightScale(1.0, S_IN, 0.02f / 127)).isEqualTo(0.02f / 127);
        // where the float product rounds, the smallest scale that fits is taken
        float odd = QuantMath.biasFittingWeightScale(0.3, 0.0371f, 1e-12f);
        assertThat(QuantMath.quantizedBiasMagnitude(0.3, 0.0371f, odd)).isLessThanOrEqualTo(1 << 30);
        assertThat(QuantMath.quantizedBiasMagnitude(0.3, 0.0371f, Math.nextDown(odd)))
                .isGreaterThan(1 << 30);
        assertThat(QuantMath.weightScale(0, 127)).isEqualTo(MIN_SCALE);
        assertThat(QuantMath.weightScale(1e-3, 127)).isEqualTo((float) (1e-3 / 127));
    }
}
