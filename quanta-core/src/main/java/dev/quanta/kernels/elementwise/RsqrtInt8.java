package dev.quanta.kernels.elementwise;

import dev.quanta.QuantaException;
import dev.quanta.ir.Op;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.InverseSqrt;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Per-tensor int8 RSQRT as TFLite's built-in kernel computes it, in fixed point (TFLite 2.21 gives the same
 * results with XNNPACK on):
 *
 * <pre>
 * (M, s) = QM(1 / double(float(√float(s_x)) · s_y))            per tensor, at preparation
 * v = x − zp_x;  v &lt; 0 refused;  v = 0 → y = 127
 * (m, e) = GetInvSqrtQuantizedMultiplierExp(v, reverse shift −1)  (1/√v ≈ m · 2^e / 2³¹)
 * d = MBQM(1, m, e + 20);  y = clamp(MBQM(d, M, s − 20) + zp_y, −128, 127)
 * </pre>
 *
 * Each output depends on its input value only, so the kernel tabulates the 256 input values once.
 */
final class RsqrtInt8 implements Kernel {
    private static final int SHIFT = 20;
    private final byte[] x;
    private final byte[] y;
    private final int[] table = new int[256];
    private final int zpX;
    private final String where;

    RsqrtInt8(Op op, Object x, Object y) {
        this.x = (byte[]) x;
        this.y = (byte[]) y;
        this.where = op.describe();
        float sx = Quant.scale(op, op.input(0));
        float sy = Quant.scale(op, op.output(0));
        this.zpX = Quant.zeroPoint(op, op.input(0));
        int zpY = Quant.zeroPoint(op, op.output(0));
        FixedPoint.Multiplier m = FixedPoint.quantizeMultiplier(1.0 / ((float) Math.sqrt(sx) * sy));
        for (int q = -128; q <= 127; q++) {
            table[q & 0xFF] = value(q - zpX, m, zpY);
        }
    }

    /** The output for {@code v = x − zp_x ≥ 0}. */
    private static int value(int v, FixedPoint.Multiplier m, int zpY) {
        if (v <= 0) {
            return 127;
        }
        int[] inv = InverseSqrt.multiplierExp(v, -1);
        int d = FixedPoint.multiplyByQuantizedMultiplier(1, inv[0], inv[1] + SHIFT);
        int out = FixedPoint.multiplyByQuantizedMultiplier(d, m.multiplier(), m.shift() - SHIFT) + zpY;
        return Math.max(-128, Math.min(127, out));
    }

    @Override
    public void run(Parallel parallel) {
        int n = Buffers.length(y);
        for (int i = 0; i < n; i++) {
            if (x[i] < zpX) {
                throw new QuantaException(where + ": RSQRT of a negative value (stored " + x[i] + ", zero point " + zpX
                        + "); TFLite refuses it too");
            }
            y[i] = (byte) table[x[i] & 0xFF];
        }
    }
}
