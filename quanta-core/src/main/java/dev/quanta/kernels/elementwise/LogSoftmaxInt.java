package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * LOG_SOFTMAX of int8 or uint8 along the last axis, as TFLite's built-in optimized kernel computes it (XNNPACK does
 * not take it, so both paths run this), with the float exp table softmax uses. u is the stored value made unsigned
 * (int8 + 128), s_y = 16/256 and zp_y = 127 (int8) or 255 (uint8), as TFLite requires:
 *
 * <pre>
 * table[255 − v] = expf(−s_x · v)                                v = 0..255
 * per row:  M = max_j u_j,   S = Σ_j table[255 − M + u_j]        float sum, in order
 *           c = s_x / s_y,   p = (s_x · M + log S) / s_y          float
 *           y_j = clamp(rint(c · u_j − p) + zp_y, qmin, qmax)      rint: ties to even
 * </pre>
 */
final class LogSoftmaxInt implements Kernel {
    private final byte[] x;
    private final byte[] y;
    private final int depth;
    private final Parallel.RangeBody rows;

    LogSoftmaxInt(boolean signed, byte[] x, float sx, byte[] y, float sy, int zy, int depth) {
        this.x = x;
        this.y = y;
        this.depth = depth;
        int offset = signed ? 128 : 0;
        int lo = signed ? -128 : 0;
        int hi = signed ? 127 : 255;
        float[] table = new float[256];
        float scale = -sx;
        for (int v = 0; v <= 255; v++) {
            table[255 - v] = (float) Math.exp(scale * v);
        }
        float c = sx / sy;
        this.rows = (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * depth;
                int max = 0;
                for (int j = 0; j < depth; j++) {
                    max = Math.max(max, (signed ? x[base + j] : x[base + j] & 0xFF) + offset);
                }
                float sum = 0f;
                for (int j = 0; j < depth; j++) {
                    sum += table[255 - max + (signed ? x[base + j] : x[base + j] & 0xFF) + offset];
                }
                float logSum = (float) Math.log(sum);
                float p = (sx * (float) max + logSum) / sy;
                for (int j = 0; j < depth; j++) {
                    int u = (signed ? x[base + j] : x[base + j] & 0xFF) + offset;
                    float logProb = c * (float) u - p;
                    int q = (int) ((float) Math.rint(logProb) + (float) zy);
                    y[base + j] = (byte) Math.max(lo, Math.min(hi, q));
                }
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(depth == 0 ? 0 : y.length / depth, 64, rows);
    }
}
