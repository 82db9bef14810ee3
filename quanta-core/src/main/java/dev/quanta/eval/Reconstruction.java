package dev.quanta.eval;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.runtime.Interpreter;
import dev.quanta.runtime.InterpreterPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores an autoencoder (output shape = input shape) by how well it reconstructs its input, as the MLPerf Tiny
 * anomaly-detection benchmark does: the reconstruction error of every window, the mean over a clip's windows as the
 * clip's anomaly score, and the ROC AUC of those scores over clips labelled 0 (normal) and 1 (anomalous). See
 * {@link ReconstructionResult} for the formulas. Batches run as in {@link Evaluator} (the same with any parallel
 * count), and every sum is taken in sample order.
 */
public final class Reconstruction {
    /** Batches each interpreter is given per round, as in {@link Evaluator}. */
    private static final int BATCHES_PER_INTERPRETER = 4;

    private Reconstruction() {}

    /**
     * Runs {@code data} through {@code model} and scores the reconstructions; the clips are the dataset's
     * ({@link Dataset#clip}), else one per sample.
     *
     * @param metric {@link Metric#MSE}, {@link Metric#MAE} or {@link Metric#AUC}; with AUC the data must have clips
     *     labelled 0 and 1, with the others the AUC is reported when they do
     * @param options batch size, threads and parallel interpreters (loss and top-k do not apply)
     * @throws QuantaException when the model is not an autoencoder, the data does not fit it, or AUC is asked for
     *     on data without both labels
     */
    public static ReconstructionResult evaluate(
            Model model, Dataset data, Metric metric, Evaluator.Options options, Evaluator.Progress progress) {
        check(model, data, metric);
        long start = System.nanoTime();
        Partial all = errors(model, data, options, 0, data.size(), progress);
        double seconds = (System.nanoTime() - start) / 1e9;
        return merge(model, data, metric, List.of(all), seconds);
    }

    /**
     * A part of a reconstruction scoring: the window errors (MSE and MAE) of the samples {@code from} to {@code from
     * + mse.length}.
     */
    public record Partial(int from, double[] mse, double[] mae) implements java.io.Serializable {}

    /**
     * The window errors of samples {@code from} (inclusive) to {@code to} (exclusive), a part that {@link #merge}
     * completes; {@code from} is a multiple of the batch size (or 0), so the batches are those of the whole run.
     */
    public static Partial windowErrors(
            Model model,
            Dataset data,
            Metric metric,
            Evaluator.Options options,
            int from,
            int to,
            Evaluator.Progress progress) {
        check(model, data, metric);
        if (from % options.batchSize() != 0) {
            throw new IllegalArgumentException(
                    "range start " + from + " is not a multiple of the batch size " + options.batchSize());
        }
        java.util.Objects.checkFromToIndex(from, to, data.size());
        return errors(model, data, options, from, to, progress);
    }

    /**
     * Completes a scoring from parts that cover every sample once (in any order): the window errors are put in
     * sample order and scored as {@link #evaluate} scores them, every sum taken from sample 0 up, so the result is
     * the same to the last bit however the samples were split.
     */
    public static ReconstructionResult merge(
            Model model, Dataset data, Metric metric, List<Partial> parts, double seconds) {
        return merge(
                model,
                data,
                data.size(),
                metric,
                parts,
                data.labels(),
                data.clips(),
                seconds,
                InputChecks.tally(model, data));
    }

