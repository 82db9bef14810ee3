package dev.quanta.keras;

import static dev.quanta.keras.LayerWeights.spec;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/** The Keras recurrent layers besides LSTM ({@link LstmLayer}): SimpleRNN, GRU and Bidirectional(LSTM). */
final class RecurrentLayers {
    private RecurrentLayers() {}

    /**
     * Keras SimpleRNN, h_t = act(x_t·kernel + h_{t−1}·recurrent_kernel + bias) from h_0 = 0, as TFLite's
     * UNIDIRECTIONAL_SEQUENCE_RNN (batch-major) with W_x = kernelᵀ [units, in] and W_h = recurrent_kernelᵀ; without
     * return_sequences the last step is sliced out.
     */
    static Tensor simpleRnn(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        int units = l.positive("units");
        OpAttributes.LstmActivation act = LstmLayer.cellActivation(l);
        for (String flag : new String[] {"stateful", "return_state", "time_major"}) {
            if (l.bool(flag, false)) {
                throw l.unsupported(flag, "only false is supported");
            }
        }
        x = inProcessingOrder(e, l, x);
        boolean useBias = l.bool("use_bias", true);
        int in = LstmLayer.featureSize(l, x);
        List<KerasWeight> w = e.fetch(
                l,
                spec("kernel", in, units),
                spec("recurrent_kernel", units, units),
                useBias ? spec("bias", units) : null);
        Tensor[] ins = {
            x,
            e.constant(l, "kernel", Shape.of(units, in), transpose(w.get(0).values(), in, units)),
            e.constant(
                    l,
                    "recurrent_kernel",
                    Shape.of(units, units),
                    transpose(w.get(1).values(), units, units)),
            e.constant(l, "bias", Shape.of(units), useBias ? w.get(2).values() : new float[units])
        };
        OpAttributes.SequenceRnn attrs = new OpAttributes.SequenceRnn(act, false, false);
        if (l.bool("return_sequences", false)) {
            return e.last(l, OpType.UNIDIRECTIONAL_SEQUENCE_RNN, attrs, ins);
        }
        Tensor seq = e.inner(l, "sequence", OpType.UNIDIRECTIONAL_SEQUENCE_RNN, attrs, ins);
        return LstmLayer.lastStep(e, l, seq);
    }

    /**
     * The sequence {@code x} [batch, steps, features] in the order a recurrent layer reads it: reversed along the
     * time axis (REVERSE_V2) when the layer sets go_backwards, as Keras then feeds x_{T−1} first. Keras returns the
     * outputs in that processing order too (with return_sequences, output k is the state after x_{T−1−k}; without,
     * the state after x_0), so nothing is reversed back.
     */
    static Tensor inProcessingOrder(LayerEmitter e, KerasLayer l, Tensor x) {
        if (!l.bool("go_backwards", false)) {
            return x;
        }
        return e.inner(l, "reversed", OpType.REVERSE_V2, new OpAttributes.Reverse(new int[] {1}), x);
    }

