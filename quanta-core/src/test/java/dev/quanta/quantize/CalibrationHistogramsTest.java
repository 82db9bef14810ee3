package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreModels;
import dev.quanta.tflite.TfliteWriter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Converter#withHistograms}: the histograms an HTML report draws, kept without changing the conversion. */
class CalibrationHistogramsTest {
    /** x[3] → Dense "dense" → ReLU "relu" → Softmax "prob"; the converter fuses the ReLU into the Dense. */
    private static Model model() {
        ModelBuilder mb = new ModelBuilder("dense_relu");
        Tensor x = mb.input("x", Shape.batched(3));
        Tensor d = CoreModels.dense(mb, "dense", x, new float[] {1, -2, 0.5f, 0.25f, 1, -1}, new float[] {0.5f, -1});
        Tensor r = CoreModels.relu(mb, "relu", d);
        return mb.output(CoreModels.softmax(mb, "prob", r)).build(ModelMetadata.inMemory());
    }

    private static Dataset data() {
        Random r = new Random(7);
        float[] x = new float[3 * 300];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) r.nextGaussian();
        }
        return Dataset.of("gauss", new int[] {3}, x, null);
    }

    /** Calibration takes the first 100 samples: 300 values of x, 200 of the Dense+ReLU output. */
    @Test
    void minmaxKeepsItsRangesAndFileWhenAskedForHistograms() {
        Converter base = Converter.fromModel(model())
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.INT8))
                .withRepresentativeDataset(data());
        Converter.Conversion plain = base.convert();
        Converter.Conversion kept = base.withHistograms(true).convert();
        assertThat(TfliteWriter.toBytes(kept.model())).isEqualTo(TfliteWriter.toBytes(plain.model()));
        var a = plain.report().calibration().tensors();
        var b = kept.report().calibration().tensors();
        assertThat(b).hasSameSizeAs(a).hasSize(2);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).histogram()).isNull();
            TensorHistogram h = b.get(i).histogram();
            assertThat(h).as(b.get(i).tensor()).isNotNull();
            assertThat(h.total()).isEqualTo(b.get(i).tensor().equals("x") ? 300 : 200);
            assertThat(b.get(i).chosen())
                    .isEqualTo(a.get(i).chosen())
                    .isEqualTo(a.get(i).seen());
            assertThat(b.get(i).clippedFraction()).isZero();
            assertThat((double) h.min()).isEqualTo(b.get(i).seen().min());
            assertThat((double) h.max()).isEqualTo(b.get(i).seen().max());
        }
    }

    @Test
    void histogramCalibratorsKeepTheHistogramsTheyChoseFrom() {
        Converter c = Converter.fromModel(model())
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrator(Calibrator.PERCENTILE)
                        .withPercentile(99))
                .withRepresentativeDataset(data());
        assertThat(c.convert().report().calibration().tensors())
                .allSatisfy(t -> assertThat(t.histogram()).isNull());
        var kept = c.withHistograms(true).convert().report().calibration().tensors();
        assertThat(kept).allSatisfy(t -> {
            assertThat(t.histogram()).isNotNull();
            assertThat(t.clippedFraction()).isPositive();
            assertThat(t.histogram().total()).isEqualTo(t.tensor().equals("x") ? 300 : 200);
        });
    }
}
