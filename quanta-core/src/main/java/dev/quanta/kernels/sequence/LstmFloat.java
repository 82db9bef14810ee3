package dev.quanta.kernels.sequence;

import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import java.util.function.Function;

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM in float32, as TFLite's float LSTM step ({@code lstm_eval.cc}, EvalFloat), one
 * batch row at a time. With x_t the input at step t, h the output (activation) state and c the cell state, both
 * zero before the first step of every run:
 *
 * <pre>
 *   i = σ(b_i + W_xi·x_t + W_hi·h [+ p_i ⊙ c])          input gate (absent with CIFG)
 *   f = σ(b_f + W_xf·x_t + W_hf·h [+ p_f ⊙ c])          forget gate
 *   g = act(b_c + W_xc·x_t + W_hc·h)                      cell gate
 *   c = f ⊙ c + i ⊙ g      (CIFG: c = f ⊙ c + (1 − f) ⊙ g), then clipped to ±cell_clip when cell_clip > 0
 *   o = σ(b_o + W_xo·x_t + W_ho·h [+ p_o ⊙ c])          output gate, peephole on the new c
 *   m = o ⊙ act(c)
 *   h = m,  or with projection  h = clip(b_p + W_p·m, ±proj_clip)
 *   y_t = h
 * </pre>
 *
 * σ(x) = 1 / (1 + e^(−x)); act is the op's activation (TANH in Keras models). Each matrix product is summed as
 * TFLite's portable MatrixBatchVectorMultiplyAccumulate does: the dot product from 0 in column order, then added
 * to the gate (bias first, then the input product, then the recurrent product). Layer-norm LSTMs are rejected.
 */
final class LstmFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int nInput;
    private final int nCell;
    private final int nOutput;
    private final SequenceLayout seq;
    /** Input weights [4][nCell × nInput] and recurrent weights [4][nCell × nOutput], gate order i, f, c, o. */
    private final float[][] wx = new float[4][];

    private final float[][] wh = new float[4][];
    private final float[][] bias = new float[4][];
    /** Peephole weights for i, f, o (null when absent). */
    private final float[] pi;

    private final float[] pf;
    private final float[] po;
    private final float[] projW;
    private final float[] projB;
    private final float cellClip;
    private final float projClip;
    private final OpAttributes.LstmActivation act;
    /** Step buffers: the four gates, the output state h, the cell state c and m = o ⊙ act(c). */
    private final float[][] gate;

    private final float[] h;
    private final float[] c;
    private final float[] m;
    /** The largest |c| of the cell state over every step of every run so far (for calibration). */
    private float cellAbsMax;

    private LstmFloat(Op op, Function<Tensor, float[]> buffer, Function<Tensor, int[]> shape) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int k = 20; k < 24; k++) {
            if (a.has(k)) {
                throw new UnsupportedOperationException(op.describe()
                        + ": UNIDIRECTIONAL_SEQUENCE_LSTM with layer normalization has no float32 kernel");
            }
        }
        int[] xs = shape.apply(op.input(0));
        this.x = buffer.apply(op.input(0));
        this.y = buffer.apply(op.output(0));
        this.seq = SequenceLayout.of(xs, a.timeMajor());
        this.nInput = seq.features();
        int[] rf = shape.apply(op.input(a.position(8)));
        this.nCell = rf[0];
        this.nOutput = rf[1];
        for (int g = 0; g < 4; g++) {
            wx[g] = get(op, a, 1 + g, buffer);
            wh[g] = get(op, a, 5 + g, buffer);
            bias[g] = get(op, a, 12 + g, buffer);
        }
        boolean cifg = wx[0] == null;
        if (cifg && (wh[0] != null || bias[0] != null)) {
            throw new UnsupportedOperationException(op.describe()
                    + ": LSTM without input-to-input weights (CIFG) must have no input-gate recurrent weights or bias");
        }
        for (int g = cifg ? 1 : 0; g < 4; g++) {
            if (wx[g] == null || wh[g] == null || bias[g] == null) {
                throw new UnsupportedOperationException(op.describe() + ": LSTM gate " + "ifco".charAt(g)
                        + " lacks its input weights, recurrent weights or bias");
            }
        }
        this.pi = get(op, a, 9, buffer);
        this.pf = get(op, a, 10, buffer);
        this.po = get(op, a, 11, buffer);
        this.projW = get(op, a, 16, buffer);
        this.projB = get(op, a, 17, buffer);
        if (projW == null && nOutput != nCell) {
            throw new UnsupportedOperationException(op.describe() + ": LSTM without projection needs as many outputs"
                    + " as cells, got " + nOutput + " and " + nCell);
        }
        this.cellClip = a.cellClip();
        this.projClip = a.projClip();
        this.act = a.activation();
        this.gate = new float[4][nCell];
        this.h = new float[nOutput];
        this.c = new float[nCell];
        this.m = new float[nCell];
    }

    static Kernel create(Op op, Function<Tensor, float[]> buffer, Function<Tensor, int[]> shape) {
        return new LstmFloat(op, buffer, shape);
    }

    @Override
    public float stateAbsMax() {
        return cellAbsMax;
    }

    private static float[] get(Op op, OpAttributes.Lstm a, int tfliteIndex, Function<Tensor, float[]> buffer) {
        int p = a.position(tfliteIndex);
        return p < 0 ? null : buffer.apply(op.input(p));
    }

    @Override
    public void run(Parallel parallel) {
        float[][] gate = this.gate;
        float[] h = this.h;
        float[] c = this.c;
        float[] m = this.m;
        boolean cifg = wx[0] == null;
        for (int b = 0; b < seq.batch(); b++) {
            java.util.Arrays.fill(h, 0f);
            java.util.Arrays.fill(c, 0f);
            for (int t = 0; t < seq.steps(); t++) {
                int row = seq.row(b, t);
                for (int g = cifg ? 1 : 0; g < 4; g++) {
                    System.arraycopy(bias[g], 0, gate[g], 0, nCell);
                    LstmCell.matVecAcc(wx[g], nCell, nInput, x, row * nInput, gate[g]);
                    LstmCell.matVecAcc(wh[g], nCell, nOutput, h, 0, gate[g]);
                }
                cellAbsMax = Math.max(cellAbsMax, LstmCell.step(gate, pi, pf, po, cifg, act, cellClip, c, m, nCell));
                if (projW != null) {
                    if (projB != null) {
                        System.arraycopy(projB, 0, h, 0, nOutput);
                    } else {
                        java.util.Arrays.fill(h, 0f);
                    }
                    LstmCell.matVecAcc(projW, nOutput, nCell, m, 0, h);
                    if (projClip > 0f) {
                        for (int k = 0; k < nOutput; k++) {
                            h[k] = Math.max(-projClip, Math.min(projClip, h[k]));
                        }
                    }
                } else {
                    System.arraycopy(m, 0, h, 0, nOutput);
                }
                System.arraycopy(h, 0, y, row * nOutput, nOutput);
            }
        }
    }
}
