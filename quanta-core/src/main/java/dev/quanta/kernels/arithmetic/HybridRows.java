package dev.quanta.kernels.arithmetic;

import java.util.Arrays;

/**
 * TFLite's BatchQuantizeFloats for one batch row of a hybrid ("dynamic range") op — the input of a hybrid
 * FULLY_CONNECTED or convolution, the input or the output state of a hybrid sequence op: float values to int8 with
 * a scale and an offset of their own, computed on the fly.
 *
 * <pre>
 * asymmetric (AsymmetricQuantizeFloats; double for the parameters, float for the values):
 *   r_min = min(0, min x),  r_max = max(0, max x);  if r_min = r_max: q = 0, s = 1, z = 0
 *   s = (r_max − r_min) / 255,   z₁ = −128 − r_min / s,   z₂ = 127 − r_max / s
 *   z = (|−128| + |r_min / s| &lt; |127| + |r_max / s|) ? z₁ : z₂, nudged to [−128, 127], rounded (ties away)
 *   q = clamp(round(z + x · float(1 / s)), −128, 127)
 * symmetric (SymmetricQuantizeFloats):
 *   m = max|x|;  if m = 0: q = 0, s = 1;  else s = m / 127,  q = clamp(round(x · (127 / m)), −127, 127), z = 0
 * </pre>
 *
 * A product with int8 weights W of scale s_W then adds {@code float(Σ_k W[r,k]·q_k − z·Σ_k W[r,k]) · (s · s_W)}
 * to its float accumulator, the sum exact in int32.
 */
public final class HybridRows {
    private HybridRows() {}

    /**
     * Quantizes {@code x[off .. off + n)} into {@code q[off ..]}; returns the scale and stores the offset z in
     * {@code zp[slot]}.
     */
    public static float quantize(float[] x, int off, int n, boolean asymmetric, byte[] q, int[] zp, int slot) {
        float min = x[off];
        float max = x[off];
        for (int i = off + 1; i < off + n; i++) {
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
        }
        if (!asymmetric) {
            zp[slot] = 0;
            float range = Math.max(Math.abs(min), Math.abs(max));
            if (range == 0) {
                Arrays.fill(q, off, off + n, (byte) 0);
                return 1f;
            }
            float inv = 127 / range;
            for (int i = off; i < off + n; i++) {
                int v = (int) FixedPoint.roundHalfAwayFromZero(x[i] * inv);
                q[i] = (byte) Math.min(127, Math.max(-127, v));
            }
            return range / 127;
        }
        double rmin = Math.min(0f, min);
        double rmax = Math.max(0f, max);
        if (rmin == rmax) {
            Arrays.fill(q, off, off + n, (byte) 0);
            zp[slot] = 0;
            return 1f;
        }
        double scale = (rmax - rmin) / 255.0;
        double zpFromMin = -128 - rmin / scale;
        double zpFromMax = 127 - rmax / scale;
        double zpFromMinError = 128 + Math.abs(rmin / scale);
        double zpFromMaxError = 127 + Math.abs(rmax / scale);
        double z = zpFromMinError < zpFromMaxError ? zpFromMin : zpFromMax;
        int nudged = z <= -128 ? -128 : z >= 127 ? 127 : (int) FixedPoint.roundHalfAwayFromZero(z);
        float s = (float) scale;
        float inverse = 1.0f / s;
        for (int i = off; i < off + n; i++) {
            int v = (int) FixedPoint.roundHalfAwayFromZero((float) nudged + x[i] * inverse);
            q[i] = (byte) Math.min(127, Math.max(-128, v));
        }
        zp[slot] = nudged;
        return s;
    }

    /**
     * result[r] += float(Σ_k w[r·cols + k]·q[off + k] − z·rowSum[r]) · scale for every row r: one hybrid
     * matrix-vector product (TFLite's MatrixBatchVectorMultiplyAccumulate with input offsets).
     */
    public static void multiplyAccumulate(
            byte[] w, int[] rowSums, int rows, int cols, byte[] q, int off, int z, float scale, float[] result) {
        for (int r = 0; r < rows; r++) {
            int acc = 0;
            int base = r * cols;
            for (int k = 0; k < cols; k++) {
                acc += w[base + k] * q[off + k];
            }
            acc -= z * rowSums[r];
            result[r] += (float) acc * scale;
        }
    }

    /** Σ_k w[r·cols + k] for every row. */
    public static int[] rowSums(byte[] w, int rows, int cols) {
        int[] s = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                s[r] += w[r * cols + k];
            }
        }
        return s;
    }
}
