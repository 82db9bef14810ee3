package dev.quanta.eval;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.runtime.Interpreter;
import dev.quanta.runtime.InterpreterPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures a classifier's loss and top-k accuracy on a labelled dataset, like Keras {@code model.evaluate()}:
 * samples run in batches through an {@link Interpreter}; the loss is the mean of per-sample losses.
 *
 * <p>With {@link Options#parallel} above 1, that many interpreters (an {@link InterpreterPool}, one thread each
 * plus their inference threads) run batches at once. The batches are the same as with one interpreter and are
 * scored in sample order, so the result (loss, accuracy, every prediction) is identical whatever the parallel
 * count; only the time differs.
 */
public final class Evaluator {

    /** Receives progress: {@code done} of {@code total} samples. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);

        Progress NONE = (d, t) -> {};
    }

    /**
     * Evaluation settings.
     *
     * @param loss loss to report; null takes the model's training config, and no loss is reported without one
     * @param fromLogits whether outputs are logits; null decides from the model (logits unless it ends in a
     *     softmax or the training config says so)
     * @param threads threads inside one inference
     * @param parallel interpreters running batches at once, each on its own thread ({@code parallel × threads}
     *     threads in all); the result does not depend on it
     */
    public record Options(Loss loss, Boolean fromLogits, int topK, int batchSize, int threads, int parallel)
            implements java.io.Serializable {
        /**
         * Refuses a top-k, batch size, thread count or parallel count out of range, naming the setting
         * ("Evaluator topK").
         */
        public Options {
            if (topK < 1) {
                throw new IllegalArgumentException("Evaluator topK must be at least 1, got " + topK);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("Evaluator batchSize must be at least 1, got " + batchSize);
            }
            if (threads < 1 || threads > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("Evaluator threads must be between 1 and " + Interpreter.MAX_THREADS
                        + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + threads);
            }
            if (parallel < 1 || parallel > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("Evaluator parallel must be between 1 and " + Interpreter.MAX_THREADS
                        + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + parallel);
            }
            if ((long) parallel * threads > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("Evaluator parallel " + parallel + " with Evaluator threads "
                        + threads + " makes " + (long) parallel * threads + " threads, more than the "
                        + Interpreter.MAX_THREADS + " allowed (" + Interpreter.THREADS_PER_CPU + " per CPU)");
            }
        }

        /** The settings with one interpreter ({@code parallel} 1), as before {@code parallel} existed. */
        public Options(Loss loss, Boolean fromLogits, int topK, int batchSize, int threads) {
            this(loss, fromLogits, topK, batchSize, threads, 1);
        }

        public static Options defaults() {
            return new Options(null, null, 1, 64, 1, 1);
        }

        public Options withLoss(Loss l) {
            return new Options(l, fromLogits, topK, batchSize, threads, parallel);
        }

        public Options withFromLogits(Boolean f) {
            return new Options(loss, f, topK, batchSize, threads, parallel);
        }

        public Options withTopK(int k) {
            return new Options(loss, fromLogits, k, batchSize, threads, parallel);
        }

        public Options withBatchSize(int b) {
            return new Options(loss, fromLogits, topK, b, threads, parallel);
        }

        public Options withThreads(int t) {
            return new Options(loss, fromLogits, topK, batchSize, t, parallel);
        }

        /** Interpreters evaluating batches at once, 1 to {@link Interpreter#MAX_THREADS} with the threads. */
        public Options withParallel(int p) {
            return new Options(loss, fromLogits, topK, batchSize, threads, p);
        }
    }

    /** Batches each interpreter is given per round; a round's inputs are held in memory together. */
    private static final int BATCHES_PER_INTERPRETER = 4;

    private Evaluator() {}

    /**
     * Evaluates {@code model} on {@code data}: {@link #evaluateRange} over every sample, then {@link #merge}.
     *
     * @throws QuantaException when the data does not fit the model or has labels out of range
     */
    public static EvaluationResult evaluate(Model model, Dataset data, Options options, Progress progress) {
        Scoring scoring = Scoring.of(model, data, options);
        long start = System.nanoTime();
        Partial all = scoring.run(model, data, options, 0, data.size(), progress);
        double seconds = (System.nanoTime() - start) / 1e9;
        return merge(model, data, options, List.of(all), seconds);
    }

    /**
     * The scores of samples {@code from} (inclusive) to {@code to} (exclusive), a part of an evaluation that
     * {@link #merge} completes: each sample's top-1 class, whether its label is in the top k, and its loss.
     *
     * @param from first sample; a multiple of {@link Options#batchSize} (or 0), so that the batches are those the
     *     whole evaluation cuts and every sample's outputs are the same
     */
    public static Partial evaluateRange(
            Model model, Dataset data, Options options, int from, int to, Progress progress) {
        return evaluateRange(model, data, options, from, to, 0, progress);
    }

