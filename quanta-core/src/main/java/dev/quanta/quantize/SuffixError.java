package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link HeldOutSearch}'s error E on one half of the held-out samples, for candidate simulated networks that each
 * differ from a current one only from some op k on (the range search changes one range at a time), computed by
 * running only ops k… of the candidate. Per pair p of a reference tensor and the network's tensor of that name,
 *
 * <pre>
 * E = Σ_p N_p / S_p,   S_p = Σ f²,   N_p = Σ (f − q)²      (sums over the samples; a pair with N_p = 0 adds 0)
 * </pre>
 *
 * as {@link LayerComparison}'s SQNR gives it (10^(−SQNR/10)). The pairs computed before op k keep the current
 * network's N_p; the values of the tensors computed before op k and read from it on (the frontier) are the current
 * network's, kept per sample and carried forward as k moves forward, so the ops before k run once per sample over
 * a whole search rather than once per candidate. N_p only grows sample by sample, so a candidate is dropped as soon
 * as its partial E reaches a bound it must stay below (it could not win), which is exact: the choices are those of
 * running every candidate to the end.
 */
final class SuffixError {
    private final Model reference;
    private final Dataset data;
    private final LayerComparison.ReferenceValues recorded;
    private final int threads;
    /** The reference tensor of each pair, in {@link LayerComparison#pair} order. */
    private final List<Tensor> referenceTensors = new ArrayList<>();
    /** S_p per pair. */
    private final double[] signal;

    private Model current;
    /** N_p per pair of the current network. */
    private double[] currentNoise;

    private double currentError;
    /** The op of the current network up to which its frontier values are known. */
    private int position;
    /** Names of the frontier tensors at {@link #position}. */
    private List<String> frontierNames;
    /** Per sample, the values of the frontier tensors (in {@link #frontierNames} order). */
    private Object[][] frontier;

    /** Runs of suffixes and prefixes: for tests and the report. */
    private long opsRun;

    /**
     * The error of {@code base}, the first current network.
     *
     * @param recorded the reference's values on {@code data}, covering every tensor paired with {@code base}
     */
    SuffixError(Model reference, Dataset data, LayerComparison.ReferenceValues recorded, int threads, Model base) {
        this.reference = reference;
        this.data = data;
        this.recorded = recorded;
        this.threads = threads;
        for (Object[] p : LayerComparison.pair(reference, base, LayerComparison.Matching.NAME)) {
            referenceTensors.add((Tensor) p[0]);
        }
        if (!recorded.covers(reference, data, referenceTensors)) {
            throw new IllegalArgumentException("the recorded reference values do not cover the paired tensors");
        }
        signal = new double[referenceTensors.size()];
        for (int p = 0; p < signal.length; p++) {
            for (int s = 0; s < data.size(); s++) {
                for (float f : recorded.values(referenceTensors.get(p), s)) {
                    signal[p] += (double) f * f;
                }
            }
        }
        current = base;
        reset();
        Evaluation e = run(base, 0, new double[signal.length], Double.POSITIVE_INFINITY);
        currentNoise = e.noise;
        currentError = e.error;
    }

    /**
     * E of one candidate, or of as much of it as was run.
     *
     * @param error E when complete, else a partial E at least the bound it was dropped at
     * @param complete whether every sample ran
     * @param firstChanged the first op in which it differs from the network it was compared with
     */
    record Evaluation(Model candidate, double error, boolean complete, int firstChanged, double[] noise) {}

    /** E of the current network. */
    double currentError() {
        return currentError;
    }

    /** Ops run (each op once per sample counts once), prefixes and suffixes together. */
    long opsRun() {
        return opsRun;
    }

    /**
     * E of {@code candidate} (the same rewrite as the current network with other parameters), dropped as soon as
     * its partial E is at least {@code bound}.
     */
    Evaluation evaluate(Model candidate, double bound) {
        List<Op> ops = candidate.ops();
        int k = firstDifference(current.ops(), ops);
        List<Object[]> pairs = LayerComparison.pair(reference, candidate, LayerComparison.Matching.NAME);
        boolean samePairs = pairs.size() == referenceTensors.size();
        for (int p = 0; samePairs && p < pairs.size(); p++) {
            samePairs = pairs.get(p)[0] == referenceTensors.get(p);
        }
        if (!samePairs) {
            throw new IllegalArgumentException("candidate " + candidate.name() + " pairs other tensors");
        }
        if (k == ops.size()) {
            return new Evaluation(candidate, currentError, true, k, currentNoise.clone());
        }
        if (k < position) {
            reset();
        }
        advance(k);
        return run(candidate, k, currentNoise, bound);
    }

