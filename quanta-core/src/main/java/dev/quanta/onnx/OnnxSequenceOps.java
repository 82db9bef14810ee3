package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ONNX's recurrent ops, forward, reverse or bidirectional, with the default activations (RNN: Tanh, Relu or Sigmoid).
 *
 * <p>LSTM → one UNIDIRECTIONAL_SEQUENCE_LSTM per direction. ONNX packs the gates i, o, f, c in W [dirs, 4H, in],
 * R [dirs, 4H, H], B [dirs, 8H] (input then recurrent biases) and P [dirs, 3H] (peepholes i, o, f); TFLite takes them
 * one per gate in the order i, f, c, o, with bias = Wb + Rb and peepholes cell-to-input, -forget, -output. The
 * reverse direction runs on X reversed along time (REVERSE_V2) and its output is reversed back.
 *
 * <p>GRU → unrolled over its fixed number of steps (TFLite has no GRU builtin) into FULLY_CONNECTED, LOGISTIC, TANH,
 * MUL, ADD and SUB, gates z, r, h in ONNX's order (W [dirs, 3H, in], R [dirs, 3H, H], B [dirs, 6H]). RNN likewise
 * (W [dirs, H, in], R [dirs, H, H], B [dirs, 2H]), so that both take an initial_h.
 *
 * <p>Outputs: Y [seq, dirs, batch, H] ([batch, seq, dirs, H] with layout 1) is each direction's h in time order
 * PACKed; Y_h [dirs, batch, H] ([batch, dirs, H]) each direction's last computed h (for reverse: at time 0).
 */