    /**
     * {@link #merge(Model, Dataset, Metric, List, double)} of data of {@code n} samples that no machine holds whole
     * (issue 13): {@code sample} is a part of it on which the checks run, with the whole data's clip names
     * ({@link Dataset#clipNames()}); {@code labels} and {@code clips} give every sample's label and clip index (null:
     * no labels; no clips, each sample its own), gathered from the parts; {@code inputTally} is the
     * {@link InputChecks.Tally} of all values (null for an input that is not quantized). The same result as the merge
     * over the whole data.
     */
    public static ReconstructionResult merge(
            Model model,
            Dataset sample,
            int n,
            Metric metric,
            List<Partial> parts,
            int[] labels,
            int[] clips,
            double seconds,
            InputChecks.Tally inputTally) {
        check(model, sample, metric);
        if ((labels != null && labels.length != n) || (clips != null && clips.length != n)) {
            throw new IllegalArgumentException("labels or clips of another length than the " + n + " samples");
        }
        List<Partial> ordered = new ArrayList<>(parts);
        ordered.sort(java.util.Comparator.comparingInt(Partial::from));
        double[] mse = new double[n];
        double[] mae = new double[n];
        int next = 0;
        for (Partial p : ordered) {
            if (p.from() != next) {
                throw new IllegalArgumentException(
                        "parts of the scoring start at " + p.from() + ", expected " + next + " (a gap or an overlap)");
            }
            System.arraycopy(p.mse(), 0, mse, next, p.mse().length);
            System.arraycopy(p.mae(), 0, mae, next, p.mae().length);
            next += p.mse().length;
        }
        if (next != n) {
            throw new IllegalArgumentException("parts of the scoring cover " + next + " of " + n + " samples");
        }
        return score(
                model, sample, metric, labels, clips, mse, mae, seconds, InputChecks.check(model, sample, inputTally));
    }

    private static Partial errors(
            Model model, Dataset data, Evaluator.Options options, int from, int to, Evaluator.Progress progress) {
        Tensor input = model.inputs().get(0);
        Tensor output = model.outputs().get(0);
        int d = input.shape().sampleElementCount();
        int n = to - from;
        double[] mse = new double[n];
        double[] mae = new double[n];
        int batch = options.batchSize();
        int round = options.parallel() * BATCHES_PER_INTERPRETER;
        Interpreter.Options perInterpreter = Interpreter.Options.defaults().withNumThreads(options.threads());
        try (InterpreterPool pool = InterpreterPool.create(model, options.parallel(), perInterpreter)) {
            for (int s = from; s < to; ) {
                List<Object[]> requests = new ArrayList<>(round);
                List<float[]> inputs = new ArrayList<>(round);
                for (int r = 0, at = s; r < round && at < to; r++) {
                    int count = Math.min(batch, to - at);
                    float[] in = new float[count * d];
                    data.copyBatch(at, count, in);
                    inputs.add(in);
                    requests.add(
                            new Object[] {input.dtype() == DType.FLOAT32 ? in : InputQuantizer.quantize(in, input)});
                    at += count;
                }
                List<Object[]> outs = pool.map(requests);
                for (int r = 0; r < outs.size(); r++) {
                    float[] x = inputs.get(r);
                    float[] y = InputQuantizer.dequantize(outs.get(r)[0], output);
                    int count = x.length / d;
                    for (int i = 0; i < count; i++) {
                        double sq = 0;
                        double abs = 0;
                        for (int j = i * d, end = j + d; j < end; j++) {
                            double e = (double) x[j] - y[j];
                            sq += e * e;
                            abs += Math.abs(e);
                        }
                        mse[s - from + i] = sq / d;
                        mae[s - from + i] = abs / d;
                    }
                    s += count;
                    progress.update(s - from, n);
                }
            }
        }
        return new Partial(from, mse, mae);
    }

    /** Refuses a metric that is not a reconstruction one, a model that is not an autoencoder, or data that does not fit. */
    private static void check(Model model, Dataset data, Metric metric) {
        if (!metric.isReconstruction()) {
            throw new IllegalArgumentException("metric " + metric.label() + " is not a reconstruction metric");
        }
        if (!Metric.isAutoencoder(model)) {
            String in = model.inputs().isEmpty()
                    ? "no input"
                    : model.inputs().get(0).shape().toString();
            String out = model.outputs().isEmpty()
                    ? "no output"
                    : model.outputs().get(0).shape().toString();
            throw new QuantaException(describe(model) + ": metric " + metric.label()
                    + " scores an autoencoder (one input and one output of the same shape), but the model maps "
                    + in + " to " + out + "; a classifier is scored by the metric topk");
        }
        Tensor input = model.inputs().get(0);
        int d = input.shape().sampleElementCount();
        if (data.sampleSize() != d) {
            throw new QuantaException(data.name() + ": samples have shape " + Arrays.toString(data.sampleShape())
                    + " (" + data.sampleSize() + " values) but model input '" + input.name() + "' takes "
                    + input.shape() + " (" + d + " values per sample)");
        }
    }

