package dev.quanta.tuning;

import static dev.quanta.testing.CoreModels.int8;
import static dev.quanta.testing.SensitiveModels.outlierNet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.eval.PairedComparison;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.LayerReport;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.ModelChecks;
import dev.quanta.testing.SensitiveModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Layers kept in float ({@link QuantizationConfig#withFloatLayers}), {@link Sensitivity} and
 * {@link MixedPrecision} on a tiny classifier with one obviously sensitive layer ({@link SensitiveModels#outlierNet}).
 */
class SensitivityTest {
    private static Converter converter(Model m) {
        return int8(m, SensitiveModels.data(m, 64, 1), c -> c.withGranularity(Granularity.PER_TENSOR));
    }

    @Test
    void aFloatLayerRunsInFloatBetweenDequantizeAndQuantizeAndConsecutiveOnesPassFloat() {
        Model m = outlierNet();
        Converter c = converter(m);
        Converter.Conversion one =
                c.withConfig(c.config().withFloatLayers(Set.of("outlier"))).convert();
        assertThat(CoreOps.types(one.model()))
                .isEqualTo("QUANTIZE FULLY_CONNECTED DEQUANTIZE FULLY_CONNECTED QUANTIZE FULLY_CONNECTED SOFTMAX "
                        + "DEQUANTIZE");
        Op outlier = one.model().ops().get(3);
        assertThat(outlier.input(1).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(outlier.input(1).data().floats()[11]).isEqualTo(1000f);
        assertThat(one.report().floatLayers()).singleElement().satisfies(l -> {
            assertThat(l.layer()).isEqualTo("outlier");
            assertThat(l.reason()).isEqualTo("kept in float as asked");
        });
        // d1 and outlier in float: no QUANTIZE between them, and the input QUANTIZE nothing reads is gone
        Converter.Conversion two = c.withConfig(c.config().withFloatLayers(Set.of("d1", "outlier")))
                .convert();
        assertThat(CoreOps.types(two.model()))
                .isEqualTo("FULLY_CONNECTED FULLY_CONNECTED QUANTIZE FULLY_CONNECTED SOFTMAX DEQUANTIZE");
        assertThat(two.model().ops().get(1).input(0))
                .isSameAs(two.model().ops().get(0).output(0));
        // every layer in float: the float model's outputs exactly, under the output's name
        Converter.Conversion all = c.withConfig(c.config().withFloatLayers(Set.of("d1", "outlier", "d2", "softmax")))
                .convert();
        assertThat(CoreOps.types(all.model())).isEqualTo("FULLY_CONNECTED FULLY_CONNECTED FULLY_CONNECTED SOFTMAX");
        assertThat(all.model().outputs().get(0).name())
                .isEqualTo(m.outputs().get(0).name());
        Dataset d = SensitiveModels.data(m, 16, 2);
        assertThat(ModelChecks.maxDifference(m, all.model(), d, 16)).isZero();
    }

    @Test
    void aLayerThatIsNoLayerOfTheModelIsRefused() {
        Converter c = converter(outlierNet());
        assertThatThrownBy(() ->
                        c.withConfig(c.config().withFloatLayers(Set.of("nope"))).convert())
                .isInstanceOf(QuantaException.class)
                .hasMessage("layer 'nope' to keep in float is no layer of model 'outlier_net'; its layers are d1, "
                        + "outlier, d2, softmax");
        assertThatThrownBy(() -> c.withConfig(
                                c.config().withMode(QuantizationMode.DYNAMIC).withFloatLayers(Set.of("d1")))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("layers kept in float apply to the full-integer modes, not mode dynamic");
    }

    @Test
    void calibratingOnceGivesTheSameModelsAsCalibratingEachTime() {
        calibratingOnceMatches(converter(outlierNet()));
        // with cross-layer equalization and bias correction, which are kept with the ranges
        Converter c = converter(outlierNet());
        calibratingOnceMatches(
                c.withConfig(c.config().withCrossLayerEqualization(true).withBiasCorrection(true)));
    }

    private static void calibratingOnceMatches(Converter c) {
        Converter once = c.calibrateOnce();
        Dataset d = SensitiveModels.data(outlierNet(), 32, 3);
        for (Set<String> layers : List.of(Set.<String>of(), Set.of("d1"), Set.of("outlier", "d2"))) {
            Model each =
                    c.withConfig(c.config().withFloatLayers(layers)).convert().model();
            Model reused = once.withConfig(once.config().withFloatLayers(layers))
                    .convert()
                    .model();
            assertThat(CoreOps.types(reused)).isEqualTo(CoreOps.types(each));
            assertThat(ModelChecks.maxDifference(each, reused, d, 32)).isZero();
        }
        assertThat(once.quantizableLayers()).containsExactly("d1", "outlier", "d2", "softmax");
    }

    @Test
    void sensitivityRanksTheOutlierLayerFirst() {
        Model m = outlierNet();
        Dataset eval = SensitiveModels.data(m, 200, 9);
        List<int[]> progress = new ArrayList<>();
        Sensitivity.Result r = Sensitivity.measure(
                converter(m),
                eval,
                null,
                Evaluator.Options.defaults(),
                (done, total) -> progress.add(new int[] {done, total}));
        System.out.println(r);
        assertThat(r.metric()).isEqualTo(Metric.TOPK);
        assertThat(r.samples()).isEqualTo(200);
        assertThat(r.floatValue()).isEqualTo(100.0);
        assertThat(r.int8Drop()).isGreaterThan(30);
        assertThat(r.layers()).extracting(Sensitivity.Layer::layer).hasSize(4).startsWith("outlier");
        Sensitivity.Layer worst = r.layers().get(0);
        assertThat(worst.aloneDrop()).isGreaterThan(30);
        assertThat(worst.recovered()).isGreaterThan(r.int8Drop() - 5);
        for (Sensitivity.Layer other : r.layers().subList(1, 4)) {
            assertThat(other.aloneDrop()).as(other.layer()).isLessThan(5);
            assertThat(other.recovered()).as(other.layer()).isLessThan(5);
        }
        // McNemar's p: the float model gets every sample right (the labels are its own), so a quantized model's
        // discordant samples are all float's: b = drop · 200 / 100, c = 0
        assertThat(r.int8P()).isEqualTo(new PairedComparison(200, (int) Math.round(2 * r.int8Drop()), 0).p());
        assertThat(r.int8P()).isLessThan(1e-15);
        for (Sensitivity.Layer l : r.layers()) {
            assertThat(l.aloneP())
                    .as(l.layer())
                    .isEqualTo(new PairedComparison(200, (int) Math.round(2 * l.aloneDrop()), 0).p());
        }
        assertThat(worst.recoveredP()).isLessThan(1e-15);
        assertThat(progress).hasSize(10);
        assertThat(progress.get(9)).containsExactly(10, 10);
    }

    @Test
    void mixedPrecisionKeepsTheOutlierLayerInFloatAndMeetsTheDrop() {
        Model m = outlierNet();
        Dataset eval = SensitiveModels.data(m, 200, 9);
        MixedPrecision.Result r = MixedPrecision.choose(converter(m), eval, null, 2.0, Evaluator.Options.defaults());
        System.out.println(r.steps());
        assertThat(r.met()).isTrue();
        assertThat(r.steps().get(0).drop()).isGreaterThan(30);
        assertThat(r.chosen().floatLayers()).containsExactly("outlier");
        assertThat(r.chosen().drop()).isLessThanOrEqualTo(2.0);
        assertThat(r.conversion().report().floatLayers())
                .extracting(LayerReport::layer)
                .containsExactly("outlier");
        assertThat(Sensitivity.value(r.conversion().model(), eval, Metric.TOPK, Evaluator.Options.defaults()))
                .isEqualTo(r.chosen().value());
        // already within the limit: full int8, nothing in float
        MixedPrecision.Result loose =
                MixedPrecision.choose(converter(m), eval, Metric.TOPK, 100, Evaluator.Options.defaults());
        assertThat(loose.steps()).hasSize(1);
        assertThat(loose.chosen().floatLayers()).isEmpty();
        assertThat(CoreOps.types(loose.conversion().model()))
                .isEqualTo("QUANTIZE FULLY_CONNECTED FULLY_CONNECTED FULLY_CONNECTED SOFTMAX DEQUANTIZE");
    }

    @Test
    void dropIsInPointsForAccuracyAndInPercentOfTheErrorForMse() {
        assertThat(Sensitivity.drop(Metric.TOPK, 90, 87.5)).isEqualTo(2.5);
        assertThat(Sensitivity.drop(Metric.AUC, 0.9, 0.85)).isCloseTo(5.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(Sensitivity.drop(Metric.MSE, 10, 10.5)).isEqualTo(5.0);
        assertThat(Sensitivity.drop(Metric.MSE, 10, 9)).isEqualTo(-10.0);
    }
}
