package dev.quanta.onnx;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX LSTM (forward, default activations) → UNIDIRECTIONAL_SEQUENCE_LSTM. ONNX packs the gates i, o, f, c in W
 * [1, 4H, in], R [1, 4H, H], B [1, 8H] (input then recurrent biases) and P [1, 3H] (peepholes i, o, f); TFLite takes
 * them one per gate in the order i, f, c, o, with bias = Wb + Rb and peepholes cell-to-input, -forget, -output.
 * Y [seq, 1, batch, H] (layout 0; [batch, seq, 1, H] with layout 1) is the op's output reshaped; Y_h its last step.
 */
final class OnnxSequenceOps {
    private OnnxSequenceOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("LSTM", OnnxSequenceOps::lstm);
    }

    /** ONNX gate index (i, o, f, c) of TFLite gate k (i, f, c, o). */
    private static final int[] ONNX_GATE = {0, 2, 3, 1};

    private static void lstm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 8);
        n.allowAttributes("activations", "direction", "hidden_size", "layout", "input_forget");
        if (!n.getString("direction", "forward").equals("forward")) {
            throw n.unsupported("direction '" + n.getString("direction", "forward") + "' is not supported");
        }
        if (n.getInt("input_forget", 0) != 0) {
            throw n.unsupported("input_forget 1 is not supported");
        }
        var acts = n.attribute("activations");
        if (acts != null) {
            List<String> a =
                    acts.getStringsList().stream().map(b -> b.toStringUtf8()).toList();
            if (!a.equals(List.of("Sigmoid", "Tanh", "Tanh"))) {
                throw n.unsupported("activations " + a + " are not supported (only Sigmoid, Tanh, Tanh)");
            }
        }
        if (n.hasInput(4)) {
            throw n.unsupported("sequence_lens is not supported");
        }
        for (int i : new int[] {5, 6}) {
            if (n.hasInput(i)) {
                float[] init = ctx.constantFloats(n.input(i), i == 5 ? "initial_h" : "initial_c");
                for (float v : init) {
                    if (v != 0f) {
                        throw n.unsupported("a non-zero initial state is not supported");
                    }
                }
            }
        }
        if (n.hasOutput(2)) {
            throw n.unsupported("the Y_c output is not supported");
        }
        boolean batchMajor = n.getInt("layout", 0) != 0;
        Tensor x = ctx.onnx(n.input(0));
        OnnxElementwiseOps.requireType(n, x, DType.FLOAT32);
        if (x.shape().rank() != 3
                || x.shape().dim(batchMajor ? 1 : 0) < 1
                || x.shape().dim(2) < 1) {
            throw n.unsupported("input " + x.shape() + " needs a known sequence length and feature size");
        }
        int in = x.shape().dim(2);
        float[] w = ctx.constantFloats(n.input(1), "W");
        float[] r = ctx.constantFloats(n.input(2), "R");
        int h = (int) n.getInt("hidden_size", r.length / 4 > 0 ? (long) Math.sqrt(r.length / 4.0) : 0);
        if (h < 1 || w.length != 4 * h * in || r.length != 4 * h * h) {
            throw n.bad("W and R do not fit hidden_size " + h + " and " + in + " input features");
        }
        float[] b = n.hasInput(3) ? ctx.constantFloats(n.input(3), "B") : new float[8 * h];
        float[] p = n.hasInput(7) ? ctx.constantFloats(n.input(7), "P") : null;
        if (b.length != 8 * h || (p != null && p.length != 3 * h)) {
            throw n.bad("B or P do not fit hidden_size " + h);
        }
        String base = n.output(0).isEmpty() ? n.name() : n.output(0);
        String[] gates = {"input", "forget", "cell", "output"};
        List<Tensor> ins = new ArrayList<>(List.of(x));
        for (int k = 0; k < 4; k++) {
            int g = ONNX_GATE[k];
            ins.add(ctx.constant(
                    base + "_" + gates[k] + "_w",
                    Shape.of(h, in),
                    java.util.Arrays.copyOfRange(w, g * h * in, (g + 1) * h * in)));
        }
        for (int k = 0; k < 4; k++) {
            int g = ONNX_GATE[k];
            ins.add(ctx.constant(
                    base + "_" + gates[k] + "_r",
                    Shape.of(h, h),
                    java.util.Arrays.copyOfRange(r, g * h * h, (g + 1) * h * h)));
        }
        boolean[] present = new boolean[24];
        for (int i = 0; i <= 8; i++) {
            present[i] = true;
        }
        if (p != null) {
            // P holds i, o, f; TFLite inputs 9, 10, 11 are cell-to-input, -forget, -output
            int[] order = {0, 2, 1};
            String[] names = {"input", "forget", "output"};
            for (int k = 0; k < 3; k++) {
                ins.add(ctx.constant(
                        base + "_peephole_" + names[k],
                        Shape.of(h),
                        java.util.Arrays.copyOfRange(p, order[k] * h, (order[k] + 1) * h)));
                present[9 + k] = true;
            }
        }
        for (int k = 0; k < 4; k++) {
            int g = ONNX_GATE[k];
            float[] bias = new float[h];
            for (int j = 0; j < h; j++) {
                bias[j] = b[g * h + j] + b[4 * h + g * h + j];
            }
            ins.add(ctx.constant(base + "_" + gates[k] + "_bias", Shape.of(h), bias));
            present[12 + k] = true;
        }
        OpAttributes.Lstm attrs =
                new OpAttributes.Lstm(OpAttributes.LstmActivation.TANH, 0f, 0f, !batchMajor, false, present);
        Tensor seq = ctx.emit(
                base + "_sequence",
                OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                attrs,
                DType.FLOAT32,
                ins.toArray(Tensor[]::new));
        int[] sd = seq.shape().dims(); // [seq, batch, H] or [batch, seq, H]
        if (n.hasOutput(0)) {
            int[] y = batchMajor ? new int[] {sd[0], sd[1], 1, h} : new int[] {sd[0], 1, sd[1], h};
            ctx.define(n.output(0), ctx.reshape(seq, y, n.output(0)));
        }
        if (n.hasOutput(1)) {
            int timeAxis = batchMajor ? 1 : 0;
            int steps = sd[timeAxis];
            int[] begin = new int[3];
            int[] end = sd.clone();
            begin[timeAxis] = steps - 1;
            int mask = 0;
            for (int i = 0; i < 3; i++) {
                if (end[i] < 0) {
                    end[i] = 0;
                    mask |= 1 << i;
                }
            }
            Tensor last = ctx.emit(
                    n.output(1),
                    OpType.STRIDED_SLICE,
                    new OpAttributes.StridedSlice(begin, end, new int[] {1, 1, 1}, mask, mask, 0, false),
                    DType.FLOAT32,
                    seq);
            // [1, batch, H] (layout 0) or [batch, 1, H] (layout 1): ONNX's Y_h
            ctx.define(n.output(1), last);
        }
    }
}
