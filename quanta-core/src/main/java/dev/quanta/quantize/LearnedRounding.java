package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.runtime.Interpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Learned rounding of int8 weights, the layer-wise objective of AdaRound (Nagel et al. 2020, "Up or Down? Adaptive
 * Rounding for Post-Training Quantization", eq. 13–14) solved over the discrete choices. The scale {@code s} of each
 * weight group stays what {@link WeightQuantizer} chose (with its guards); only the integer of each weight changes,
 * to {@code ⌊w/s⌋} or {@code ⌈w/s⌉}, clamped to {@code [−q_max, q_max]} (127, or 63 with reduce range).
 *
 * <p>For a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D layer, let x be the layer's input patch (a Dense input row;
 * a convolution's im2col patch of kh·kw·C values, zeros where the window leaves the input; a depthwise channel's
 * kh·kw patch) in the float model, and x̂ the same patch in the quantized model (its {@link SimulatedQuantization}:
 * every earlier layer's weight and activation rounding included), over the
 * calibration samples and every output position. This is AdaRound's asymmetric reconstruction (its eq. 25): the
 * quantized layer on the inputs it will really see, against the float layer on the float inputs. With
 * {@code H = E[x̂ x̂ᵀ]}, {@code C = E[x̂ (x̂ − x)ᵀ]}, {@code D = E[(x̂ − x)(x̂ − x)ᵀ]} (K×K each per layer, per input
 * channel for depthwise) and, for output channel c with float weights w, the rounding error {@code d = s·q − w}:
 *
 * <pre>
 * E[(ŵ·x̂ − w·x)²] = dᵀ H d + 2·dᵀ(C w) + wᵀ D w          (the expected squared output error of channel c)
 * minimise  dᵀ (H + λI) d + 2·dᵀ(C w)   over q_i ∈ {⌊w_i/s⌋, ⌈w_i/s⌉},   λ = 0.01 · mean(diag H)
 * </pre>
 *
 * Layers are learned in graph order, x̂ from the model with the rounding already learned for the layers before (one pass over
 * the calibration data per layer): taking x̂ from nearest rounding everywhere made each layer compensate errors its
 * predecessors had already reduced, and IC's output error doubled.
 *
 * <p>The damping λ keeps a matrix estimated from few samples (rank at most the number of patches) from rewarding
 * rounding errors along directions the data never showed; C w is left undamped. The search is local, from two starts: nearest rounding,
 * and Babai's nearest plane ({@link #babai}, the rounding GPTQ does, with the Cholesky factor of H + λI, towards
 * the unconstrained minimum). From each,
 * single flips of a weight to its other choice while one lowers the objective; with {@code g = (H + λI) d + C w} a flip of
 * weight i by {@code δ = ±s} changes it by exactly {@code Δ_i = 2δ·g_i + δ²·(H_ii + λ)}, after which
 * {@code g += δ·(H + λI)e_i}; when no single flip helps, the best pair flip ({@code Δ_i + Δ_j + 2δ_iδ_j·H_ij}, for
 * K ≤ {@link #PAIR_MAX_TAPS}), then single flips again, until neither helps. The lower of the two ends is kept. Every
 * step lowers the damped objective and nearest rounding has the least {@code ‖d‖²}, so the undamped objective is
 * never above nearest's. On 300 random channels of K ≤ 10 it finds the optimum over all 2^K roundings
 * in 285, and is 1.78 × it at worst (LearnedRoundingTest).
 *
 * <p>A held-out check guards against learning the calibration samples rather than the layer: the matrices are
 * accumulated apart for the even and the odd samples; rounding learned with the even samples' must lower the
 * objective under the odd samples', else the layer keeps nearest rounding (a report line says so). The rounding applied is then learned
 * with the matrices of all samples.
 *
 * <p>The result is applied as float weights: each changed weight becomes {@code s·q} (its magnitude capped at the
 * group's max |w|, which stays as it was), which the weight quantizer's nearest rounding maps back to q at the same
 * scale; every layer is checked to encode so, else left as it was. A weight equal in magnitude to its group's max |w|
 * keeps its rounding, so the scales do not change. Where the bias-range guard later enlarges a channel's scale (weights
 * about zero next to their bias), that channel rounds to nearest at its new scale.
 *
 * <p>Layers whose K exceeds {@link #MAX_TAPS} are skipped with a report line rather than allocate a huge matrix;
 * the others are accumulated one layer per pass over the calibration data (six K×K: H, C and D of the even and the
 * odd samples, 768 MiB at K = 4096).
 */
final class LearnedRounding {
    /** The largest patch length K accumulated (a K×K matrix of doubles: 128 MiB at 4096). */
    static final int MAX_TAPS = 4096;
    /** The damping factor: λ = DAMPING · mean(diag H). */
    static final double DAMPING = 0.01;
    /** The most sweeps of single flips per channel. */
    static final int MAX_SWEEPS = 100;
    /** The largest K whose channels are also searched by pair flips (K² per search round). */
    static final int PAIR_MAX_TAPS = 1024;
    /** Patches collected before they are added to H. */
    private static final int ROWS_PER_UPDATE = 64;

    private LearnedRounding() {}

    /**
     * One layer's outcome: the objective {@code Σ_c dᵀHd} (H undamped) with nearest rounding and with the learned
     * one, and how many of its weights round the other way.
     */
    record LayerResult(
            String layer,
            OpType op,
            int channels,
            int taps,
            double nearest,
            double learned,
            int flipped,
            int weights) {}

    /**
     * The learned weights (float, by weight tensor name, as described above), the report lines and each layer's
     * objective.
     */
    record Result(Map<String, Tensor> weights, List<String> lines, List<LayerResult> layers) {
        Result {
            weights = Map.copyOf(weights);
            lines = List.copyOf(lines);
            layers = List.copyOf(layers);
        }

        /** {@code m} with each learned weight tensor in place of the float one of the same name. */
        Model applyTo(Model m) {
            if (weights.isEmpty()) {
                return m;
            }
            List<Op> ops = new ArrayList<>(m.ops());
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                if (op.inputs().size() > 1 && weights.containsKey(op.input(1).name())) {
                    ops.set(i, withWeights(op, weights.get(op.input(1).name())));
                }
            }
            return new Model(m.name(), m.inputs(), m.outputs(), ops, m.metadata());
        }
    }

    /**
     * Learns the rounding of every FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with float input and constant
     * float weights in {@code model}, but the layers kept in float, on the first {@code config.calibrationSamples()}
     * samples of {@code data}, layer
     * after layer in graph order, each layer's inputs x̂ taken from {@code quantizedInputs} of the model with the
     * rounding learned so far (the {@link SimulatedQuantization} of it quantized: the op of the same name reads x̂),
     * against the float target W·x: the objective is {@code E[(Ŵ·x̂ − W·x)[c]²]}. One pass over the calibration data
     * per layer.
     *
     * @param config the settings with the mode chosen (int8 or int16x8)
     * @param perChannel per weight tensor name, per-channel (true) or per-tensor (false) weights where chosen
     */
    static Result apply(
            Model model,
            UnaryOperator<Model> quantizedInputs,
            Dataset data,
            QuantizationConfig config,
            Map<String, Boolean> perChannel) {
        WeightQuantizer quantizer = new WeightQuantizer(config, perChannel);
        int qmax = config.reduceRange() && config.mode() == QuantizationMode.INT8 ? 63 : 127;
        Map<String, Integer> uses = new HashMap<>();
        for (Op op : model.ops()) {
            for (Tensor t : op.inputs()) {
                if (t != null && t.isConstant()) {
                    uses.merge(t.name(), 1, Integer::sum);
                }
            }
        }
        List<String> lines = new ArrayList<>();
        List<Gram> grams = new ArrayList<>();
        for (Op op : model.ops()) {
            if (!isCandidate(op, config)) {
                continue;
            }
            String name = QuantizationReport.shorten(op.origin().layerName()) + " (" + op.type() + ")";
            Tensor w = op.input(1);
            Tensor encoded = quantizer.weightsAndBias(op, null).weights();
            if (encoded.dtype() != DType.INT8 || encoded.quant().zeroPoints()[0] != 0) {
                lines.add(name + ": skipped, weights are not symmetric int8");
                continue;
            }
            if (uses.getOrDefault(w.name(), 0) > 1) {
                lines.add(name + ": skipped, its weights '" + w.name() + "' are shared with another layer");
                continue;
            }
            Gram g = new Gram(op, name, encoded);
            if (g.taps > MAX_TAPS) {
                lines.add(String.format(
                        Locale.ROOT,
                        "%s: skipped, %d inputs per output (at most %d: its %d×%d matrix would take %d MiB)",
                        name,
                        g.taps,
                        MAX_TAPS,
                        g.taps,
                        g.taps,
                        (long) g.taps * g.taps * 8 >> 20));
                continue;
            }
            grams.add(g);
        }
        int n = Math.min(config.calibrationSamples(), data.size());
        Map<String, Tensor> learned = new LinkedHashMap<>();
        List<LayerResult> results = new ArrayList<>();
        // one pass over the data per layer: a layer's x̂ depends on the rounding learned before it
        for (Gram g : grams) {
            g.allocate();
            // both models run only through the layer: the ops after it cannot change its input
            Model simulatedModel = quantizedInputs.apply(new Result(learned, List.of(), List.of()).applyTo(model));
            try (QuantizedInputs simulated =
                    new QuantizedInputs(throughOp(simulatedModel, g.op.name()), data, config)) {
                CalibrationBatches.run(
                        throughOp(model, g.op.name()), data, n, config.calibrationThreads(), (it, s, count) -> {
                            simulated.run(s, count);
                            float[] x = (float[]) it.readTensor(g.op.input(0));
                            g.add(x, simulated.input(g.op), it.tensorShape(g.op.input(0)), s);
                        });
            }
            g.finish();
            solveLayer(g, quantizer, qmax, learned, results, lines);
            g.release();
        }
        return new Result(learned, lines, results);
    }

    /**
     * {@code m} up to and including its first op named {@code opName}, whose output becomes the only graph output (the
     * ops are in graph order, so none after it feeds it), or {@code m} when no op has that name.
     */
    static Model throughOp(Model m, String opName) {
        List<Op> ops = m.ops();
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).name().equals(opName)) {
                return new Model(
                        m.name(), m.inputs(), List.of(ops.get(i).output(0)), ops.subList(0, i + 1), m.metadata());
            }
        }
        return m;
    }

    /** The simulated quantized model run on the same batches: each layer's input x̂. */
    private static final class QuantizedInputs implements AutoCloseable {
        private final Model model;
        private final Dataset data;
        private final Interpreter interpreter;
        private final Map<String, Op> byName = new HashMap<>();
        private float[] batch = new float[0];

        QuantizedInputs(Model model, Dataset data, QuantizationConfig config) {
            this.model = model;
            this.data = data;
            this.interpreter = new Interpreter(
                    model,
                    Interpreter.Options.defaults()
                            .withNumThreads(config.calibrationThreads())
                            .withPreserveAllTensors(true));
            for (Op op : model.ops()) {
                byName.putIfAbsent(op.name(), op);
            }
        }

        void run(int first, int count) {
            Tensor input = model.inputs().get(0);
            int size = input.shape().sampleElementCount();
            if (batch.length != count * size) {
                int[] dims = input.shape().dims();
                dims[0] = count;
                interpreter.resizeInput(0, dims);
                batch = new float[count * size];
            }
            data.copyBatch(first, count, batch);
            interpreter.runForMultipleInputsOutputs(new Object[] {batch}, new Object[0]);
        }

        /** x̂ of {@code op}, or null when the simulated model has no op of its name reading a float input. */
        float[] input(Op op) {
            Op simulated = byName.get(op.name());
            if (simulated == null || simulated.input(0).dtype() != DType.FLOAT32) {
                return null;
            }
            return (float[]) interpreter.readTensor(simulated.input(0));
        }

        @Override
        public void close() {
            interpreter.close();
        }
    }

    /** A layer to learn the rounding of: not one kept in float ({@link QuantizationConfig#floatLayers()}). */
    private static boolean isCandidate(Op op, QuantizationConfig config) {
        if (op.type() != OpType.FULLY_CONNECTED
                && op.type() != OpType.CONV_2D
                && op.type() != OpType.DEPTHWISE_CONV_2D) {
            return false;
        }
        if (op.inputs().size() < 2 || op.input(0) == null || op.input(1) == null) {
            return false;
        }
        Tensor w = op.input(1);
        return op.input(0).dtype() == DType.FLOAT32
                && !op.input(0).isConstant()
                && w.isConstant()
                && w.dtype() == DType.FLOAT32
                && !config.floatLayers().contains(op.origin().layerName());
    }

    private static Op withWeights(Op op, Tensor w) {
        List<Tensor> inputs = new ArrayList<>(op.inputs());
        inputs.set(1, w);
        return new Op(op.name(), op.type(), inputs, op.outputs(), op.attributes(), op.origin());
    }

    /** A layer's output channels: per channel its K weights, nearest integers, their alternatives and scale. */
    private record Channels(double[][] weights, int[][] nearest, int[][] alternative, double[] scale) {}

    /** The element index of tap {@code t} of output channel {@code c} in the weights (K taps, C channels). */
    private static int element(boolean depthwise, int channels, int k, int c, int t) {
        return depthwise ? t * channels + c : c * k + t;
    }

    /**
     * Per channel, the integers learned with {@code g}'s matrices of {@code set} (starting from nearest), and the
     * objective totals before and after on the matrices of {@code measure}: {@code totals[0]} nearest's,
     * {@code totals[1]} the learned one's.
     */
    private static int[][] learn(Gram g, int set, int measure, Channels ch, boolean depthwise, double[] totals) {
        int channels = ch.weights().length;
        int[][] learned = new int[channels][];
        for (int c = 0; c < channels; c++) {
            int gi = depthwise ? g.groupOf(c) : 0;
            int[] q = ch.nearest()[c].clone();
            int[] alternative = ch.alternative()[c].clone();
            double[] b = g.linear(set, gi, ch.weights()[c]);
            solve(
                    g.matrix(set, gi),
                    b,
                    g.damping(set, gi),
                    g.factor(set, gi),
                    g.taps,
                    ch.weights()[c],
                    q,
                    alternative,
                    ch.scale()[c]);
            learned[c] = q;
            double[] hm = g.matrix(measure, gi);
            // C·w of the matrices measured on: those learned with when they are the same
            double[] bm = measure == set ? b : g.linear(measure, gi, ch.weights()[c]);
            double constant = g.constant(measure, gi, ch.weights()[c]);
            totals[0] += constant + objective(hm, bm, g.taps, ch.weights()[c], ch.nearest()[c], ch.scale()[c]);
            totals[1] += constant + objective(hm, bm, g.taps, ch.weights()[c], q, ch.scale()[c]);
        }
        return learned;
    }

    /**
     * Learns the rounding of {@code g}'s layer, keeps it where rounding learned on the even calibration samples also
     * lowers the objective on the odd ones, checks the encoding and records the outcome.
     */
    private static void solveLayer(
            Gram g,
            WeightQuantizer quantizer,
            int qmax,
            Map<String, Tensor> learned,
            List<LayerResult> results,
            List<String> lines) {
        Op op = g.op;
        String name = g.name;
        Tensor w = op.input(1);
        float[] v = w.data().floats();
        byte[] nearest = g.encoded.data().bytes();
        QuantParams p = g.encoded.quant();
        boolean depthwise = op.type() == OpType.DEPTHWISE_CONV_2D;
        int channels = w.shape().dim(WeightClipping.channelAxis(op));
        int k = g.taps;
        // the max |w| of each scale group: per channel or the whole tensor
        float[] absMax = new float[p.isPerTensor() ? 1 : channels];
        for (int e = 0; e < v.length; e++) {
            int c = p.isPerTensor() ? 0 : depthwise ? e % channels : e / k;
            absMax[c] = Math.max(absMax[c], Math.abs(v[e]));
        }
        Channels ch =
                new Channels(new double[channels][k], new int[channels][k], new int[channels][k], new double[channels]);
        for (int c = 0; c < channels; c++) {
            int group = p.isPerTensor() ? 0 : c;
            double s = p.scales()[group];
            ch.scale()[c] = s;
            for (int t = 0; t < k; t++) {
                int e = element(depthwise, channels, k, c, t);
                ch.weights()[c][t] = v[e];
                int q = nearest[e];
                ch.nearest()[c][t] = q;
                double r = v[e] / s;
                int lo = (int) Math.max(-qmax, Math.min(qmax, Math.floor(r)));
                int hi = (int) Math.max(-qmax, Math.min(qmax, Math.ceil(r)));
                // the group's largest weights keep their rounding: they set the scale
                ch.alternative()[c][t] = Math.abs(v[e]) == absMax[group] ? q : q == lo ? hi : lo;
            }
        }
        String heldOut = "";
        if (g.hasHeldOut()) {
            double[] odd = new double[2];
            learn(g, Gram.EVEN, Gram.ODD, ch, depthwise, odd);
            heldOut = String.format(
                    Locale.ROOT,
                    "; held out (learned on the even samples, measured on the odd) %.4g → %.4g",
                    odd[0],
                    odd[1]);
            if (!(odd[1] < odd[0])) {
                lines.add(name + ": kept nearest rounding" + heldOut.replace("; held out", ", as held out"));
                return;
            }
        }
        g.combine();
        double[] totals = new double[2];
        int[][] q = learn(g, Gram.ALL, Gram.ALL, ch, depthwise, totals);
        float[] updated = v.clone();
        byte[] rounded = nearest.clone();
        int flipped = 0;
        for (int c = 0; c < channels; c++) {
            float cap = absMax[p.isPerTensor() ? 0 : c];
            for (int t = 0; t < k; t++) {
                int e = element(depthwise, channels, k, c, t);
                if (q[c][t] != nearest[e]) {
                    flipped++;
                    rounded[e] = (byte) q[c][t];
                    float dequantized = (float) (ch.scale()[c] * q[c][t]);
                    updated[e] = Math.copySign(Math.min(Math.abs(dequantized), cap), dequantized);
                }
            }
        }
        if (flipped > 0) {
            Tensor t = new Tensor(w.name(), w.shape(), w.dtype(), TensorData.ofFloats(updated), null, w.trainable());
            // the learned weights must encode to the learned integers at the same scales
            Tensor check = quantizer.weightsAndBias(withWeights(op, t), null).weights();
            if (!check.quant().equals(p) || !Arrays.equals(check.data().bytes(), rounded)) {
                lines.add(name + ": kept nearest rounding, the learned weights did not encode at the same scales");
                return;
            }
            learned.put(w.name(), t);
        }
        results.add(new LayerResult(
                op.origin().layerName(), op.type(), channels, k, totals[0], totals[1], flipped, v.length));
        lines.add(String.format(
                Locale.ROOT,
                "%s: output error E‖Ŵ·x̂ − W·x‖² %.4g → %.4g (%+.1f%%), %d of %d weights rounded the other way, %d channels "
                        + "× %d inputs%s",
                name,
                totals[0],
                totals[1],
                totals[0] == 0 ? 0 : 100 * (totals[1] - totals[0]) / totals[0],
                flipped,
                v.length,
                channels,
                k,
                heldOut));
    }

    /** {@code dᵀ H d} with {@code d = s·q − w}. */
    static double objective(double[] h, int k, double[] w, int[] q, double s) {
        return objective(h, null, k, w, q, s);
    }

    /** {@code dᵀ H d + 2·dᵀb} with {@code d = s·q − w} ({@code b} null for none). */
    static double objective(double[] h, double[] b, int k, double[] w, int[] q, double s) {
        double[] d = new double[k];
        for (int i = 0; i < k; i++) {
            d[i] = s * q[i] - w[i];
        }
        double f = 0;
        for (int i = 0; i < k; i++) {
            double row = 0;
            int hi = i * k;
            for (int j = 0; j < k; j++) {
                row += h[hi + j] * d[j];
            }
            f += d[i] * (row + (b == null ? 0 : 2 * b[i]));
        }
        return f;
    }

    /**
     * The better (by {@code dᵀ(H + λI)d}) of two searches by {@link #solveChannel single flips}: from {@code q}
     * (nearest rounding) and from Babai's nearest-plane rounding with {@code R} ({@link #babai}); {@code q} and
     * {@code alternative} take the result.
     *
     * @param r the upper Cholesky factor of H + λI, K×K row-major, or null to search from q only
     */
    static void solve(double[] h, double lambda, double[] r, int k, double[] w, int[] q, int[] alternative, double s) {
        solve(h, null, lambda, r, k, w, q, alternative, s);
    }

    /**
     * As above for {@code dᵀ(H + λI)d + 2·dᵀb}: Babai's rounding then runs on {@code w + d*}, the unconstrained
     * minimum {@code d* = −(H + λI)⁻¹b} moved into the target, since the objective is {@code (d − d*)ᵀ(H + λI)(d − d*)}
     * up to a constant.
     */
    static void solve(
            double[] h,
            double[] b,
            double lambda,
            double[] r,
            int k,
            double[] w,
            int[] q,
            int[] alternative,
            double s) {
        int[] fromBabai = null;
        int[] babaiAlternative = null;
        if (r != null) {
            fromBabai = q.clone();
            babaiAlternative = alternative.clone();
            double[] target = w;
            if (b != null) {
                double[] shift = choleskySolve(r, k, b);
                target = new double[k];
                for (int i = 0; i < k; i++) {
                    target[i] = w[i] - shift[i];
                }
            }
            babai(r, k, target, fromBabai, babaiAlternative, s);
            solveChannel(h, b, lambda, k, w, fromBabai, babaiAlternative, s);
        }
        solveChannel(h, b, lambda, k, w, q, alternative, s);
        if (fromBabai != null
                && dampedObjective(h, b, lambda, k, w, fromBabai, s) < dampedObjective(h, b, lambda, k, w, q, s)) {
            System.arraycopy(fromBabai, 0, q, 0, k);
            System.arraycopy(babaiAlternative, 0, alternative, 0, k);
        }
    }

    private static double dampedObjective(double[] h, double[] b, double lambda, int k, double[] w, int[] q, double s) {
        double f = objective(h, b, k, w, q, s);
        for (int i = 0; i < k; i++) {
            double d = s * q[i] - w[i];
            f += lambda * d * d;
        }
        return f;
    }

    /**
     * Babai's nearest plane over the choices: with {@code H + λI = RᵀR} (R upper triangular), {@code dᵀ(H + λI)d =
     * Σ_i (R_ii·d_i + Σ_{j>i} R_ij·d_j)²}; for i from K−1 down to 0, the d_j (j > i) already chosen, d_i takes the
     * choice (q_i or alternative_i) that brings term i nearest to zero. GPTQ's rounding is this algorithm.
     */
    static void babai(double[] r, int k, double[] w, int[] q, int[] alternative, double s) {
        double[] d = new double[k];
        for (int i = k - 1; i >= 0; i--) {
            double rest = 0;
            int ri = i * k;
            for (int j = i + 1; j < k; j++) {
                rest += r[ri + j] * d[j];
            }
            double keep = r[ri + i] * (s * q[i] - w[i]) + rest;
            double other = r[ri + i] * (s * alternative[i] - w[i]) + rest;
            if (Math.abs(other) < Math.abs(keep)) {
                int was = q[i];
                q[i] = alternative[i];
                alternative[i] = was;
            }
            d[i] = s * q[i] - w[i];
        }
    }

    /** x with {@code RᵀR·x = b}: {@code Rᵀy = b} forward, then {@code R·x = y} backward. */
    static double[] choleskySolve(double[] r, int k, double[] b) {
        double[] y = new double[k];
        for (int i = 0; i < k; i++) {
            double sum = b[i];
            for (int j = 0; j < i; j++) {
                sum -= r[j * k + i] * y[j];
            }
            y[i] = sum / r[i * k + i];
        }
        double[] x = new double[k];
        for (int i = k - 1; i >= 0; i--) {
            double sum = y[i];
            int ri = i * k;
            for (int j = i + 1; j < k; j++) {
                sum -= r[ri + j] * x[j];
            }
            x[i] = sum / r[ri + i];
        }
        return x;
    }

    /**
     * The upper triangular R with {@code RᵀR = H + λI} (K×K row-major), or null when that is not positive definite
     * in floating point.
     */
    static double[] upperCholesky(double[] h, double lambda, int k) {
        // lower L with L·Lᵀ = A, row by row (rows contiguous), then R = Lᵀ
        double[] l = new double[k * k];
        for (int i = 0; i < k; i++) {
            int li = i * k;
            for (int j = 0; j <= i; j++) {
                int lj = j * k;
                double sum = h[li + j] + (i == j ? lambda : 0);
                for (int m = 0; m < j; m++) {
                    sum -= l[li + m] * l[lj + m];
                }
                if (i == j) {
                    if (!(sum > 0)) {
                        return null;
                    }
                    l[li + i] = Math.sqrt(sum);
                } else {
                    l[li + j] = sum / l[lj + j];
                }
            }
        }
        double[] r = new double[k * k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j <= i; j++) {
                r[j * k + i] = l[i * k + j];
            }
        }
        return r;
    }

    /**
     * Minimises {@code dᵀ(H + λI)d + 2·dᵀb} ({@code b} null for none), {@code d = s·q − w}, by single flips of
     * {@code q_i} to {@code alternative_i} (which takes the value q_i had, so a weight can flip back), from the given
     * q: the flips see {@code g = (H + λI)d + b}.
     *
     * @param h K×K symmetric, row-major
     */
    static void solveChannel(
            double[] h, double[] b, double lambda, int k, double[] w, int[] q, int[] alternative, double s) {
        double[] g = new double[k];
        double[] d = new double[k];
        for (int i = 0; i < k; i++) {
            d[i] = s * q[i] - w[i];
        }
        double scaleOfObjective = 0;
        for (int i = 0; i < k; i++) {
            double row = lambda * d[i];
            int hi = i * k;
            for (int j = 0; j < k; j++) {
                row += h[hi + j] * d[j];
            }
            g[i] = row + (b == null ? 0 : b[i]);
            scaleOfObjective += Math.abs(d[i] * row) + (b == null ? 0 : Math.abs(2 * d[i] * b[i]));
        }
        // a flip must gain more than rounding noise, so that sweeps end
        double tolerance = 1e-12 * scaleOfObjective;
        for (int round = 0; round < MAX_SWEEPS; round++) {
            singleFlips(h, lambda, k, q, alternative, s, g, tolerance);
            if (k > PAIR_MAX_TAPS || !pairFlip(h, lambda, k, q, alternative, s, g, tolerance)) {
                break;
            }
        }
    }

    /** Sweeps of single flips until none gains more than {@code tolerance}; g = (H + λI)d is kept up to date. */
    private static void singleFlips(
            double[] h, double lambda, int k, int[] q, int[] alternative, double s, double[] g, double tolerance) {
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean any = false;
            for (int i = 0; i < k; i++) {
                if (alternative[i] == q[i]) {
                    continue;
                }
                double delta = s * (alternative[i] - q[i]);
                double gain = 2 * delta * g[i] + delta * delta * (h[i * k + i] + lambda);
                if (gain < -tolerance) {
                    flip(h, lambda, k, q, alternative, i, delta, g);
                    any = true;
                }
            }
            if (!any) {
                return;
            }
        }
    }

    /**
     * Flips the pair (i, j) that lowers the objective most, if any gains more than {@code tolerance}: by
     * {@code Δ_i + Δ_j + 2·δ_i·δ_j·H_ij}, with {@code Δ_i = 2δ_i·g_i + δ_i²·(H_ii + λ)} the change of flipping i alone.
     */
    private static boolean pairFlip(
            double[] h, double lambda, int k, int[] q, int[] alternative, double s, double[] g, double tolerance) {
        double[] delta = new double[k];
        double[] single = new double[k];
        for (int i = 0; i < k; i++) {
            delta[i] = s * (alternative[i] - q[i]);
            single[i] = 2 * delta[i] * g[i] + delta[i] * delta[i] * (h[i * k + i] + lambda);
        }
        double best = -tolerance;
        int bi = -1;
        int bj = -1;
        for (int i = 0; i < k; i++) {
            if (delta[i] == 0) {
                continue;
            }
            int hi = i * k;
            for (int j = i + 1; j < k; j++) {
                double change = single[i] + single[j] + 2 * delta[i] * delta[j] * h[hi + j];
                if (change < best && delta[j] != 0) {
                    best = change;
                    bi = i;
                    bj = j;
                }
            }
        }
        if (bi < 0) {
            return false;
        }
        flip(h, lambda, k, q, alternative, bi, delta[bi], g);
        flip(h, lambda, k, q, alternative, bj, delta[bj], g);
        return true;
    }

    /** Moves q_i to its alternative (d_i by {@code delta}) and updates g = (H + λI)d. */
    private static void flip(
            double[] h, double lambda, int k, int[] q, int[] alternative, int i, double delta, double[] g) {
        int was = q[i];
        q[i] = alternative[i];
        alternative[i] = was;
        int hi = i * k;
        for (int j = 0; j < k; j++) {
            g[j] += delta * h[hi + j];
        }
        g[i] += delta * lambda;
    }

    /**
     * The second moments of one layer's input patches: {@code H = E[x̂ x̂ᵀ]}, {@code C = E[x̂ (x̂ − x)ᵀ]} and
     * {@code D = E[(x̂ − x)(x̂ − x)ᵀ]}: one K×K each for Dense and convolutions, one per input
     * channel (K = kh·kw) for depthwise; kept apart for the even and the odd calibration samples ({@link #EVEN},
     * {@link #ODD}) until {@link #combine()} makes those of all ({@link #ALL}). For output channel weights w, the
     * objective {@code E[((w + d)·x̂ − w·x)²] = dᵀHd + 2·dᵀ(C·w) + wᵀDw}.
     */
    static final class Gram {
        static final int EVEN = 0;
        static final int ODD = 1;
        /** After {@link #combine()}: where the even matrices were. */
        static final int ALL = 0;

        final Op op;
        /** The layer's name in report lines. */
        final String name;
        /** Its weights as the weight quantizer encodes them: nearest rounding. */
        final Tensor encoded;

        final int taps;

        private final int groups;
        /** Depthwise: output channels per input channel. */
        private final int multiplier;

        private final int kh;
        private final int kw;
        private final int sh;
        private final int sw;
        private final int dh;
        private final int dw;
        private final Padding padding;
        /** [set][group]: K×K row-major; H and D hold their lower triangles while accumulating. */
        private double[][][] h;

        private double[][][] cross;
        private double[][][] drift;
        private double[][] damping;
        private double[][][] factors;
        /** Per set: collected patches of x̂ and of x̂ − x, and how many. */
        private double[][] block;

        private double[][] diffBlock;
        private int[] filled;
        private final long[] rows = new long[2];

        Gram(Op op, String name, Tensor encoded) {
            this.op = op;
            this.name = name;
            this.encoded = encoded;
            int[] wd = op.input(1).shape().dims();
            switch (op.type()) {
                case FULLY_CONNECTED -> {
                    taps = wd[1];
                    groups = 1;
                    multiplier = 1;
                    kh = kw = sh = sw = dh = dw = 1;
                    padding = Padding.VALID;
                }
                case CONV_2D, DEPTHWISE_CONV_2D -> {
                    OpAttributes.Convolution a = (OpAttributes.Convolution) op.attributes();
                    kh = wd[1];
                    kw = wd[2];
                    sh = a.strideH();
                    sw = a.strideW();
                    dh = a.dilationH();
                    dw = a.dilationW();
                    padding = a.padding();
                    if (op.type() == OpType.CONV_2D) {
                        taps = kh * kw * wd[3];
                        groups = 1;
                        multiplier = 1;
                    } else {
                        taps = kh * kw;
                        int in = op.input(0).shape().dim(op.input(0).shape().rank() - 1);
                        groups = in;
                        multiplier = Math.max(1, wd[3] / Math.max(1, in));
                    }
                }
                default -> throw new IllegalArgumentException(op.type().name());
            }
        }

        int groupOf(int outputChannel) {
            return outputChannel / multiplier;
        }

        void allocate() {
            h = new double[2][groups][taps * taps];
            int blockLength = groups == 1 ? ROWS_PER_UPDATE * taps : 0;
            block = new double[2][blockLength];
            cross = new double[2][groups][taps * taps];
            drift = new double[2][groups][taps * taps];
            diffBlock = new double[2][blockLength];
            filled = new int[2];
        }

        void release() {
            h = null;
            cross = null;
            drift = null;
            factors = null;
            block = null;
            diffBlock = null;
        }

        /** True when both the even and the odd samples gave patches. */
        boolean hasHeldOut() {
            return rows[EVEN] > 0 && rows[ODD] > 0;
        }

        double[] matrix(int set, int group) {
            return h[set][group];
        }

        /** {@code C·w} of a channel's weights. */
        double[] linear(int set, int group, double[] w) {
            double[] c = cross[set][group];
            double[] b = new double[taps];
            for (int i = 0; i < taps; i++) {
                double sum = 0;
                int ci = i * taps;
                for (int j = 0; j < taps; j++) {
                    sum += c[ci + j] * w[j];
                }
                b[i] = sum;
            }
            return b;
        }

        /** {@code wᵀDw}, the error of a channel's float weights on x̂. */
        double constant(int set, int group, double[] w) {
            double[] m = drift[set][group];
            double f = 0;
            for (int i = 0; i < taps; i++) {
                double row = 0;
                for (int j = 0; j < taps; j++) {
                    row += m[i * taps + j] * w[j];
                }
                f += w[i] * row;
            }
            return f;
        }

        double damping(int set, int group) {
            return damping[set][group];
        }

        /** The Cholesky factor of a damped matrix ({@link #upperCholesky}), made once, or null. */
        double[] factor(int set, int group) {
            if (factors[set][group] == null) {
                double[] r = upperCholesky(h[set][group], damping[set][group], taps);
                factors[set][group] = r != null ? r : new double[0];
            }
            return factors[set][group].length == 0 ? null : factors[set][group];
        }

        /**
         * Adds the patches of one batch of inputs {@code x} (and x̂, or null when the simulated model has none) of shape {@code dims} (the
         * batch first), whose first sample is calibration sample {@code first}.
         */
        void add(float[] x, float[] xHat, int[] dims, int first) {
            float[] hat = xHat != null ? xHat : x;
            switch (op.type()) {
                case FULLY_CONNECTED -> {
                    int n = x.length / taps;
                    int perSample = Math.max(1, n / Math.max(1, dims[0]));
                    for (int r = 0; r < n; r++) {
                        int set = (first + r / perSample) % 2;
                        int base = filled[set] * taps;
                        for (int i = 0; i < taps; i++) {
                            block[set][base + i] = hat[r * taps + i];
                            diffBlock[set][base + i] = hat[r * taps + i] - (double) x[r * taps + i];
                        }
                        rowAdded(set);
                    }
                }
                case CONV_2D -> convolutionPatches(x, hat, dims, first);
                default -> depthwisePatches(x, hat, dims, first);
            }
            flush(EVEN);
            flush(ODD);
        }

        private void rowAdded(int set) {
            if (++filled[set] == ROWS_PER_UPDATE) {
                flush(set);
            }
        }

        private void convolutionPatches(float[] x, float[] hat, int[] dims, int first) {
            int n = dims[0];
            int inH = dims[1];
            int inW = dims[2];
            int c = dims[3];
            int outH = padding.outputSize(inH, kh, sh, dh);
            int outW = padding.outputSize(inW, kw, sw, dw);
            int padT = padding.padBefore(inH, kh, sh, dh);
            int padL = padding.padBefore(inW, kw, sw, dw);
            for (int b = 0; b < n; b++) {
                int set = (first + b) % 2;
                double[] blk = block[set];
                double[] diff = diffBlock[set];
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        int base = filled[set] * taps;
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * sh - padT + ky * dh;
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * sw - padL + kx * dw;
                                int dst = base + (ky * kw + kx) * c;
                                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
                                    Arrays.fill(blk, dst, dst + c, 0);
                                    Arrays.fill(diff, dst, dst + c, 0);
                                } else {
                                    int src = ((b * inH + iy) * inW + ix) * c;
                                    for (int ch = 0; ch < c; ch++) {
                                        blk[dst + ch] = hat[src + ch];
                                        diff[dst + ch] = hat[src + ch] - (double) x[src + ch];
                                    }
                                }
                            }
                        }
                        rowAdded(set);
                    }
                }
            }
        }

        private void depthwisePatches(float[] x, float[] hat, int[] dims, int first) {
            int n = dims[0];
            int inH = dims[1];
            int inW = dims[2];
            int c = dims[3];
            int outH = padding.outputSize(inH, kh, sh, dh);
            int outW = padding.outputSize(inW, kw, sw, dw);
            int padT = padding.padBefore(inH, kh, sh, dh);
            int padL = padding.padBefore(inW, kw, sw, dw);
            double[] patch = new double[taps];
            double[] diff = new double[taps];
            for (int b = 0; b < n; b++) {
                int set = (first + b) % 2;
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        for (int ch = 0; ch < c; ch++) {
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * sh - padT + ky * dh;
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * sw - padL + kx * dw;
                                    boolean outside = iy < 0 || iy >= inH || ix < 0 || ix >= inW;
                                    int src = ((b * inH + iy) * inW + ix) * c + ch;
                                    patch[ky * kw + kx] = outside ? 0 : hat[src];
                                    diff[ky * kw + kx] = outside ? 0 : hat[src] - (double) x[src];
                                }
                            }
                            update(h[set][ch], cross[set][ch], drift[set][ch], patch, 0, diff, 0);
                        }
                        rows[set]++;
                    }
                }
            }
        }

        /**
         * Adds one patch p (x̂, at {@code p[po..]}) and its {@code e = x̂ − x} (at {@code e[eo..]}): the lower triangle
         * of H by p·pᵀ, C by p·eᵀ and the lower triangle of D by e·eᵀ.
         */
        private void update(double[] hg, double[] cg, double[] dg, double[] p, int po, double[] e, int eo) {
            int k = taps;
            for (int i = 0; i < k; i++) {
                double xi = p[po + i];
                int hi = i * k;
                if (xi != 0) {
                    for (int j = 0; j <= i; j++) {
                        hg[hi + j] += xi * p[po + j];
                    }
                    for (int j = 0; j < k; j++) {
                        cg[hi + j] += xi * e[eo + j];
                    }
                }
                double ei = e[eo + i];
                if (ei != 0) {
                    for (int j = 0; j <= i; j++) {
                        dg[hi + j] += ei * e[eo + j];
                    }
                }
            }
        }

        /** Adds the collected patches of {@code set} to its matrices. */
        private void flush(int set) {
            int count = filled[set];
            if (count == 0) {
                return;
            }
            for (int r = 0; r < count; r++) {
                update(h[set][0], cross[set][0], drift[set][0], block[set], r * taps, diffBlock[set], r * taps);
            }
            rows[set] += count;
            filled[set] = 0;
        }

        /** Divides each set by its number of patches, fills the upper triangles and sets the dampings. */
        void finish() {
            flush(EVEN);
            flush(ODD);
            block = null;
            diffBlock = null;
            for (int set = 0; set < 2; set++) {
                double n = rows[set];
                for (int gi = 0; gi < groups; gi++) {
                    normalize(h[set][gi], n, true);
                    normalize(cross[set][gi], n, false);
                    normalize(drift[set][gi], n, true);
                }
            }
            setDamping();
        }

        /** Divides by {@code n}, and for a lower triangle fills the upper one. */
        private void normalize(double[] m, double n, boolean lower) {
            for (int i = 0; i < taps; i++) {
                for (int j = 0; j < (lower ? i + 1 : taps); j++) {
                    double v = n == 0 ? 0 : m[i * taps + j] / n;
                    m[i * taps + j] = v;
                    if (lower) {
                        m[j * taps + i] = v;
                    }
                }
            }
        }

        /** The matrices of all samples, {@code (n_even·M_even + n_odd·M_odd) / n}, in the even ones' place. */
        void combine() {
            double n = rows[EVEN] + rows[ODD];
            double a = n == 0 ? 0 : rows[EVEN] / n;
            double b = n == 0 ? 0 : rows[ODD] / n;
            for (double[][][] m : List.of(h, cross, drift)) {
                for (int gi = 0; gi < groups; gi++) {
                    double[] even = m[EVEN][gi];
                    double[] odd = m[ODD][gi];
                    for (int e = 0; e < even.length; e++) {
                        even[e] = a * even[e] + b * odd[e];
                    }
                }
                m[ODD] = m[EVEN];
            }
            setDamping();
        }

        /** λ = DAMPING · mean(diag H) per set and group; forgets the Cholesky factors. */
        private void setDamping() {
            damping = new double[2][groups];
            factors = new double[2][groups][];
            for (int set = 0; set < 2; set++) {
                for (int gi = 0; gi < groups; gi++) {
                    double trace = 0;
                    for (int i = 0; i < taps; i++) {
                        trace += h[set][gi][i * taps + i];
                    }
                    damping[set][gi] = DAMPING * trace / taps;
                }
            }
        }
    }
}
