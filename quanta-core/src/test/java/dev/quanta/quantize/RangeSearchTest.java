package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static dev.quanta.testing.CoreModels.int8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link QuantizationConfig#withRangeSearch}: ranges scaled by the network's error on held-out samples. */
class RangeSearchTest {
    /** y = x through an identity Dense: its output range is what the search scales. */
    private static Model identity() {
        ModelBuilder b = new ModelBuilder("identity");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor y = dense(b, "dense", x, new float[] {1f, 0f, 0f, 1f});
        return b.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * y = x0 + x1 on 32 samples whose inputs all lie in [−1, 1]: the even ones are (t, 0), so y spans [−1, 1]; the
     * odd ones are ±(0.6, 0.6), so y = ±1.2. The range chosen on the even samples clips every held-out y; ×1.25
     * holds them ([−1.25, 1.25]) with the least error (×1.1 still clips 1.2), so y's range on all samples,
     * [−1.2, 1.2], becomes [−1.5, 1.5]: scale 3/255.
     */
    @Test
    void widensARangeTheHeldOutSamplesExceed() {
        ModelBuilder b = new ModelBuilder("sum");
        Tensor in = b.input("x", Shape.batched(2));
        Model sum = b.output(dense(b, "dense", in, new float[] {1f, 1f})).build(ModelMetadata.inMemory());
        int n = 32;
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                x[2 * i] = (i / 2 % 8) / 7f * 2 - 1; // −1 … 1
            } else {
                x[2 * i] = x[2 * i + 1] = i % 4 == 1 ? 0.6f : -0.6f;
            }
        }
        Dataset d = Dataset.of("two-halves", new int[] {2}, x, new int[n]);
        Converter.Conversion plain = int8(sum, d).convert();
        Converter.Conversion searched =
                int8(sum, d, c -> c.withRangeSearch(true)).convert();
        assertThat(output(plain).scale()).isCloseTo(2.4f / 255, within(1e-7f));
        QuantParams p = output(searched);
        assertThat(p.scale()).isCloseTo(3.0f / 255, within(1e-7f));
        QuantizationReport.Technique t = searched.report().techniques().get(0);
        assertThat(t.name()).isEqualTo("range search");
        assertThat(t.changes().get(0))
                .startsWith("1 of 2 ranges scaled; held-out error ")
                .endsWith("on 16 samples (ranges from 16 others)");
        assertThat(t.changes().get(1)).isEqualTo("dense: ×1.25 [-1.20000, 1.20000] -> [-1.50000, 1.50000]");
        TensorCalibration out = searched.report().calibration().tensors().stream()
                .filter(c -> c.tensor().equals("dense"))
                .findFirst()
                .orElseThrow();
        assertThat(out.method()).isEqualTo("minmax ×1.25");
        assertThat(out.chosen()).isEqualTo(new TensorRange(-1.5f, 1.5f));
    }

    /**
     * Values 0 and 1 only: the range [0, 1] holds both exactly (scale 1/255, zero point −128), a narrower one clips
     * 1 and a wider one rounds it, so no factor beats 1: nothing changes, and the file is min/max's.
     */
    @Test
    void keepsRangesThatNothingBeats() {
        int n = 16;
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i % 2 == 0 ? 1f : 0f;
            x[2 * i + 1] = i % 2 == 0 ? 0f : 1f;
        }
        Dataset d = Dataset.of("alike", new int[] {2}, x, new int[n]);
        Converter.Conversion searched =
                int8(identity(), d, c -> c.withRangeSearch(true)).convert();
        assertThat(searched.report().techniques().get(0).changes())
                .hasSize(1)
                .allMatch(l -> l.startsWith("0 of 2 ranges scaled"));
        assertThat(output(searched)).isEqualTo(output(int8(identity(), d).convert()));
    }

    /** The parameters of the FULLY_CONNECTED output. */
    private static QuantParams output(Converter.Conversion c) {
        return c.model().ops().stream()
                .filter(o -> o.type() == dev.quanta.ir.OpType.FULLY_CONNECTED)
                .findFirst()
                .orElseThrow()
                .output(0)
                .quant();
    }

    @Test
    void saysWhyItSkipsFewSamples() {
        Dataset d = Dataset.of("three", new int[] {2}, new float[] {1, -1, 0.5f, 0.5f, -1, 1}, new int[3]);
        assertThat(int8(identity(), d, c -> c.withRangeSearch(true))
                        .convert()
                        .report()
                        .techniques())
                .containsExactly(new QuantizationReport.Technique(
                        "range search",
                        List.of("skipped: the held-out search needs at least 4 calibration samples, got 3")));
    }

    @Test
    void refusesModesThatDoNotCalibrate() {
        assertThatThrownBy(() -> Converter.fromModel(identity())
                        .withConfig(QuantizationConfig.defaults()
                                .withMode(QuantizationMode.DYNAMIC)
                                .withRangeSearch(true))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessage("rangeSearch scales activation ranges: it needs a full-integer mode (int8 or int16x8),"
                        + " not dynamic");
    }
}
