package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreModels;
import org.junit.jupiter.api.Test;

/**
 * Coverage of the calibrated ranges: how many samples reach each end, and the warnings for a range end set by very
 * few samples and for a small calibration set.
 */
class CalibrationCoverageTest {

    /** x[2] → ReLU "relu". */
    private static Model relu() {
        ModelBuilder mb = new ModelBuilder("relu");
        Tensor x = mb.input("x", Shape.batched(2));
        return mb.output(CoreModels.relu(mb, "relu", x)).build(ModelMetadata.inMemory());
    }

    /**
     * {@code n} samples (i % 10 / 10, −(i * 7 % 10) / 10): maxima 0.9 and minima −0.9 in a tenth of the samples
     * each; the first value of the first {@code outliers} samples is 10 instead.
     */
    private static Dataset data(int n, int outliers) {
        float[] v = new float[2 * n];
        for (int i = 0; i < n; i++) {
            v[2 * i] = i < outliers ? 10 : (i % 10) / 10f;
            v[2 * i + 1] = -((i * 7) % 10) / 10f;
        }
        return Dataset.of("gen", new int[] {2}, v, null);
    }

    private static TensorCalibration tensor(Calibration c, String name) {
        return c.tensors().stream()
                .filter(t -> t.tensor().equals(name))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void aMaximumSetByOneSampleIsWarnedWithTheNextSamplesMaximum() {
        Calibration c = MinMaxCalibrator.calibrate(relu(), data(200, 1), 200, 1);
        TensorCalibration.Coverage x = tensor(c, "x").coverage();
        assertThat(x).isEqualTo(new TensorCalibration.Coverage(200, 1, 0.9f, 20, -0.8f));
        assertThat(tensor(c, "x").seen()).isEqualTo(new TensorRange(-0.9f, 10));
        // relu: minimum 0 is not taken from the data end (the grid holds 0)
        assertThat(tensor(c, "relu").coverage()).isEqualTo(new TensorCalibration.Coverage(200, 1, 0.9f, 0, Float.NaN));
        assertThat(c.warnings())
                .containsExactly(
                        "the max 10.0000 of tensor 'x' is reached by 1 of 200 calibration samples (the next sample's"
                                + " max is 0.900000); the range may rest on an outlier",
                        "the max 10.0000 of tensor 'relu' is reached by 1 of 200 calibration samples (the next"
                                + " sample's max is 0.900000); the range may rest on an outlier");
    }

    @Test
    void aMaximumReachedByManySamplesIsNotWarned() {
        Calibration c = MinMaxCalibrator.calibrate(relu(), data(200, 2), 200, 1);
        assertThat(tensor(c, "x").coverage()).isEqualTo(new TensorCalibration.Coverage(200, 2, 0.9f, 20, -0.8f));
        assertThat(c.warnings()).isEmpty();
        // 1% of 500 is 5: four samples are too few
        Calibration four = MinMaxCalibrator.calibrate(relu(), data(500, 4), 500, 1);
        assertThat(tensor(four, "x").coverage().atMax()).isEqualTo(4);
        assertThat(four.warnings()).hasSize(2).allMatch(w -> w.contains("reached by 4 of 500"));
        Calibration five = MinMaxCalibrator.calibrate(relu(), data(500, 5), 500, 1);
        assertThat(five.warnings()).isEmpty();
    }

    @Test
    void aSmallCalibrationSetIsWarnedAndSaysWhenTheDatasetHoldsNoMore() {
        Calibration asked = MinMaxCalibrator.calibrate(relu(), data(200, 0), 40, 1);
        assertThat(asked.warnings())
                .containsExactly("calibrated on 40 samples; about 100 to 500 representative samples are advised");
        Calibration all = MinMaxCalibrator.calibrate(relu(), data(30, 0), 100, 1);
        assertThat(all.warnings())
                .containsExactly("calibrated on 30 samples, all the dataset holds; about 100 to 500 representative"
                        + " samples are advised");
        assertThat(MinMaxCalibrator.calibrate(relu(), data(100, 0), 100, 1).warnings())
                .isEmpty();
    }
}