    /**
     * {@link #evaluateRange(Model, Dataset, Options, int, int, Progress)} of {@code data} that is a part of a larger
     * dataset whose sample 0 is sample {@code firstSample} of the whole (issue 13: a cluster's task scores its range):
     * a label error names the sample by its index in the whole ({@link Dataset#validateLabels(int,
     * java.nio.file.Path, int)}).
     */
    public static Partial evaluateRange(
            Model model, Dataset data, Options options, int from, int to, int firstSample, Progress progress) {
        if (from % options.batchSize() != 0) {
            throw new IllegalArgumentException(
                    "range start " + from + " is not a multiple of the batch size " + options.batchSize());
        }
        java.util.Objects.checkFromToIndex(from, to, data.size());
        return Scoring.of(model, data, options, firstSample).run(model, data, options, from, to, progress);
    }

    /**
     * A part of an evaluation: the samples {@code from} to {@code from + predictions.length}, each with its top-1
     * class, whether it counted correct and its loss (0 without a loss).
     */
    public record Partial(int from, int[] predictions, boolean[] correct, double[] losses)
            implements java.io.Serializable {
        /** Samples in the part. */
        public int size() {
            return predictions.length;
        }
    }

    /**
     * Completes an evaluation from its parts, which must cover every sample once (in any order): the parts are put
     * in sample order and the loss is {@code (Σᵢ lossᵢ) / n} summed from sample 0 up, so the result is the same, to
     * the last bit, however the samples were split.
     *
     * @throws IllegalArgumentException when the parts leave a gap or overlap
     */
    public static EvaluationResult merge(
            Model model, Dataset data, Options options, List<Partial> parts, double seconds) {
        return merge(model, data, data.size(), options, parts, seconds, InputChecks.tally(model, data));
    }

    /**
     * {@link #merge(Model, Dataset, Options, List, double)} of data of {@code n} samples that no machine holds
     * whole (issue 13): {@code sample} is a part of it (its first sample, say), on which the checks run, and
     * {@code inputTally} is the {@link InputChecks.Tally} of all its values (null when the model's input is not
     * quantized), from which the input-range notices come. The parts' labels must have been checked where they were
     * scored ({@link Dataset#validateLabels(int, java.nio.file.Path, int)}). The same result as the merge over the
     * whole data.
     */
    public static EvaluationResult merge(
            Model model,
            Dataset sample,
            int n,
            Options options,
            List<Partial> parts,
            double seconds,
            InputChecks.Tally inputTally) {
        Scoring scoring = Scoring.of(model, sample, options);
        List<Partial> ordered = new ArrayList<>(parts);
        ordered.sort(java.util.Comparator.comparingInt(Partial::from));
        int[] predictions = new int[n];
        boolean[] hits = new boolean[n];
        double lossSum = 0;
        int correct = 0;
        int next = 0;
        for (Partial p : ordered) {
            if (p.from() != next) {
                throw new IllegalArgumentException("parts of the evaluation start at " + p.from() + ", expected " + next
                        + " (a gap or an overlap)");
            }
            for (int i = 0; i < p.size(); i++) {
                predictions[next + i] = p.predictions()[i];
                hits[next + i] = p.correct()[i];
                if (p.correct()[i]) {
                    correct++;
                }
                lossSum += p.losses()[i];
            }
            next += p.size();
        }
        if (next != n) {
            throw new IllegalArgumentException("parts of the evaluation cover " + next + " of " + n + " samples");
        }
        Loss loss = scoring.loss();
        return new EvaluationResult(
                n,
                loss == null ? null : loss.kerasName(),
                scoring.fromLogits(),
                loss == null ? Double.NaN : lossSum / n,
                scoring.k(),
                correct,
                seconds,
                predictions,
                hits,
                InputChecks.check(model, sample, inputTally));
    }

    /** What an evaluation scores with: the loss (null: none), whether outputs are logits, and k. */
    private record Scoring(Loss loss, boolean fromLogits, int k, int classes) {
        /** Checks that the data fits the model and decides the loss, logits and k. */
        static Scoring of(Model model, Dataset data, Options options) {
            return of(model, data, options, 0);
        }

