package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static dev.quanta.testing.CoreModels.int8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code --calibrator auto} chooses between its per-tensor choices and min/max everywhere by the whole network's
 * error on the held-out (odd) calibration samples, ranges taken from the even ones ({@link HeldOutSearch#auto}):
 * the per-tensor choices stay only when strictly better on both halves of the held-out samples; otherwise the model
 * is exactly min/max's.
 */
class AutoRangesTest {
    /** x[8] → Dense(8) "hidden" → Dense(4) "out", weights N(0, 0.4²) from seed 7. */
    private static Model mlp() {
        SplittableRandom r = new SplittableRandom(7);
        ModelBuilder b = new ModelBuilder("mlp");
        Tensor x = b.input("x", Shape.batched(8));
        float[] w1 = new float[64];
        for (int i = 0; i < w1.length; i++) {
            w1[i] = (float) r.nextGaussian() * 0.4f;
        }
        float[] w2 = new float[32];
        for (int i = 0; i < w2.length; i++) {
            w2[i] = (float) r.nextGaussian() * 0.4f;
        }
        Tensor h = dense(b, "hidden", x, w1);
        return b.output(dense(b, "out", h, w2)).build(ModelMetadata.inMemory());
    }

    /** 200 samples of 8 values, uniform in [−1, 1) or N(0, 1), with value 40 at the start of sample 10 (even). */
    private static Dataset withOneOutlier(boolean gaussian, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[8 * 200];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian ? r.nextGaussian() : r.nextDouble(-1, 1));
        }
        v[8 * 10] = 40f;
        return Dataset.of("one outlier", new int[] {8}, v, new int[200]);
    }

    private static final Pattern LINE = Pattern.compile("(per-tensor choices|min/max everywhere) \\(held-out error "
            + "\\S+ \\((\\S+), (\\S+)\\) per-tensor choices, \\S+ \\((\\S+), (\\S+)\\) min/max\\)");

    /** The "ranges by held-out error" line, matched. */
    private static Matcher decision(Converter.Conversion c) {
        QuantizationReport.Technique t = c.report().techniques().stream()
                .filter(x -> x.name().equals("ranges by held-out error"))
                .findFirst()
                .orElseThrow();
        assertThat(t.changes()).hasSize(1);
        Matcher m = LINE.matcher(t.changes().get(0));
        assertThat(m.matches()).as(t.changes().get(0)).isTrue();
        return m;
    }

    /**
     * An outlier of 40 in one calibration sample sets min/max's input range, which rounds every other value to a
     * grid of step 41/255; the clipping calibrators, chosen on half the samples, leave it out, and the network's
     * held-out error halves: the per-tensor choices stay, and the input is quantized over less than [−1, 40].
     * Measured: 0.01336 and 0.01702 on the two halves against min/max's 0.03069 and 0.03475.
     */
    @Test
    void keepsPerTensorChoicesThatBeatMinMaxOnBothHalves() {
        Converter.Conversion c = int8(mlp(), withOneOutlier(false, 1), s -> s.withCalibrator(Calibrator.AUTO))
                .convert();
        Matcher m = decision(c);
        assertThat(m.group(1)).isEqualTo("per-tensor choices");
        assertThat(Double.parseDouble(m.group(2))).isLessThan(Double.parseDouble(m.group(4)));
        assertThat(Double.parseDouble(m.group(3))).isLessThan(Double.parseDouble(m.group(5)));
        TensorCalibration input = c.report().calibration().tensors().get(0);
        assertThat(input.tensor()).isEqualTo("x");
        assertThat(input.seen().max()).isEqualTo(40f);
        assertThat(input.method()).isNotEqualTo("auto: minmax");
        assertThat(input.chosen().max()).isLessThan(10f);
    }

    /**
     * The rule on more data, uniform and Gaussian values with the same outlier, seeds 1–4, with per-tensor
     * granularity (no granularity search) and per-channel (Dense layers chosen too): the per-tensor choices stay
     * only with a strictly lower held-out error on both halves (as reported: at most min/max's on both), and otherwise the model is min/max's, tensor for
     * tensor, unless a Dense layer's granularity changed (which it does only by lowering that error again). Both
     * outcomes occur.
     */
    @Test
    void keepsPerTensorChoicesOnlyOnAStrictWinElseWritesMinMaxsModel() {
        int kept = 0;
        int fellBack = 0;
        for (boolean gaussian : new boolean[] {false, true}) {
            for (long seed = 1; seed <= 4; seed++) {
                Dataset d = withOneOutlier(gaussian, seed);
                for (Granularity g : Granularity.values()) {
                    Converter.Conversion auto = int8(
                                    mlp(),
                                    d,
                                    s -> s.withCalibrator(Calibrator.AUTO).withGranularity(g))
                            .convert();
                    Matcher m = decision(auto);
                    // the report rounds the errors to 4 digits: a strict win may print as a tie
                    boolean notWorse = Double.parseDouble(m.group(2)) <= Double.parseDouble(m.group(4))
                            && Double.parseDouble(m.group(3)) <= Double.parseDouble(m.group(5));
                    String what = (gaussian ? "gaussian" : "uniform") + " seed " + seed + " " + g + ": " + m.group();
                    if (m.group(1).equals("per-tensor choices")) {
                        assertThat(notWorse).as(what).isTrue();
                        kept++;
                        continue;
                    }
                    assertThat(Double.parseDouble(m.group(2)) < Double.parseDouble(m.group(4))
                                    && Double.parseDouble(m.group(3)) < Double.parseDouble(m.group(5)))
                            .as(what)
                            .isFalse();
                    fellBack++;
                    assertThat(auto.report().calibration().tensors())
                            .as(what)
                            .allSatisfy(t -> assertThat(t.chosen()).isEqualTo(t.seen()));
                    boolean granularityChanged = auto.report().techniques().stream()
                            .filter(t -> t.name().equals("granularity by held-out error"))
                            .flatMap(t -> t.changes().stream())
                            .anyMatch(line -> line.contains(": per channel (held-out error"));
                    if (!granularityChanged) {
                        assertSameQuantization(
                                int8(mlp(), d, s -> s.withGranularity(g))
                                        .convert()
                                        .model(),
                                auto.model());
                    }
                }
            }
        }
        assertThat(kept).isPositive();
        assertThat(fellBack).isPositive();
    }

    private static void assertSameQuantization(Model expected, Model actual) {
        assertThat(actual.ops()).hasSameSizeAs(expected.ops());
        for (Tensor e : expected.tensors()) {
            Tensor a = actual.tensor(e.name());
            assertThat(a).as(e.name()).isNotNull();
            assertThat(a.dtype()).as(e.name()).isEqualTo(e.dtype());
            if (e.quant() == null) {
                assertThat(a.quant()).as(e.name()).isNull();
            } else {
                assertThat(a.quant().scales())
                        .as(e.name())
                        .containsExactly(e.quant().scales());
                assertThat(a.quant().zeroPoints())
                        .as(e.name())
                        .containsExactly(e.quant().zeroPoints());
            }
            if (e.isConstant()) {
                assertThat(Arrays.equals(dev.quanta.ir.Dequantize.constant(a), dev.quanta.ir.Dequantize.constant(e)))
                        .as(e.name())
                        .isTrue();
            }
        }
    }
}
