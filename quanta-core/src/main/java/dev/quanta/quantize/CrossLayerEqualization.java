package dev.quanta.quantize;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization", section 4.1), a float-to-float pass that
 * leaves the model's function unchanged up to float rounding. For a pair of layers A → B where A's output channel i
 * is B's input channel i, and only a ReLU (or nothing, or a zero PAD) lies between them, ReLU(x / s) = ReLU(x) / s
 * for s &gt; 0, so
 *
 * <pre>
 * W_A[i, …] ← W_A[i, …] / s_i,   b_A[i] ← b_A[i] / s_i,   W_B[…, i] ← W_B[…, i] · s_i
 * s_i = √(r_A[i] · r_B[i]) / r_B[i]
 * </pre>
 *
 * with r_A[i] the range (max |w|) of A's output channel i and r_B[i] that of B's input channel i; afterwards both
 * are √(r_A[i] · r_B[i]), which makes the channels of each weight tensor alike and so per-tensor quantization
 * cheaper. Pairs: CONV_2D or DEPTHWISE_CONV_2D into CONV_2D or DEPTHWISE_CONV_2D (depth multiplier 1), and
 * FULLY_CONNECTED into FULLY_CONNECTED; A's output must feed B only. ReLU6 is not positively homogeneous
 * (min(x / s, 6) ≠ min(x, 6) / s), so pairs with a ReLU6 (or any other activation) between them are left alone.
 * In chains (conv → depthwise → conv) a layer belongs to two pairs; the pass sweeps all pairs until no scale moves
 * by more than 10⁻⁶ (at most 100 sweeps). A channel whose range in A or in B is below
 * {@link QuantMath#MIN_WEIGHT_ABS_MAX} (a dead BatchNorm channel folded into the weights, as on MLPerf Tiny's VWW) keeps
 * s_i = 1: equalizing it would divide A's bias by s_i ≈ 10⁻¹⁵ and turn a constant channel into one of 10¹⁴, which
 * no per-tensor activation range survives (VWW per-tensor int8 softmax SQNR 4.5 dB with, 32.0 dB without, 27.9 dB
 * with no CLE). Bias absorption (the paper's section 4.1.1) follows in {@link BiasAbsorption}.
 */
final class CrossLayerEqualization {
    private CrossLayerEqualization() {}

    /** The equalized model and a report line per pair: the range of the scales applied. */
    record Result(Model model, List<String> lines) {
        Result {
            lines = List.copyOf(lines);
        }
    }

    private static final int MAX_SWEEPS = 100;
    private static final double CONVERGED = 1e-6;

    /** Where a layer's weights and bias are being rewritten. */
    private static final class Layer {
        final Op op;
        final float[] w;
        final int[] dims;
        final float[] b;

        Layer(Op op) {
            this.op = op;
            this.w = op.input(1).data().floats();
            this.dims = op.input(1).shape().dims();
            int channels = CrossLayerEqualization.outChannels(op);
            this.b = op.inputs().size() > 2 ? op.input(2).data().floats() : null;
            if (b != null && b.length != channels) {
                throw new IllegalStateException("bias of " + op.name() + " has " + b.length + " values");
            }
        }

        boolean depthwise() {
            return op.type() == OpType.DEPTHWISE_CONV_2D;
        }

        /** Output channel of weight element e: axis 0, or the last axis for depthwise. */
        int outChannel(int e) {
            return depthwise() ? e % dims[3] : e / (w.length / dims[0]);
        }

        /** Input channel of weight element e: the last axis (depthwise: the same as the output channel). */
        int inChannel(int e) {
            return e % dims[dims.length - 1];
        }

        int outChannels() {
            return CrossLayerEqualization.outChannels(op);
        }
    }

    private record Pair(Layer first, Layer second, double[] total) {}

    /** The equalized model (the same model when no pair qualifies). */
    static Result apply(Model model) {
        Map<Op, Layer> layers = new IdentityHashMap<>();
        List<Pair> pairs = new ArrayList<>();
        for (Op[] ab : pairs(model)) {
            Layer first = layers.computeIfAbsent(ab[0], Layer::new);
            Layer second = layers.computeIfAbsent(ab[1], Layer::new);
            double[] total = new double[first.outChannels()];
            Arrays.fill(total, 1);
            pairs.add(new Pair(first, second, total));
        }
        if (pairs.isEmpty()) {
            return new Result(model, List.of());
        }
        int sweeps = 0;
        double moved = Double.POSITIVE_INFINITY;
        while (sweeps < MAX_SWEEPS && moved > CONVERGED) {
            moved = 0;
            for (Pair p : pairs) {
                moved = Math.max(moved, equalize(p));
            }
            sweeps++;
        }
        Map<Op, Op> replaced = new IdentityHashMap<>();
        for (Layer l : layers.values()) {
            Op op = l.op;
            List<Tensor> ins = new ArrayList<>(op.inputs());
            Tensor w = op.input(1);
            ins.set(1, new Tensor(w.name(), w.shape(), w.dtype(), TensorData.ofFloats(l.w), null, w.trainable()));
            if (l.b != null) {
                Tensor b = op.input(2);
                ins.set(2, new Tensor(b.name(), b.shape(), b.dtype(), TensorData.ofFloats(l.b), null, b.trainable()));
            }
            replaced.put(op, new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()));
        }
        List<Op> ops = new ArrayList<>();
        for (Op op : model.ops()) {
            ops.add(replaced.getOrDefault(op, op));
        }
        List<String> lines = new ArrayList<>();
        for (Pair p : pairs) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = 0;
            for (double s : p.total) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
            lines.add(String.format(
                    Locale.ROOT,
                    "%s -> %s: %d channels scaled by %.3g..%.3g (%d sweeps)",
                    QuantizationReport.shorten(p.first.op.origin().layerName()),
                    QuantizationReport.shorten(p.second.op.origin().layerName()),
                    p.total.length,
                    lo,
                    hi,
                    sweeps));
        }
        return new Result(new Model(model.name(), model.inputs(), model.outputs(), ops, model.metadata()), lines);
    }

    /**
     * One equalization step of a pair: scales A's output channels by 1/s and B's input channels by s.
     *
     * @return the largest |s − 1| applied
     */
    private static double equalize(Pair p) {
        Layer a = p.first;
        Layer b = p.second;
        int n = a.outChannels();
        double[] ra = new double[n];
        double[] rb = new double[n];
        for (int e = 0; e < a.w.length; e++) {
            ra[a.outChannel(e)] = Math.max(ra[a.outChannel(e)], Math.abs(a.w[e]));
        }
        for (int e = 0; e < b.w.length; e++) {
            rb[b.inChannel(e)] = Math.max(rb[b.inChannel(e)], Math.abs(b.w[e]));
        }
        double[] s = new double[n];
        double moved = 0;
        for (int i = 0; i < n; i++) {
            s[i] = ra[i] >= QuantMath.MIN_WEIGHT_ABS_MAX && rb[i] >= QuantMath.MIN_WEIGHT_ABS_MAX
                    ? Math.sqrt(ra[i] / rb[i])
                    : 1;
            if (!Double.isFinite(s[i]) || s[i] <= 0) {
                s[i] = 1;
            }
            moved = Math.max(moved, Math.abs(s[i] - 1));
            p.total[i] *= s[i];
        }
        for (int e = 0; e < a.w.length; e++) {
            a.w[e] = (float) (a.w[e] / s[a.outChannel(e)]);
        }
        if (a.b != null) {
            for (int i = 0; i < n; i++) {
                a.b[i] = (float) (a.b[i] / s[i]);
            }
        }
        for (int e = 0; e < b.w.length; e++) {
            b.w[e] = (float) (b.w[e] * s[b.inChannel(e)]);
        }
        return moved;
    }

    /**
     * The pairs A → B of {@code model} in its order, each as {A, B}: B is A's {@link #successor} and takes as many
     * input channels as A gives (a zero PAD on the channel axis between them gives more, which no channel of A
     * feeds).
     */
    static List<Op[]> pairs(Model model) {
        List<Op[]> pairs = new ArrayList<>();
        for (Op a : model.ops()) {
            Op b = successor(model, a);
            if (b != null && outChannels(a) == inChannels(b)) {
                pairs.add(new Op[] {a, b});
            }
        }
        return pairs;
    }

    /** A layer's output channels: its weights' axis 0, or the last axis for depthwise. */
    private static int outChannels(Op op) {
        int[] dims = op.input(1).shape().dims();
        return op.type() == OpType.DEPTHWISE_CONV_2D ? dims[3] : dims[0];
    }

    /** A layer's input channels: its weights' last axis. */
    private static int inChannels(Op op) {
        int[] dims = op.input(1).shape().dims();
        return dims[dims.length - 1];
    }

    /**
     * The layer that {@code a}'s output channels feed one to one, with only a ReLU (fused into {@code a}) or a zero
     * PAD between them, or null.
     */
    private static Op successor(Model model, Op a) {
        if (!equalizable(a) || !(activationOf(a) == Activation.NONE || activationOf(a) == Activation.RELU)) {
            return null;
        }
        Tensor t = a.output(0);
        Op next = soleConsumer(model, t);
        if (next != null && next.type() == OpType.PAD && a.type() != OpType.FULLY_CONNECTED) {
            next = soleConsumer(model, next.output(0));
        }
        if (next == null || !equalizable(next) || next.input(1) == a.output(0)) {
            return null;
        }
        boolean dense = a.type() == OpType.FULLY_CONNECTED;
        if (dense != (next.type() == OpType.FULLY_CONNECTED)) {
            return null;
        }
        if (next.type() == OpType.DEPTHWISE_CONV_2D
                && next.attrs(OpAttributes.DepthwiseConv2D.class).depthMultiplier() != 1) {
            return null;
        }
        return next;
    }

    private static Op soleConsumer(Model model, Tensor t) {
        if (model.outputs().contains(t)) {
            return null;
        }
        List<Op> consumers = model.consumers(t);
        if (consumers.size() != 1 || consumers.get(0).input(0) != t) {
            return null;
        }
        return consumers.get(0);
    }

    /** A layer with constant float weights (and bias) of the kinds the pass rescales. */
    private static boolean equalizable(Op op) {
        if (op.type() != OpType.CONV_2D
                && op.type() != OpType.DEPTHWISE_CONV_2D
                && op.type() != OpType.FULLY_CONNECTED) {
            return false;
        }
        if (op.inputs().size() < 2 || !op.input(1).isConstant() || op.input(1).dtype() != DType.FLOAT32) {
            return false;
        }
        if (op.inputs().size() > 2 && (!op.input(2).isConstant() || op.input(2).dtype() != DType.FLOAT32)) {
            return false;
        }
        if (op.type() == OpType.FULLY_CONNECTED && op.input(1).shape().rank() != 2) {
            return false;
        }
        return true;
    }

    private static Activation activationOf(Op op) {
        return FloatGraphPasses.activationOf(op);
    }
}
