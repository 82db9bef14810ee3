package dev.quanta.kernels.sequence;

import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.HybridRows;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The hybrid ("dynamic range") UNIDIRECTIONAL_SEQUENCE_LSTM: float32 input, output and states, int8 weights with
 * one scale each, float32 biases; TFLite's LstmStepHybrid ({@code lstm_eval.cc}), which XNNPACK does not take, so
 * both paths run it. At every step the input row x_t and the output state h are quantized on the fly
 * ({@link HybridRows}: asymmetric with {@code asymmetric_quantize_inputs}, else symmetric), then, with
 * ⟨W, v⟩ the hybrid product float(Σ W·q − z·ΣW) · (s_v · s_W):
 *
 * <pre>
 *   gate_g = b_g;  gate_g += ⟨W_xg, x_t⟩;  gate_g += ⟨W_hg, h⟩          g ∈ {i, f, c, o}, in float
 *   i, f, o = σ(gate) = 1 / (1 + exp(−gate));   g_c = act(gate_c)
 *   c = f·c;  c += g_c·i   (CIFG: i = 1 − f);  c clipped to ±cell_clip when cell_clip &gt; 0
 *   h = o · act(c);  y_t = h
 * </pre>
 *
 * The gates i, f and c read the state of the previous step, the output gate too (its recurrent product uses the
 * h quantized at the start of the step). The states start at zero on every run. Peepholes, projection and layer
 * normalization are refused.
 */
final class LstmHybrid implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int nInput;
    private final int nCell;
    private final SequenceLayout seq;
    private final HybridStep hybrid;
    private final OpAttributes.LstmActivation act;
    private final float cellClip;
    private final LstmGates w;
    private final float[][] gate;
    private final float[] h;
    private final float[] c;

    private LstmHybrid(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int k : new int[] {9, 10, 11, 16, 17, 20, 21, 22, 23}) {
            if (a.has(k)) {
                throw new UnsupportedOperationException(op.describe() + ": the hybrid LSTM kernel supports no"
                        + " peepholes, projection or layer normalization (TFLite input " + k + " is present)");
            }
        }
        int[] xs = shape.apply(op.input(0));
        this.x = (float[]) buffer.apply(op.input(0));
        this.y = (float[]) buffer.apply(op.output(0));
        this.seq = SequenceLayout.of(xs, a.timeMajor());
        this.nInput = seq.features();
        this.act = a.activation();
        this.cellClip = a.cellClip();
        this.w = new LstmGates(op, a, 0, buffer, shape, nInput);
        if (!w.hybrid) {
            throw new UnsupportedOperationException(
                    op.describe() + ": the hybrid LSTM kernel needs int8 weights with one scale each");
        }
        this.nCell = w.cells;
        this.gate = new float[4][nCell];
        this.h = new float[nCell];
        this.c = new float[nCell];
        this.hybrid = new HybridStep(nInput, nCell, a.asymmetricQuantizeInputs());
    }

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return new LstmHybrid(op, buffer, shape);
    }

    @Override
    public void run(Parallel parallel) {
        boolean cifg = w.cifg;
        for (int b = 0; b < seq.batch(); b++) {
            Arrays.fill(h, 0f);
            Arrays.fill(c, 0f);
            for (int t = 0; t < seq.steps(); t++) {
                int r = seq.row(b, t);
                hybrid.quantize(x, r * nInput, h, nCell);
                for (int g = cifg ? 1 : 0; g < 4; g++) {
                    System.arraycopy(w.bias[g], 0, gate[g], 0, nCell);
                    hybrid.addInput(w.qwx[g], w.sumX[g], nCell, w.sx[g], gate[g]);
                    hybrid.addState(w.qwh[g], w.sumH[g], nCell, nCell, w.sh[g], gate[g]);
                }
                LstmCell.step(gate, null, null, null, cifg, act, cellClip, c, h, nCell);
                System.arraycopy(h, 0, y, r * nCell, nCell);
            }
        }
    }
}
