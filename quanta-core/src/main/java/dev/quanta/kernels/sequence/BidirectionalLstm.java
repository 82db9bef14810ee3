package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.HybridRows;
import java.util.Arrays;
import java.util.function.Function;

/**
 * BIDIRECTIONAL_SEQUENCE_LSTM in float32 or hybrid (int8 weights), as TFLite's kernel
 * ({@code bidirectional_sequence_lstm.cc} with {@code lstm_eval.cc} EvalFloat / EvalHybrid): a forward LSTM over steps 0 … T−1 and a backward one over T−1 … 0, one batch row
 * at a time, both starting from zero states on every run; each writes its h at the step it computes. With x_t the
 * input, h and c the direction's states, σ(v) = 1 / (1 + e^(−v)) and act the op's activation:
 *
 * <pre>
 *   gate_g = b_g;  gate_g += W_xg·x_t;  gate_g += W_hg·h       g ∈ {i, f, c, o}; each product summed from 0
 *   c = σ(f)·c;  c += act(g_c)·σ(i)   (CIFG: 1 − σ(f));  clipped to ±cell_clip when cell_clip &gt; 0
 *   h = σ(o)·act(c)
 * </pre>
 *
 * In the hybrid kernel x_t and h are quantized per row at every step and each product adds
 * {@code float(Σ W·q − z·ΣW) · (s · s_W)} ({@link HybridRows}, as {@link LstmHybrid}).
 * merge_outputs writes [fw h, bw h] along the last axis of one output, else the two outputs. As in TFLite both
 * directions have the same number of cells. Peepholes, projection, layer normalization and the auxiliary input are
 * refused.
 */
final class BidirectionalLstm implements Kernel {
    private final float[] x;
    private final float[] fwOut;
    private final float[] bwOut;
    private final int nInput;
    private final SequenceLayout seq;
    private final boolean merge;
    private final OpAttributes.LstmActivation act;
    private final float cellClip;
    private final LstmGates fw;
    private final LstmGates bw;
    private final float[][] gate;
    private final float[] h;
    private final float[] c;
    /** Hybrid scratch: the input row's and the state's int8 values. */
    private final HybridStep hybrid;

    private BidirectionalLstm(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
        for (int k = 39; k < 48; k++) {
            if (a.has(k)) {
                throw new UnsupportedOperationException(op.describe()
                        + ": the bidirectional LSTM kernel takes no auxiliary input (TFLite input " + k + ")");
            }
        }
        if (op.input(0).dtype() != DType.FLOAT32) {
            throw new UnsupportedOperationException(
                    op.describe() + ": BIDIRECTIONAL_SEQUENCE_LSTM runs on float32 activations only, got "
                            + op.input(0).dtype());
        }
        int[] xs = shape.apply(op.input(0));
        this.x = (float[]) buffer.apply(op.input(0));
        this.seq = SequenceLayout.of(xs, a.timeMajor());
        this.nInput = seq.features();
        this.merge = a.mergeOutputs();
        this.fwOut = (float[]) buffer.apply(op.output(0));
        this.bwOut = merge ? fwOut : (float[]) buffer.apply(op.output(1));
        this.act = a.activation();
        this.cellClip = a.cellClip();
        for (int k : new int[] {9, 10, 11, 16, 17, 26, 27, 28, 33, 34}) {
            if (a.has(k)) {
                throw new UnsupportedOperationException(op.describe() + ": the bidirectional LSTM kernel"
                        + " supports no peepholes or projection (TFLite input " + k + " is present)");
            }
        }
        this.fw = new LstmGates(op, a, 0, buffer, shape, nInput);
        this.bw = new LstmGates(op, a, 17, buffer, shape, nInput);
        if (fw.cells != bw.cells) {
            // TFLite's Prepare checks the backward weights against the forward cell count
            throw new UnsupportedOperationException(op.describe() + ": the backward LSTM needs as many cells as the"
                    + " forward one (TFLite's kernel requires it), got " + bw.cells + " and " + fw.cells);
        }
        int most = Math.max(fw.cells, bw.cells);
        this.gate = new float[4][most];
        this.h = new float[most];
        this.c = new float[most];
        this.hybrid = new HybridStep(nInput, most, a.asymmetricQuantizeInputs());
    }

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return new BidirectionalLstm(op, buffer, shape);
    }

    @Override
    public void run(Parallel parallel) {
        int width = merge ? fw.cells + bw.cells : 0;
        for (int b = 0; b < seq.batch(); b++) {
            runDirection(fw, b, true, fwOut, merge ? width : fw.cells, 0);
            runDirection(bw, b, false, bwOut, merge ? width : bw.cells, merge ? fw.cells : 0);
        }
    }

    /** One direction over batch row {@code b}: h of step t goes to out[row(t)·stride + offset …]. */
    private void runDirection(LstmGates d, int b, boolean forward, float[] out, int stride, int offset) {
        int n = d.cells;
        Arrays.fill(h, 0, n, 0f);
        Arrays.fill(c, 0, n, 0f);
        for (int s = 0; s < seq.steps(); s++) {
            int t = forward ? s : seq.steps() - 1 - s;
            int r = seq.row(b, t);
            if (d.hybrid) {
                hybrid.quantize(x, r * nInput, h, n);
            }
            for (int g = d.cifg ? 1 : 0; g < 4; g++) {
                System.arraycopy(d.bias[g], 0, gate[g], 0, n);
                if (d.hybrid) {
                    hybrid.addInput(d.qwx[g], d.sumX[g], n, d.sx[g], gate[g]);
                    hybrid.addState(d.qwh[g], d.sumH[g], n, n, d.sh[g], gate[g]);
                } else {
                    LstmCell.matVecAcc(d.wx[g], n, nInput, x, r * nInput, gate[g]);
                    LstmCell.matVecAcc(d.wh[g], n, n, h, 0, gate[g]);
                }
            }
            LstmCell.step(gate, null, null, null, d.cifg, act, cellClip, c, h, n);
            System.arraycopy(h, 0, out, r * stride + offset, n);
        }
    }
}
