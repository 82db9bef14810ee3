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
 * The hybrid ("dynamic range") UNIDIRECTIONAL_SEQUENCE_LSTM: float32 input, output and states, int8 weights with
 * one scale each, float32 biases; TFLite's LstmStepHybrid ({@code lstm_eval.cc}), which XNNPACK does not take, so
 * both paths run it. At every step the input row x_t and the output state h are quantized on the fly
 * ({@link HybridRows}: asymmetric with {@code asymmetric_quantize_inputs}, else symmetric), then, with
 * ⟨W, v⟩ the hybrid product float(Σ W·q − z·ΣW) · (s_v · s_W):
 *
 * <pre>
 *   gate_g = b_g;  gate_g += ⟨W_xg, x_t⟩;  gate_g += ⟨W_hg, h⟩          g ∈ {i, f, c, o}, in float
 *   i, f = σ(gate [+ p ⊙ c]),  g_c = act(gate_c)                        peepholes p = float(int8 p) · s_p
 *   c = f·c;  c += g_c·i   (CIFG: i = 1 − f);  c clipped to ±cell_clip when cell_clip &gt; 0
 *   m = σ(gate_o [+ p_o ⊙ c]) · act(c)                                  peephole on the new c
 *   h = m,  or with projection  h = clip(b_p + ⟨W_p, m⟩, ±proj_clip)    m quantized on the fly too
 *   y_t = h
 * </pre>
 *
 * The gates read the state of the previous step, the output gate too (its recurrent product uses the h quantized
 * at the start of the step). The states start at zero on every run. Layer normalization is refused. The float gate
 * sums agree with TFLite's within rounding, not bit for bit; with a projection, m is quantized again, so a rare
 * one-ulp difference can move one element of m by a quantization step, and the output by that step times a
 * projection weight.
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
    private final float projClip;
    private final LstmGates w;
    private final float[][] gate;
    private final float[] h;
    private final float[] c;
    private final float[] m;
    private final int nOutput;
    private final float[] pi;
    private final float[] pf;
    private final float[] po;
    private final byte[] projW;
    private final float projScale;
    private final int[] projSums;
    private final float[] projB;
    private final byte[] mq;
    private final boolean asymmetric;
    private final int[] mOffset = new int[1];

    private LstmHybrid(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int k : new int[] {20, 21, 22, 23}) {
            if (a.has(k)) {
                throw new UnsupportedOperationException(op.describe() + ": the hybrid LSTM kernel supports no"
                        + " layer normalization (TFLite input " + k + " is present)");
            }
        }
        int[] xs = shape.apply(op.input(0));
        this.x = (float[]) buffer.apply(op.input(0));
        this.y = (float[]) buffer.apply(op.output(0));
        this.seq = SequenceLayout.of(xs, a.timeMajor());
        this.nInput = seq.features();
        this.act = a.activation();
        this.cellClip = a.cellClip();
        boolean projected = a.has(16);
        this.w = new LstmGates(op, a, 0, buffer, shape, nInput, projected);
        if (!w.hybrid) {
            throw new UnsupportedOperationException(
                    op.describe() + ": the hybrid LSTM kernel needs int8 weights with one scale each");
        }
        this.nCell = w.cells;
        this.nOutput = w.outputs;
        this.gate = new float[4][nCell];
        this.h = new float[nOutput];
        this.c = new float[nCell];
        this.m = new float[nCell];
        this.pi = peephole(op, a, 9, buffer);
        this.pf = peephole(op, a, 10, buffer);
        this.po = peephole(op, a, 11, buffer);
        this.projClip = a.projClip();
        if (projected) {
            Tensor pw = op.input(a.position(16));
            int[] ps = shape.apply(pw);
            if (pw.dtype() != DType.INT8 || pw.quant() == null || !pw.quant().isPerTensor()) {
                throw new UnsupportedOperationException(
                        op.describe() + ": the hybrid LSTM kernel needs int8 projection weights with one scale");
            }
            if (ps[0] != nOutput || ps[1] != nCell) {
                throw new UnsupportedOperationException(op.describe() + ": projection weights " + Arrays.toString(ps)
                        + " are not [" + nOutput + ", " + nCell + "]");
            }
            this.projW = (byte[]) buffer.apply(pw);
            this.projScale = pw.quant().scale();
            this.projSums = HybridRows.rowSums(projW, nOutput, nCell);
            this.projB = a.has(17) ? (float[]) buffer.apply(op.input(a.position(17))) : null;
            this.mq = new byte[nCell];
        } else {
            this.projW = null;
            this.projScale = 0f;
            this.projSums = null;
            this.projB = null;
            this.mq = null;
        }
        this.asymmetric = a.asymmetricQuantizeInputs();
        this.hybrid = new HybridStep(nInput, nOutput, asymmetric);
    }

    private static float[] peephole(Op op, OpAttributes.Lstm a, int k, Function<Tensor, Object> buffer) {
        return a.has(k) ? peepholeWeights(op, op.input(a.position(k)), k, buffer) : null;
    }

    /**
     * Peephole weights {@code t} (TFLite input {@code k}) as floats: float32 ones as they are, int8 ones times their
     * scale, as TFLite's VectorScalarMultiply recovers them.
     */
    static float[] peepholeWeights(Op op, Tensor t, int k, Function<Tensor, Object> buffer) {
        if (t.dtype() == DType.FLOAT32) {
            return (float[]) buffer.apply(t);
        }
        if (t.dtype() != DType.INT8 || t.quant() == null || !t.quant().isPerTensor()) {
            throw new UnsupportedOperationException(op.describe() + ": peephole weights (TFLite input " + k
                    + ") must be float32 or int8 with one scale");
        }
        byte[] q = (byte[]) buffer.apply(t);
        float s = t.quant().scale();
        float[] v = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            v[i] = s * q[i];
        }
        return v;
    }

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return new LstmHybrid(op, buffer, shape);
    }

    /** h = clip(b_p + ⟨W_p, m⟩, ±proj_clip), m quantized on the fly (TFLite's CalculateLstmOutputHybrid). */
    private void project() {
        if (projB != null) {
            System.arraycopy(projB, 0, h, 0, nOutput);
        } else {
            Arrays.fill(h, 0f);
        }
        float s = HybridRows.quantize(m, 0, nCell, asymmetric, mq, mOffset, 0);
        HybridRows.multiplyAccumulate(projW, projSums, nOutput, nCell, mq, 0, mOffset[0], s * projScale, h);
        if (projClip > 0f) {
            for (int k = 0; k < nOutput; k++) {
                h[k] = Math.max(-projClip, Math.min(projClip, h[k]));
            }
        }
    }

    @Override
    public void run(Parallel parallel) {
        boolean cifg = w.cifg;
        for (int b = 0; b < seq.batch(); b++) {
            Arrays.fill(h, 0f);
            Arrays.fill(c, 0f);
            for (int t = 0; t < seq.steps(); t++) {
                int r = seq.row(b, t);
                hybrid.quantize(x, r * nInput, h, nOutput);
                for (int g = cifg ? 1 : 0; g < 4; g++) {
                    System.arraycopy(w.bias[g], 0, gate[g], 0, nCell);
                    hybrid.addInput(w.qwx[g], w.sumX[g], nCell, w.sx[g], gate[g]);
                    hybrid.addState(w.qwh[g], w.sumH[g], nCell, nOutput, w.sh[g], gate[g]);
                }
                if (projW == null) {
                    LstmCell.step(gate, pi, pf, po, cifg, act, cellClip, c, h, nCell);
                } else {
                    LstmCell.step(gate, pi, pf, po, cifg, act, cellClip, c, m, nCell);
                    project();
                }
                System.arraycopy(h, 0, y, r * nOutput, nOutput);
            }
        }
    }
}
