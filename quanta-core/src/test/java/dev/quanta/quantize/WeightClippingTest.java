package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static dev.quanta.testing.CoreModels.int8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code --calibrator auto} clips a layer's per-tensor int8 weight range to a ratio of max |w| where that lowers the
 * network's error on both halves of the held-out calibration samples ({@link WeightClipping},
 * {@link HeldOutSearch}).
 */
class WeightClippingTest {
    @Test
    void clipsToTheRatioOfMaxAbsPerTensorOrPerChannel() {
        Tensor w = Tensor.constant("w", Shape.of(2, 3), new float[] {1f, -0.4f, 0.2f, 0.1f, -0.05f, 0.02f});
        assertThat(WeightClipping.clipped(w, 0.5, -1).data().floats())
                .containsExactly(0.5f, -0.4f, 0.2f, 0.1f, -0.05f, 0.02f);
        assertThat(WeightClipping.clippedCount(w, 0.5, -1)).isEqualTo(1);
        assertThat(WeightClipping.clippedCount(w, 0.3, -1)).isEqualTo(2);
        // per channel along axis 0: row 0 to ±0.5, row 1 to ±0.05
        assertThat(WeightClipping.clipped(w, 0.5, 0).data().floats())
                .containsExactly(0.5f, -0.4f, 0.2f, 0.05f, -0.05f, 0.02f);
        assertThat(WeightClipping.clippedCount(w, 0.5, 0)).isEqualTo(2);
        Model m = model(new float[] {1f, -1f, -1f, 1f, 0.5f, -0.5f, 1f, 1f});
        assertThat(WeightClipping.apply(m, Map.of())).isSameAs(m);
        Model clipped = WeightClipping.apply(
                m, Map.of("dense/kernel", new WeightClipping.Clip("dense", "dense/kernel", 0.5, -1)));
        assertThat(clipped.tensor("dense/kernel").data().floats())
                .containsExactly(0.5f, -0.5f, -0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0.5f);
    }

