package dev.quanta.kernels.sequence;

import dev.quanta.ir.OpAttributes;

/**
 * The float arithmetic the float, hybrid and bidirectional LSTM and the RNN kernels share: TFLite's portable
 * matrix-vector product and one LSTM cell step after the gates' sums ({@code lstm_eval.cc}).
 */
final class LstmCell {
    private LstmCell() {}

    /** σ(v) = 1 / (1 + e^(−v)), in float as TFLite's portable logistic. */
    static float sigmoid(float v) {
        return 1f / (1f + (float) Math.exp(-v));
    }

    /** result[r] += Σ_k m[r·cols + k]·v[off + k], the sum from 0 in column order. */
    static void matVecAcc(float[] m, int rows, int cols, float[] v, int off, float[] result) {
        for (int r = 0; r < rows; r++) {
            float dot = 0f;
            int base = r * cols;
            for (int k = 0; k < cols; k++) {
                dot += m[base + k] * v[off + k];
            }
            result[r] += dot;
        }
    }

    /**
     * One cell step over the first {@code n} cells, given the gates' sums {@code gate[g] = b_g + W_xg·x + W_hg·h}
     * (g = i, f, c, o; {@code gate[0]} unused with CIFG) and the peepholes {@code pi, pf, po} (null: none):
     *
     * <pre>
     *   i = σ(gate_i [+ p_i ⊙ c]),  f = σ(gate_f [+ p_f ⊙ c])        (CIFG: i = 1 − f)
     *   c = f ⊙ c + act(gate_c) ⊙ i, clipped to ±cell_clip when cell_clip &gt; 0
     *   m = σ(gate_o [+ p_o ⊙ c]) ⊙ act(c)                           peephole on the new c
     * </pre>
     *
     * The sigmoids overwrite {@code gate[0]} and {@code gate[1]}; c is updated in place and m written to
     * {@code m}. Returns the largest |c| of the new cell state.
     */
    static float step(
            float[][] gate,
            float[] pi,
            float[] pf,
            float[] po,
            boolean cifg,
            OpAttributes.LstmActivation act,
            float cellClip,
            float[] c,
            float[] m,
            int n) {
        for (int k = 0; k < n; k++) {
            if (!cifg) {
                float v = gate[0][k];
                if (pi != null) {
                    v += pi[k] * c[k];
                }
                gate[0][k] = sigmoid(v);
            }
            float fv = gate[1][k];
            if (pf != null) {
                fv += pf[k] * c[k];
            }
            gate[1][k] = sigmoid(fv);
        }
        float cellAbsMax = 0f;
        for (int k = 0; k < n; k++) {
            float f = gate[1][k];
            float ck = f * c[k];
            ck += act.apply(gate[2][k]) * (cifg ? 1f - f : gate[0][k]);
            if (cellClip > 0f) {
                ck = Math.max(-cellClip, Math.min(cellClip, ck));
            }
            c[k] = ck;
            cellAbsMax = Math.max(cellAbsMax, Math.abs(ck));
        }
        for (int k = 0; k < n; k++) {
            float ov = gate[3][k];
            if (po != null) {
                ov += po[k] * c[k];
            }
            m[k] = sigmoid(ov) * act.apply(c[k]);
        }
        return cellAbsMax;
    }
}
