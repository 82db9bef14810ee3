package dev.quanta.tuning;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.eval.PairedComparison;
import dev.quanta.eval.Reconstruction;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Per-layer quantization sensitivity: for every layer a full-integer conversion quantizes
 * ({@link Converter#quantizableLayers()}), the metric on evaluation data in Quanta's interpreter (a) with only that
 * layer integer and every other layer in float, and (b) with every layer integer but that one (kept in float,
 * {@link QuantizationConfig#withFloatLayers}). The model is calibrated once ({@link Converter#calibrateOnce()}) for
 * all 2 × L + 1 conversions.
 *
 * <p>Changes are measured as a <em>drop</em>, positive when worse ({@link #drop}): accuracy points for top-k
 * (accuracy in percent) and AUC (× 100), and for the reconstruction errors MSE and MAE the increase in percent of
 * the reference's error.
 */
public final class Sensitivity {
    private Sensitivity() {}

    /** Receives progress: {@code done} of {@code total} conversions evaluated. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);

        Progress NONE = (d, t) -> {};
    }

    /**
     * One layer's sensitivity.
     *
     * @param aloneValue the metric with only this layer integer, the rest float (a)
     * @param aloneDrop the drop of (a) from float
     * @param allButValue the metric with every layer integer but this one, kept in float (b)
     * @param recovered how much of full integer's drop from float keeping only this layer in float recovers:
     *     drop(float → int8) − drop(float → (b)), in the units of {@link #drop}
     * @param aloneP McNemar's exact p of (a) against float, paired sample by sample ({@link PairedComparison}): below
     *     0.05 the drop is more than sampling noise; NaN unless scored by top-k accuracy
     * @param recoveredP McNemar's exact p of (b) against the full-integer model: whether what keeping the layer in
     *     float recovers is more than noise; NaN unless scored by top-k accuracy
     */
    public record Layer(
            String layer,
            double aloneValue,
            double aloneDrop,
            double allButValue,
            double recovered,
            double aloneP,
            double recoveredP) {}

    /**
     * @param samples evaluation samples
     * @param floatValue the metric of the float model
     * @param int8Value the metric of the full-integer model (every layer integer)
     * @param int8Drop drop of the full-integer model from float
     * @param int8P McNemar's exact p of the full-integer model against float; NaN unless scored by top-k accuracy
     * @param layers the layers, most sensitive first: by {@link Layer#recovered} then {@link Layer#aloneDrop}
     */
    public record Result(
            Metric metric,
            int samples,
            double floatValue,
            double int8Value,
            double int8Drop,
            double int8P,
            List<Layer> layers) {
        public Result {
            layers = List.copyOf(layers);
        }
    }

    /**
     * Measures every layer's sensitivity.
     *
     * @param converter a converter with a full-integer mode (null: int8) and a representative dataset, disjoint
     *     from {@code eval}
     * @param metric the metric; null takes {@link Metric#defaultFor} the model
     * @throws QuantaException for settings, calibration or evaluation data that do not fit the model
     */
    public static Result measure(
            Converter converter, Dataset eval, Metric metric, Evaluator.Options options, Progress progress) {
        Converter c = converter.calibrateOnce();
        List<String> layers = c.quantizableLayers();
        Model floatModel = floatModel(c);
        Metric m = metric != null ? metric : Metric.defaultFor(floatModel);
        int total = 2 + 2 * layers.size();
        int done = 0;
        Scored f = score(floatModel, eval, m, options);
        progress.update(++done, total);
        Scored q = score(convert(c, Set.of()), eval, m, options);
        progress.update(++done, total);
        double int8Drop = drop(m, f.value, q.value);
        List<Layer> rows = new ArrayList<>();
        for (String layer : layers) {
            Set<String> others = new LinkedHashSet<>(layers);
            others.remove(layer);
            Scored alone = score(convert(c, others), eval, m, options);
            progress.update(++done, total);
            Scored allBut = score(convert(c, Set.of(layer)), eval, m, options);
            progress.update(++done, total);
            rows.add(new Layer(
                    layer,
                    alone.value,
                    drop(m, f.value, alone.value),
                    allBut.value,
                    int8Drop - drop(m, f.value, allBut.value),
                    f.p(alone),
                    q.p(allBut)));
        }
        rows.sort(Comparator.comparingDouble(Layer::recovered)
                .reversed()
                .thenComparing(Comparator.comparingDouble(Layer::aloneDrop).reversed()));
        return new Result(m, eval.size(), f.value, q.value, int8Drop, f.p(q), rows);
    }

    /** A model's metric and, for top-k, which samples it got right (null otherwise). */
    private record Scored(double value, boolean[] hits) {
        /** McNemar's exact p of {@code other} against this, NaN without per-sample hits. */
        double p(Scored other) {
            return hits == null
                    ? Double.NaN
                    : PairedComparison.of(hits, other.hits).p();
        }
    }

    /** {@link #value} of {@code model}, with its per-sample hits for top-k. */
    private static Scored score(Model model, Dataset eval, Metric metric, Evaluator.Options options) {
        if (metric == Metric.TOPK) {
            EvaluationResult r = Evaluator.evaluate(model, eval, options, Evaluator.Progress.NONE);
            return new Scored(100 * r.accuracy(), r.hits());
        }
        return new Scored(
                Reconstruction.evaluate(model, eval, metric, options, Evaluator.Progress.NONE)
                        .value(),
                null);
    }

    /**
     * How much worse {@code value} is than {@code reference}: {@code reference − value} for top-k accuracy (in
     * percent, so in points) and AUC (× 100, in points); {@code 100 × (value − reference) / reference} for MSE and
     * MAE (percent of the reference error; 0 when both are 0).
     */
    public static double drop(Metric metric, double reference, double value) {
        return switch (metric) {
            case TOPK -> reference - value;
            case AUC -> 100 * (reference - value);
            case MSE, MAE ->
                reference == 0 ? (value == 0 ? 0 : Double.POSITIVE_INFINITY) : 100 * (value - reference) / reference;
        };
    }

    /** The unit of {@link #drop} for {@code metric}: "points" or "% of the error". */
    public static String dropUnit(Metric metric) {
        return metric.isReconstruction() && metric != Metric.AUC ? "%" : "points";
    }

    /**
     * The metric of {@code model} on {@code eval}: top-k accuracy in percent, or the reconstruction metric's value
     * ({@link dev.quanta.eval.ReconstructionResult#value()}).
     */
    public static double value(Model model, Dataset eval, Metric metric, Evaluator.Options options) {
        return score(model, eval, metric, options).value();
    }

    /** The float model the conversions start from (after the float graph passes). */
    static Model floatModel(Converter c) {
        return c.withConfig(c.config().withMode(QuantizationMode.FLOAT32).withIo(IoType.FLOAT))
                .convert()
                .model();
    }

    private static Model convert(Converter c, Set<String> floatLayers) {
        return c.withConfig(c.config().withFloatLayers(floatLayers)).convert().model();
    }
}
