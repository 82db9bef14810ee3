package dev.quanta.keras;

import static dev.quanta.keras.LayerWeights.spec;

import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The Keras LSTM layer. */
final class LstmLayer {
    private LstmLayer() {}

    /**
     * Keras LSTM: TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM (batch-major) with the 4 gates split out of Keras' fused
     * weights (gate order i, f, c, o in both): kernel [in, 4u] → W_x[g] = kernel[:, g·u:(g+1)·u]ᵀ, recurrent_kernel
     * [u, 4u] → W_h[g] likewise, bias [4u] → b[g] (zeros without use_bias). Without return_sequences the last time
     * step is sliced out (STRIDED_SLICE, shrinking the time axis). The recurrent activation must be sigmoid.
     */
    static Tensor lstm(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        int units = l.positive("units");
        OpAttributes.LstmActivation act = activation(l);
        x = RecurrentLayers.inProcessingOrder(e, l, x);
        boolean useBias = l.bool("use_bias", true);
        int in = featureSize(l, x);
        List<KerasWeight> w = e.fetch(
                l,
                spec("kernel", in, 4 * units),
                spec("recurrent_kernel", units, 4 * units),
                useBias ? spec("bias", 4 * units) : null);
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        inputs.addAll(gateConstants(e, l, "", w, 0, useBias, in, units));
        boolean[] present = new boolean[24];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
            present[i] = true;
        }
        OpAttributes.Lstm attrs = new OpAttributes.Lstm(act, 0f, 0f, false, false, present);
        Tensor[] ins = inputs.toArray(Tensor[]::new);
        if (l.bool("return_sequences", false)) {
            return e.last(l, OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
        }
        Tensor seq = e.inner(l, "sequence", OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
        return lastStep(e, l, seq);
    }

    /**
     * The LSTM's cell activation from its config; refuses a recurrent activation other than sigmoid and the flags
     * TFLite's sequence LSTM has no counterpart of (go_backwards is the caller's: {@link
     * RecurrentLayers#inProcessingOrder}).
     */
    static OpAttributes.LstmActivation activation(KerasLayer l) {
        String recurrentActivation = l.string("recurrent_activation", "sigmoid");
        if (!recurrentActivation.equals("sigmoid")) {
            throw l.unsupported("recurrent_activation", "only sigmoid is supported (TFLite's LSTM gates use it)");
        }
        OpAttributes.LstmActivation act = cellActivation(l);
        for (String flag : new String[] {"stateful", "return_state", "time_major"}) {
            if (l.bool(flag, false)) {
                throw l.unsupported(flag, "only false is supported");
            }
        }
        return act;
    }

    /** The {@code activation} of a recurrent layer (tanh when absent) as TFLite's fused activation. */
    static OpAttributes.LstmActivation cellActivation(KerasLayer l) {
        return switch (l.has("activation") ? l.activation() : "tanh") {
            case "tanh" -> OpAttributes.LstmActivation.TANH;
            case "relu" -> OpAttributes.LstmActivation.RELU;
            case "relu6" -> OpAttributes.LstmActivation.RELU6;
            case "linear" -> OpAttributes.LstmActivation.NONE;
            default -> throw l.unsupported("activation", "supported: tanh, relu, relu6, linear");
        };
    }

    /** The feature size of a sequence x [batch, steps, features], which must be known. */
    static int featureSize(KerasLayer l, Tensor x) {
        int in = x.shape().dim(2);
        if (in <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known feature size");
        }
        return in;
    }

    /**
     * The 12 gate constants of one LSTM from its Keras weights {@code w[first..]} (kernel, recurrent_kernel and,
     * with {@code useBias}, bias): W_x[g] = kernel[:, g·u:(g+1)·u]ᵀ, W_h[g] likewise, b[g] (zeros without bias),
     * each gate in the order input, forget, cell, output; named {@code <layer>/<prefix><gate>_kernel} etc.
     */
    static List<Tensor> gateConstants(
            LayerEmitter e,
            KerasLayer l,
            String prefix,
            List<KerasWeight> w,
            int first,
            boolean useBias,
            int in,
            int units) {
        float[] kernel = w.get(first).values();
        float[] recurrent = w.get(first + 1).values();
        float[] bias = useBias ? w.get(first + 2).values() : new float[4 * units];
        List<Tensor> out = new ArrayList<>();
        String[] gates = {"input", "forget", "cell", "output"};
        for (int g = 0; g < 4; g++) {
            out.add(e.constant(l, prefix + gates[g] + "_kernel", Shape.of(units, in), gateSlice(kernel, in, units, g)));
        }
        for (int g = 0; g < 4; g++) {
            out.add(e.constant(
                    l,
                    prefix + gates[g] + "_recurrent_kernel",
                    Shape.of(units, units),
                    gateSlice(recurrent, units, units, g)));
        }
        for (int g = 0; g < 4; g++) {
            out.add(e.constant(
                    l,
                    prefix + gates[g] + "_bias",
                    Shape.of(units),
                    Arrays.copyOfRange(bias, g * units, (g + 1) * units)));
        }
        return out;
    }

    /** The last step of a sequence [batch, steps, n]: [:, -1, :] with the time axis shrunk away (STRIDED_SLICE). */
    static Tensor lastStep(LayerEmitter e, KerasLayer l, Tensor seq) {
        return e.last(
                l,
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(
                        new int[] {0, -1, 0}, new int[] {0, 0, 0}, new int[] {1, 1, 1}, 0b101, 0b101, 0b010, false),
                seq);
    }

    /** Gate g of a Keras fused [rows, 4u] matrix, transposed to [u, rows]. */
    private static float[] gateSlice(float[] fused, int rows, int units, int g) {
        float[] out = new float[units * rows];
        for (int r = 0; r < rows; r++) {
            for (int u = 0; u < units; u++) {
                out[u * rows + r] = fused[r * 4 * units + g * units + u];
            }
        }
        return out;
    }
}
