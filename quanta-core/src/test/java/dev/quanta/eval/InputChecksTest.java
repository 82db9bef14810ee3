package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.Notice;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.testing.CoreModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Data against the quantized range of a model's input: saturation and a sliver of the range. */
class InputChecksTest {

    /** input [4] → Dense(2). */
    private static Model dense() {
        ModelBuilder b = new ModelBuilder("dense");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor out = CoreModels.dense(b, "dense", x, new float[] {1, -1, 0.5f, 0.25f, -0.5f, 1, 1, -1});
        return b.output(out).build(ModelMetadata.inMemory());
    }

    /** {@code n} samples of 4 values spread evenly over [0, max]. */
    private static Dataset spread(int n, float max) {
        float[] f = new float[n * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = max * i / (f.length - 1);
        }
        return Dataset.of("data", new int[] {4}, f, null);
    }

    /** Calibrated on [0, 1] pixels, int8 (float I/O: the range is the boundary QUANTIZE's). */
    private static Model int8(IoType io) {
        return Converter.fromModel(dense())
                .withConfig(QuantizationConfig.defaults().withIo(io))
                .withRepresentativeDataset(spread(50, 1f))
                .convert()
                .model();
    }

    @Test
    void dataLikeTheCalibrationDataGivesNoNotice() {
        for (IoType io : List.of(IoType.FLOAT, IoType.INT8, IoType.UINT8)) {
            InputChecks.Result r = InputChecks.measure(int8(io), spread(100, 1f));
            assertThat(r.saturated()).isZero();
            assertThat(r.used()).isCloseTo(1.0, within(0.01));
            assertThat(r.lo()).isCloseTo(0.0, within(1e-6));
            assertThat(r.hi()).isCloseTo(1.0, within(0.01));
            assertThat(InputChecks.check(int8(io), spread(100, 1f))).isEmpty();
        }
    }

    @Test
    void rawPixelsOnAModelCalibratedOnScaledOnesSaturateAndTheNoticeSuggestsTheScale() {
        Model m = int8(IoType.FLOAT);
        InputChecks.Result r = InputChecks.measure(m, spread(100, 255f));
        // values above 1 + half a step saturate: all but the first 1/255 of the spread
        assertThat(r.saturated()).isCloseTo(254.0 / 255, within(0.01));
        List<Notice> notices = InputChecks.check(m, spread(100, 255f));
        assertThat(notices).hasSize(1);
        assertThat(notices.get(0).message())
                .startsWith(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * r.saturated()))
                .contains("% of the input values saturate: the data spans [0, 255], the input "
                        + "'x/quantized' (int8) holds [0, 1]")
                .endsWith("; a missing the preprocessing scale 1/255?");
        assertThat(notices.get(0).render(s -> "--scale")).endsWith("; a missing --scale 1/255?");
    }

    @Test
    void dataScaledOnceTooOftenUsesASliverOfTheRange() {
        Model m = Converter.fromModel(dense())
                .withRepresentativeDataset(spread(50, 255f))
                .convert()
                .model();
        List<Notice> notices = InputChecks.check(m, spread(100, 1f));
        assertThat(notices).hasSize(1);
        assertThat(notices.get(0).message())
                .startsWith("the input values use only 0.4% of the input's range: the "
                        + "data spans [0, 1], the input 'x/quantized' (int8) holds [0, 255]; data "
                        + "scaled by 1/255 that");
    }

    @Test
    void floatAndDynamicRangeInputsAreNotChecked() {
        assertThat(InputChecks.measure(dense(), spread(10, 255f))).isNull();
        Model dynamic = Converter.fromModel(dense()).convert().model();
        assertThat(dynamic.inputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(InputChecks.measure(dynamic, spread(10, 255f))).isNull();
    }

    /**
     * Tallies of the parts of any split add up to the tally of the whole, to the bit, and the notices from the sum
     * and one part (issue 13: a cluster's tasks tally their ranges) are the whole data's notices.
     */
    @Test
    void talliesOfPartsAddUpToTheWholeAndGiveItsNotices() {
        Model m = int8(IoType.INT8);
        java.util.SplittableRandom random = new java.util.SplittableRandom(21);
        float[] f = new float[40 * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) random.nextDouble(-0.5, 4); // most values beyond the calibrated [0, 1]
        }
        Dataset whole = Dataset.of("data", new int[] {4}, f, null);
        InputChecks.Tally all = InputChecks.tally(m, whole);
        assertThat(all.values()).isEqualTo(160);
        assertThat(all.beyond()).isBetween(80L, 150L);
        for (int trial = 0; trial < 20; trial++) {
            int a = random.nextInt(1, 39);
            int b = random.nextInt(a + 1, 41);
            InputChecks.Tally sum = InputChecks.Tally.NONE
                    .plus(InputChecks.tally(m, whole.slice(a, b)))
                    .plus(InputChecks.tally(m, whole.slice(0, a)));
            if (b < 40) {
                sum = sum.plus(InputChecks.tally(m, whole.slice(b, 40)));
            }
            assertThat(sum).isEqualTo(all);
            List<Notice> fromParts = InputChecks.check(m, whole.slice(a, a + 1), sum);
            assertThat(fromParts).isEqualTo(InputChecks.check(m, whole)).isNotEmpty();
        }
        assertThat(InputChecks.tally(dense(), whole)).isNull();
        assertThat(InputChecks.check(m, whole.slice(0, 1), InputChecks.Tally.NONE))
                .isEmpty();
    }

    @Test
    void factorsNearOneOverNAreWrittenAsFractions() {
        assertThat(InputChecks.factor(1 / 255.0)).isEqualTo("1/255");
        assertThat(InputChecks.factor(1 / 127.5)).isEqualTo("1/127.5");
        assertThat(InputChecks.factor(1 / 256.3)).isEqualTo("1/256.5");
        assertThat(InputChecks.factor(0.7)).isEqualTo("0.7");
    }
}
