package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.runtime.Interpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * TFLite's integer 8x8→16 LSTM against a double-precision LSTM with the same (dequantized) weights, biases and
 * inputs: i, f, o = σ(·), g = tanh(·), c = f·c + i·g (CIFG: i = 1 − f), saturated to the int16 range of its scale
 * and clipped when asked, h = o·tanh(c). The kernel's gates are Q3.12 / Q0.15 fixed point and its cell state int16,
 * so each output stays within {@value #TOLERANCE_STEPS} steps of the output scale (1/128) of the reference.
 */
class LstmIntTest {
    private static final double TOLERANCE_STEPS = 1.5;
    private static final float SX = 0.05f;
    private static final int ZX = 5;
    private static final QuantParams H = QuantParams.perTensor(1f / 128, 0);

    /** A quantized LSTM op with seeded weights, and the real values of everything it holds. */
    record Lstm(
            Model model,
            int nInput,
            int nCell,
            boolean cifg,
            boolean timeMajor,
            float cellClip,
            int cellExp,
            double[][] wx,
            double[][] wh,
            double[][] b,
            QuantParams h) {

        /** The reference outputs h (real values) for int8 inputs laid out as the model's input. */
        double[] reference(byte[] in, int batch, int steps) {
            double[] y = new double[batch * steps * nCell];
            for (int bi = 0; bi < batch; bi++) {
                double[] h = new double[nCell];
                double[] c = new double[nCell];
                for (int t = 0; t < steps; t++) {
                    int row = timeMajor ? t * batch + bi : bi * steps + t;
                    double[] x = new double[nInput];
                    for (int k = 0; k < nInput; k++) {
                        x[k] = SX * (in[row * nInput + k] - ZX);
                    }
                    double[][] gate = new double[4][nCell];
                    for (int g = cifg ? 1 : 0; g < 4; g++) {
                        for (int r = 0; r < nCell; r++) {
                            double v = b[g][r];
                            for (int k = 0; k < nInput; k++) {
                                v += wx[g][r * nInput + k] * x[k];
                            }
                            for (int k = 0; k < nCell; k++) {
                                v += wh[g][r * nCell + k] * h[k];
                            }
                            gate[g][r] = g == 2 ? Math.tanh(v) : 1 / (1 + Math.exp(-v));
                        }
                    }
                    for (int r = 0; r < nCell; r++) {
                        double i = cifg ? 1 - gate[1][r] : gate[0][r];
                        c[r] = gate[1][r] * c[r] + i * gate[2][r];
                        // the int16 cell state saturates at ±32767 steps of its scale
                        double cellMax = 32767 * Math.scalb(1.0, cellExp);
                        c[r] = Math.max(-cellMax, Math.min(cellMax, c[r]));
                        if (cellClip > 0) {
                            c[r] = Math.max(-cellClip, Math.min(cellClip, c[r]));
                        }
                    }
                    for (int r = 0; r < nCell; r++) {
                        h[r] = gate[3][r] * Math.tanh(c[r]);
                        y[row * nCell + r] = h[r];
                    }
                }
            }
            return y;
        }
    }

    /**
     * Weights uniform in ±{@code spread}, int8 symmetric per tensor; biases in ±1, int32 at s_x·s_W; input int8 with
     * s_x = 0.05 and zero point 5; output (= hidden) state 1/128; cell state scale 2^{@code cellExp}.
     */
    static Lstm build(
            long seed,
            int nInput,
            int nCell,
            int batch,
            int steps,
            boolean timeMajor,
            boolean cifg,
            float cellClip,
            int cellExp,
            double spread) {
        return build(seed, nInput, nCell, batch, steps, timeMajor, cifg, cellClip, cellExp, spread, H);
    }

    /** As above, with {@code h} the parameters of the output state, the effective hidden state and the output. */
    static Lstm build(
            long seed,
            int nInput,
            int nCell,
            int batch,
            int steps,
            boolean timeMajor,
            boolean cifg,
            float cellClip,
            int cellExp,
            double spread,
            QuantParams h) {
        Random r = new Random(seed);
        double[][] wx = new double[4][];
        double[][] wh = new double[4][];
        double[][] b = new double[4][];
        List<Tensor> wxT = new ArrayList<>();
        List<Tensor> whT = new ArrayList<>();
        List<Tensor> bT = new ArrayList<>();
        for (int g = cifg ? 1 : 0; g < 4; g++) {
            Tensor tx = weights("wx" + g, nCell, nInput, r, spread);
            Tensor th = weights("wh" + g, nCell, nCell, r, spread);
            wx[g] = real(tx);
            wh[g] = real(th);
            float bs = SX * tx.quant().scale();
            int[] qb = new int[nCell];
            b[g] = new double[nCell];
            for (int i = 0; i < nCell; i++) {
                qb[i] = (int) Math.round((r.nextDouble() * 2 - 1) / bs);
                b[g][i] = (double) qb[i] * bs;
            }
            wxT.add(tx);
            whT.add(th);
            bT.add(new Tensor(
                    "b" + g, Shape.of(nCell), DType.INT32, TensorData.ofInts(qb), QuantParams.perTensor(bs, 0), true));
        }
        boolean[] present = new boolean[24];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
            present[i] = !(cifg && (i == 1 || i == 5 || i == 12));
        }
        int[] dims = timeMajor ? new int[] {steps, batch, nInput} : new int[] {batch, steps, nInput};
        int[] outDims = timeMajor ? new int[] {steps, batch, nCell} : new int[] {batch, steps, nCell};
        Tensor x = new Tensor("x", Shape.of(dims), DType.INT8, null, QuantParams.perTensor(SX, ZX), false);
        Tensor y = new Tensor("y", Shape.of(outDims), DType.INT8, null, h, false);
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        ins.addAll(wxT);
        ins.addAll(whT);
        ins.addAll(bT);
        QuantParams cell = QuantParams.perTensor((float) Math.scalb(1.0, cellExp), 0);
        var attrs = new OpAttributes.Lstm(
                OpAttributes.LstmActivation.TANH, cellClip, 0f, timeMajor, false, present, h, cell, new QuantParams[] {
                    null, null, null, null, h
                });
        Op op = new Op("y", OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, ins, List.of(y), attrs, new Origin("lstm", "LSTM"));
        Model m = new Model("lstm", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
        return new Lstm(m, nInput, nCell, cifg, timeMajor, cellClip, cellExp, wx, wh, b, h);
    }

    private static Tensor weights(String name, int rows, int cols, Random r, double spread) {
        double[] w = new double[rows * cols];
        double absMax = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = (r.nextDouble() * 2 - 1) * spread;
            absMax = Math.max(absMax, Math.abs(w[i]));
        }
        float s = (float) (absMax / 127);
        byte[] q = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            q[i] = (byte) Math.round(w[i] / s);
        }
        return new Tensor(
                name,
                Shape.of(rows, cols),
                DType.INT8,
                TensorData.ofBytes(DType.INT8, q),
                QuantParams.perTensor(s, 0),
                true);
    }

    private static double[] real(Tensor w) {
        byte[] q = w.data().bytes();
        double[] v = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            v[i] = q[i] * (double) w.quant().scale();
        }
        return v;
    }

    private static byte[] input(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] run(Model m, byte[] in) {
        byte[] out = new byte[Math.toIntExact(m.outputs().get(0).shape().elementCount())];
        try (Interpreter it = new Interpreter(m)) {
            it.run(in, out);
        }
        return out;
    }

    /** The largest distance to the reference, in output steps. */
    private static double worstSteps(Lstm l, byte[] in, int batch, int steps) {
        byte[] out = run(l.model(), in);
        double[] want = l.reference(in, batch, steps);
        double worst = 0;
        QuantParams h = l.h();
        for (int i = 0; i < out.length; i++) {
            double real = (out[i] - h.zeroPoint()) * (double) h.scale();
            worst = Math.max(worst, Math.abs(real - want[i]) / h.scale());
        }
        return worst;
    }

    @Test
    void seededLstmsFollowTheFloatEquations() {
        for (int seed = 0; seed < 12; seed++) {
            int nInput = 1 + seed % 4;
            int nCell = 1 + (seed * 7) % 5;
            int batch = 1 + seed % 2;
            int steps = 2 + seed % 5;
            Lstm l = build(seed, nInput, nCell, batch, steps, false, false, 0f, -11, 0.8);
            double worst = worstSteps(l, input(100 + seed, batch * steps * nInput), batch, steps);
            assertThat(worst).as("seed " + seed).isLessThanOrEqualTo(TOLERANCE_STEPS);
        }
    }

    /** Finer cell scales (2⁻¹⁵ … 2⁻¹²) read the cell state with fewer integer bits in the cell tanh. */
    @Test
    void everyCellScaleOfTheKernel() {
        for (int exp = -15; exp <= -11; exp++) {
            // small weights keep |c| below 1, inside the ±2^(15 + exp) range of the finest scale
            Lstm l = build(40 + exp, 3, 4, 1, 6, false, false, 0f, exp, 0.25);
            byte[] in = input(7, 18);
            assertThat(worstSteps(l, in, 1, 6)).as("cell scale 2^" + exp).isLessThanOrEqualTo(TOLERANCE_STEPS);
        }
    }

    @Test
    void coupledInputAndForgetGate() {
        for (int seed = 0; seed < 4; seed++) {
            Lstm l = build(200 + seed, 3, 3, 2, 5, false, true, 0f, -11, 0.8);
            assertThat(worstSteps(l, input(seed, 30), 2, 5))
                    .as("CIFG seed " + seed)
                    .isLessThanOrEqualTo(TOLERANCE_STEPS);
        }
    }

    /** cell_clip 0.25: the cell state is clamped to ±0.25 (q_clip = 0.25 / 2⁻¹¹ = 512), so |h| ≤ tanh(0.25). */
    @Test
    void cellClip() {
        Lstm l = build(300, 2, 3, 1, 8, false, false, 0.25f, -11, 1.0);
        byte[] in = input(3, 16);
        assertThat(worstSteps(l, in, 1, 8)).isLessThanOrEqualTo(TOLERANCE_STEPS);
        for (byte v : run(l.model(), in)) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo((int) Math.ceil(Math.tanh(0.25) * 128));
        }
        Lstm unclipped = build(300, 2, 3, 1, 8, false, false, 0f, -11, 1.0);
        assertThat(run(unclipped.model(), in)).isNotEqualTo(run(l.model(), in));
    }

    /**
     * An asymmetric hidden state (the TFLite converter's form): the output state, the effective hidden state and
     * the output share a zero point other than 0 (−6 at scale 2.05 / 255: the range [−0.98, 1.07]). A wrong sign
     * of the zero point would move every output by 12 steps.
     */
    @Test
    void asymmetricHiddenStateFollowsTheFloatEquations() {
        QuantParams h = QuantParams.perTensor(2.05f / 255, -6);
        for (int seed = 0; seed < 8; seed++) {
            int nInput = 1 + seed % 3;
            int nCell = 2 + seed % 4;
            Lstm l = build(700 + seed, nInput, nCell, 2, 5, seed % 2 == 1, seed % 4 == 3, 0f, -11, 0.8, h);
            double worst = worstSteps(l, input(800 + seed, 2 * 5 * nInput), 2, 5);
            assertThat(worst).as("seed " + seed).isLessThanOrEqualTo(TOLERANCE_STEPS);
        }
    }

    /** Time-major input [time, batch, features] gives the batch-major result transposed. */
    @Test
    void timeMajorLayout() {
        int batch = 2;
        int steps = 4;
        Lstm bm = build(500, 2, 3, batch, steps, false, false, 0f, -11, 0.8);
        Lstm tm = build(500, 2, 3, batch, steps, true, false, 0f, -11, 0.8);
        byte[] in = input(9, batch * steps * 2);
        byte[] inT = new byte[in.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                System.arraycopy(in, (b * steps + t) * 2, inT, (t * batch + b) * 2, 2);
            }
        }
        byte[] out = run(bm.model(), in);
        byte[] outT = run(tm.model(), inT);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                assertThat(Arrays.copyOfRange(outT, (t * batch + b) * 3, (t * batch + b) * 3 + 3))
                        .isEqualTo(Arrays.copyOfRange(out, (b * steps + t) * 3, (b * steps + t) * 3 + 3));
            }
        }
        assertThat(worstSteps(tm, inT, batch, steps)).isLessThanOrEqualTo(TOLERANCE_STEPS);
    }

    /** The states start at zero for every batch row and every run: a row's output does not depend on the others. */
    @Test
    void statesStartAtZeroForEveryRowAndRun() {
        Lstm two = build(600, 2, 3, 2, 5, false, false, 0f, -11, 0.8);
        Lstm one = build(600, 2, 3, 1, 5, false, false, 0f, -11, 0.8);
        byte[] in = input(11, 20);
        byte[] out = new byte[30];
        try (Interpreter it = new Interpreter(two.model())) {
            it.run(in, out);
            byte[] again = new byte[30];
            it.run(in, again);
            assertThat(again).isEqualTo(out);
        }
        assertThat(run(one.model(), Arrays.copyOfRange(in, 10, 20))).isEqualTo(Arrays.copyOfRange(out, 15, 30));
    }

    @Test
    void refusesWhatTheKernelDoesNotImplement() {
        Lstm l = build(1, 2, 2, 1, 2, false, false, 0f, -11, 0.5);
        Op op = l.model().ops().get(0);
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);

        Lstm coarse = build(1, 2, 2, 1, 2, false, false, 0f, -10, 0.5);
        assertThatThrownBy(() -> run(coarse.model(), new byte[4]))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("cell-state scales 2^-15 … 2^-11");

        var relu = variant(a, OpAttributes.LstmActivation.RELU, a.presentInputs(), a.intermediates());
        assertThatThrownBy(() -> run(withAttrs(l.model(), relu), new byte[4]))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("always uses tanh");

        var noStates = new OpAttributes.Lstm(a.activation(), 0f, 0f, false, false, a.presentInputs());
        assertThatThrownBy(() -> run(withAttrs(l.model(), noStates), new byte[4]))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("needs the quantization of its states");

        boolean[] peephole = a.presentInputs().clone();
        peephole[10] = true; // cell-to-forget weights, inserted after the recurrent weights
        List<Tensor> ins = new ArrayList<>(op.inputs());
        ins.add(
                9,
                new Tensor(
                        "peephole",
                        Shape.of(2),
                        DType.INT16,
                        TensorData.ofBytes(DType.INT16, new byte[4]),
                        QuantParams.perTensor(1f, 0),
                        true));
        var withPeephole = variant(a, a.activation(), peephole, a.intermediates());
        Op p = new Op(op.name(), op.type(), ins, op.outputs(), withPeephole, op.origin());
        Model pm = new Model("p", l.model().inputs(), l.model().outputs(), List.of(p), ModelMetadata.inMemory());
        assertThatThrownBy(() -> run(pm, new byte[4]))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("no peepholes, projection or layer normalization (TFLite input 10 is present)");
    }

    /** {@code a}'s state parameters with another activation, other present inputs and other intermediates. */
    private static OpAttributes.Lstm variant(
            OpAttributes.Lstm a,
            OpAttributes.LstmActivation activation,
            boolean[] presentInputs,
            QuantParams[] intermediates) {
        return new OpAttributes.Lstm(
                activation,
                0f,
                0f,
                false,
                false,
                presentInputs,
                a.outputStateQuant(),
                a.cellStateQuant(),
                intermediates);
    }

    private static Model withAttrs(Model m, OpAttributes.Lstm attrs) {
        Op op = m.ops().get(0);
        Op changed = new Op(op.name(), op.type(), op.inputs(), op.outputs(), attrs, op.origin());
        return new Model(m.name(), m.inputs(), m.outputs(), List.of(changed), ModelMetadata.inMemory());
    }
}
