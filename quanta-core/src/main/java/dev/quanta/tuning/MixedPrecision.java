package dev.quanta.tuning;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Converter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Accuracy-aware mixed precision: start from the full-integer model; while its metric on evaluation data drops from
 * the float model's by more than a limit ({@link Sensitivity#drop}: accuracy points, or percent of the float error
 * for MSE/MAE), keep the next most sensitive layer in float (between DEQUANTIZE and QUANTIZE). Layers are ranked
 * once, by how much keeping each alone in float recovers ({@link Sensitivity.Layer#recovered}); the model is
 * calibrated once for every conversion.
 */
public final class MixedPrecision {
    private MixedPrecision() {}

    /** One model tried: the layers in float so far and its metric. */
    public record Step(List<String> floatLayers, double value, double drop) {
        public Step {
            floatLayers = List.copyOf(floatLayers);
        }
    }

    /**
     * @param floatValue the float model's metric
     * @param steps every model tried, the full-integer one first and the chosen one last
     * @param met whether the chosen model's drop is at most {@code maxDrop} (false only when even every layer in
     *     float does not meet it, as with integer I/O)
     * @param conversion the chosen model and its report (its layers say which are float)
     */
    public record Result(
            Metric metric,
            int samples,
            double maxDrop,
            double floatValue,
            List<Step> steps,
            boolean met,
            Converter.Conversion conversion) {
        public Result {
            steps = List.copyOf(steps);
        }

        /** The chosen model's step. */
        public Step chosen() {
            return steps.get(steps.size() - 1);
        }
    }

    /**
     * Chooses the layers to keep in float.
     *
     * @param converter a converter with a full-integer mode (null: int8) and a representative dataset, disjoint
     *     from {@code eval}
     * @param metric the metric; null takes {@link Metric#defaultFor} the model
     * @param maxDrop the largest drop accepted, at least 0
     * @throws QuantaException for settings, calibration or evaluation data that do not fit the model
     */
    public static Result choose(
            Converter converter, Dataset eval, Metric metric, double maxDrop, Evaluator.Options options) {
        if (!(maxDrop >= 0)) {
            throw new IllegalArgumentException("MixedPrecision maxDrop must be at least 0, got " + maxDrop);
        }
        Converter c = converter.calibrateOnce();
        Model floatModel = Sensitivity.floatModel(c);
        Metric m = metric != null ? metric : Metric.defaultFor(floatModel);
        double f = Sensitivity.value(floatModel, eval, m, options);
        List<Step> steps = new ArrayList<>();
        Converter.Conversion chosen = convert(c, Set.of());
        double q = Sensitivity.value(chosen.model(), eval, m, options);
        steps.add(new Step(List.of(), q, Sensitivity.drop(m, f, q)));
        if (steps.get(0).drop() <= maxDrop) {
            return new Result(m, eval.size(), maxDrop, f, steps, true, chosen);
        }
        // rank: how much keeping each layer alone in float recovers (higher first), in graph order on ties
        List<String> layers = c.quantizableLayers();
        List<double[]> recovered = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            double v = Sensitivity.value(convert(c, Set.of(layers.get(i))).model(), eval, m, options);
            recovered.add(new double[] {i, steps.get(0).drop() - Sensitivity.drop(m, f, v)});
        }
        recovered.sort(Comparator.<double[]>comparingDouble(r -> -r[1]).thenComparingDouble(r -> r[0]));
        Set<String> floatLayers = new LinkedHashSet<>();
        for (double[] r : recovered) {
            floatLayers.add(layers.get((int) r[0]));
            chosen = convert(c, floatLayers);
            double v = Sensitivity.value(chosen.model(), eval, m, options);
            steps.add(new Step(new ArrayList<>(floatLayers), v, Sensitivity.drop(m, f, v)));
            if (Sensitivity.drop(m, f, v) <= maxDrop) {
                return new Result(m, eval.size(), maxDrop, f, steps, true, chosen);
            }
        }
        return new Result(m, eval.size(), maxDrop, f, steps, false, chosen);
    }

    private static Converter.Conversion convert(Converter c, Set<String> floatLayers) {
        return c.withConfig(c.config().withFloatLayers(floatLayers)).convert();
    }
}
