package dev.quanta.tuning;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Int16Layers;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Accuracy-aware mixed precision: start from the full-integer model; while its metric on evaluation data drops from
 * the float model's by more than a limit ({@link Sensitivity#drop}: accuracy points, or percent of the float error
 * for MSE/MAE), move the next most sensitive layer to 16x8 (int16 activations, int8 weights; {@link Int16Layers})
 * where the int8 model's layer has a 16x8 kernel, or to float (between DEQUANTIZE and QUANTIZE) when that has no
 * 16x8 kernel or when float lowers the drop more (a weight outlier, which 16x8's int8 weights keep); layers are
 * ranked once, by how much keeping each alone in float recovers ({@link Sensitivity.Layer#recovered}); the model is
 * calibrated once per activation type for every conversion.
 */
public final class MixedPrecision {
    private MixedPrecision() {}

    /** One model tried: the layers in float and in 16x8 so far, and its metric. */
    public record Step(List<String> floatLayers, List<String> int16Layers, double value, double drop) {
        public Step {
            floatLayers = List.copyOf(floatLayers);
            int16Layers = List.copyOf(int16Layers);
        }
    }

    /**
     * @param floatValue the float model's metric
     * @param steps every model tried, in order, the full-integer one first
     * @param met whether the chosen model's drop is at most {@code maxDrop} (false only when even every layer in
     *     float does not meet it, as with integer I/O)
     * @param conversion the chosen model and its report (its layers say which are float and which 16x8)
     * @param chosen the chosen model's step, one of {@code steps}
     */
    public record Result(
            Metric metric,
            int samples,
            double maxDrop,
            double floatValue,
            List<Step> steps,
            boolean met,
            Converter.Conversion conversion,
            Step chosen) {
        public Result {
            steps = List.copyOf(steps);
        }
    }

    /**
     * Chooses the layers to move to 16x8 or to float.
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
        steps.add(new Step(List.of(), List.of(), q, Sensitivity.drop(m, f, q)));
        if (steps.get(0).drop() <= maxDrop) {
            return new Result(m, eval.size(), maxDrop, f, steps, true, chosen, last(steps));
        }
        // rank: how much keeping each layer alone in float recovers (higher first), in graph order on ties
        List<String> layers = c.quantizableLayers();
        List<double[]> recovered = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            double v = Sensitivity.value(convert(c, Set.of(layers.get(i))).model(), eval, m, options);
            recovered.add(new double[] {i, steps.get(0).drop() - Sensitivity.drop(m, f, v)});
        }
        recovered.sort(Comparator.<double[]>comparingDouble(r -> -r[1]).thenComparingDouble(r -> r[0]));
        Converter.Conversion int16x8 = int16x8(c);
        Set<String> floatLayers = new LinkedHashSet<>();
        Set<String> int16Layers = new LinkedHashSet<>();
        Step chosenStep = last(steps);
        List<String> order = new ArrayList<>();
        for (double[] r : recovered) {
            order.add(layers.get((int) r[0]));
        }
        for (String layer : order) {
            if (int16x8 != null && Int16Layers.runsIn16x8(int16x8, layer)) {
                // 16x8 first: it keeps the layer integer; float when that does better
                int16Layers.add(layer);
                Converter.Conversion as16 = convert(c, int16x8, floatLayers, int16Layers);
                double drop16 = step(steps, as16, eval, m, f, options, floatLayers, int16Layers);
                if (drop16 <= maxDrop) {
                    return new Result(m, eval.size(), maxDrop, f, steps, true, as16, last(steps));
                }
                int16Layers.remove(layer);
                floatLayers.add(layer);
                chosen = convert(c, int16x8, floatLayers, int16Layers);
                double dropFloat = step(steps, chosen, eval, m, f, options, floatLayers, int16Layers);
                if (dropFloat <= maxDrop) {
                    return new Result(m, eval.size(), maxDrop, f, steps, true, chosen, last(steps));
                }
                if (drop16 <= dropFloat) {
                    floatLayers.remove(layer);
                    int16Layers.add(layer);
                    chosen = as16;
                    chosenStep = steps.get(steps.size() - 2);
                } else {
                    chosenStep = last(steps);
                }
            } else {
                floatLayers.add(layer);
                chosen = convert(c, int16x8, floatLayers, int16Layers);
                if (step(steps, chosen, eval, m, f, options, floatLayers, int16Layers) <= maxDrop) {
                    return new Result(m, eval.size(), maxDrop, f, steps, true, chosen, last(steps));
                }
                chosenStep = last(steps);
            }
        }
        return new Result(m, eval.size(), maxDrop, f, steps, false, chosen, chosenStep);
    }

    private static Step last(List<Step> steps) {
        return steps.get(steps.size() - 1);
    }

    /** Scores {@code chosen}, records the step and returns its drop. */
    private static double step(
            List<Step> steps,
            Converter.Conversion chosen,
            Dataset eval,
            Metric m,
            double floatValue,
            Evaluator.Options options,
            Set<String> floatLayers,
            Set<String> int16Layers) {
        double v = Sensitivity.value(chosen.model(), eval, m, options);
        double drop = Sensitivity.drop(m, floatValue, v);
        steps.add(new Step(new ArrayList<>(floatLayers), new ArrayList<>(int16Layers), v, drop));
        return drop;
    }

    /**
     * The 16x8 model of the same settings (calibrated once), whose layers {@link Int16Layers} splices in; null when
     * the int8 model is already 16x8 or the settings have no 16x8 form (uint8 activations).
     */
    private static Converter.Conversion int16x8(Converter c) {
        QuantizationConfig config = c.config();
        if (config.mode() == QuantizationMode.INT16X8 || config.scheme() == QuantizationScheme.ASYMMETRIC) {
            return null;
        }
        try {
            return c.withConfig(config.withMode(QuantizationMode.INT16X8))
                    .calibrateOnce()
                    .convert();
        } catch (QuantaException e) {
            return null; // an op without a 16x8 kernel and no float fallback: float layers only
        }
    }

    private static Converter.Conversion convert(
            Converter c, Converter.Conversion int16x8, Set<String> floatLayers, Set<String> int16Layers) {
        Converter.Conversion int8 = convert(c, floatLayers);
        return int16Layers.isEmpty() ? int8 : Int16Layers.splice(int8, int16x8, int16Layers);
    }

    private static Converter.Conversion convert(Converter c, Set<String> floatLayers) {
        return c.withConfig(c.config().withFloatLayers(floatLayers)).convert();
    }
}
