package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link HeldOutSearch} runs the float model once per held-out sample and keeps its values for every candidate;
 * what it chooses and reports is exactly what running the float model again for each candidate gives.
 */
class HeldOutSearchRecordingTest {
    @Test
    void recordedFloatValuesChooseExactlyAsRerunning() {
        SplittableRandom r = new SplittableRandom(11);
        ModelBuilder b = new ModelBuilder("two-dense");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor h = dense(b, "hidden", x, values(r, 16, 1), values(r, 4, 0.1));
        Tensor y = dense(b, "out", h, values(r, 12, 1), values(r, 3, 0.1));
        Model m = b.output(y).build(ModelMetadata.inMemory());
        Dataset d = Dataset.of("gaussian", new int[] {4}, values(r, 4 * 40, 1), new int[40]);
        QuantizationConfig settings = QuantizationConfig.defaults()
                .withMode(QuantizationMode.INT8)
                .withCalibrator(Calibrator.AUTO)
                .withCalibrationSamples(d.size());
        Calibration full = MinMaxCalibrator.calibrate(m, d, settings, true);
        HeldOutSearch.Result recorded = HeldOutSearch.apply(m, m, d, settings, full, Map.of(), true, true);
        HeldOutSearch.Result rerun = HeldOutSearch.apply(m, m, d, settings, full, Map.of(), true, true, 0);
        assertThat(recorded.perChannel()).isEqualTo(rerun.perChannel());
        // the report lines carry the held-out errors of every candidate: both layers' granularities, both ranges
        assertThat(recorded.techniques()).isEqualTo(rerun.techniques()).hasSize(2);
        assertThat(recorded.techniques().get(0).changes()).hasSize(2);
        assertThat(byName(recorded.ranges())).isEqualTo(byName(rerun.ranges())).hasSize(3);
        assertThat(recorded.ranges().tensors()).isEqualTo(rerun.ranges().tensors());
    }

    private static Map<String, TensorRange> byName(Calibration c) {
        Map<String, TensorRange> m = new TreeMap<>();
        c.ranges().forEach((t, r) -> m.put(t.name(), r));
        return m;
    }

    private static float[] values(SplittableRandom r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sd);
        }
        return v;
    }
}