    /**
     * Keras Bidirectional around an LSTM, as TFLite's BIDIRECTIONAL_SEQUENCE_LSTM (batch-major, outputs merged): the
     * forward LSTM's weights (kernel, recurrent_kernel, bias) come first in the file, then the backward one's. With
     * return_sequences the output at step t is [forward h_t, backward h_t] (the backward state after steps T−1 … t);
     * without it, forward h_{T−1} and backward h_0 (two STRIDED_SLICEs), merged as merge_mode says ({@link #merged};
     * with return_sequences and another mode than concat, the op's output is sliced into its two halves first).
     */
    static List<Tensor> bidirectional(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        KerasLayer inner = l.wrapped("layer");
        if (inner.className().equals("GRU") || inner.className().equals("SimpleRNN")) {
            return bidirectionalUnrolled(e, l, inner, x);
        }
        if (!inner.className().equals("LSTM")) {
            throw l.unsupported(
                    "layer", "only a wrapped LSTM, GRU or SimpleRNN is supported, not " + inner.className());
        }
        String merge = mergeMode(l);
        if (l.has("backward_layer") && !l.wrapped("backward_layer").className().equals("LSTM")) {
            throw l.unsupported("backward_layer", "only an LSTM is supported");
        }
        int units = inner.positive("units");
        OpAttributes.LstmActivation act = LstmLayer.activation(inner);
        if (inner.bool("go_backwards", false)) {
            throw inner.unsupported("go_backwards", "only false is supported inside Bidirectional");
        }
        boolean useBias = inner.bool("use_bias", true);
        int in = LstmLayer.featureSize(l, x);
        List<KerasWeight> w = e.fetch(
                l,
                spec("kernel", in, 4 * units),
                spec("recurrent_kernel", units, 4 * units),
                useBias ? spec("bias", 4 * units) : null,
                spec("kernel", in, 4 * units),
                spec("recurrent_kernel", units, 4 * units),
                useBias ? spec("bias", 4 * units) : null);
        int perDirection = useBias ? 3 : 2;
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        inputs.addAll(LstmLayer.gateConstants(e, l, "forward_", w, 0, useBias, in, units));
        inputs.addAll(LstmLayer.gateConstants(e, l, "backward_", w, perDirection, useBias, in, units));
        boolean[] present = new boolean[48];
        present[0] = true;
        for (int offset : new int[] {0, 17}) {
            for (int i : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
                present[offset + i] = true;
            }
        }
        OpAttributes.BidirectionalLstm attrs =
                new OpAttributes.BidirectionalLstm(act, 0f, 0f, true, false, false, present);
        Tensor[] ins = inputs.toArray(Tensor[]::new);
        boolean sequences = inner.bool("return_sequences", false);
        if (sequences && "concat".equals(merge)) {
            return List.of(e.last(l, OpType.BIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins));
        }
        Tensor seq = e.inner(l, "sequence", OpType.BIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
        if (sequences) {
            // the merged output's halves: forward [:, :, :units], backward [:, :, units:]
            Tensor forward = e.inner(
                    l,
                    "forward",
                    OpType.STRIDED_SLICE,
                    new OpAttributes.StridedSlice(
                            new int[] {0, 0, 0}, new int[] {0, 0, units}, new int[] {1, 1, 1}, 0b111, 0b011, 0, false),
                    seq);
            Tensor backward = e.inner(
                    l,
                    "backward",
                    OpType.STRIDED_SLICE,
                    new OpAttributes.StridedSlice(
                            new int[] {0, 0, units}, new int[] {0, 0, 0}, new int[] {1, 1, 1}, 0b011, 0b111, 0, false),
                    seq);
            return merged(e, l, merge, forward, backward);
        }
        // forward: [:, -1, :units]; backward: [:, 0, units:]; the time axis shrunk away
        Tensor forward = e.inner(
                l,
                "forward_last",
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(
                        new int[] {0, -1, 0}, new int[] {0, 0, units}, new int[] {1, 1, 1}, 0b001, 0b001, 0b010, false),
                seq);
        Tensor backward = e.inner(
                l,
                "backward_first",
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(
                        new int[] {0, 0, units}, new int[] {0, 0, 0}, new int[] {1, 1, 1}, 0b001, 0b101, 0b010, false),
                seq);
        return merged(e, l, merge, forward, backward);
    }

    /**
     * Keras Bidirectional's merge_mode: "concat" (also when absent, Keras' default), "sum", "mul", "ave", or null
     * for None (JSON null: the two directions' outputs apart, as two layer outputs).
     */
    static String mergeMode(KerasLayer l) {
        com.fasterxml.jackson.databind.JsonNode v = l.config().get("merge_mode");
        if (v != null && v.isNull()) {
            return null;
        }
        String m = l.string("merge_mode", "concat");
        if (!List.of("concat", "sum", "mul", "ave").contains(m)) {
            throw l.unsupported("merge_mode", "concat, sum, mul, ave and None are supported, not " + m);
        }
        return m;
    }

    /**
     * The Bidirectional layer's outputs from the forward and backward outputs f and b (same shape), as Keras merges
     * them: concat → [f, b] on the last axis (CONCATENATION), sum → f + b (ADD), mul → f ⊙ b (MUL), ave →
     * (f + b) · 0.5 (ADD, MUL), None → f and b as two outputs.
     */
    private static List<Tensor> merged(LayerEmitter e, KerasLayer l, String mode, Tensor f, Tensor b) {
        if (mode == null) {
            return List.of(f, b);
        }
        OpAttributes.Arithmetic plain = new OpAttributes.Arithmetic(Activation.NONE);
        return List.of(
                switch (mode) {
                    case "concat" ->
                        e.last(l, OpType.CONCATENATION, new OpAttributes.Concatenation(-1, Activation.NONE), f, b);
                    case "sum" -> e.last(l, OpType.ADD, new OpAttributes.Add(Activation.NONE), f, b);
                    case "mul" -> e.last(l, OpType.MUL, plain, f, b);
                    default -> {
                        Tensor sum = e.inner(l, "sum", OpType.ADD, new OpAttributes.Add(Activation.NONE), f, b);
                        Tensor half = e.nonTrainableConstant(l, "half", Shape.of(1), new float[] {0.5f});
                        yield e.last(l, OpType.MUL, plain, sum, half);
                    }
                });
    }

    /**
     * Keras Bidirectional around a GRU or a SimpleRNN: the forward layer on x and the same layer
     * class with the backward weights (after the forward ones in the file) on x reversed along time; with
     * return_sequences the backward sequence is reversed back, so step t is [forward h_t, backward h_t] (the backward
     * state after x_{T−1} … x_t); without, forward h after x_{T−1} and backward h after x_0; merged as merge_mode
     * says ({@link #merged}).
     */
    private static List<Tensor> bidirectionalUnrolled(LayerEmitter e, KerasLayer l, KerasLayer inner, Tensor x) {
        String merge = mergeMode(l);
        String cls = inner.className();
        if (l.has("backward_layer") && !l.wrapped("backward_layer").className().equals(cls)) {
            throw l.unsupported("backward_layer", "only a " + cls + " like the forward layer is supported");
        }
        if (inner.bool("go_backwards", false)) {
            throw inner.unsupported("go_backwards", "only false is supported inside Bidirectional");
        }
        boolean gru = cls.equals("GRU");
        if (gru) {
            checkGru(inner);
        } else {
            LstmLayer.cellActivation(inner);
            for (String flag : new String[] {"stateful", "return_state", "time_major"}) {
                if (inner.bool(flag, false)) {
                    throw inner.unsupported(flag, "only false is supported");
                }
            }
        }
        int in = LstmLayer.featureSize(l, x);
        LayerWeights.Spec[] one = gru ? gruWeights(inner, in) : rnnWeights(inner, in);
        LayerWeights.Spec[] both = new LayerWeights.Spec[2 * one.length];
        System.arraycopy(one, 0, both, 0, one.length);
        System.arraycopy(one, 0, both, one.length, one.length);
        List<KerasWeight> w = e.fetch(l, both);
        int backwardFirst = w.size() / 2; // the forward layer's weights, then the backward one's
        boolean sequences = inner.bool("return_sequences", false);
        Tensor reversed = e.inner(l, "backward_input", OpType.REVERSE_V2, new OpAttributes.Reverse(new int[] {1}), x);
        Tensor forward;
        Tensor backward;
        if (gru) {
            forward = unrolledGru(e, l, inner, x, w, 0, "forward/", false);
            backward = unrolledGru(e, l, inner, reversed, w, backwardFirst, "backward/", false);
        } else {
            forward = rnnSequence(e, l, inner, x, w, 0, "forward/");
            backward = rnnSequence(e, l, inner, reversed, w, backwardFirst, "backward/");
            if (!sequences) {
                forward = lastStepInner(e, l, "forward/last", forward);
                backward = lastStepInner(e, l, "backward/last", backward);
            }
        }
        if (sequences) {
            backward = e.inner(
                    l, "backward/in_time_order", OpType.REVERSE_V2, new OpAttributes.Reverse(new int[] {1}), backward);
        }
        return merged(e, l, merge, forward, backward);
    }

    /** The weights of a SimpleRNN configured by {@code cfg} on {@code in} features: kernel, recurrent, bias. */
    private static LayerWeights.Spec[] rnnWeights(KerasLayer cfg, int in) {
        int units = cfg.positive("units");
        boolean useBias = cfg.bool("use_bias", true);
        return new LayerWeights.Spec[] {
            spec("kernel", in, units), spec("recurrent_kernel", units, units), useBias ? spec("bias", units) : null
        };
    }

    /** SimpleRNN's UNIDIRECTIONAL_SEQUENCE_RNN over x (every step's h), as an inner op named with {@code prefix}. */
    private static Tensor rnnSequence(
            LayerEmitter e, KerasLayer l, KerasLayer cfg, Tensor x, List<KerasWeight> w, int first, String prefix) {
        int units = cfg.positive("units");
        int in = LstmLayer.featureSize(l, x);
        boolean useBias = cfg.bool("use_bias", true);
        Tensor[] ins = {
            x,
            e.constant(
                    l,
                    prefix + "kernel",
                    Shape.of(units, in),
                    transpose(w.get(first).values(), in, units)),
            e.constant(
                    l,
                    prefix + "recurrent_kernel",
                    Shape.of(units, units),
                    transpose(w.get(first + 1).values(), units, units)),
            e.constant(
                    l,
                    prefix + "bias",
                    Shape.of(units),
                    useBias ? w.get(first + 2).values() : new float[units])
        };
        OpAttributes.SequenceRnn attrs = new OpAttributes.SequenceRnn(LstmLayer.cellActivation(cfg), false, false);
        return e.inner(l, prefix + "sequence", OpType.UNIDIRECTIONAL_SEQUENCE_RNN, attrs, ins);
    }

    /** The last time step of seq [batch, steps, units], the time axis shrunk away, as an inner op. */
    private static Tensor lastStepInner(LayerEmitter e, KerasLayer l, String suffix, Tensor seq) {
        return e.inner(
                l,
                suffix,
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(
                        new int[] {0, -1, 0}, new int[] {0, 0, 0}, new int[] {1, 1, 1}, 0b101, 0b101, 0b010, false),
                seq);
    }

    /**
     * Keras GRU (gates z, r, h in kernel [in, 3u] and recurrent_kernel [u, 3u]) unrolled over its fixed number of
     * steps into FULLY_CONNECTED, LOGISTIC, TANH, MUL, ADD and SUB, since TFLite has no GRU builtin; from h_0 = 0:
     * <pre>
     *   z = σ(x_t·W_z + h·U_z + b_z)            r = σ(x_t·W_r + h·U_r + b_r)
     *   n = tanh(x_t·W_h + r ⊙ (h·U_h + b_hr))   (reset_after, bias [2, 3u]: input and recurrent rows)
     *   n = tanh(x_t·W_h + (r ⊙ h)·U_h + b_h)    (reset_after false, bias [3u])
     *   h' = z ⊙ h + (1 − z) ⊙ n = n + z ⊙ (h − n)
     * </pre>
     * with b_z and b_r the sums of the input and recurrent biases; at the first step, where h = 0, the terms in h
     * are left out (h' = n − z ⊙ n). Each step's x_t is a STRIDED_SLICE; with return_sequences the steps' h are
     * PACKed along axis 1. The activation must be tanh and the recurrent activation sigmoid.
     */
    static Tensor gru(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        checkGru(l);
        x = inProcessingOrder(e, l, x);
        List<KerasWeight> w = e.fetch(l, gruWeights(l, LstmLayer.featureSize(l, x)));
        return unrolledGru(e, l, l, x, w, 0, "", true);
    }

    /** Refuses a GRU config the unrolled form does not follow (activations, flags). */
    private static void checkGru(KerasLayer l) {
        if (!l.string("recurrent_activation", "sigmoid").equals("sigmoid")) {
            throw l.unsupported("recurrent_activation", "only sigmoid is supported");
        }
        if (!(l.has("activation") ? l.activation() : "tanh").equals("tanh")) {
            throw l.unsupported("activation", "only tanh is supported");
        }
        for (String flag : new String[] {"stateful", "return_state", "time_major"}) {
            if (l.bool(flag, false)) {
                throw l.unsupported(flag, "only false is supported");
            }
        }
    }

    /** The weights of a GRU configured by {@code cfg} on {@code in} features: kernel, recurrent kernel, bias. */
    private static LayerWeights.Spec[] gruWeights(KerasLayer cfg, int in) {
        int units = cfg.positive("units");
        boolean resetAfter = cfg.bool("reset_after", true);
        boolean useBias = cfg.bool("use_bias", true);
        return new LayerWeights.Spec[] {
            spec("kernel", in, 3 * units),
            spec("recurrent_kernel", units, 3 * units),
            useBias ? (resetAfter ? spec("bias", 2, 3 * units) : spec("bias", 3 * units)) : null
        };
    }

    /**
     * The unrolled GRU of {@link #gru} over x (already in processing order), configured by {@code cfg}, with its
     * weights at {@code w[first ..]}; inner ops and constants of layer {@code l} named with {@code prefix}; its last op
     * is the layer's output when {@code layerOutput}, else an inner op.
     */
    private static Tensor unrolledGru(
            LayerEmitter e,
            KerasLayer l,
            KerasLayer cfg,
            Tensor x,
            List<KerasWeight> w,
            int first,
            String prefix,
            boolean layerOutput) {
        int units = cfg.positive("units");
        int steps = x.shape().dim(1);
        if (steps <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no fixed number of steps to unroll");
        }
        int in = LstmLayer.featureSize(l, x);
        boolean resetAfter = cfg.bool("reset_after", true);
        boolean useBias = cfg.bool("use_bias", true);
        float[] bias = useBias ? w.get(first + 2).values() : new float[(resetAfter ? 2 : 1) * 3 * units];
        String[] gates = {"z", "r", "h"};
        Tensor[] wx = new Tensor[3];
        Tensor[] uh = new Tensor[3];
        Tensor[] bx = new Tensor[3];
        for (int g = 0; g < 3; g++) {
            wx[g] = e.constant(
                    l,
                    prefix + gates[g] + "_kernel",
                    Shape.of(units, in),
                    gate(w.get(first).values(), in, units, g));
            uh[g] = e.constant(
                    l,
                    prefix + gates[g] + "_recurrent_kernel",
                    Shape.of(units, units),
                    gate(w.get(first + 1).values(), units, units, g));
            float[] b = new float[units];
            for (int u = 0; u < units; u++) {
                b[u] = bias[g * units + u] + (resetAfter && g < 2 ? bias[3 * units + g * units + u] : 0f);
            }
            bx[g] = e.constant(l, prefix + gates[g] + "_bias", Shape.of(units), b);
        }
        Tensor bhr = null;
        if (resetAfter) {
            float[] b = new float[units];
            System.arraycopy(bias, 5 * units, b, 0, units);
            bhr = e.constant(l, prefix + "h_recurrent_bias", Shape.of(units), b);
        }
        boolean sequences = cfg.bool("return_sequences", false);
        OpAttributes fc = new OpAttributes.FullyConnected(Activation.NONE);
        OpAttributes mul = new OpAttributes.Arithmetic(Activation.NONE);
        OpAttributes add = new OpAttributes.Add(Activation.NONE);
        OpAttributes none = OpAttributes.None.INSTANCE;
        Tensor h = null;
        Tensor[] hs = new Tensor[steps];
        for (int t = 0; t < steps; t++) {
            String p = "step" + t + "/";
            Tensor xt = e.inner(
                    l,
                    prefix + p + "x",
                    OpType.STRIDED_SLICE,
                    new OpAttributes.StridedSlice(
                            new int[] {0, t, 0},
                            new int[] {0, t + 1, 0},
                            new int[] {1, 1, 1},
                            0b101,
                            0b101,
                            0b010,
                            false),
                    x);
            Tensor xz = e.inner(l, prefix + p + "x_z", OpType.FULLY_CONNECTED, fc, xt, wx[0], bx[0]);
            Tensor xh = e.inner(l, prefix + p + "x_h", OpType.FULLY_CONNECTED, fc, xt, wx[2], bx[2]);
            Tensor z;
            Tensor pre;
            if (h == null) {
                z = e.inner(l, prefix + p + "z", OpType.LOGISTIC, none, xz);
                if (resetAfter) {
                    Tensor xr = e.inner(l, prefix + p + "x_r", OpType.FULLY_CONNECTED, fc, xt, wx[1], bx[1]);
                    Tensor r = e.inner(l, prefix + p + "r", OpType.LOGISTIC, none, xr);
                    pre = e.inner(
                            l,
                            prefix + p + "h_in",
                            OpType.ADD,
                            add,
                            xh,
                            e.inner(l, prefix + p + "r_h", OpType.MUL, mul, r, bhr));
                } else {
                    pre = xh;
                }
            } else {
                Tensor xr = e.inner(l, prefix + p + "x_r", OpType.FULLY_CONNECTED, fc, xt, wx[1], bx[1]);
                Tensor hz = e.inner(l, prefix + p + "h_z", OpType.FULLY_CONNECTED, fc, h, uh[0]);
                Tensor hr = e.inner(l, prefix + p + "h_r", OpType.FULLY_CONNECTED, fc, h, uh[1]);
                z = e.inner(
                        l,
                        prefix + p + "z",
                        OpType.LOGISTIC,
                        none,
                        e.inner(l, prefix + p + "z_in", OpType.ADD, add, xz, hz));
                Tensor r = e.inner(
                        l,
                        prefix + p + "r",
                        OpType.LOGISTIC,
                        none,
                        e.inner(l, prefix + p + "r_in", OpType.ADD, add, xr, hr));
                Tensor recurrent = resetAfter
                        ? e.inner(
                                l,
                                prefix + p + "r_h",
                                OpType.MUL,
                                mul,
                                r,
                                e.inner(l, prefix + p + "h_h", OpType.FULLY_CONNECTED, fc, h, uh[2], bhr))
                        : e.inner(
                                l,
                                prefix + p + "h_h",
                                OpType.FULLY_CONNECTED,
                                fc,
                                e.inner(l, prefix + p + "r_times_h", OpType.MUL, mul, r, h),
                                uh[2]);
                pre = e.inner(l, prefix + p + "h_in", OpType.ADD, add, xh, recurrent);
            }
            Tensor n = e.inner(l, prefix + p + "n", OpType.TANH, none, pre);
            boolean last = layerOutput && t == steps - 1 && !sequences;
            if (h == null) {
                Tensor zn = e.inner(l, prefix + p + "z_n", OpType.MUL, mul, z, n);
                h = last ? e.last(l, OpType.SUB, mul, n, zn) : e.inner(l, prefix + p + "h", OpType.SUB, mul, n, zn);
            } else {
                Tensor diff = e.inner(l, prefix + p + "h_minus_n", OpType.SUB, mul, h, n);
                Tensor zd = e.inner(l, prefix + p + "z_diff", OpType.MUL, mul, z, diff);
                h = last ? e.last(l, OpType.ADD, add, n, zd) : e.inner(l, prefix + p + "h", OpType.ADD, add, n, zd);
            }
            hs[t] = h;
        }
        if (!sequences) {
            return h;
        }
        return layerOutput
                ? e.last(l, OpType.PACK, new OpAttributes.Pack(1), hs)
                : e.inner(l, prefix + "sequence", OpType.PACK, new OpAttributes.Pack(1), hs);
    }

    /** Gate g of a Keras fused [rows, 3u] matrix, transposed to [u, rows]. */
    private static float[] gate(float[] fused, int rows, int units, int g) {
        float[] out = new float[units * rows];
        for (int r = 0; r < rows; r++) {
            for (int u = 0; u < units; u++) {
                out[u * rows + r] = fused[r * 3 * units + g * units + u];
            }
        }
        return out;
    }

    /** A row-major [rows, cols] matrix transposed to [cols, rows]. */
    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}
