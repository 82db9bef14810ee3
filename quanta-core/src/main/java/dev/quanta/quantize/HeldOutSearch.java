package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Choices made by the error of the whole quantized network on held-out calibration samples, rather than by each
 * tensor's or weight's own rounding error: the calibration samples are split into the even ones, which choose the
 * activation ranges (with the configured calibrator) for the range search (the granularity search, which fits no
 * range, takes the ranges of all the samples, or with {@link Calibrator#AUTO} those of the even ones), and the odd
 * ones (at most {@value #MAX_HELD_OUT}), on which each candidate network is run and compared with the float model at
 * every layer. A candidate runs as its {@link SimulatedQuantization} (the float graph with the candidate's dequantized
 * weights and every quantized tensor rounded to its grid), on the float kernels, which calibration has already
 * prepared, rather than on integer kernels prepared for each candidate. The error of a candidate is
 *
 * <pre>
 * E = Σ_layers Σ (f − q)² / Σ f²      (f: float values, q: the quantized network's real values)
 * </pre>
 *
 * the sum over layers of the inverse SQNR, so that a choice which helps one layer and hurts the layers after it
 * loses. E is taken separately on the first and the second half of the held-out samples. Choices are made greedily,
 * one at a time in graph order, each keeping what the earlier ones chose; a candidate replaces the current choice
 * only when its E is strictly lower on both halves (a change that one half alone favours is within the noise of
 * the estimate), and of several such candidates the one with the least E over all held-out samples wins.
 *
 * <ul>
 *   <li><b>Ranges of {@code --calibrator auto}</b> ({@link #auto}): its per-tensor choices against min/max everywhere;
 *       the choices stay only when strictly better on both halves, else every range is min/max, so auto's error here
 *       is never above min/max's.
 *   <li><b>Granularity</b> ({@code --calibrator auto}, int8 symmetric, per-channel granularity): per Dense layer,
 *       per tensor (the configured granularity) or per channel (TFLite has int8 kernels for both on both of its
 *       paths). Convolutions stay per channel: choosing them the same way lowered the held-out error on KWS and
 *       IC (per-tensor CONV_2D) but cost accuracy (KWS 814 → 810 of 900, IC 175 → 174 of 200).
 *   <li><b>Range search</b> ({@link QuantizationConfig#withRangeSearch}): per activation tensor whose range the
 *       calibrator chose, the factor of {@code {1} ∪} {@link #FACTORS} by which to scale that range; the factor found
 *       on the even samples' range then scales the range chosen on all the samples. With the float model's values
 *       kept, each candidate runs only from its first changed op on ({@link SuffixError}; the same choices). AUTO
 *       runs it where it kept its per-tensor choices (from them and from min/max), and everywhere when asked.
 *   <li><b>Weight ranges</b> ({@code --calibrator auto} without bias correction, after the searches above): per
 *       layer with int8 symmetric per-tensor weights, in graph order, the ratio r of {@code {1} ∪}
 *       {@link WeightClipping#RATIOS} to which its range max |w| is clipped (scale r·max|w| / 127 instead of
 *       max|w| / 127: the few weights beyond saturate, every other one rounds to a finer grid), each candidate run
 *       from its layer on ({@link SuffixError}). With per-tensor weights one outlier weight sets every channel's
 *       scale; per-channel weights are left alone (clipping them lowered no held-out error on IC).
 * </ul>
 */
final class HeldOutSearch {
    private HeldOutSearch() {}

    /** Held-out samples scored at most. */
    static final int MAX_HELD_OUT = 64;

    /** Fewest calibration samples the search runs with (two in each half). */
    static final int MIN_SAMPLES = 4;

    /** Factors the range search tries on each range besides 1. */
    static final double[] FACTORS = {0.8, 0.9, 1.1, 1.25};

    /**
     * Most float values of the float model's layers kept for both held-out halves (128 MiB), so that the float model
     * runs once per held-out sample rather than once per candidate; a larger model is run again for each candidate.
     */
    static final long MAX_RECORDED_FLOATS = 1L << 25;

    /**
     * What the search chose.
     *
     * @param ranges the calibration, with the ranges scaled where the range search changed them
     * @param perChannel per weight tensor name whose granularity was chosen: per channel (true) or per tensor
     * @param techniques the report sections, one per search that ran
     * @param weightClips per weight tensor name, its clipped range ({@link WeightClipping#apply} gives the model to
     *     rewrite)
     */
    record Result(
            Calibration ranges,
            Map<String, Boolean> perChannel,
            List<QuantizationReport.Technique> techniques,
            Map<String, WeightClipping.Clip> weightClips) {
        Result {
            perChannel = Map.copyOf(perChannel);
            techniques = List.copyOf(techniques);
            weightClips = Map.copyOf(weightClips);
        }

        /** No weight clipped. */
        Result(Calibration ranges, Map<String, Boolean> perChannel, List<QuantizationReport.Technique> techniques) {
            this(ranges, perChannel, techniques, Map.of());
        }
    }

    /**
     * The state of one search: the model, the two halves of the held-out samples, the even samples' ranges, and
     * per half the float model's values on it, recorded on the first candidate (every candidate is the same rewrite
     * with other ranges or granularities, so it pairs the same tensors) unless they would take more than
     * {@code maxRecordedFloats} floats.
     */
    private record Search(
            Model reference,
            Model toRewrite,
            QuantizationConfig settings,
            Dataset[] heldOut,
            Calibration even,
            long maxRecordedFloats,
            LayerComparison.ReferenceValues[] recorded) {
        /**
         * Per held-out half, the candidate runner from the current network ({@code ranges}, {@code chosen}) that
         * runs each candidate only from its first changed op on ({@link SuffixError}); the float values recorded.
         */
        SuffixError[] suffixErrors(
                Model floatModel, Dataset[] halves, Map<Tensor, TensorRange> ranges, Map<String, Boolean> chosen) {
            Model current = simulated(ranges, chosen);
            SuffixError[] suffix = new SuffixError[2];
            for (int h = 0; h < 2; h++) {
                suffix[h] = new SuffixError(floatModel, halves[h], recorded[h], settings.calibrationThreads(), current);
            }
            return suffix;
        }

        Search(
                Model reference,
                Model toRewrite,
                QuantizationConfig settings,
                Dataset[] heldOut,
                Calibration even,
                long maxRecordedFloats) {
            this(
                    reference,
                    toRewrite,
                    settings,
                    heldOut,
                    even,
                    maxRecordedFloats,
                    new LayerComparison.ReferenceValues[heldOut.length]);
        }

        /** E of the network rewritten with {@code ranges} and {@code perChannel}, on each half of the held-out. */
        Error error(Map<Tensor, TensorRange> ranges, Map<String, Boolean> perChannel) {
            Model simulated = simulated(ranges, perChannel);
            return new Error(error(simulated, 0), error(simulated, 1));
        }

        /** The network rewritten with {@code ranges} and {@code perChannel}, as its {@link SimulatedQuantization}. */
        Model simulated(Map<Tensor, TensorRange> ranges, Map<String, Boolean> perChannel) {
            return simulated(toRewrite, ranges, perChannel);
        }

        /** {@code rewrite} (the model to rewrite, its weights clipped or not) rewritten and simulated as above. */
        Model simulated(Model rewrite, Map<Tensor, TensorRange> ranges, Map<String, Boolean> perChannel) {
            Model q = FullIntegerRewriter.rewrite(
                            rewrite, settings, new Calibration(ranges, even.lstmCellStates()), perChannel)
                    .model();
            return SimulatedQuantization.of(rewrite, q);
        }

        private double error(Model q, int half) {
            Dataset data = heldOut[half];
            if (recorded[half] == null) {
                List<Tensor> paired = new ArrayList<>();
                for (Object[] p : LayerComparison.pair(reference, q, LayerComparison.Matching.NAME)) {
                    paired.add((Tensor) p[0]);
                }
                long floats = LayerComparison.ReferenceValues.floatsPerSample(paired)
                        * (heldOut[0].size() + heldOut[1].size());
                if (floats <= maxRecordedFloats) {
                    recorded[half] = LayerComparison.ReferenceValues.record(
                            reference, data, paired, settings.calibrationThreads());
                }
            }
            double e = 0;
            for (LayerError l : LayerComparison.compare(
                    reference,
                    q,
                    data,
                    data.size(),
                    settings.calibrationThreads(),
                    LayerComparison.Matching.NAME,
                    recorded[half])) {
                if (!Double.isNaN(l.sqnrDb()) && l.sqnrDb() != Double.POSITIVE_INFINITY) {
                    e += Math.pow(10, -l.sqnrDb() / 10);
                }
            }
            return e;
        }
    }

    /** E on the first and on the second half of the held-out samples. */
    record Error(double first, double second) {
        /** E over both halves (their mean: the halves hold as many samples, or one more in the first). */
        double total() {
            return (first + second) / 2;
        }

        /** Strictly lower than {@code other} on both halves. */
        boolean beats(Error other) {
            return first < other.first && second < other.second;
        }
    }

    /**
     * Runs the searches {@code settings} asks for.
     *
     * @param floatModel the float model the calibration observed (the reference of the error)
     * @param toRewrite the model to quantize (bias-corrected or not)
     * @param full the calibration on all the calibration samples
     * @param data the calibration data, of which the first {@code settings.calibrationSamples()} are used
     * @param perChannel the granularity already chosen per weight tensor name (kept; extended by the search)
     * @param granularity whether to choose the granularity per layer (see
     *     {@link WeightQuantizer#granularityChosenPerLayer})
     * @param rangeSearch whether to search the ranges
     */
    static Result apply(
            Model floatModel,
            Model toRewrite,
            Dataset data,
            QuantizationConfig settings,
            Calibration full,
            Map<String, Boolean> perChannel,
            boolean granularity,
            boolean rangeSearch) {
        return apply(
                floatModel, toRewrite, data, settings, full, perChannel, granularity, rangeSearch, MAX_RECORDED_FLOATS);
    }

    /**
     * As {@link #apply(Model, Model, Dataset, QuantizationConfig, Calibration, Map, boolean, boolean)}, the float
     * model's values on the held-out samples kept only when they take at most {@code maxRecordedFloats} floats
     * (the result is the same either way; 0 runs the float model again for every candidate).
     */
    static Result apply(
            Model floatModel,
            Model toRewrite,
            Dataset data,
            QuantizationConfig settings,
            Calibration full,
            Map<String, Boolean> perChannel,
            boolean granularity,
            boolean rangeSearch,
            long maxRecordedFloats) {
        return apply(
                floatModel,
                toRewrite,
                data,
                settings,
                full,
                null,
                perChannel,
                granularity,
                rangeSearch,
                false,
                maxRecordedFloats);
    }

    /**
     * As {@link #apply(Model, Model, Dataset, QuantizationConfig, Calibration, Map, boolean, boolean)} for
     * {@link Calibrator#AUTO}: first the ranges, AUTO's per-tensor choices or min/max everywhere, by the error on
     * the held-out samples of the network with each (ranges from the even samples); AUTO's are kept only when they
     * are strictly better on both halves of the held-out samples, else every range is min/max (ties go to min/max),
     * so the choice is never worse than min/max by that error. The granularity search (when asked) then starts
     * from the kept ranges, and a change of granularity is kept only when it lowers the error again, so the final
     * choice's held-out error is at most min/max's on both halves. The range search then runs when asked, or with
     * {@code finalModel} when AUTO kept its per-tensor choices: from them and from min/max, the per-tensor
     * choices' search kept only when it ends strictly lower on both halves. (Run also where min/max was kept, the
     * search lowered the held-out error on KWS yet scored 811 of 900 against min/max's 814.) With {@code finalModel}
     * the weight-range search follows.
     *
     * @param finalModel whether {@code floatModel} is the model rewritten in the end (no bias correction follows):
     *     only then do the searches that choose for it alone run, the range search where AUTO kept its per-tensor
     *     choices and the weight-range search
     */
    static Result auto(
            Model floatModel,
            Dataset data,
            QuantizationConfig settings,
            MinMaxCalibrator.Both calibrated,
            boolean granularity,
            boolean rangeSearch,
            boolean finalModel,
            long maxRecordedFloats) {
        return apply(
                floatModel,
                floatModel,
                data,
                settings,
                calibrated.chosen(),
                calibrated,
                Map.of(),
                granularity,
                rangeSearch,
                finalModel,
                maxRecordedFloats);
    }

    private static Result apply(
            Model floatModel,
            Model toRewrite,
            Dataset data,
            QuantizationConfig settings,
            Calibration full,
            MinMaxCalibrator.Both auto,
            Map<String, Boolean> perChannel,
            boolean granularity,
            boolean rangeSearch,
            boolean finalModel,
            long maxRecordedFloats) {
        int n = Math.min(settings.calibrationSamples(), data.size());
        if (!granularity && !rangeSearch && auto == null && !finalModel) {
            return new Result(full, perChannel, List.of());
        }
        if (n < MIN_SAMPLES) {
            String why =
                    "skipped: the held-out search needs at least " + MIN_SAMPLES + " calibration samples, got " + n;
            List<QuantizationReport.Technique> t = new ArrayList<>();
            if (auto != null) {
                t.add(new QuantizationReport.Technique(
                        "ranges by held-out error", List.of(why + "; min/max ranges kept")));
                full = auto.minmax();
            }
            if (granularity) {
                t.add(new QuantizationReport.Technique("granularity by held-out error", List.of(why)));
            }
            if (rangeSearch) {
                t.add(new QuantizationReport.Technique("range search", List.of(why)));
            }
            if (finalModel) {
                t.add(new QuantizationReport.Technique("weight ranges by held-out error", List.of(why)));
            }
            return new Result(full, perChannel, t);
        }
        Dataset even = every(data, n, 0, n);
        Dataset odd = every(data, n, 1, MAX_HELD_OUT);
        int half = (odd.size() + 1) / 2;
        Dataset[] halves = {odd.slice(0, half), odd.slice(half, odd.size())};
        // the range search fits ranges, so they come from the even samples only; the granularity alone fits no
        // range and scores with those of all the samples, which spares a second calibration pass
        Calibration evenRanges = rangeSearch && auto == null
                ? MinMaxCalibrator.calibrate(floatModel, even, settings.withCalibrationSamples(even.size()), false)
                : full;
        Search s = new Search(floatModel, toRewrite, settings, halves, evenRanges, maxRecordedFloats);
        Map<Tensor, TensorRange> ranges = new IdentityHashMap<>(evenRanges.ranges());
        Map<String, Boolean> chosen = new HashMap<>(perChannel);
        List<QuantizationReport.Technique> techniques = new ArrayList<>();
        Calibration result = full;
        Error error;
        // the even samples' min/max ranges when AUTO kept its per-tensor choices (the range search also starts there)
        Map<Tensor, TensorRange> minmaxStart = null;
        if (auto != null) {
            Map<Tensor, TensorRange> minmax = new IdentityHashMap<>(full.ranges());
            minmax.putAll(auto.evenMinmax());
            Map<Tensor, TensorRange> perTensor = new IdentityHashMap<>(full.ranges());
            perTensor.putAll(auto.evenChosen());
            Error minmaxError = s.error(minmax, chosen);
            List<String> lines = new ArrayList<>();
            if (perTensor.equals(minmax)) {
                lines.add(String.format(
                        Locale.ROOT, "min/max (every tensor chose it; held-out error %s)", describe(minmaxError)));
                result = auto.minmax();
                ranges = minmax;
                error = minmaxError;
            } else {
                Error perTensorError = s.error(perTensor, chosen);
                boolean keep = perTensorError.beats(minmaxError);
                lines.add(String.format(
                        Locale.ROOT,
                        "%s (held-out error %s per-tensor choices, %s min/max)",
                        keep ? "per-tensor choices" : "min/max everywhere",
                        describe(perTensorError),
                        describe(minmaxError)));
                result = keep ? auto.chosen() : auto.minmax();
                ranges = keep ? perTensor : minmax;
                error = keep ? perTensorError : minmaxError;
                minmaxStart = keep ? minmax : null;
            }
            techniques.add(new QuantizationReport.Technique("ranges by held-out error", lines));
        } else {
            error = s.error(ranges, chosen);
        }
        if (granularity) {
            List<String> lines = new ArrayList<>();
            WeightQuantizer configured = new WeightQuantizer(settings);
            for (Op op : toRewrite.ops()) {
                if (op.type() != OpType.FULLY_CONNECTED
                        || !hasWeights(op)
                        || settings.floatLayers().contains(op.origin().layerName())) {
                    continue;
                }
                boolean other = !configured.configuredPerChannel(op);
                Map<String, Boolean> trial = new HashMap<>(chosen);
                trial.put(op.input(1).name(), other);
                Error e = s.error(ranges, trial);
                boolean change = e.beats(error);
                lines.add(String.format(
                        Locale.ROOT,
                        "%s: %s (held-out error %s per channel, %s per tensor)",
                        op.origin().layerName(),
                        change == other ? "per channel" : "per tensor",
                        describe(other ? e : error),
                        describe(other ? error : e)));
                if (change) {
                    error = e;
                    chosen = trial;
                }
            }
            techniques.add(new QuantizationReport.Technique("granularity by held-out error", lines));
        }
        if (rangeSearch || (finalModel && minmaxStart != null)) {
            Searched searched = searchRanges(s, floatModel, halves, result, ranges, chosen, error);
            String start = null;
            if (minmaxStart != null) {
                // AUTO kept its per-tensor choices over min/max; searched from min/max, the ranges may still end
                // lower: the per-tensor choices stay only when their search ends strictly lower on both halves
                Searched fromMinmax = searchRanges(s, floatModel, halves, auto.minmax(), minmaxStart, chosen, null);
                boolean keep = searched.error().beats(fromMinmax.error());
                start = String.format(
                        Locale.ROOT,
                        "searched from %s (held-out error %s from the per-tensor choices, %s from min/max)",
                        keep ? "the per-tensor choices" : "min/max",
                        describe(searched.error()),
                        describe(fromMinmax.error()));
                searched = keep ? searched : fromMinmax;
            }
            List<String> lines = new ArrayList<>();
            lines.add(String.format(
                    Locale.ROOT,
                    "%d of %d ranges scaled; held-out error %s on %d samples (ranges from %d others)",
                    searched.scaled(),
                    searched.of(),
                    describe(searched.error()),
                    odd.size(),
                    even.size()));
            if (start != null) {
                lines.add(start);
            }
            lines.addAll(searched.lines());
            result = searched.result();
            ranges = searched.evenRanges();
            error = searched.error();
            techniques.add(new QuantizationReport.Technique("range search", lines));
        }
        Map<String, WeightClipping.Clip> clips = Map.of();
        if (finalModel) {
            Clipped clipped = searchWeightClips(s, floatModel, halves, ranges, chosen, error);
            clips = clipped.clips();
            if (!clipped.lines().isEmpty()) {
                techniques.add(new QuantizationReport.Technique("weight ranges by held-out error", clipped.lines()));
            }
        }
        return new Result(result, chosen, techniques, clips);
    }

    /**
     * What one range search ended with: the scaled calibration, its held-out error, how many ranges it scaled of
     * how many, and one report line per scaled range.
     */
    private record Searched(
            Calibration result,
            Error error,
            int scaled,
            int of,
            List<String> lines,
            Map<Tensor, TensorRange> evenRanges) {}

    /**
     * The range search from {@code ranges} (the even samples' ranges; scaled in place) whose calibration on all the
     * samples is {@code unscaled}: per tensor in order, the factor of {@code {1} ∪ FACTORS} whose network beats the
     * current one on both halves with the least E.
     *
     * @param error E of {@code ranges} with {@code chosen}, or null to compute it
     */
    private static Searched searchRanges(
            Search s,
            Model floatModel,
            Dataset[] halves,
            Calibration unscaled,
            Map<Tensor, TensorRange> ranges,
            Map<String, Boolean> chosen,
            Error error) {
        Map<Tensor, TensorRange> before = new IdentityHashMap<>(ranges);
        List<String> lines = new ArrayList<>();
        Map<String, Double> factors = new HashMap<>();
        // with the float model's values kept, each candidate runs from its first changed op on (SuffixError)
        SuffixError[] suffix = null;
        if (s.recorded()[0] != null && s.recorded()[1] != null) {
            suffix = s.suffixErrors(floatModel, halves, ranges, chosen);
            error = new Error(suffix[0].currentError(), suffix[1].currentError());
        } else if (error == null) {
            error = s.error(ranges, chosen);
        }
        for (TensorCalibration tc : unscaled.tensors()) {
            Tensor t = floatModel.tensor(tc.tensor());
            if (t == null || floatModel.inputs().contains(t) || tc.method().startsWith("minmax (")) {
                continue;
            }
            TensorRange base = before.get(t);
            if (base == null) {
                continue;
            }
            Best b = best(s, suffix, error, FACTORS.length, i -> {
                ranges.put(t, scaled(base, FACTORS[i]));
                return s.simulated(ranges, chosen);
            });
            double best = b.index() < 0 ? 1 : FACTORS[b.index()];
            error = b.error();
            ranges.put(t, scaled(base, best));
            if (best != 1) {
                factors.put(tc.tensor(), best);
            }
        }
        Calibration result = scaledCalibration(unscaled, floatModel, factors, lines);
        return new Searched(result, error, factors.size(), unscaled.tensors().size(), lines, ranges);
    }

    /** What the weight-range search chose: per weight tensor name its clip, and the report's lines. */
    private record Clipped(Map<String, WeightClipping.Clip> clips, List<String> lines) {}

    /**
     * The weight-range search: per layer with int8 symmetric per-tensor weights ({@link WeightClipping#clippable}),
     * in graph order, the ratio of {@code {1} ∪} {@link WeightClipping#RATIOS} of max |w| whose network (with the
     * ranges and granularity chosen before, and the layers before it clipped as chosen) beats the current one on
     * both halves with the least E. Per-channel weights are left alone: their range is already each channel's own.
     *
     * @param error E of {@code ranges} and {@code chosen} with no weight clipped
     */
    private static Clipped searchWeightClips(
            Search s,
            Model floatModel,
            Dataset[] halves,
            Map<Tensor, TensorRange> ranges,
            Map<String, Boolean> chosen,
            Error error) {
        WeightQuantizer configured = new WeightQuantizer(s.settings());
        Map<String, WeightClipping.Clip> clips = new HashMap<>();
        SuffixError[] suffix = null;
        if (s.recorded()[0] != null && s.recorded()[1] != null) {
            suffix = s.suffixErrors(floatModel, halves, ranges, chosen);
            error = new Error(suffix[0].currentError(), suffix[1].currentError());
        }
        List<String> layerLines = new ArrayList<>();
        int of = 0;
        for (Op op : s.toRewrite().ops()) {
            if (!WeightClipping.clippable(op, s.settings())) {
                continue;
            }
            Boolean c = chosen.get(op.input(1).name());
            if (c != null ? c : configured.configuredPerChannel(op)) {
                continue;
            }
            of++;
            String name = op.input(1).name();
            WeightClipping.Clip[] candidates = new WeightClipping.Clip[WeightClipping.RATIOS.length];
            for (int i = 0; i < candidates.length; i++) {
                candidates[i] = new WeightClipping.Clip(op.origin().layerName(), name, WeightClipping.RATIOS[i], -1);
            }
            Best b = best(s, suffix, error, candidates.length, i -> {
                Map<String, WeightClipping.Clip> trial = new HashMap<>(clips);
                trial.put(name, candidates[i]);
                return s.simulated(WeightClipping.apply(s.toRewrite(), trial), ranges, chosen);
            });
            if (b.index() < 0) {
                continue;
            }
            WeightClipping.Clip best = candidates[b.index()];
            clips.put(name, best);
            layerLines.add(WeightClipping.describe(best, op.input(1))
                    + String.format(Locale.ROOT, "; held-out error %s -> %s", describe(error), describe(b.error())));
            error = b.error();
        }
        List<String> lines = new ArrayList<>();
        if (of == 0) {
            return new Clipped(clips, lines);
        }
        lines.add(String.format(
                Locale.ROOT,
                "%d of %d per-tensor weight ranges clipped; held-out error %s",
                clips.size(),
                of,
                describe(error)));
        lines.addAll(layerLines);
        return new Clipped(clips, lines);
    }

    /** The candidate chosen of several ({@code index}; −1 for none, the current choice staying) and its E. */
    private record Best(int index, Error error) {}

    /**
     * Of the candidate networks {@code candidate(0)}, …, {@code candidate(count − 1)}, in that order, the one that
     * beats the current network (E {@code current}) on both halves with the least E over both (the first of equals),
     * or none. With {@code suffix} (the float model's values kept) each candidate runs from its first changed op on
     * ({@link #evaluate}) and the chosen one becomes the runners' current network; without, each runs whole.
     */
    private static Best best(Search s, SuffixError[] suffix, Error current, int count, IntFunction<Model> candidate) {
        int best = -1;
        Error bestError = current;
        SuffixError.Evaluation[] bestEvaluations = null;
        for (int i = 0; i < count; i++) {
            Model q = candidate.apply(i);
            if (suffix != null) {
                SuffixError.Evaluation[] e = evaluate(suffix, q, current, bestError);
                if (e != null) {
                    bestError = new Error(e[0].error(), e[1].error());
                    bestEvaluations = e;
                    best = i;
                }
            } else {
                Error e = new Error(s.error(q, 0), s.error(q, 1));
                if (e.beats(current) && e.total() < bestError.total()) {
                    bestError = e;
                    best = i;
                }
            }
        }
        if (bestEvaluations != null) {
            suffix[0].accept(bestEvaluations[0]);
            suffix[1].accept(bestEvaluations[1]);
        }
        return new Best(best, bestError);
    }

    /**
     * Both halves' evaluations of {@code candidate} when it beats {@code current} on both halves and {@code best}
     * over both ({@link Error#beats}, {@link Error#total}), else null; the second half runs only when the first can
     * still win, and each half stops as soon as its partial error shows it cannot.
     */
    private static SuffixError.Evaluation[] evaluate(SuffixError[] halves, Model candidate, Error current, Error best) {
        SuffixError.Evaluation first = halves[0].evaluate(candidate, current.first());
        if (!first.complete() || !(first.error() < current.first())) {
            return null;
        }
        // (first + second) / 2 < best.total() needs second < 2 best.total() − first; the bound is widened by a
        // relative 1e-9 so that rounding never drops a candidate the exact test below would keep
        double bound = Math.min(current.second(), (2 * best.total() - first.error()) * (1 + 1e-9));
        SuffixError.Evaluation second = halves[1].evaluate(candidate, bound);
        if (!second.complete()) {
            return null;
        }
        Error e = new Error(first.error(), second.error());
        return e.beats(current) && e.total() < best.total() ? new SuffixError.Evaluation[] {first, second} : null;
    }

    /** "E (first half, second half)". */
    private static String describe(Error e) {
        return String.format(Locale.ROOT, "%.4g (%.4g, %.4g)", e.total(), e.first(), e.second());
    }

    private static boolean hasWeights(Op op) {
        return (op.type() == OpType.FULLY_CONNECTED
                        || op.type() == OpType.CONV_2D
                        || op.type() == OpType.DEPTHWISE_CONV_2D)
                && op.inputs().size() > 1
                && op.input(1).isConstant();
    }

    private static TensorRange scaled(TensorRange r, double f) {
        return new TensorRange((float) (r.min() * f), (float) (r.max() * f));
    }

    /** {@code full} with the ranges of the tensors named in {@code factors} scaled; one report line per tensor. */
    private static Calibration scaledCalibration(
            Calibration full, Model floatModel, Map<String, Double> factors, List<String> lines) {
        Map<Tensor, TensorRange> ranges = new IdentityHashMap<>(full.ranges());
        List<TensorCalibration> tensors = new ArrayList<>();
        for (TensorCalibration tc : full.tensors()) {
            Double f = factors.get(tc.tensor());
            if (f == null) {
                tensors.add(tc);
                continue;
            }
            TensorRange r = scaled(tc.chosen(), f);
            ranges.put(floatModel.tensor(tc.tensor()), r);
            TensorHistogram h = tc.histogram();
            double clipped =
                    h == null ? tc.clippedFraction() : h.fractionOutside(Math.min(r.min(), 0), Math.max(r.max(), 0));
            tensors.add(new TensorCalibration(
                    tc.tensor(),
                    tc.method() + String.format(Locale.ROOT, " ×%.2f", f),
                    tc.seen(),
                    r,
                    clipped,
                    h,
                    tc.coverage()));
            lines.add(String.format(
                    Locale.ROOT,
                    "%s: ×%.2f [%.6g, %.6g] -> [%.6g, %.6g]",
                    tc.tensor(),
                    f,
                    tc.chosen().min(),
                    tc.chosen().max(),
                    r.min(),
                    r.max()));
        }
        return new Calibration(ranges, full.lstmCellStates(), full.calibrator(), tensors, full.warnings());
    }

    /** Samples {@code first}, {@code first + 2}, … below {@code n} of {@code data}, at most {@code most}. */
    static Dataset every(Dataset data, int n, int first, int most) {
        int count = Math.min(most, (n - first + 1) / 2);
        int per = data.sampleSize();
        float[] x = new float[count * per];
        for (int i = 0; i < count; i++) {
            data.copySample(first + 2 * i, x, i * per);
        }
        return Dataset.of(
                data.name() + (first == 0 ? " (even samples)" : " (odd samples)"),
                data.sampleShape(),
                x,
                new int[count]);
    }
}
