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

/** {@code --calibrator auto} picks per-channel Dense weights where they round closer than one scale per tensor. */
class AutoGranularityTest {
    /**
     * Channel 0 spans ±1, channel 1 ±0.01. One tensor scale 1/127 rounds 0.01 to 1 step and −0.003 to 0 (squared
     * error 4.5e-6 + 9e-6); channel 1's own scale 0.01/127 holds 0.01 exactly and −0.003 within 8e-6 of a step
     * of 7.9e-5 (squared error below 1e-10). Channel 0 rounds the same either way.
     */
    @Test
    void perChannelWinsWhenChannelRangesDiffer() {
        Tensor w = Tensor.constant("w", Shape.of(2, 2), new float[] {1f, 0.5f, 0.01f, -0.003f});
        assertThat(WeightQuantizer.perChannelRoundsCloser(w)).isTrue();
    }

    /** Both channels span ±1 and hold values on the tensor's grid: the same scales, the same error; per tensor. */
    @Test
    void equalRangesKeepOneScale() {
        Tensor w = Tensor.constant("w", Shape.of(2, 2), new float[] {1f, -1f, -1f, 1f});
        assertThat(WeightQuantizer.perChannelRoundsCloser(w)).isFalse();
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
