package dev.quanta.kernels.reduce;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.InverseSqrt;

/**
 * L2_NORMALIZATION along the last axis, as TFLite's kernels compute it.
 *
 * <pre>
 * float:  y = x / max(√(Σ x²), 10⁻⁶)                     (Σ in float, in order)
 * int8 / uint8 (output scale 1/128, zero point 0 / 128):  d = x − zp_x,  a = Σ d² (int32)
 *   (m, e) = TFLite's GetInvSqrtQuantizedMultiplierExp(a): 1/√a in fixed point by five Newton steps from 1
 *   int8:   y = clamp(MBQM(d, m, e + 7), −128, 127)
 *   uint8:  y = clamp(128 + RDBP(SRDHM(128·d, m), −e), 0, 255)
 * </pre>
 */
final class L2Normalization implements Kernel {
    private final Object x;
    private final Object y;
    private final DType type;
    private final int outer;
    private final int depth;
    private final int zx;

    L2Normalization(Object x, int[] xShape, Object y, DType type, int zx) {
        this.x = x;
        this.y = y;
        this.type = type;
        this.depth = xShape[xShape.length - 1];
        int n = 1;
        for (int d : xShape) {
            n *= d;
        }
        this.outer = depth == 0 ? 0 : n / depth;
        this.zx = zx;
    }

    @Override
    public void run(Parallel parallel) {
        for (int i = 0; i < outer; i++) {
            int base = i * depth;
            if (type == DType.FLOAT32) {
                float[] xf = (float[]) x;
                float[] yf = (float[]) y;
                float sq = 0f;
                for (int c = 0; c < depth; c++) {
                    sq += xf[base + c] * xf[base + c];
                }
                float norm = Math.max((float) Math.sqrt(sq), 1e-6f);
                for (int c = 0; c < depth; c++) {
                    yf[base + c] = xf[base + c] / norm;
                }
                continue;
            }
            byte[] xb = (byte[]) x;
            byte[] yb = (byte[]) y;
            boolean u8 = type == DType.UINT8;
            int acc = 0;
            for (int c = 0; c < depth; c++) {
                int d = (u8 ? xb[base + c] & 0xFF : xb[base + c]) - zx;
                acc += d * d;
            }
            int[] inv = InverseSqrt.multiplierExp(acc, -1);
            for (int c = 0; c < depth; c++) {
                int d = (u8 ? xb[base + c] & 0xFF : xb[base + c]) - zx;
                if (u8) {
                    int r = FixedPoint.roundingDivideByPOT(
                            FixedPoint.saturatingRoundingDoublingHighMul(128 * d, inv[0]), -inv[1]);
                    yb[base + c] = (byte) Math.max(0, Math.min(255, 128 + r));
                } else {
                    int r = FixedPoint.multiplyByQuantizedMultiplier(d, inv[0], inv[1] + 7);
                    yb[base + c] = (byte) Math.max(-128, Math.min(127, r));
                }
            }
        }
    }
}
