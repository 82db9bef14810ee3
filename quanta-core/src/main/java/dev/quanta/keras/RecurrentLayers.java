package dev.quanta.keras;

import static dev.quanta.keras.LayerWeights.spec;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/** The Keras recurrent layers besides LSTM ({@link LstmLayer}): SimpleRNN and Bidirectional(LSTM). */
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
        for (String flag : new String[] {"go_backwards", "stateful", "return_state", "time_major"}) {
            if (l.bool(flag, false)) {
                throw l.unsupported(flag, "only false is supported");
            }
        }
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
     * Keras Bidirectional around an LSTM with merge_mode concat, as TFLite's BIDIRECTIONAL_SEQUENCE_LSTM
     * (batch-major, outputs merged): the forward LSTM's weights (kernel, recurrent_kernel, bias) come first in the
     * file, then the backward one's. With return_sequences the output at step t is [forward h_t, backward h_t] (the
     * backward state after steps T−1 … t); without it, [forward h_{T−1}, backward h_0]: two STRIDED_SLICEs and a
     * CONCATENATION.
     */
    static Tensor bidirectional(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        KerasLayer inner = l.wrapped("layer");
        if (!inner.className().equals("LSTM")) {
            throw l.unsupported("layer", "only a wrapped LSTM is supported, not " + inner.className());
        }
        String merge = l.string("merge_mode", "concat");
        if (!"concat".equals(merge)) {
            throw l.unsupported("merge_mode", "only concat is supported");
        }
        if (l.has("backward_layer") && !l.wrapped("backward_layer").className().equals("LSTM")) {
            throw l.unsupported("backward_layer", "only an LSTM is supported");
        }
        int units = inner.positive("units");
        OpAttributes.LstmActivation act = LstmLayer.activation(inner);
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
        if (inner.bool("return_sequences", false)) {
            return e.last(l, OpType.BIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
        }
        Tensor seq = e.inner(l, "sequence", OpType.BIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
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
        return e.last(l, OpType.CONCATENATION, new OpAttributes.Concatenation(-1, Activation.NONE), forward, backward);
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
