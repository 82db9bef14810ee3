package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static dev.quanta.testing.CoreModels.int8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code --calibrator auto} chooses each layer's weight granularity by the network's error on the held-out (odd)
 * calibration samples ({@link HeldOutSearch}); the configured one stays unless the other is strictly better.
 */
class AutoGranularityTest {
    /** Both rows span ±1 and hold values on the tensor's grid: the same scales, the same error; per tensor stays. */
    @Test
    void equalRowRangesKeepOneScale() {
        ModelBuilder b = new ModelBuilder("equal-ranges");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor y = dense(b, "dense", x, new float[] {1f, -1f, -1f, 1f});
        Model m = b.output(y).build(ModelMetadata.inMemory());
        Converter.Conversion c =
                int8(m, uniform(2, 64), s -> s.withCalibrator(Calibrator.AUTO)).convert();
        assertThat(c.model().tensor("dense/kernel").quant().isPerTensor()).isTrue();
        QuantizationReport.Technique t = technique(c, "granularity by held-out error");
        assertThat(t.changes()).hasSize(1);
        assertThat(t.changes().get(0)).startsWith("dense: per tensor (held-out error ");
    }

    /**
     * With min/max nothing is searched; with per-tensor granularity auto chooses its ranges and its per-tensor weight
     * ranges ({@link WeightClipping}) by held-out error but not the granularity: no granularity section.
     */
    @Test
    void onlyAutoWithPerChannelGranularitySearches() {
        ModelBuilder b = new ModelBuilder("equal-ranges");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor y = dense(b, "dense", x, new float[] {1f, -1f, -1f, 1f});
        Model m = b.output(y).build(ModelMetadata.inMemory());
        assertThat(int8(m, uniform(2, 64)).convert().report().techniques()).isEmpty();
        assertThat(int8(
                                m,
                                uniform(2, 64),
                                s -> s.withCalibrator(Calibrator.AUTO).withGranularity(Granularity.PER_TENSOR))
                        .convert()
                        .report()
                        .techniques())
                .extracting(QuantizationReport.Technique::name)
                .containsExactly("ranges by held-out error", "weight ranges by held-out error");
    }

    private static QuantizationReport.Technique technique(Converter.Conversion c, String name) {
        return c.report().techniques().stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow(() ->
                        new AssertionError("no " + name + " in " + c.report().techniques()));
    }

    private static Dataset uniform(int width, int n) {
        SplittableRandom r = new SplittableRandom(3);
        float[] samples = new float[width * n];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) r.nextDouble(-1, 1);
        }
        return Dataset.of("uniform", new int[] {width}, samples, new int[n]);
    }

    @Test
    void autoMakesThisDensePerChannelAndMinMaxKeepsItPerTensor() {
        ModelBuilder b = new ModelBuilder("two-ranges");
        Tensor x = b.input("x", Shape.batched(3));
        // row 0 spans ±2, row 1 ±0.02: per channel rounds row 1 a hundred times finer
        Tensor y = dense(b, "dense", x, new float[] {2f, -1.3f, 0.7f, 0.02f, -0.011f, 0.005f});
        Model m = b.output(y).build(ModelMetadata.inMemory());
        SplittableRandom r = new SplittableRandom(3);
        float[] samples = new float[3 * 64];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) r.nextDouble(-1, 1);
        }
        Dataset d = Dataset.of("uniform", new int[] {3}, samples, new int[64]);
        QuantParams minmax = int8(m, d).convert().model().tensor("dense/kernel").quant();
        assertThat(minmax.isPerTensor()).isTrue();
        QuantParams auto = int8(m, d, c -> c.withCalibrator(Calibrator.AUTO))
                .convert()
                .model()
                .tensor("dense/kernel")
                .quant();
        assertThat(auto.isPerTensor()).isFalse();
        assertThat(auto.axis()).isZero();
        assertThat(auto.scales()).containsExactly(2f / 127, 0.02f / 127);
        assertThat(technique(
                                int8(m, d, c -> c.withCalibrator(Calibrator.AUTO))
                                        .convert(),
                                "granularity by held-out error")
                        .changes())
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("dense: per channel (held-out error ");
        // per tensor in the per-tensor granularity, whatever the calibrator
        QuantParams perTensor = int8(
                        m, d, c -> c.withCalibrator(Calibrator.AUTO).withGranularity(Granularity.PER_TENSOR))
                .convert()
                .model()
                .tensor("dense/kernel")
                .quant();
        assertThat(perTensor.isPerTensor()).isTrue();
    }
}