    /** Groups the window errors into clips and takes the AUC. */
    private static ReconstructionResult score(
            Model model,
            Dataset data,
            Metric metric,
            int[] sampleLabels,
            int[] clipOf,
            double[] mse,
            double[] mae,
            double seconds,
            List<dev.quanta.Notice> notices) {
        int n = mse.length;
        if ((clipOf == null) != (data.clipNames() == null)) {
            throw new IllegalArgumentException(
                    "clip indices given " + (clipOf != null) + ", clip names " + (data.clipNames() != null));
        }
        int[] denseOf = new int[data.clipNames() == null ? n : data.clipNames().size()];
        Arrays.fill(denseOf, -1);
        List<String> names = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        double[] sums = new double[denseOf.length];
        int[] counts = new int[denseOf.length];
        double[] window = metric == Metric.MAE ? mae : mse;
        for (int i = 0; i < n; i++) {
            int c = clipOf == null ? i : clipOf[i];
            int label = sampleLabels != null ? sampleLabels[i] : -1;
            if (denseOf[c] < 0) {
                denseOf[c] = names.size();
                names.add(
                        data.clipNames() == null
                                ? "sample " + i
                                : data.clipNames().get(c));
                labelList.add(label);
            } else if (labelList.get(denseOf[c]) != label) {
                throw new QuantaException(data.name() + ": clip '" + names.get(denseOf[c]) + "' has windows labelled "
                        + labelList.get(denseOf[c]) + " and " + label + " (sample " + i + ")");
            }
            sums[denseOf[c]] += window[i];
            counts[denseOf[c]]++;
        }
        int clips = names.size();
        double[] scores = new double[clips];
        int[] labels = new int[clips];
        for (int c = 0; c < clips; c++) {
            scores[c] = sums[c] / counts[c];
            labels[c] = labelList.get(c);
        }
        double auc = Double.NaN;
        String aucProblem = aucProblem(sampleLabels != null, labels);
        if (aucProblem == null) {
            auc = auc(scores, labels);
        } else if (metric == Metric.AUC) {
            throw new QuantaException(
                    data.name() + ": metric auc needs clips labelled 0 (normal) and 1 (anomalous); " + aucProblem);
        }
        return new ReconstructionResult(
                metric, n, mean(mse), mean(mae), mse, names, scores, labels, auc, seconds, notices);
    }

    /** Why the clip labels cannot give an AUC, or null when they can. */
    private static String aucProblem(boolean hasLabels, int[] labels) {
        if (!hasLabels) {
            return "the data has no labels";
        }
        int normal = 0;
        int anomalous = 0;
        for (int l : labels) {
            if (l == 0) {
                normal++;
            } else if (l == 1) {
                anomalous++;
            } else {
                return "found label " + l;
            }
        }
        if (normal == 0 || anomalous == 0) {
            return "found " + normal + " normal and " + anomalous + " anomalous";
        }
        return null;
    }

    /**
     * ROC AUC of {@code scores} for labels 1 (positive) against 0, the Mann–Whitney statistic: over all pairs of a
     * positive p and a negative q, the share with {@code score[p] > score[q]}, a tie counting 1/2. Computed from
     * mid-ranks: {@code (R₁ − n₁(n₁ + 1)/2) / (n₁ n₀)} with R₁ the sum of the positives' ranks.
     *
     * @return NaN when there is no positive or no negative
     * @throws IllegalArgumentException for lengths that differ, a label other than 0 or 1, or a NaN score
     */
    public static double auc(double[] scores, int[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(scores.length + " scores for " + labels.length + " labels");
        }
        int n = scores.length;
        Integer[] order = new Integer[n];
        long positives = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException("label " + labels[i] + " at " + i + " is not 0 or 1");
            }
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("score at " + i + " is NaN");
            }
            positives += labels[i];
            order[i] = i;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSum = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            double midRank = (i + j) / 2.0 + 1; // ranks i+1 .. j+1
            for (int k = i; k <= j; k++) {
                if (labels[order[k]] == 1) {
                    rankSum += midRank;
                }
            }
            i = j + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    private static String describe(Model m) {
        return m.metadata().source() != null ? m.metadata().source() : "model '" + m.name() + "'";
    }
}
