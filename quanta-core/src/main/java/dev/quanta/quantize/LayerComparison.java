package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Layer-by-layer diff of two models over the same inputs: op outputs are paired by name or by position along the
 * graph ({@link Matching}) and compared (see {@link LayerError}); the result is ordered worst first (lowest
 * SQNR). Converted models keep the reference's tensor names, so a quantized model lines up with its float
 * source by name; files from other tools line up by position. By name, the QUANTIZE of a model input is paired with
 * the reference's input of the same name: its row shows how much of the data the input's range clips.
 */
public final class LayerComparison {
    /** How tensors of the two models are paired. */
    public enum Matching {
        /** Same tensor name (and size): a converted model against its source. */
        NAME,
        /**
         * Position along the graph: the n-th op of each type (QUANTIZE and DEQUANTIZE aside) with the same output
         * size, for models named differently, such as Keras against the TFLite converter's file.
         */
        POSITION,
        /** NAME when the models share at least one op output name, else POSITION. */
        AUTO
    }

    /**
     * Settings of {@link #compare(Model, Model, Dataset, Options)}, immutable: start from {@link #defaults()} and
     * change one setting per wither, which refuses a value out of range with an {@link IllegalArgumentException}
     * naming the setting ("LayerComparison samples").
     *
     * @param samples how many samples of the data to run (the first ones)
     * @param threads threads per inference of each model
     * @param foldKerasLayers compare a model with Keras-only ops as the converter sees it (see {@link #folded})
     */
    public record Options(int samples, int threads, Matching matching, boolean foldKerasLayers) {
        public Options {
            if (samples < 1) {
                throw new IllegalArgumentException("LayerComparison samples must be at least 1, got " + samples);
            }
            if (threads < 1 || threads > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("LayerComparison threads must be between 1 and "
                        + Interpreter.MAX_THREADS + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + threads);
            }
            Objects.requireNonNull(matching, "matching");
        }

        /** 100 samples, one thread, {@link Matching#AUTO}, Keras layers folded. */
        public static Options defaults() {
            return new Options(100, 1, Matching.AUTO, true);
        }

        public Options withSamples(int n) {
            return new Options(n, threads, matching, foldKerasLayers);
        }

        public Options withThreads(int n) {
            return new Options(samples, n, matching, foldKerasLayers);
        }

        public Options withMatching(Matching m) {
            return new Options(samples, threads, m, foldKerasLayers);
        }

        public Options withFoldKerasLayers(boolean on) {
            return new Options(samples, threads, matching, on);
        }
    }

    private LayerComparison() {}

    /**
     * {@code m} as the converter's float passes ({@link FloatGraphPasses#apply}) leave it when it has Keras-only ops
     * (BATCH_NORM, IDENTITY from Dropout): folding keeps its values and makes its tensors line up with those of a
     * file converted from it. Any other model is returned unchanged (a hybrid {@code .tflite} keeps its int8
     * weights).
     */
    public static Model folded(Model m) {
        boolean keras = m.ops().stream().anyMatch(o -> o.type() == OpType.BATCH_NORM || o.type() == OpType.IDENTITY);
        return keras ? FloatGraphPasses.apply(m) : m;
    }

    /**
     * Compares {@code candidate} with {@code reference} on {@code data}, both {@link #folded} first unless
     * {@code options} says otherwise (see {@link #compare(Model, Model, Dataset, int, int, Matching)}).
     *
     * @throws QuantaException when the models take inputs of different sizes, the data does not fit them or they
     *     have no tensor in common
     */
    public static List<LayerError> compare(Model reference, Model candidate, Dataset data, Options options) {
        Model r = options.foldKerasLayers() ? folded(reference) : reference;
        Model c = options.foldKerasLayers() ? folded(candidate) : candidate;
        return compare(r, c, data, options.samples(), options.threads(), options.matching());
    }

