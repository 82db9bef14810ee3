package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Int16Activations;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.Arrays;
import java.util.function.Function;

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM with int8 input, weights and output state (any zero points), int32 biases and an
 * int16 cell state: TFLite's integer 8x8→16 LSTM ({@code lstm_eval.cc} EvalInteger8x8_16 with the portable tensor
 * utilities, which x86 builds use for every integer LSTM function). XNNPACK does not take the LSTM, so both oracle
 * paths run this.
 *
 * <p>Prepared once (as TFLite's Prepare): with s_x, s_h, s_c the input, output-state and cell-state scales
 * (s_c = 2^C), s_W each weight's scale and s_g = 2⁻¹² the gate pre-activation scale (Q3.12, no layer norm):
 *
 * <pre>
 *   M_xg = QuantizeMultiplier(float(s_Wxg · s_x) / s_g)      M_hg = QuantizeMultiplier(float(s_Whg · s_h) / s_g)
 *   M_m  = QuantizeMultiplier(float(2⁻¹⁵ / s_m) · 2⁻¹⁵)      s_m, z_m: intermediate 4 (effective hidden)
 *   β_xg[r] = b_g[r] − z_x · Σ_k W_xg[r,k]                   β_hg[r] = −z_h · Σ_k W_hg[r,k]
 * </pre>
 *
 * One step, states h (int8, zero point z_h) and c (int16) starting at real 0 (h = z_h, c = 0) on every run, as
 * TFLite resets its variable tensors; MBQM is TFLite's double-rounding MultiplyByQuantizedMultiplier, RDP gemmlowp's
 * RoundingDivideByPOT (ties away from 0), sat16 a clamp to int16:
 *
 * <pre>
 *   gate_g = sat16( sat16(MBQM(β_xg + Σ W_xg·x, M_xg)) + MBQM(β_hg + Σ W_hg·h, M_hg) )    g ∈ {i, f, c, o}
 *   i, f, o = gemmlowp logistic of Q3.12 → Q0.15;   g_c = gemmlowp tanh of Q3.12 → Q0.15
 *   c = sat16( RDP(f·c, 15) + RDP(i·g_c, 30 + C) )           (CIFG: i = 32767 − f)
 *   c = clamp(c, ±q_clip)  when cell_clip &gt; 0,   q_clip = (int16) min(max(cell_clip / s_c, −32768), 32767) (float)
 *   m = clamp8( MBQM(o · tanh_{Q(15+C)}(c), M_m) + z_m )
 *   h = m;  y_t = h
 * </pre>
 *
 * Gates are computed in the order i, f, c, then the cell update, then o (whose recurrent term still reads the old
 * h). m is copied into h and y without rescaling: a converted model gives intermediate 4, the output state and the
 * output the same parameters (TFLite's converter asymmetric over the calibrated range, z_h = z_m ≠ 0 in general).
 * proj_clip only acts on a projection. Peepholes, projection, layer normalization and cell scales outside
 * 2⁻¹⁵ … 2⁻¹¹ are rejected.
 */
final class LstmInt implements Kernel {
    private static final float GATE_SCALE = 0x1p-12f;

    private final byte[] x;
    private final byte[] y;
    private final int nInput;
    private final int nCell;
    private final int nOutput;
    private final SequenceLayout seq;
    private final byte[][] wx = new byte[4][];
    private final byte[][] wh = new byte[4][];
    private final int[][] biasX = new int[4][];
    private final int[][] biasH = new int[4][];
    private final int[] mxA = new int[4];
    private final int[] mxB = new int[4];
    private final int[] mhA = new int[4];
    private final int[] mhB = new int[4];
    private final int hiddenA;
    private final int hiddenB;
    private final int hiddenZp;
    private final int cellShift;
    private final int cellClip;
    private final int outputStateZp;
    /** Gate activations and the cell tanh, tabulated over every int16 input ({@code table[v + 32768]}). */
    private final short[] sigmoid = Int16Activations.logisticQ3Table();

    private final short[] tanhGate = Int16Activations.tanhTable(3);
    private final short[] tanhCell;
    /** Step buffers: the four gates, the output state h and the cell state c (reset for every batch row). */
    private final int[][] gate;

    private final byte[] h;
    private final int[] c;

    private LstmInt(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int k : new int[] {9, 10, 11, 16, 17, 20, 21, 22, 23}) {
            if (a.has(k)) {
                throw Quant.unsupported(
                        op,
                        "the integer LSTM kernel supports no peepholes, projection or layer"
                                + " normalization (TFLite input " + k + " is present)");
            }
        }
        if (a.activation() != OpAttributes.LstmActivation.TANH) {
            throw Quant.unsupported(op, "the integer LSTM always uses tanh, the op asks for " + a.activation());
        }
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        if (in.dtype() != DType.INT8 || out.dtype() != DType.INT8 || in.quant() == null) {
            throw Quant.unsupported(op, "the integer LSTM needs quantized int8 input and output (8x8→16)");
        }
        QuantParams hq = a.outputStateQuant();
        QuantParams cq = a.cellStateQuant();
        QuantParams[] inter = a.intermediates();
        if (hq == null || cq == null || inter == null || inter.length != 5 || inter[4] == null) {
            throw Quant.unsupported(
                    op,
                    "the integer LSTM needs the quantization of its states and its 5"
                            + " intermediate tensors (TFLite's 8x8→16 LSTM)");
        }
        Integer c = Int16Activations.checkedLog2(cq.scale());
        if (c == null || c < -15 || c > -11) {
            throw Quant.unsupported(
                    op,
                    "the integer LSTM kernel supports cell-state scales 2^-15 … 2^-11 (cell"
                            + " ranges up to ±16), got " + cq.scale());
        }
        this.cellShift = c;
        // TFLite's Prepare: (int16) min(max(cell_clip / s_c, −32768), 32767) in float, truncated
        this.cellClip = a.cellClip() > 0f ? (short) Math.min(Math.max(a.cellClip() / cq.scale(), -32768f), 32767f) : 0;
        // the cell state read as Q(15 + C).(−C): gemmlowp tanh with that many integer bits
        this.tanhCell = Int16Activations.tanhTable(15 + c);
        int[] xs = shape.apply(in);
        this.x = (byte[]) buffer.apply(in);
        this.y = (byte[]) buffer.apply(out);
        this.seq = SequenceLayout.of(xs, a.timeMajor());
        this.nInput = seq.features();
        int[] rf = shape.apply(op.input(a.position(8)));
        this.nCell = rf[0];
        this.nOutput = rf[1];
        if (nOutput != nCell) {
            throw Quant.unsupported(op, "LSTM without projection needs as many outputs as cells");
        }
        float sx = in.quant().scale();
        int zx = (int) in.quant().zeroPoint();
        float sh = hq.scale();
        this.outputStateZp = (int) hq.zeroPoint();
        boolean cifg = !a.has(1);
        for (int g = cifg ? 1 : 0; g < 4; g++) {
            Tensor wxt = op.input(a.position(1 + g));
            Tensor wht = op.input(a.position(5 + g));
            int bp = a.position(12 + g);
            if (bp < 0
                    || wxt.quant() == null
                    || wht.quant() == null
                    || !wxt.quant().isPerTensor()
                    || !wht.quant().isPerTensor()) {
                throw Quant.unsupported(
                        op, "LSTM gate " + "ifco".charAt(g) + " needs per-tensor quantized weights and a bias");
            }
            wx[g] = (byte[]) buffer.apply(wxt);
            wh[g] = (byte[]) buffer.apply(wht);
            int[] b = (int[]) buffer.apply(op.input(bp));
            biasX[g] = new int[nCell];
            biasH[g] = new int[nCell];
            for (int r = 0; r < nCell; r++) {
                int sumX = 0;
                for (int k = 0; k < nInput; k++) {
                    sumX += wx[g][r * nInput + k];
                }
                int sumH = 0;
                for (int k = 0; k < nOutput; k++) {
                    sumH += wh[g][r * nOutput + k];
                }
                biasX[g][r] = b[r] + sumX * -zx;
                biasH[g][r] = sumH * -outputStateZp;
            }
            FixedPoint.Multiplier mx = FixedPoint.quantizeMultiplier(wxt.quant().scale() * sx / GATE_SCALE);
            FixedPoint.Multiplier mh = FixedPoint.quantizeMultiplier(wht.quant().scale() * sh / GATE_SCALE);
            mxA[g] = mx.multiplier();
            mxB[g] = mx.shift();
            mhA[g] = mh.multiplier();
            mhB[g] = mh.shift();
        }
        float hiddenScale = 0x1p-15f / inter[4].scale() * 0x1p-15f;
        FixedPoint.Multiplier mm = FixedPoint.quantizeMultiplier(hiddenScale);
        this.hiddenA = mm.multiplier();
        this.hiddenB = mm.shift();
        this.hiddenZp = (int) inter[4].zeroPoint();
        this.gate = new int[4][nCell];
        this.h = new byte[nOutput];
        this.c = new int[nCell];
    }

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return new LstmInt(op, buffer, shape);
    }

    private static int sat16(int v) {
        return v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
    }

    /** gate[r] = sat16(gate[r] + MBQM(bias[r] + Σ_k w[r,k]·v[off + k], m, s)). */
    private static void matVecAcc(
            byte[] v, int off, int cols, byte[] w, int[] bias, int m, int s, int rows, int[] gate) {
        for (int r = 0; r < rows; r++) {
            int acc = bias[r];
            int base = r * cols;
            for (int k = 0; k < cols; k++) {
                acc += v[off + k] * w[base + k];
            }
            gate[r] = sat16(FixedPoint.multiplyByQuantizedMultiplier(acc, m, s) + gate[r]);
        }
    }

    @Override
    public void run(Parallel parallel) {
        int[][] gate = this.gate;
        byte[] h = this.h;
        int[] c = this.c;
        boolean cifg = wx[0] == null;
        for (int b = 0; b < seq.batch(); b++) {
            Arrays.fill(h, (byte) outputStateZp);
            Arrays.fill(c, 0);
            for (int t = 0; t < seq.steps(); t++) {
                int row = seq.row(b, t);
                for (int g = cifg ? 1 : 0; g < 3; g++) {
                    gateInto(g, row, h, gate[g]);
                    short[] act = g == 2 ? tanhGate : sigmoid;
                    for (int k = 0; k < nCell; k++) {
                        gate[g][k] = act[gate[g][k] + 32768];
                    }
                }
                for (int k = 0; k < nCell; k++) {
                    int f = gate[1][k];
                    int forgotten = (short) FixedPoint.roundingDivideByPOT(f * c[k], 15);
                    int i = cifg ? 32767 - f : gate[0][k];
                    int added = (short) FixedPoint.roundingDivideByPOT(i * gate[2][k], 30 + cellShift);
                    int ck = sat16(forgotten + added);
                    if (cellClip > 0) {
                        ck = Math.max(-cellClip, Math.min(cellClip, ck));
                    }
                    c[k] = ck;
                }
                gateInto(3, row, h, gate[3]);
                for (int k = 0; k < nCell; k++) {
                    int o = sigmoid[gate[3][k] + 32768];
                    int tc = tanhCell[c[k] + 32768];
                    int v = FixedPoint.multiplyByQuantizedMultiplier(o * tc, hiddenA, hiddenB) + hiddenZp;
                    h[k] = (byte) Math.max(-128, Math.min(127, v));
                }
                System.arraycopy(h, 0, y, row * nOutput, nOutput);
            }
        }
    }

    private void gateInto(int g, int row, byte[] h, int[] out) {
        Arrays.fill(out, 0);
        matVecAcc(x, row * nInput, nInput, wx[g], biasX[g], mxA[g], mxB[g], nCell, out);
        matVecAcc(h, 0, nOutput, wh[g], biasH[g], mhA[g], mhB[g], nCell, out);
    }
}
