package dev.quanta.kernels.elementwise;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Quantized ABS and SQRT (int8; int16 with zero points 0), as TFLite's built-in kernels (XNNPACK does not take
 * them):
 *
 * <pre>
 * ABS:   v = |x − zp_x|;  y = clamp(v + zp_y)                       when s_x = s_y
 *                         y = clamp(MBQM(v, QM(float(s_x / s_y))) + zp_y)   otherwise
 * SQRT:  y = clamp(int(float(√float(s_x · (x − zp_x))) / s_y) + zp_y)     truncated toward zero; x &lt; zp_x refused
 * </pre>
 *
 * Each output depends on its input value only, so the kernel tabulates every input value once.
 */
final class QuantizedUnary implements Kernel {
    private final Object x;
    private final Object y;
    private final DType type;
    private final int[] table;
    private final int zpX;
    private final OpType op;
    private final String where;

    QuantizedUnary(Op op, Object x, Object y) {
        this.op = op.type();
        this.where = op.describe();
        this.x = x;
        this.y = y;
        this.type = op.input(0).dtype();
        float sx = Quant.scale(op, op.input(0));
        float sy = Quant.scale(op, op.output(0));
        this.zpX = Quant.zeroPoint(op, op.input(0));
        int zpY = Quant.zeroPoint(op, op.output(0));
        if (type == DType.INT16 && (zpX != 0 || zpY != 0)) {
            throw new UnsupportedOperationException(where + ": int16 " + op.type()
                    + " needs zero points 0 (TFLite refuses others), got " + zpX + " and " + zpY);
        }
        int lo = Quant.qmin(type);
        int hi = Quant.qmax(type);
        boolean rescale = sx != sy;
        FixedPoint.Multiplier m = FixedPoint.quantizeMultiplier(sx / sy);
        int n = type == DType.INT16 ? 65536 : 256;
        this.table = new int[n];
        for (int i = 0; i < n; i++) {
            int q = type == DType.INT16 ? i - 32768 : (byte) i;
            int v;
            if (this.op == OpType.ABS) {
                int a = Math.abs(q - zpX);
                v = rescale ? FixedPoint.multiplyByQuantizedMultiplier(a, m.multiplier(), m.shift()) + zpY : a + zpY;
            } else {
                float real = sx * (q - zpX);
                float root = (float) Math.sqrt(real);
                v = (int) (root / sy) + zpY;
            }
            table[i] = Math.max(lo, Math.min(hi, v));
        }
    }

    @Override
    public void run(dev.quanta.kernels.Parallel parallel) {
        int n = Buffers.length(y);
        for (int i = 0; i < n; i++) {
            int q = Quant.get(x, type, i);
            if (op == OpType.SQRT && q < zpX) {
                throw new QuantaException(where + ": SQRT of a negative value (stored " + q + ", zero point " + zpX
                        + "); TFLite refuses it too");
            }
            Quant.set(y, type, i, table[type == DType.INT16 ? q + 32768 : q & 0xFF]);
        }
    }
}