final class OnnxSequenceOps {
    private OnnxSequenceOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("LSTM", OnnxSequenceOps::lstm);
        t.put("GRU", OnnxSequenceOps::gru);
        t.put("RNN", OnnxSequenceOps::rnn);
    }

    /** The longest sequence a GRU is unrolled over (about 15 ops per step and direction). */
    static final int MAX_UNROLLED_STEPS = 4096;

    /** ONNX gate index (i, o, f, c) of TFLite gate k (i, f, c, o). */
    private static final int[] ONNX_GATE = {0, 2, 3, 1};

    /** What an ONNX recurrent node shares: directions, layout, X and its sizes. */
    private record Recurrence(
            boolean[] reversed, boolean batchMajor, Tensor x, int steps, int in, int hidden, String base) {
        int directions() {
            return reversed.length;
        }

        int timeAxis() {
            return batchMajor ? 1 : 0;
        }
    }

    /**
     * Reads direction, layout, activations (each direction's must be {@code defaults}), X, hidden_size (from R [dirs,
     * gates·H, H] when absent) and sequence_lens (a constant equal to the sequence length everywhere, else refused).
     */
    private static Recurrence recurrence(OnnxNode n, OnnxContext ctx, int gates, List<String> defaults) {
        String direction = n.getString("direction", "forward");
        boolean[] reversed = switch (direction) {
            case "forward" -> new boolean[] {false};
            case "reverse" -> new boolean[] {true};
            case "bidirectional" -> new boolean[] {false, true};
            default -> throw n.bad("direction '" + direction + "' is not one of forward, reverse, bidirectional");
        };
        var acts = n.attribute("activations");
        if (acts != null && defaults != null) {
            List<String> a =
                    acts.getStringsList().stream().map(b -> b.toStringUtf8()).toList();
            List<String> expected = new ArrayList<>();
            for (int d = 0; d < reversed.length; d++) {
                expected.addAll(defaults);
            }
            if (!a.equals(expected)) {
                throw n.unsupported("activations " + a + " are not supported (only " + expected + ")");
            }
        }
        boolean batchMajor = n.getInt("layout", 0) != 0;
        Tensor x = ctx.onnx(n.input(0));
        OnnxElementwiseOps.requireType(n, x, DType.FLOAT32);
        if (x.shape().rank() != 3
                || x.shape().dim(batchMajor ? 1 : 0) < 1
                || x.shape().dim(2) < 1) {
            throw n.unsupported("input " + x.shape() + " needs a known sequence length and feature size");
        }
        int steps = x.shape().dim(batchMajor ? 1 : 0);
        Shape r = ctx.onnxShape(n.input(2));
        if (r.rank() != 3 || r.dim(0) != reversed.length || r.dim(2) < 1 || r.dim(1) != gates * r.dim(2)) {
            throw n.bad("R " + r + " is not [" + reversed.length + ", " + gates + "·hidden_size, hidden_size]");
        }
        int h = r.dim(2);
        if (n.getInt("hidden_size", h) != h) {
            throw n.bad("hidden_size " + n.getInt("hidden_size", h) + " does not fit R " + r);
        }
        if (n.hasInput(4)) {
            for (long len : ctx.constantLongs(n.input(4), "sequence_lens")) {
                if (len != steps) {
                    throw n.unsupported(
                            "sequence_lens " + len + " shorter than the sequence (" + steps + ") is not supported");
                }
            }
        }
        String base = n.hasOutput(0) ? n.output(0) : n.hasOutput(1) ? n.output(1) : n.name();
        return new Recurrence(reversed, batchMajor, x, steps, x.shape().dim(2), h, base);
    }

    /** The constant's values, required to hold {@code count} of them. */
    private static float[] weights(OnnxNode n, OnnxContext ctx, int input, String what, int count) {
        float[] v = ctx.constantFloats(n.input(input), what);
        if (v.length != count) {
            throw n.bad(what + " holds " + v.length + " values, expected " + count);
        }
        return v;
    }

    /** Whether input {@code i} is a constant of zeros (an absent input counts as zeros). */
    private static boolean zeroState(OnnxNode n, OnnxContext ctx, int i) {
        if (!n.hasInput(i)) {
            return true;
        }
        if (!ctx.isConstant(n.input(i))) {
            return false;
        }
        for (float v : ctx.constantFloats(n.input(i), "initial state")) {
            if (v != 0f) {
                return false;
            }
        }
        return true;
    }

    private static void lstm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 8);
        n.allowAttributes("activations", "direction", "hidden_size", "layout", "input_forget");
        if (n.getInt("input_forget", 0) != 0) {
            throw n.unsupported("input_forget 1 is not supported");
        }
        Recurrence rc = recurrence(n, ctx, 4, List.of("Sigmoid", "Tanh", "Tanh"));
        for (int i : new int[] {5, 6}) {
            if (n.hasInput(i)) {
                ctx.constantFloats(n.input(i), i == 5 ? "initial_h" : "initial_c");
                if (!zeroState(n, ctx, i)) {
                    throw n.unsupported("a non-zero initial state is not supported");
                }
            }
        }
        if (n.hasOutput(2)) {
            throw n.unsupported("the Y_c output is not supported");
        }
        int dirs = rc.directions();
        int h = rc.hidden();
        int in = rc.in();
        float[] w = weights(n, ctx, 1, "W", dirs * 4 * h * in);
        float[] r = weights(n, ctx, 2, "R", dirs * 4 * h * h);
        float[] b = n.hasInput(3) ? weights(n, ctx, 3, "B", dirs * 8 * h) : new float[dirs * 8 * h];
        float[] p = n.hasInput(7) ? weights(n, ctx, 7, "P", dirs * 3 * h) : null;
        String[] gates = {"input", "forget", "cell", "output"};
        Tensor[] inTime = new Tensor[dirs];
        Tensor[] last = new Tensor[dirs];
        for (int d = 0; d < dirs; d++) {
            String base = rc.base() + (dirs == 1 ? "" : rc.reversed()[d] ? "_backward" : "_forward");
            List<Tensor> ins = new ArrayList<>(List.of(reversedInTime(ctx, rc, d, rc.x(), base + "_input")));
            for (int k = 0; k < 4; k++) {
                int from = (d * 4 + ONNX_GATE[k]) * h * in;
                ins.add(ctx.constant(
                        base + "_" + gates[k] + "_w", Shape.of(h, in), Arrays.copyOfRange(w, from, from + h * in)));
            }
            for (int k = 0; k < 4; k++) {
                int from = (d * 4 + ONNX_GATE[k]) * h * h;
                ins.add(ctx.constant(
                        base + "_" + gates[k] + "_r", Shape.of(h, h), Arrays.copyOfRange(r, from, from + h * h)));
            }
            boolean[] present = new boolean[24];
            Arrays.fill(present, 0, 9, true);
            if (p != null) {
                // P holds i, o, f; TFLite inputs 9, 10, 11 are cell-to-input, -forget, -output
                int[] order = {0, 2, 1};
                String[] names = {"input", "forget", "output"};
                for (int k = 0; k < 3; k++) {
                    int from = (d * 3 + order[k]) * h;
                    ins.add(ctx.constant(
                            base + "_peephole_" + names[k], Shape.of(h), Arrays.copyOfRange(p, from, from + h)));
                    present[9 + k] = true;
                }
            }
            for (int k = 0; k < 4; k++) {
                int g = ONNX_GATE[k];
                float[] bias = new float[h];
                for (int j = 0; j < h; j++) {
                    bias[j] = b[d * 8 * h + g * h + j] + b[d * 8 * h + 4 * h + g * h + j];
                }
                ins.add(ctx.constant(base + "_" + gates[k] + "_bias", Shape.of(h), bias));
                present[12 + k] = true;
            }
            OpAttributes.Lstm attrs =
                    new OpAttributes.Lstm(OpAttributes.LstmActivation.TANH, 0f, 0f, !rc.batchMajor(), false, present);
            Tensor seq = ctx.emit(
                    base + "_sequence",
                    OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                    attrs,
                    DType.FLOAT32,
                    ins.toArray(Tensor[]::new));
            last[d] = timeStep(ctx, rc, seq, rc.steps() - 1, base + "_last");
            inTime[d] = reversedInTime(ctx, rc, d, seq, base + "_in_time_order");
        }
        defineOutputs(n, ctx, rc, inTime, last);
    }

    /** {@code t} reversed along time when direction {@code d} is the reverse one, else {@code t}. */
    private static Tensor reversedInTime(OnnxContext ctx, Recurrence rc, int d, Tensor t, String name) {
        if (!rc.reversed()[d] || rc.steps() == 1) {
            return t;
        }
        return ctx.emit(name, OpType.REVERSE_V2, new OpAttributes.Reverse(new int[] {rc.timeAxis()}), DType.FLOAT32, t);
    }

    /** Time step {@code t} of a [seq, batch, n] ([batch, seq, n]) tensor, the time axis shrunk away: [batch, n]. */
    private static Tensor timeStep(OnnxContext ctx, Recurrence rc, Tensor seq, int t, String name) {
        int axis = rc.timeAxis();
        int[] begin = new int[3];
        int[] end = new int[3];
        begin[axis] = t;
        end[axis] = t + 1;
        int others = 0b111 & ~(1 << axis);
        return ctx.emit(
                name,
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(begin, end, new int[] {1, 1, 1}, others, others, 1 << axis, false),
                DType.FLOAT32,
                seq);
    }

    /**
     * Y: the directions' [seq, batch, H] ([batch, seq, H]) sequences PACKed on the direction axis; Y_h: their last
     * states [batch, H] PACKed on it.
     */
    private static void defineOutputs(OnnxNode n, OnnxContext ctx, Recurrence rc, Tensor[] inTime, Tensor[] last) {
        if (n.hasOutput(0)) {
            ctx.define(
                    n.output(0),
                    ctx.emit(
                            n.output(0),
                            OpType.PACK,
                            new OpAttributes.Pack(rc.batchMajor() ? 2 : 1),
                            DType.FLOAT32,
                            inTime));
        }
        if (n.hasOutput(1)) {
            ctx.define(
                    n.output(1),
                    ctx.emit(
                            n.output(1),
                            OpType.PACK,
                            new OpAttributes.Pack(rc.batchMajor() ? 1 : 0),
                            DType.FLOAT32,
                            last));
        }
    }

    /**
     * ONNX RNN unrolled: per direction, with f its activation (Tanh, the default, Relu or Sigmoid) and h the state
     * (initial_h, else 0), h' = f(x_t·Wᵀ + h·Rᵀ + Wb + Rb): a FULLY_CONNECTED of x_t with the summed bias, plus one of h
     * once h is not the zero state, then f.
     */
    private static void rnn(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 6);
        n.allowAttributes("activations", "direction", "hidden_size", "layout");
        Recurrence rc = recurrence(n, ctx, 1, null);
        int dirs = rc.directions();
        OpType[] f = new OpType[dirs];
        var acts = n.attribute("activations");
        List<String> names = acts == null
                ? List.of()
                : acts.getStringsList().stream().map(b -> b.toStringUtf8()).toList();
        if (acts != null && names.size() != dirs) {
            throw n.bad("activations " + names + " do not name one activation per direction");
        }
        for (int d = 0; d < dirs; d++) {
            String a = acts == null ? "Tanh" : names.get(d);
            f[d] = switch (a) {
                case "Tanh" -> OpType.TANH;
                case "Relu" -> OpType.RELU;
                case "Sigmoid" -> OpType.LOGISTIC;
                default -> throw n.unsupported("activation " + a + " is not supported (only Tanh, Relu, Sigmoid)");
            };
        }
        int h = rc.hidden();
        int in = rc.in();
        int steps = rc.steps();
        if (steps > MAX_UNROLLED_STEPS) {
            throw n.unsupported("a sequence of " + steps + " steps is not supported (RNN is unrolled, at most "
                    + MAX_UNROLLED_STEPS + " steps)");
        }
        float[] w = weights(n, ctx, 1, "W", dirs * h * in);
        float[] r = weights(n, ctx, 2, "R", dirs * h * h);
        float[] b = n.hasInput(3) ? weights(n, ctx, 3, "B", dirs * 2 * h) : new float[dirs * 2 * h];
        Tensor initial = initialState(n, ctx, rc);
        OpAttributes fc = new OpAttributes.FullyConnected(Activation.NONE);
        OpAttributes add = new OpAttributes.Add(Activation.NONE);
        Tensor[] inTime = new Tensor[dirs];
        Tensor[] last = new Tensor[dirs];
        for (int d = 0; d < dirs; d++) {
            String base = rc.base() + (dirs == 1 ? "" : rc.reversed()[d] ? "_backward" : "_forward");
            Tensor wx = ctx.constant(base + "_w", Shape.of(h, in), Arrays.copyOfRange(w, d * h * in, (d + 1) * h * in));
            Tensor rh = ctx.constant(base + "_r", Shape.of(h, h), Arrays.copyOfRange(r, d * h * h, (d + 1) * h * h));
            float[] bias = new float[h];
            for (int j = 0; j < h; j++) {
                bias[j] = b[d * 2 * h + j] + b[d * 2 * h + h + j];
            }
            Tensor bx = ctx.constant(base + "_bias", Shape.of(h), bias);
            Tensor state = initial == null ? null : directionState(ctx, rc, initial, d, base);
            Tensor[] hs = new Tensor[steps];
            for (int k = 0; k < steps; k++) {
                int t = rc.reversed()[d] ? steps - 1 - k : k;
                String p = base + "_step" + t + "_";
                Tensor xt = timeStep(ctx, rc, rc.x(), t, p + "x");
                Tensor pre = ctx.emit(p + "x_w", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, xt, wx, bx);
                if (state != null) {
                    Tensor hr = ctx.emit(p + "h_r", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, state, rh);
                    pre = ctx.emit(p + "h_in", OpType.ADD, add, DType.FLOAT32, pre, hr);
                }
                state = ctx.emit(p + "h", f[d], OpAttributes.None.INSTANCE, DType.FLOAT32, pre);
                hs[t] = state;
            }
            last[d] = state;
            if (n.hasOutput(0)) {
                inTime[d] = ctx.emit(
                        base + "_sequence", OpType.PACK, new OpAttributes.Pack(rc.timeAxis()), DType.FLOAT32, hs);
            }
        }
        defineOutputs(n, ctx, rc, inTime, last);
    }

    /** initial_h [dirs, batch, H] ([batch, dirs, H] with layout 1), or null when it is absent or constant zeros. */
    private static Tensor initialState(OnnxNode n, OnnxContext ctx, Recurrence rc) {
        if (zeroState(n, ctx, 5)) {
            return null;
        }
        Tensor initial = ctx.onnx(n.input(5));
        OnnxElementwiseOps.requireType(n, initial, DType.FLOAT32);
        Shape s = initial.shape();
        Shape xs = rc.x().shape();
        int batchAxis = rc.batchMajor() ? 0 : 1;
        int dirAxis = rc.batchMajor() ? 1 : 0;
        if (s.rank() != 3
                || s.dim(dirAxis) != rc.directions()
                || s.dim(2) != rc.hidden()
                || s.dim(batchAxis) != xs.dim(batchAxis)) {
            throw n.bad("initial_h " + s + " does not fit " + rc.directions() + " directions, the batch of X " + xs
                    + " and hidden_size " + rc.hidden());
        }
        return initial;
    }

    /** Direction d's [batch, H] slice of initial_h. */
    private static Tensor directionState(OnnxContext ctx, Recurrence rc, Tensor initial, int d, String base) {
        int dirAxis = rc.batchMajor() ? 1 : 0;
        int[] begin = new int[3];
        int[] end = new int[3];
        begin[dirAxis] = d;
        end[dirAxis] = d + 1;
        int others = 0b111 & ~(1 << dirAxis);
        return ctx.emit(
                base + "_initial_h",
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(begin, end, new int[] {1, 1, 1}, others, others, 1 << dirAxis, false),
                DType.FLOAT32,
                initial);
    }

    /**
     * ONNX GRU unrolled; per direction, with x_t the step's input, h the state (initial_h, else 0) and gates z, r, h
     * of W, R, Wb, Rb:
     *
     * <pre>
     *   z = σ(x_t·W_zᵀ + h·R_zᵀ + Wb_z + Rb_z)        r = σ(x_t·W_rᵀ + h·R_rᵀ + Wb_r + Rb_r)
     *   n = tanh(x_t·W_hᵀ + (r ⊙ h)·R_hᵀ + Wb_h + Rb_h)      (linear_before_reset 0)
     *   n = tanh(x_t·W_hᵀ + r ⊙ (h·R_hᵀ + Rb_h) + Wb_h)      (linear_before_reset 1)
     *   h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
     * </pre>
     *
     * <p>While h is the zero state the terms in h are left out (h' = n − z ⊙ n). The reverse direction takes the
     * steps from the last to the first.
     */
    private static void gru(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 6);
        n.allowAttributes("activations", "direction", "hidden_size", "layout", "linear_before_reset");
        Recurrence rc = recurrence(n, ctx, 3, List.of("Sigmoid", "Tanh"));
        boolean linearBeforeReset = n.getInt("linear_before_reset", 0) != 0;
        int dirs = rc.directions();
        int h = rc.hidden();
        int in = rc.in();
        int steps = rc.steps();
        if (steps > MAX_UNROLLED_STEPS) {
            throw n.unsupported("a sequence of " + steps + " steps is not supported (GRU is unrolled, at most "
                    + MAX_UNROLLED_STEPS + " steps)");
        }
        float[] w = weights(n, ctx, 1, "W", dirs * 3 * h * in);
        float[] r = weights(n, ctx, 2, "R", dirs * 3 * h * h);
        float[] b = n.hasInput(3) ? weights(n, ctx, 3, "B", dirs * 6 * h) : new float[dirs * 6 * h];
        Tensor initial = initialState(n, ctx, rc);
        OpAttributes fc = new OpAttributes.FullyConnected(Activation.NONE);
        OpAttributes mul = new OpAttributes.Arithmetic(Activation.NONE);
        OpAttributes add = new OpAttributes.Add(Activation.NONE);
        OpAttributes none = OpAttributes.None.INSTANCE;
        String[] gates = {"z", "r", "h"};
        Tensor[] inTime = new Tensor[dirs];
        Tensor[] last = new Tensor[dirs];
        for (int d = 0; d < dirs; d++) {
            String base = rc.base() + (dirs == 1 ? "" : rc.reversed()[d] ? "_backward" : "_forward");
            Tensor[] wx = new Tensor[3];
            Tensor[] rh = new Tensor[3];
            Tensor[] bx = new Tensor[3];
            for (int g = 0; g < 3; g++) {
                int wFrom = (d * 3 + g) * h * in;
                wx[g] = ctx.constant(
                        base + "_" + gates[g] + "_w", Shape.of(h, in), Arrays.copyOfRange(w, wFrom, wFrom + h * in));
                int rFrom = (d * 3 + g) * h * h;
                rh[g] = ctx.constant(
                        base + "_" + gates[g] + "_r", Shape.of(h, h), Arrays.copyOfRange(r, rFrom, rFrom + h * h));
                float[] bias = new float[h];
                boolean withRecurrent = g < 2 || !linearBeforeReset;
                for (int j = 0; j < h; j++) {
                    bias[j] = b[d * 6 * h + g * h + j] + (withRecurrent ? b[d * 6 * h + 3 * h + g * h + j] : 0f);
                }
                bx[g] = ctx.constant(base + "_" + gates[g] + "_bias", Shape.of(h), bias);
            }
            Tensor rbh = linearBeforeReset
                    ? ctx.constant(
                            base + "_h_recurrent_bias",
                            Shape.of(h),
                            Arrays.copyOfRange(b, d * 6 * h + 5 * h, d * 6 * h + 6 * h))
                    : null;
            Tensor state = initial == null ? null : directionState(ctx, rc, initial, d, base);
            Tensor[] hs = new Tensor[steps];
            for (int k = 0; k < steps; k++) {
                int t = rc.reversed()[d] ? steps - 1 - k : k;
                String p = base + "_step" + t + "_";
                Tensor xt = timeStep(ctx, rc, rc.x(), t, p + "x");
                Tensor xz = ctx.emit(p + "x_z", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, xt, wx[0], bx[0]);
                Tensor xr = ctx.emit(p + "x_r", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, xt, wx[1], bx[1]);
                Tensor xh = ctx.emit(p + "x_h", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, xt, wx[2], bx[2]);
                Tensor z;
                Tensor pre;
                if (state == null) {
                    z = ctx.emit(p + "z", OpType.LOGISTIC, none, DType.FLOAT32, xz);
                    if (linearBeforeReset) {
                        Tensor rg = ctx.emit(p + "r", OpType.LOGISTIC, none, DType.FLOAT32, xr);
                        Tensor rb = ctx.emit(p + "r_rb", OpType.MUL, mul, DType.FLOAT32, rg, rbh);
                        pre = ctx.emit(p + "h_in", OpType.ADD, add, DType.FLOAT32, xh, rb);
                    } else {
                        pre = xh;
                    }
                } else {
                    Tensor hz = ctx.emit(p + "h_z", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, state, rh[0]);
                    Tensor hr = ctx.emit(p + "h_r", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, state, rh[1]);
                    z = ctx.emit(
                            p + "z",
                            OpType.LOGISTIC,
                            none,
                            DType.FLOAT32,
                            ctx.emit(p + "z_in", OpType.ADD, add, DType.FLOAT32, xz, hz));
                    Tensor rg = ctx.emit(
                            p + "r",
                            OpType.LOGISTIC,
                            none,
                            DType.FLOAT32,
                            ctx.emit(p + "r_in", OpType.ADD, add, DType.FLOAT32, xr, hr));
                    Tensor recurrent;
                    if (linearBeforeReset) {
                        Tensor hh = ctx.emit(p + "h_h", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, state, rh[2], rbh);
                        recurrent = ctx.emit(p + "r_hh", OpType.MUL, mul, DType.FLOAT32, rg, hh);
                    } else {
                        Tensor rs = ctx.emit(p + "r_times_h", OpType.MUL, mul, DType.FLOAT32, rg, state);
                        recurrent = ctx.emit(p + "h_h", OpType.FULLY_CONNECTED, fc, DType.FLOAT32, rs, rh[2]);
                    }
                    pre = ctx.emit(p + "h_in", OpType.ADD, add, DType.FLOAT32, xh, recurrent);
                }
                Tensor cand = ctx.emit(p + "n", OpType.TANH, none, DType.FLOAT32, pre);
                if (state == null) {
                    Tensor zn = ctx.emit(p + "z_n", OpType.MUL, mul, DType.FLOAT32, z, cand);
                    state = ctx.emit(p + "h", OpType.SUB, mul, DType.FLOAT32, cand, zn);
                } else {
                    Tensor diff = ctx.emit(p + "h_minus_n", OpType.SUB, mul, DType.FLOAT32, state, cand);
                    Tensor zd = ctx.emit(p + "z_diff", OpType.MUL, mul, DType.FLOAT32, z, diff);
                    state = ctx.emit(p + "h", OpType.ADD, add, DType.FLOAT32, cand, zd);
                }
                hs[t] = state;
            }
            last[d] = state;
            if (n.hasOutput(0)) {
                inTime[d] = ctx.emit(
                        base + "_sequence", OpType.PACK, new OpAttributes.Pack(rc.timeAxis()), DType.FLOAT32, hs);
            }
        }
        defineOutputs(n, ctx, rc, inTime, last);
    }
}