    /** Pairs (reference tensor, candidate tensor, candidate op) by {@code matching}. */
    static List<Object[]> pair(Model reference, Model candidate, Matching matching) {
        List<Object[]> byName = new ArrayList<>();
        for (Op op : candidate.ops()) {
            if (op.type() == OpType.QUANTIZE && candidate.inputs().contains(op.input(0))) {
                // the quantized model input: its values against the reference's input of the same name
                Tensor r = reference.tensor(op.input(0).name());
                if (r != null && reference.inputs().contains(r) && sampleSize(r) == sampleSize(op.output(0))) {
                    byName.add(new Object[] {r, op.output(0), op});
                }
                continue;
            }
            for (Tensor t : op.outputs()) {
                Tensor r = reference.tensor(t.name());
                if (r != null
                        && !r.isConstant()
                        && r.shape().rank() == t.shape().rank()
                        && sampleSize(r) == sampleSize(t)) {
                    byName.add(new Object[] {r, t, op});
                }
            }
        }
        if (matching == Matching.NAME || (matching == Matching.AUTO && !byName.isEmpty())) {
            return byName;
        }
        List<Op> refOps = computeOps(reference);
        List<Op> candOps = computeOps(candidate);
        List<Object[]> byPosition = new ArrayList<>();
        int j = 0;
        for (Op r : refOps) {
            for (int k = j; k < candOps.size(); k++) {
                Op c = candOps.get(k);
                if (c.type() == r.type() && sampleSize(c.output(0)) == sampleSize(r.output(0))) {
                    byPosition.add(new Object[] {r.output(0), c.output(0), c});
                    j = k + 1;
                    break;
                }
            }
        }
        return byPosition;
    }

    private static List<Op> computeOps(Model m) {
        List<Op> ops = new ArrayList<>();
        for (Op op : m.ops()) {
            if (op.type() != OpType.QUANTIZE && op.type() != OpType.DEQUANTIZE) {
                ops.add(op);
            }
        }
        return ops;
    }

    /** Compares tensors paired by name (see {@link #compare(Model, Model, Dataset, int, int, Matching)}). */
    public static List<LayerError> compare(Model reference, Model candidate, Dataset data, int samples, int threads) {
        return compare(reference, candidate, data, samples, threads, Matching.NAME);
    }

    /**
     * Runs the first {@code samples} samples of {@code data} through both models as they are and compares the
     * paired tensors.
     *
     * @param samples how many samples of {@code data} to run (the first ones)
     * @throws QuantaException when the models take inputs of different sizes, the data does not fit them or they
     *     have no tensor in common
     */
    public static List<LayerError> compare(
            Model reference, Model candidate, Dataset data, int samples, int threads, Matching matching) {
        return compare(reference, candidate, data, samples, threads, matching, null);
    }

    /**
     * The values of some of a reference model's tensors on every sample of a data set, computed once so that many
     * candidates can be compared with the reference without running it again (see
     * {@link #compare(Model, Model, Dataset, int, int, Matching, ReferenceValues)}).
     */
    static final class ReferenceValues {
        private final Model reference;
        private final Dataset data;
        private final Map<Tensor, float[][]> values;

        private ReferenceValues(Model reference, Dataset data, Map<Tensor, float[][]> values) {
            this.reference = reference;
            this.data = data;
            this.values = values;
        }

        /** Runs {@code reference} once on each sample of {@code data} and keeps the values of {@code tensors}. */
        static ReferenceValues record(Model reference, Dataset data, Collection<Tensor> tensors, int threads) {
            Map<Tensor, float[][]> values = new IdentityHashMap<>();
            for (Tensor t : tensors) {
                values.put(t, new float[data.size()][]);
            }
            Interpreter.Options options =
                    Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true);
            try (Interpreter ref = new Interpreter(reference, options)) {
                float[] in = new float[data.sampleSize()];
                for (int s = 0; s < data.size(); s++) {
                    data.copySample(s, in, 0);
                    ref.run(candidateInput(reference, in), null);
                    for (Map.Entry<Tensor, float[][]> e : values.entrySet()) {
                        e.getValue()[s] = ref.readTensorAsFloats(e.getKey());
                    }
                }
            }
            return new ReferenceValues(reference, data, values);
        }

