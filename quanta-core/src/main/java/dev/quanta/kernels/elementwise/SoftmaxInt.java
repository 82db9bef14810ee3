package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Softmax of 8-bit inputs (int8 or uint8) along the last axis, to an int8, uint8 or int16 output, as TFLite's
 * built-in optimized kernel computes it with a float lookup table (XNNPACK does not take quantized softmax, so both
 * paths run this).
 *
 * <pre>
 * table[255 − v] = expf(v · (−s_x · β))                       v = 0..255, float
 * per row:   M = max_j x_j,   S = Σ_j table[255 − M + x_j]       float sum, in order
 *            inv = 1 / (S · s_y)                              float
 *            y_j = clamp(round(table[255 − M + x_j] · inv) + zp_y, qmin, qmax)
 * </pre>
 *
 * {@code round} is {@code std::round} (ties away from zero) for int8 and int16 outputs; for uint8 outputs x86
 * TFLite truncates {@code p + 0.5f}. The output is normally scale 1/256 with zero point −128 (int8) or 0 (uint8).
 */
final class SoftmaxInt implements Kernel {
    private final Object x;
    private final DType inType;
    private final Object y;
    private final DType outType;
    private final float[] table = new float[256];
    private final float outScale;
    private final int zp;
    private final int depth;
    private final int qmin;
    private final int qmax;
    /** The body of {@link #run} over a range of rows. */
    private final Parallel.RangeBody rows;

    SoftmaxInt(
            Object x,
            DType inType,
            float inScale,
            float beta,
            Object y,
            DType outType,
            float outScale,
            int zp,
            int depth) {
        this.x = x;
        this.inType = inType;
        this.y = y;
        this.outType = outType;
        this.outScale = outScale;
        this.zp = zp;
        this.depth = depth;
        this.qmin = Quant.qmin(outType);
        this.qmax = Quant.qmax(outType);
        float scale = -inScale * beta;
        for (int v = 0; v <= 255; v++) {
            table[255 - v] = (float) Math.exp(scale * v);
        }
        // made once here: a lambda created in run() would be an allocation per run
        this.rows = (from, to) -> {
            for (int r = from; r < to; r++) {
                row(r * depth);
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(Buffers.length(x) / depth, 64, rows);
    }

    private void row(int base) {
        int max = Integer.MIN_VALUE;
        for (int j = 0; j < depth; j++) {
            max = Math.max(max, Quant.get(x, inType, base + j));
        }
        int offset = 255 - max;
        float sum = 0f;
        for (int j = 0; j < depth; j++) {
            sum += table[offset + Quant.get(x, inType, base + j)];
        }
        float inv = 1.0f / (sum * outScale);
        for (int j = 0; j < depth; j++) {
            float p = table[offset + Quant.get(x, inType, base + j)] * inv;
            int q;
            if (outType == DType.UINT8) {
                q = (int) (p + 0.5f);
            } else {
                q = (int) FixedPoint.roundHalfAwayFromZero(p);
            }
            q += zp;
            Quant.set(y, outType, base + j, q < qmin ? qmin : (q > qmax ? qmax : q));
        }
    }
}