        /** {@link #of(Model, Dataset, Options)}, {@code data}'s sample 0 being sample {@code firstSample} of the whole. */
        static Scoring of(Model model, Dataset data, Options options, int firstSample) {
            if (model.inputs().size() != 1 || model.outputs().size() != 1) {
                throw new QuantaException(
                        "model '" + model.name() + "' has " + model.inputs().size() + " inputs and "
                                + model.outputs().size() + " outputs; evaluate needs exactly one of each");
            }
            if (!data.hasLabels()) {
                throw new QuantaException(data.name() + ": the dataset has no labels");
            }
            int sampleSize = model.inputs().get(0).shape().sampleElementCount();
            if (data.sampleSize() != sampleSize) {
                throw new QuantaException(data.name() + ": samples have shape "
                        + Arrays.toString(data.sampleShape())
                        + " (" + data.sampleSize() + " values) but model input '"
                        + model.inputs().get(0).name()
                        + "' takes " + model.inputs().get(0).shape() + " (" + sampleSize + " values per sample)");
            }
            int classes = model.outputs().get(0).shape().sampleElementCount();
            data.validateLabels(classes, null, firstSample);
            Loss loss = options.loss();
            boolean fromLogits;
            TrainingConfig tc = model.metadata().trainingConfig();
            if (loss == null && tc != null && tc.loss() != null) {
                try {
                    loss = Loss.parse(tc.loss());
                } catch (QuantaException e) {
                    String source = model.metadata().source();
                    throw QuantaException.aboutSettings((source != null ? source : "model '" + model.name() + "'")
                            + ": training config: " + e.getMessage() + "; give {LOSS} to choose one");
                }
            }
            if (options.fromLogits() != null) {
                fromLogits = options.fromLogits();
            } else if (tc != null && tc.fromLogits()) {
                fromLogits = true;
            } else {
                fromLogits = !endsInProbabilities(model);
            }
            int k = Math.max(1, Math.min(options.topK(), classes));
            return new Scoring(loss, fromLogits, k, classes);
        }

        /** Scores samples {@code from} to {@code to}, in batches cut from {@code from} on. */
        Partial run(Model model, Dataset data, Options options, int from, int to, Progress progress) {
            int batch = options.batchSize();
            int sampleSize = model.inputs().get(0).shape().sampleElementCount();
            int n = to - from;
            int[] predictions = new int[n];
            boolean[] correct = new boolean[n];
            double[] losses = new double[n];
            Tensor input = model.inputs().get(0);
            Tensor outputTensor = model.outputs().get(0);
            // batches are cut as one interpreter would cut them, run ROUND at a time on the pool's interpreters,
            // and scored in sample order
            int round = options.parallel() * BATCHES_PER_INTERPRETER;
            Interpreter.Options perInterpreter = Interpreter.Options.defaults().withNumThreads(options.threads());
            try (InterpreterPool pool = InterpreterPool.create(model, options.parallel(), perInterpreter)) {
                for (int s = from; s < to; ) {
                    List<Object[]> requests = new ArrayList<>(round);
                    for (int r = 0, at = s; r < round && at < to; r++) {
                        int count = Math.min(batch, to - at);
                        float[] in = new float[count * sampleSize];
                        data.copyBatch(at, count, in);
                        requests.add(
                                new Object[] {input.dtype() == DType.FLOAT32 ? in : InputQuantizer.quantize(in, input)
                                });
                        at += count;
                    }
                    for (Object[] out : pool.map(requests)) {
                        float[] scores = InputQuantizer.dequantize(out[0], outputTensor);
                        int count = scores.length / classes;
                        for (int i = 0; i < count; i++) {
                            int label = data.label(s + i);
                            int off = i * classes;
                            int at = s - from + i;
                            predictions[at] = argmax(scores, off, classes);
                            correct[at] = inTopK(scores, off, classes, label, k);
                            if (loss != null) {
                                losses[at] = loss.of(scores, off, classes, label, fromLogits);
                            }
                        }
                        s += count;
                        progress.update(s - from, n);
                    }
                }
            }
            return new Partial(from, predictions, correct, losses);
        }
    }

    /** True when the model's last op (before any (de)quantize) yields probabilities (softmax or logistic). */
    static boolean endsInProbabilities(Model model) {
        Op last = model.producer(model.outputs().get(0));
        while (last != null && (last.type() == OpType.DEQUANTIZE || last.type() == OpType.QUANTIZE)) {
            last = model.producer(last.input(0));
        }
        return last != null && (last.type() == OpType.SOFTMAX || last.type() == OpType.LOGISTIC);
    }

    /** The index, from 0 to {@code n - 1}, of the first largest of {@code v[off]} … {@code v[off + n - 1]}. */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            if (v[off + j] > v[off + best]) {
                best = j;
            }
        }
        return best;
    }

    /** Whether {@code label} is among the k largest values (ties counted in the label's favour only by index). */
    static boolean inTopK(float[] v, int off, int n, int label, int k) {
        float target = v[off + label];
        int greater = 0;
        for (int j = 0; j < n; j++) {
            float x = v[off + j];
            if (x > target || (x == target && j < label)) {
                greater++;
            }
        }
        return greater < k;
    }
}