        /** Values kept per sample of {@code reference}'s tensors {@code tensors}, in floats (the memory they take). */
        static long floatsPerSample(Collection<Tensor> tensors) {
            long n = 0;
            for (Tensor t : tensors) {
                n += t.shape().sampleElementCount();
            }
            return n;
        }

        /** The kept values of {@code t} on sample {@code s} (not a copy). */
        float[] values(Tensor t, int s) {
            return values.get(t)[s];
        }

        /** True when these are {@code reference}'s values on {@code data} and hold every tensor of {@code needed}. */
        boolean covers(Model reference, Dataset data, Collection<Tensor> needed) {
            return this.reference == reference
                    && this.data == data
                    && values.keySet().containsAll(needed);
        }
    }

    /**
     * As {@link #compare(Model, Model, Dataset, int, int, Matching)}, the reference's values taken from
     * {@code cached} when it {@linkplain ReferenceValues#covers covers} the paired tensors (the same numbers, without
     * running the reference), else from running it.
     */
    static List<LayerError> compare(
            Model reference,
            Model candidate,
            Dataset data,
            int samples,
            int threads,
            Matching matching,
            ReferenceValues cached) {
        if (samples < 1) {
            throw new IllegalArgumentException("LayerComparison samples must be at least 1, got " + samples);
        }
        checkData(reference, candidate, data);
        int n = Math.min(samples, data.size());
        return statistics(reference, candidate, data, 0, n, threads, matching, cached)
                .layers();
    }

    /**
     * The mergeable error sums of samples {@code from} (inclusive) to {@code to} (exclusive) of {@code data}, both
     * models run as they are: {@link LayerStatistics#merge merged} over any split of samples 0 to n, they are those
     * {@link #compare(Model, Model, Dataset, int, int, Matching)} takes over n samples, to the last bit.
     *
     * @throws QuantaException as {@link #compare(Model, Model, Dataset, int, int, Matching)} does
     * @throws IndexOutOfBoundsException when the range is not within the data
     */
    public static LayerStatistics statistics(
            Model reference, Model candidate, Dataset data, int from, int to, int threads, Matching matching) {
        checkData(reference, candidate, data);
        return statistics(reference, candidate, data, from, to, threads, matching, null);
    }

    /** The data fits both models' inputs and has samples. */
    private static void checkData(Model reference, Model candidate, Dataset data) {
        Tensor refInput = reference.inputs().get(0);
        Tensor candInput = candidate.inputs().get(0);
        if (refInput.shape().sampleElementCount() != candInput.shape().sampleElementCount()) {
            throw new QuantaException(describe(candidate) + ": input " + candInput.shape() + " does not match "
                    + describe(reference) + "'s input " + refInput.shape());
        }
        if (data.sampleSize() != refInput.shape().sampleElementCount()) {
            throw new QuantaException(data.name() + ": samples have shape " + Arrays.toString(data.sampleShape())
                    + " (" + data.sampleSize() + " values) but " + describe(reference) + " takes input '"
                    + refInput.name() + "' of shape " + refInput.shape() + " ("
                    + refInput.shape().sampleElementCount() + " values per sample)");
        }
        if (data.size() == 0) {
            throw new QuantaException(data.name() + ": no samples to compare");
        }
    }

    private static LayerStatistics statistics(
            Model reference,
            Model candidate,
            Dataset data,
            int from,
            int to,
            int threads,
            Matching matching,
            ReferenceValues cached) {
        java.util.Objects.checkFromToIndex(from, to, data.size());
        List<Tensor[]> pairs = new ArrayList<>();
        List<LayerStatistics.Row> rows = new ArrayList<>();
        for (Object[] p : pair(reference, candidate, matching)) {
            Tensor t = (Tensor) p[1];
            Op op = (Op) p[2];
            pairs.add(new Tensor[] {(Tensor) p[0], t});
            double scale =
                    t.quant() != null && t.quant().isPerTensor() ? t.quant().scale() : Double.NaN;
            rows.add(new LayerStatistics.Row(
                    t.name(), op.origin().layerName(), op.type().name(), scale, isQuantizedPerTensor(t)));
        }
        if (pairs.isEmpty()) {
            throw new QuantaException("models '" + reference.name() + "' and '" + candidate.name()
                    + "' have no tensors to pair by " + matching.name().toLowerCase(java.util.Locale.ROOT));
        }
        List<Tensor> refTensors = new ArrayList<>();
        for (Tensor[] p : pairs) {
            refTensors.add(p[0]);
        }
        ReferenceValues known = cached != null && cached.covers(reference, data, refTensors) ? cached : null;
        LayerStatistics.Accumulator sums = LayerStatistics.accumulate(rows, to - from);
        // every intermediate tensor is read after each run
        Interpreter.Options options =
                Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true);
        try (Interpreter ref = known == null ? new Interpreter(reference, options) : null;
                Interpreter cand = new Interpreter(candidate, options)) {
            float[] in = new float[data.sampleSize()];
            for (int s = from; s < to; s++) {
                data.copySample(s, in, 0);
                if (ref != null) {
                    ref.run(candidateInput(reference, in), null);
                }
                cand.run(candidateInput(candidate, in), null);
                for (int k = 0; k < pairs.size(); k++) {
                    Tensor r = pairs.get(k)[0];
                    Tensor t = pairs.get(k)[1];
                    float[] f = ref != null
                            ? ref.readTensorAsFloats(r)
                            : known.values.get(r)[s];
                    sums.add(k, f, cand.readTensorAsFloats(t));
                    if (isQuantizedPerTensor(t)) {
                        sums.addClipped(k, clipped(f, cand.readTensor(t), t));
                    }
                }
            }
        }
        return sums.done();
    }

    /** True for an INT8, UINT8 or INT16 tensor with one scale and zero point. */
    static boolean isQuantizedPerTensor(Tensor t) {
        return (t.dtype() == DType.INT8 || t.dtype() == DType.UINT8 || t.dtype() == DType.INT16)
                && t.quant() != null
                && t.quant().isPerTensor();
    }

    /**
     * How many of the quantized values {@code q} (a {@code byte[]} or {@code short[]} of {@code t}'s type) are
     * clipped at the ends of the range against the reference values {@code f} (see {@link LayerError}).
     */
    static long clipped(float[] f, Object q, Tensor t) {
        long qmin = InputQuantizer.qmin(t.dtype());
        long qmax = InputQuantizer.qmax(t.dtype());
        double scale = t.quant().scale();
        long zp = t.quant().zeroPoint();
        double below = scale * (qmin - zp) - scale / 2;
        double above = scale * (qmax - zp) + scale / 2;
        long n = 0;
        for (int i = 0; i < f.length; i++) {
            long v = switch (t.dtype()) {
                case INT8 -> ((byte[]) q)[i];
                case UINT8 -> ((byte[]) q)[i] & 0xFF;
                default -> ((short[]) q)[i];
            };
            if ((v == qmin && f[i] < below) || (v == qmax && f[i] > above)) {
                n++;
            }
        }
        return n;
    }

    /** The model's source file, else its name. */
    private static String describe(Model m) {
        return m.metadata().source() != null ? m.metadata().source() : "model '" + m.name() + "'";
    }

    private static long sampleSize(Tensor t) {
        return t.shape().sampleElementCount();
    }

    /** The float sample in a model's input type: quantized with the input's parameters when integer. */
    static Object candidateInput(Model candidate, float[] in) {
        Tensor t = candidate.inputs().get(0);
        if (t.dtype() == DType.FLOAT32) {
            return in;
        }
        return InputQuantizer.quantize(in, t);
    }
}
