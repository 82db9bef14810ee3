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
 *   i, f = σ(gate [+ p ⊙ c]);  c = f·c;  c += act(g_c)·i   (CIFG: i = 1 − f);  clipped to ±cell_clip when &gt; 0
 *   m = σ(gate_o [+ p_o ⊙ c])·act(c)                          peephole on the new c
 *   h = m,  or with projection  h = clip(b_p + W_p·m, ±proj_clip)
 * </pre>
 *
 * In the hybrid kernel x_t, h and (for the projection) m are quantized per row at every step and each product adds
 * {@code float(Σ W·q − z·ΣW) · (s · s_W)} ({@link HybridRows}, as {@link LstmHybrid}); int8 peepholes are
 * recovered as float(q)·s. merge_outputs writes [fw h, bw h] along the last axis of one output, else the two
 * outputs. As in TFLite both directions have the same number of cells. Layer normalization and the auxiliary input
 * are refused.
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
    private final float[] m;
    private final byte[] mq;
    private final int[] mOffset = new int[1];
    private final boolean asymmetric;
    private final float projClip;
    private final Extras fwExtra;
    private final Extras bwExtra;
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
        this.fw = new LstmGates(op, a, 0, buffer, shape, nInput, a.has(16));
        this.bw = new LstmGates(op, a, 17, buffer, shape, nInput, a.has(33));
        if (fw.cells != bw.cells) {
            // TFLite's Prepare checks the backward weights against the forward cell count
            throw new UnsupportedOperationException(op.describe() + ": the backward LSTM needs as many cells as the"
                    + " forward one (TFLite's kernel requires it), got " + bw.cells + " and " + fw.cells);
        }
        this.fwExtra = new Extras(op, a, 0, buffer, shape, fw);
        this.bwExtra = new Extras(op, a, 17, buffer, shape, bw);
        int cells = fw.cells;
        int outputs = Math.max(fw.outputs, bw.outputs);
        this.gate = new float[4][cells];
        this.h = new float[outputs];
        this.c = new float[cells];
        this.m = new float[cells];
        this.mq = new byte[cells];
        this.asymmetric = a.asymmetricQuantizeInputs();
        this.projClip = a.projClip();
        this.hybrid = new HybridStep(nInput, outputs, asymmetric);
    }

    /**
     * One direction's peepholes (TFLite inputs 9–11 shifted by {@code off}; int8 ones recovered as float(q)·s) and
     * projection (16: weights [outputs × cells], float or int8 with one scale; 17: float bias).
     */
    private static final class Extras {
        final float[] pi;
        final float[] pf;
        final float[] po;
        final float[] projW;
        final byte[] projQ;
        final float projScale;
        final int[] projSums;
        final float[] projB;

        Extras(
                Op op,
                OpAttributes.BidirectionalLstm a,
                int off,
                Function<Tensor, Object> buffer,
                Function<Tensor, int[]> shape,
                LstmGates g) {
            pi = peephole(op, a, 9 + off, buffer);
            pf = peephole(op, a, 10 + off, buffer);
            po = peephole(op, a, 11 + off, buffer);
            if (!a.has(16 + off)) {
                projW = null;
                projQ = null;
                projScale = 0f;
                projSums = null;
                projB = null;
                return;
            }
            Tensor w = op.input(a.position(16 + off));
            int[] ws = shape.apply(w);
            if (ws.length != 2 || ws[0] != g.outputs || ws[1] != g.cells) {
                throw new UnsupportedOperationException(op.describe() + ": projection weights (TFLite input "
                        + (16 + off) + ") " + Arrays.toString(ws) + " are not [" + g.outputs + ", " + g.cells + "]");
            }
            if (g.hybrid) {
                if (w.dtype() != DType.INT8 || w.quant() == null || !w.quant().isPerTensor()) {
                    throw new UnsupportedOperationException(op.describe() + ": hybrid projection weights (TFLite input "
                            + (16 + off) + ") must be int8 with one scale");
                }
                projW = null;
                projQ = (byte[]) buffer.apply(w);
                projScale = w.quant().scale();
                projSums = HybridRows.rowSums(projQ, g.outputs, g.cells);
            } else {
                projW = (float[]) buffer.apply(w);
                projQ = null;
                projScale = 0f;
                projSums = null;
            }
            projB = a.has(17 + off) ? (float[]) buffer.apply(op.input(a.position(17 + off))) : null;
        }

        boolean projected() {
            return projW != null || projQ != null;
        }

        private static float[] peephole(
                Op op, OpAttributes.BidirectionalLstm a, int k, Function<Tensor, Object> buffer) {
            return a.has(k) ? LstmHybrid.peepholeWeights(op, op.input(a.position(k)), k, buffer) : null;
        }
    }

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return new BidirectionalLstm(op, buffer, shape);
    }

    @Override
    public void run(Parallel parallel) {
        int width = merge ? fw.outputs + bw.outputs : 0;
        for (int b = 0; b < seq.batch(); b++) {
            runDirection(fw, fwExtra, b, true, fwOut, merge ? width : fw.outputs, 0);
            runDirection(bw, bwExtra, b, false, bwOut, merge ? width : bw.outputs, merge ? fw.outputs : 0);
        }
    }

    /** One direction over batch row {@code b}: h of step t goes to out[row(t)·stride + offset …]. */
    private void runDirection(LstmGates d, Extras e, int b, boolean forward, float[] out, int stride, int offset) {
        int n = d.cells;
        int nOut = d.outputs;
        Arrays.fill(h, 0, nOut, 0f);
        Arrays.fill(c, 0, n, 0f);
        for (int s = 0; s < seq.steps(); s++) {
            int t = forward ? s : seq.steps() - 1 - s;
            int r = seq.row(b, t);
            if (d.hybrid) {
                hybrid.quantize(x, r * nInput, h, nOut);
            }
            for (int g = d.cifg ? 1 : 0; g < 4; g++) {
                System.arraycopy(d.bias[g], 0, gate[g], 0, n);
                if (d.hybrid) {
                    hybrid.addInput(d.qwx[g], d.sumX[g], n, d.sx[g], gate[g]);
                    hybrid.addState(d.qwh[g], d.sumH[g], n, nOut, d.sh[g], gate[g]);
                } else {
                    LstmCell.matVecAcc(d.wx[g], n, nInput, x, r * nInput, gate[g]);
                    LstmCell.matVecAcc(d.wh[g], n, nOut, h, 0, gate[g]);
                }
            }
            if (!e.projected()) {
                LstmCell.step(gate, e.pi, e.pf, e.po, d.cifg, act, cellClip, c, h, n);
            } else {
                LstmCell.step(gate, e.pi, e.pf, e.po, d.cifg, act, cellClip, c, m, n);
                project(e, n, nOut);
            }
            System.arraycopy(h, 0, out, r * stride + offset, nOut);
        }
    }

    /** h = clip(b_p + W_p·m, ±proj_clip); in the hybrid kernel m is quantized on the fly first. */
    private void project(Extras e, int n, int nOut) {
        if (e.projB != null) {
            System.arraycopy(e.projB, 0, h, 0, nOut);
        } else {
            Arrays.fill(h, 0, nOut, 0f);
        }
        if (e.projQ != null) {
            float s = HybridRows.quantize(m, 0, n, asymmetric, mq, mOffset, 0);
            HybridRows.multiplyAccumulate(e.projQ, e.projSums, nOut, n, mq, 0, mOffset[0], s * e.projScale, h);
        } else {
            LstmCell.matVecAcc(e.projW, nOut, n, m, 0, h);
        }
        if (projClip > 0f) {
            for (int k = 0; k < nOut; k++) {
                h[k] = Math.max(-projClip, Math.min(projClip, h[k]));
            }
        }
    }
}