    /** Makes {@code e}'s (complete) candidate the current network. */
    void accept(Evaluation e) {
        if (!e.complete()) {
            throw new IllegalArgumentException("only a complete evaluation can be accepted");
        }
        current = e.candidate();
        currentNoise = e.noise().clone();
        currentError = e.error();
        if (position > e.firstChanged()) {
            reset();
        }
    }

    /** Runs ops k… of {@code m} on every sample from the frontier at k, the pairs before k keeping {@code noise}. */
    private Evaluation run(Model m, int k, double[] noise, double bound) {
        List<Op> ops = m.ops();
        Map<Op, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            index.put(ops.get(i), i);
        }
        List<Object[]> pairs = LayerComparison.pair(reference, m, LayerComparison.Matching.NAME);
        double[] result = noise.clone();
        List<Integer> suffix = new ArrayList<>();
        double prefixError = 0;
        for (int p = 0; p < pairs.size(); p++) {
            if (index.get((Op) pairs.get(p)[2]) >= k) {
                suffix.add(p);
                result[p] = 0;
            } else {
                prefixError += term(p, result[p]);
            }
        }
        List<Tensor> inputs = frontier(m, k);
        Model sub = subModel(m, inputs, k, ops.size(), m.outputs());
        Interpreter.Options options =
                Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true);
        double error = prefixError;
        try (Interpreter interpreter = new Interpreter(sub, options)) {
            for (int s = 0; s < data.size(); s++) {
                interpreter.runForMultipleInputsOutputs(frontier[s], new Object[0]);
                opsRun += ops.size() - k;
                for (int p : suffix) {
                    float[] f = recorded.values((Tensor) pairs.get(p)[0], s);
                    float[] q = interpreter.readTensorAsFloats((Tensor) pairs.get(p)[1]);
                    double n = 0;
                    for (int i = 0; i < f.length; i++) {
                        double e = (double) f[i] - q[i];
                        n += e * e;
                    }
                    result[p] += n;
                }
                error = prefixError;
                for (int p : suffix) {
                    error += term(p, result[p]);
                }
                if (error >= bound) {
                    return new Evaluation(m, error, false, k, result);
                }
            }
        }
        return new Evaluation(m, error, true, k, result);
    }

    /** N_p / S_p; 0 when N_p = 0, infinite when only S_p is 0. */
    private double term(int p, double noise) {
        if (noise == 0) {
            return 0;
        }
        return signal[p] == 0 ? Double.POSITIVE_INFINITY : noise / signal[p];
    }

    /** The frontier back at the network's inputs: each sample's values. */
    private void reset() {
        position = 0;
        frontierNames = new ArrayList<>();
        for (Tensor t : current.inputs()) {
            frontierNames.add(t.name());
        }
        if (current.inputs().size() != 1) {
            throw new IllegalArgumentException(
                    "model " + current.name() + " has " + current.inputs().size() + " inputs; the search feeds one");
        }
        frontier = new Object[data.size()][];
        for (int s = 0; s < data.size(); s++) {
            float[] in = new float[data.sampleSize()];
            data.copySample(s, in, 0);
            frontier[s] = new Object[] {LayerComparison.candidateInput(current, in)};
        }
    }

    /** Runs the current network's ops from {@link #position} to {@code k} and keeps the frontier at k. */
    private void advance(int k) {
        if (k == position) {
            return;
        }
        List<Op> ops = current.ops();
        List<Tensor> inputs = frontier(current, position);
        List<Tensor> next = frontier(current, k);
        Set<Tensor> computed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Op op : ops.subList(position, k)) {
            computed.addAll(op.outputs());
        }
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor t : next) {
            if (computed.contains(t)) {
                outputs.add(t);
            }
        }
        Map<String, Integer> was = new HashMap<>();
        for (int i = 0; i < frontierNames.size(); i++) {
            was.put(frontierNames.get(i), i);
        }
        Model sub = subModel(current, inputs, position, k, outputs);
        Interpreter.Options options =
                Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true);
        Object[][] values = new Object[data.size()][];
        try (Interpreter interpreter = new Interpreter(sub, options)) {
            for (int s = 0; s < data.size(); s++) {
                interpreter.runForMultipleInputsOutputs(frontier[s], new Object[0]);
                opsRun += k - position;
                values[s] = new Object[next.size()];
                for (int i = 0; i < next.size(); i++) {
                    Tensor t = next.get(i);
                    values[s][i] = computed.contains(t)
                            ? interpreter.readTensor(t)
                            : frontier[s][Objects.requireNonNull(was.get(t.name()), t.name())];
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (Tensor t : next) {
            names.add(t.name());
        }
        frontierNames = names;
        frontier = values;
        position = k;
    }

    /**
     * The tensors of {@code m} that ops k… read and the graph inputs or ops before k compute (in the order of the
     * frontier names when k is the current position, so that the kept values line up).
     */
    private List<Tensor> frontier(Model m, int k) {
        List<Op> ops = m.ops();
        Map<String, Tensor> before = new HashMap<>();
        for (Tensor t : m.inputs()) {
            before.put(t.name(), t);
        }
        for (Op op : ops.subList(0, k)) {
            for (Tensor t : op.outputs()) {
                before.put(t.name(), t);
            }
        }
        if (k == position) {
            List<Tensor> ordered = new ArrayList<>();
            for (String name : frontierNames) {
                ordered.add(Objects.requireNonNull(before.get(name), name));
            }
            return ordered;
        }
        Set<Tensor> read = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> result = new ArrayList<>();
        for (Op op : ops.subList(k, ops.size())) {
            for (Tensor t : op.inputs()) {
                if (t != null && !t.isConstant() && before.get(t.name()) == t && read.add(t)) {
                    result.add(t);
                }
            }
        }
        return result;
    }

    /** Ops {@code [from, to)} of {@code m} as a model that takes {@code inputs}. */
    private static Model subModel(Model m, List<Tensor> inputs, int from, int to, List<Tensor> wanted) {
        List<Op> ops = m.ops().subList(from, to);
        Set<Tensor> available = Collections.newSetFromMap(new IdentityHashMap<>());
        available.addAll(inputs);
        for (Op op : ops) {
            available.addAll(op.outputs());
        }
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor t : wanted) {
            if (available.contains(t) && !inputs.contains(t)) {
                outputs.add(t);
            }
        }
        if (outputs.isEmpty()) {
            outputs.add(ops.get(ops.size() - 1).output(0));
        }
        return new Model(m.name() + " ops " + from + "-" + to, inputs, outputs, ops, m.metadata());
    }

    /**
     * The first op in which {@code b} differs from {@code a}: its type, name, tensor names, types, quantization
     * parameters or constant values; {@code a.size()} when none does.
     */
    static int firstDifference(List<Op> a, List<Op> b) {
        if (a.size() != b.size()) {
            return 0;
        }
        for (int i = 0; i < a.size(); i++) {
            Op x = a.get(i);
            Op y = b.get(i);
            if (x == y) {
                continue;
            }
            if (x.type() != y.type()
                    || !x.name().equals(y.name())
                    || (x.attributes() != y.attributes() && !x.attributes().equals(y.attributes()))
                    || !sameTensors(x.inputs(), y.inputs())
                    || !sameTensors(x.outputs(), y.outputs())) {
                return i;
            }
        }
        return a.size();
    }

    private static boolean sameTensors(List<Tensor> a, List<Tensor> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Tensor x = a.get(i);
            Tensor y = b.get(i);
            if (x == y) {
                continue;
            }
            if (x == null
                    || y == null
                    || !x.name().equals(y.name())
                    || x.dtype() != y.dtype()
                    || !x.shape().equals(y.shape())
                    || !Objects.equals(x.quant(), y.quant())
                    || x.isConstant() != y.isConstant()
                    || (x.isConstant() && !x.data().buffer().equals(y.data().buffer()))) {
                return false;
            }
        }
        return true;
    }
}
