package dev.quanta.eval;

import dev.quanta.Notice;
import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.FloatGraphPasses;
import dev.quanta.quantize.LayerComparison;
import dev.quanta.quantize.LayerError;
import dev.quanta.quantize.LayerStatistics;
import dev.quanta.runtime.Benchmark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A float model and its quantized (or otherwise converted) twin side by side on the same labelled data: each
 * model's loss and top-k accuracy ({@link Evaluator}) or, for an autoencoder, its reconstruction error and AUC
 * ({@link Reconstruction}), how often both pick the same top-1 class, each model's
 * latency ({@link Benchmark}) and file size, and the per-layer error of the converted model against the float one
 * ({@link LayerComparison}, tensors paired by name, worst first).
 *
 * <pre>
 * accuracy drop   = accuracy(float) − accuracy(quantized)
 * top-1 agreement = #{ samples i : argmax float(xᵢ) = argmax quantized(xᵢ) } / samples
 * </pre>
 *
 * and whether the accuracy drop is more than sampling noise ({@link Result#paired}, McNemar's exact test).
 */
public final class ModelComparison {

    /**
     * Comparison settings, immutable: start from {@link #defaults()} and change one setting per wither, which
     * refuses a value out of range with an {@link IllegalArgumentException} naming the setting
     * ("ModelComparison layerSamples").
     *
     * @param evaluation how both models are evaluated; its thread count also runs the per-layer comparison. With
     *     no loss named, the converted model (whose file records no training config) is scored with the loss the
     *     float model's evaluation used.
     * @param layerSamples samples (the first ones of the data) run for the per-layer table
     * @param latency how each model's latency is measured; null measures none
     * @param metric what both models are scored by: {@link Metric#TOPK} ({@link Evaluator}), or a reconstruction
     *     metric ({@link Reconstruction}); null: {@link Metric#defaultFor} the float model
     */
    public record Options(Evaluator.Options evaluation, int layerSamples, Benchmark.Options latency, Metric metric) {
        public Options {
            Objects.requireNonNull(evaluation, "evaluation");
            if (layerSamples < 1) {
                throw new IllegalArgumentException(
                        "ModelComparison layerSamples must be at least 1, got " + layerSamples);
            }
        }

        /**
         * {@link Evaluator.Options#defaults()}, 100 samples for the per-layer table, latency over 5 warm-up and 50
         * timed runs at batch 1 on one thread, the metric chosen by the float model.
         */
        public static Options defaults() {
            return new Options(
                    Evaluator.Options.defaults(),
                    100,
                    Benchmark.Options.defaults().withWarmup(5).withRuns(50),
                    null);
        }

        public Options withEvaluation(Evaluator.Options e) {
            return new Options(e, layerSamples, latency, metric);
        }

        public Options withLayerSamples(int n) {
            return new Options(evaluation, n, latency, metric);
        }

        /** How latency is measured; null measures none (the result's latencies are then null). */
        public Options withLatency(Benchmark.Options b) {
            return new Options(evaluation, layerSamples, b, metric);
        }

        /** The metric both models are scored by; null chooses by the float model ({@link Metric#defaultFor}). */
        public Options withMetric(Metric m) {
            return new Options(evaluation, layerSamples, latency, m);
        }
    }

    /**
     * What {@link #compare} measured.
     *
     * @param agreement share of samples whose top-1 class is the same for both models, see {@link #agreement}; NaN
     *     when scored by a reconstruction metric
     * @param floatBytes size of the float model's file, -1 when unknown (a model in memory)
     * @param quantizedBytes size of the quantized model's file, -1 when unknown
     * @param floatLatency the float model's latency, null when {@link Options#latency} is null
     * @param quantizedLatency the quantized model's latency, null when {@link Options#latency} is null
     * @param layers the quantized model's tensors against the float model's, worst (lowest SQNR) first
     * @param floatResult the float model's loss and accuracy, null when scored by a reconstruction metric
     * @param quantizedResult the quantized model's loss and accuracy, null when scored by a reconstruction metric
     * @param floatReconstruction the float model's reconstruction scores (MSE, MAE, AUC), null for top-k
     * @param quantizedReconstruction the quantized model's reconstruction scores, null for top-k
     */
    public record Result(
            EvaluationResult floatResult,
            EvaluationResult quantizedResult,
            double agreement,
            long floatBytes,
            long quantizedBytes,
            Benchmark.Result floatLatency,
            Benchmark.Result quantizedLatency,
            List<LayerError> layers,
            ReconstructionResult floatReconstruction,
            ReconstructionResult quantizedReconstruction) {
        public Result {
            layers = List.copyOf(layers);
        }

        /** The metric both models were scored by. */
        public Metric metric() {
            return floatReconstruction != null ? floatReconstruction.metric() : Metric.TOPK;
        }

        /**
         * Accuracy of the float model minus that of the quantized one (positive: the quantized model is worse); NaN
         * when scored by a reconstruction metric.
         */
        public double accuracyDrop() {
            return floatResult == null ? Double.NaN : floatResult.accuracy() - quantizedResult.accuracy();
        }

        /**
         * The two models paired sample by sample ({@link PairedComparison}: samples only the float model gets right,
         * samples only the quantized one gets right, and the exact McNemar p-value of the accuracy difference); null
         * when scored by a reconstruction metric.
         */
        public PairedComparison paired() {
            return floatResult == null ? null : PairedComparison.of(floatResult.hits(), quantizedResult.hits());
        }

        /** The float model's notices, then the quantized model's (data that does not fit its input, say). */
        public List<Notice> notices() {
            List<Notice> all =
                    new ArrayList<>(floatResult != null ? floatResult.notices() : floatReconstruction.notices());
            all.addAll(quantizedResult != null ? quantizedResult.notices() : quantizedReconstruction.notices());
            return List.copyOf(all);
        }

        /**
         * This result with the sizes of the models' files.
         *
         * @throws QuantaException naming a file whose size cannot be read
         */
        public Result withFileBytes(Path floatFile, Path quantizedFile) {
            return new Result(
                    floatResult,
                    quantizedResult,
                    agreement,
                    size(floatFile),
                    size(quantizedFile),
                    floatLatency,
                    quantizedLatency,
                    layers,
                    floatReconstruction,
                    quantizedReconstruction);
        }
    }

    private ModelComparison() {}

    /**
     * Loads both files ({@link ModelFiles#load(Path)}) and compares them as {@link #compare(Model, Model, Dataset,
     * Options, Evaluator.Progress)} does; the result carries the files' sizes.
     *
     * @throws QuantaException naming the file that cannot be loaded, or as the other {@code compare} does
     */
    public static Result compare(
            Path floatFile, Path quantizedFile, Dataset data, Options options, Evaluator.Progress progress) {
        Model floatModel = ModelFiles.load(floatFile);
        Model quantized = ModelFiles.load(quantizedFile);
        return compare(floatModel, quantized, data, options, progress).withFileBytes(floatFile, quantizedFile);
    }

    /**
     * Evaluates both models on {@code data} (progress reported per model), measures their latency, then compares
     * the quantized model's tensors with those of the float model after the converter's float passes
     * ({@link FloatGraphPasses#apply}: Dropout removed, BatchNorm folded, activations fused), so that tensor names
     * mean the same values in both. File sizes are unknown (-1); see {@link Result#withFileBytes}.
     *
     * @throws QuantaException when the data does not fit a model or the models have no tensor in common
     */
    public static Result compare(
            Model floatModel, Model quantized, Dataset data, Options options, Evaluator.Progress progress) {
        Metric metric = options.metric() != null ? options.metric() : Metric.defaultFor(floatModel);
        EvaluationResult f = null;
        EvaluationResult q = null;
        ReconstructionResult fr = null;
        ReconstructionResult qr = null;
        if (metric.isReconstruction()) {
            fr = Reconstruction.evaluate(floatModel, data, metric, options.evaluation(), progress);
            qr = Reconstruction.evaluate(quantized, data, metric, options.evaluation(), progress);
        } else {
            f = Evaluator.evaluate(floatModel, data, options.evaluation(), progress);
            q = Evaluator.evaluate(quantized, data, quantizedOptions(options.evaluation(), f), progress);
        }
        return complete(floatModel, quantized, data, options, f, q, fr, qr);
    }

    /**
     * How the converted model is evaluated after the float model gave {@code floatResult}: with no loss named, with
     * the float evaluation's loss and logits setting (the converted file records no training config).
     */
    public static Evaluator.Options quantizedOptions(Evaluator.Options evaluation, EvaluationResult floatResult) {
        if (evaluation.loss() == null && floatResult.lossName() != null) {
            return evaluation.withLoss(Loss.parse(floatResult.lossName())).withFromLogits(floatResult.fromLogits());
        }
        return evaluation;
    }

    /**
     * The rest of {@link #compare(Model, Model, Dataset, Options, Evaluator.Progress)} once both models are evaluated
     * (here or elsewhere, e.g. on a cluster): latency, the per-layer table on the first {@link Options#layerSamples}
     * samples ({@link #layerStatistics} of them all, one part), and the top-1 agreement.
     *
     * @param f the float model's evaluation, null with a reconstruction metric ({@code fr} then)
     * @param q the converted model's, as {@code f}
     */
    public static Result complete(
            Model floatModel,
            Model quantized,
            Dataset data,
            Options options,
            EvaluationResult f,
            EvaluationResult q,
            ReconstructionResult fr,
            ReconstructionResult qr) {
        Model folded = FloatGraphPasses.apply(floatModel);
        LayerStatistics layers = layerStatistics(
                folded, quantized, data, options.evaluation().threads(), 0, layerSampleCount(data, options));
        return complete(floatModel, quantized, options, f, q, fr, qr, List.of(layers));
    }

    /**
     * As {@link #complete(Model, Model, Dataset, Options, EvaluationResult, EvaluationResult, ReconstructionResult,
     * ReconstructionResult)} with the per-layer table merged from {@code layerParts}, the {@link #layerStatistics} of
     * parts (in any order) that cover the {@link #layerSampleCount} samples once each: the same table, to the last
     * bit, however the samples were split. Latency is measured here.
     *
     * @throws IllegalArgumentException when there are no parts or they pair different tensors
     */
    public static Result complete(
            Model floatModel,
            Model quantized,
            Options options,
            EvaluationResult f,
            EvaluationResult q,
            ReconstructionResult fr,
            ReconstructionResult qr,
            List<LayerStatistics> layerParts) {
        LayerStatistics merged = LayerStatistics.merge(layerParts);
        Benchmark.Result fl = null;
        Benchmark.Result ql = null;
        if (options.latency() != null) {
            fl = Benchmark.run(floatModel, options.latency());
            ql = Benchmark.run(quantized, options.latency());
        }
        double agreement = f == null ? Double.NaN : agreement(f, q);
        return new Result(f, q, agreement, -1, -1, fl, ql, merged.layers(), fr, qr);
    }

    /** How many samples the per-layer table covers: the first {@link Options#layerSamples}, at most all of them. */
    public static int layerSampleCount(Dataset data, Options options) {
        return layerSampleCount(data.size(), options);
    }

    /** {@link #layerSampleCount(Dataset, Options)} of data of {@code samples} samples that no machine holds whole. */
    public static int layerSampleCount(int samples, Options options) {
        return Math.min(options.layerSamples(), samples);
    }

    /**
     * The per-layer error sums of samples {@code from} to {@code to} (exclusive) of {@code data}: the converted
     * model's tensors against those of {@code foldedFloat}, the float model after {@link FloatGraphPasses#apply},
     * paired by name, each model run on {@code threads} threads. Parts of any split of the samples
     * {@link LayerStatistics#merge merge} to the statistics of all, to the last bit.
     *
     * @throws QuantaException when the data does not fit a model or the models have no tensor in common
     */
    public static LayerStatistics layerStatistics(
            Model foldedFloat, Model quantized, Dataset data, int threads, int from, int to) {
        return LayerComparison.statistics(
                foldedFloat, quantized, data, from, to, threads, LayerComparison.Matching.NAME);
    }

    /**
     * Share of samples whose top-1 class ({@link EvaluationResult#predictions}) is the same in both results, 0 for
     * no samples.
     *
     * @throws IllegalArgumentException when the results cover different numbers of samples
     */
    public static double agreement(EvaluationResult reference, EvaluationResult candidate) {
        int[] a = reference.predictions();
        int[] b = candidate.predictions();
        if (a.length != b.length) {
            throw new IllegalArgumentException(
                    "results of " + a.length + " and " + b.length + " samples cannot be compared");
        }
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return a.length == 0 ? 0 : (double) same / a.length;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read its size: " + e.getMessage(), e);
        }
    }
}
