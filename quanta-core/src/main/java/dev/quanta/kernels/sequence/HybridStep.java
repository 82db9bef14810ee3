package dev.quanta.kernels.sequence;

import dev.quanta.kernels.arithmetic.HybridRows;

/**
 * One step of a hybrid sequence op's products: the input row x_t and the state h quantized on the fly ({@link
 * HybridRows}, asymmetric with {@code asymmetric_quantize_inputs}, else symmetric), then each int8 weight matrix W
 * of scale s_W adds {@code float(Σ W·q − z·ΣW) · (s · s_W)} to a float accumulator. Holds the step's scratch, so a
 * run allocates nothing.
 */
final class HybridStep {
    private final boolean asymmetric;
    private final int nInput;
    private final float[] row;
    private final byte[] xq;
    private final byte[] hq;
    /** The offsets of the quantized input (0) and state (1). */
    private final int[] zp = new int[2];

    private float inputScale;
    private float stateScale;

    HybridStep(int nInput, int maxState, boolean asymmetric) {
        this.asymmetric = asymmetric;
        this.nInput = nInput;
        this.row = new float[nInput];
        this.xq = new byte[nInput];
        this.hq = new byte[maxState];
    }

    /** Quantizes the input row {@code x[off .. off + nInput)} and the state {@code h[0 .. n)}. */
    void quantize(float[] x, int off, float[] h, int n) {
        System.arraycopy(x, off, row, 0, nInput);
        inputScale = HybridRows.quantize(row, 0, nInput, asymmetric, xq, zp, 0);
        stateScale = HybridRows.quantize(h, 0, n, asymmetric, hq, zp, 1);
    }

    /** acc += W_x·x_t for int8 input weights [rows × nInput] of scale {@code scale} and row sums {@code sums}. */
    void addInput(byte[] w, int[] sums, int rows, float scale, float[] acc) {
        HybridRows.multiplyAccumulate(w, sums, rows, nInput, xq, 0, zp[0], inputScale * scale, acc);
    }

    /** acc += W_h·h for int8 recurrent weights [rows × n] of scale {@code scale} and row sums {@code sums}. */
    void addState(byte[] w, int[] sums, int rows, int n, float scale, float[] acc) {
        HybridRows.multiplyAccumulate(w, sums, rows, n, hq, 0, zp[1], stateScale * scale, acc);
    }
}