    /**
     * Clipped to ±r·M and encoded, the weights are exactly the unclipped weights encoded at scale r·M / 127: the
     * weights beyond saturate at ±127 either way.
     */
    @Test
    void clippingThenEncodingIsEncodingAtTheClippedScale() {
        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[200];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.1);
        }
        v[17] = 0.9f;
        Tensor w = Tensor.constant("w", Shape.of(200), v);
        WeightQuantizer q = new WeightQuantizer(QuantizationConfig.defaults().withMode(QuantizationMode.INT8));
        for (double ratio : WeightClipping.RATIOS) {
            Tensor encoded = q.perTensor(WeightClipping.clipped(w, ratio, -1));
            float scale = (float) ((double) (float) ((double) 0.9f * ratio) / 127);
            assertThat(encoded.quant().scale()).isEqualTo(scale);
            assertThat(encoded.data().buffer())
                    .isEqualTo(WeightQuantizer.encode(v, DType.INT8, QuantParams.perTensor(scale, 0), new int[] {200})
                            .buffer());
        }
    }

    /**
     * One weight of 0.1 sets the per-tensor range of a Dense layer whose other weights are within ±0.02; its input,
     * within ±0.003, rounds to the input's zero point (the other inputs span ±1), so clipping that weight costs the
     * quantized network nothing while the finer grid rounds every other weight closer: auto clips the range, min/max
     * does not. Measured: ×0.70.
     */
    @Test
    void autoClipsAnOutlierWeightThatCostsNothing() {
        SplittableRandom r = new SplittableRandom(11);
        float[] kernel = new float[4 * 8];
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) r.nextDouble(-0.02, 0.02);
        }
        kernel[0] = 0.1f;
        Model m = model(kernel);
        Dataset d = data(8, 128);
        QuantParams minmax = int8(m, d, c -> c.withGranularity(Granularity.PER_TENSOR))
                .convert()
                .model()
                .tensor("dense/kernel")
                .quant();
        assertThat(minmax.scale()).isEqualTo(0.1f / 127);
        Converter.Conversion auto = int8(
                        m, d, c -> c.withCalibrator(Calibrator.AUTO).withGranularity(Granularity.PER_TENSOR))
                .convert();
        List<String> lines = changes(auto, "weight ranges by held-out error");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("1 of 1 per-tensor weight ranges clipped; held-out error ");
        Matcher line = Pattern.compile("dense: ×(\\S+) of max \\|w\\| \\(0\\.1000 -> \\S+\\), 1 of 32 weights clipped;"
                        + " held-out error \\S+ \\((\\S+), (\\S+)\\) -> \\S+ \\((\\S+), (\\S+)\\)")
                .matcher(lines.get(1));
        assertThat(line.matches()).as(lines.get(1)).isTrue();
        double ratio = Double.parseDouble(line.group(1));
        assertThat(ratio).isEqualTo(0.7);
        assertThat(Double.parseDouble(line.group(4))).isLessThan(Double.parseDouble(line.group(2)));
        assertThat(Double.parseDouble(line.group(5))).isLessThan(Double.parseDouble(line.group(3)));
        QuantParams clipped = auto.model().tensor("dense/kernel").quant();
        assertThat(clipped.scale()).isEqualTo((float) ((double) (float) (0.1f * ratio) / 127));
        // the written weight saturates at 127
        assertThat(auto.model().tensor("dense/kernel").data().buffer().get(0)).isEqualTo((byte) 127);
    }

    /** The same choice when the float model's values are not kept and every candidate runs whole. */
    @Test
    void theSameClipsWithoutTheRecordedValues() {
        SplittableRandom r = new SplittableRandom(11);
        float[] kernel = new float[4 * 8];
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) r.nextDouble(-0.02, 0.02);
        }
        kernel[0] = 0.1f;
        Model floatModel = FloatGraphPasses.apply(model(kernel));
        Dataset d = data(8, 128);
        QuantizationConfig config = QuantizationConfig.defaults()
                .withMode(QuantizationMode.INT8)
                .withCalibrationSamples(d.size())
                .withCalibrator(Calibrator.AUTO)
                .withGranularity(Granularity.PER_TENSOR);
        MinMaxCalibrator.Both both = MinMaxCalibrator.calibrateBoth(floatModel, d, config, false);
        HeldOutSearch.Result kept = HeldOutSearch.auto(floatModel, d, config, both, false, false, true, 1L << 25);
        HeldOutSearch.Result rerun = HeldOutSearch.auto(floatModel, d, config, both, false, false, true, 0);
        assertThat(kept.weightClips()).hasSize(1).isEqualTo(rerun.weightClips());
        assertThat(kept.techniques()).isEqualTo(rerun.techniques());
    }

    /**
     * Weights on their grid (±1) round exactly; clipping can only add error: no range is clipped. Min/max and
     * auto with bias correction do not search.
     */
    @Test
    void weightsOnTheirGridAreNotClipped() {
        Model m = model(new float[] {1f, -1f, -1f, 1f, 0.5f, -0.5f, 1f, 1f});
        Dataset d = data(2, 64);
        Converter.Conversion auto = int8(
                        m, d, c -> c.withCalibrator(Calibrator.AUTO).withGranularity(Granularity.PER_TENSOR))
                .convert();
        assertThat(changes(auto, "weight ranges by held-out error"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("0 of 1 per-tensor weight ranges clipped; held-out error ");
        assertThat(auto.model().tensor("dense/kernel").quant().scale()).isEqualTo(1f / 127);
        assertThat(int8(m, d).convert().report().techniques()).isEmpty();
        assertThat(int8(
                                m,
                                d,
                                c -> c.withCalibrator(Calibrator.AUTO)
                                        .withGranularity(Granularity.PER_TENSOR)
                                        .withBiasCorrection(true))
                        .convert()
                        .report()
                        .techniques())
                .extracting(QuantizationReport.Technique::name)
                .doesNotContain("weight ranges by held-out error");
    }

    /** x → Dense "dense" (no bias) with {@code kernel} of [units, in]; in = 8 unless the kernel has 8 values (2). */
    private static Model model(float[] kernel) {
        int in = kernel.length == 8 ? 2 : 8;
        ModelBuilder b = new ModelBuilder("clip");
        Tensor x = b.input("x", Shape.batched(in));
        return b.output(dense(b, "dense", x, kernel)).build(ModelMetadata.inMemory());
    }

    /** {@code n} samples of {@code width}: the first value uniform in ±0.003 (for width 8), the others in ±1. */
    private static Dataset data(int width, int n) {
        SplittableRandom r = new SplittableRandom(3);
        float[] v = new float[width * n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (width == 8 && i % width == 0 ? r.nextDouble(-0.003, 0.003) : r.nextDouble(-1, 1));
        }
        return Dataset.of("uniform", new int[] {width}, v, new int[n]);
    }

    private static List<String> changes(Converter.Conversion c, String name) {
        return c.report().techniques().stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow(() ->
                        new AssertionError("no " + name + " in " + c.report().techniques()))
                .changes();
    }
}
