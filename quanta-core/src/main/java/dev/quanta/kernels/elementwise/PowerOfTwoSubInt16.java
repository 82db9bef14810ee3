package dev.quanta.kernels.elementwise;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Int16Activations;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * int16 SUB in TFLite's power-of-two form ({@code Sub16} / {@code BroadcastSub16POTSlow}), chosen by a file's
 * pot_scale_int16 when every scale is a power of two ({@code CheckedLog2}: within 10⁻³ of one in log2) and every zero
 * point 0:
 *
 * <pre>
 *   e_a = log2 s_a − log2 s_y,  e_b = log2 s_b − log2 s_y    (one of them 0, both ≤ 0, else TFLite refuses)
 *   y = clamp(rdp(a, −e_a) − rdp(b, −e_b), lo, hi)            rdp: divide by 2^k rounding half away from zero
 * </pre>
 *
 * The difference is taken in int32 and clamped to the activation range (TFLite saturates to int16 first in the
 * element-wise form; the clamp that follows makes both forms equal).
 */
final class PowerOfTwoSubInt16 implements Kernel {
    private final short[] a;
    private final short[] b;
    private final short[] y;
    private final int shiftA;
    private final int shiftB;
    private final int lo;
    private final int hi;
    private final int[] outShape;
    private final int[] aStrides;
    private final int[] bStrides;

    /** True when the scales of SUB's inputs and output are all powers of two as TFLite's CheckedLog2 judges. */
    static boolean allPowersOfTwo(Op op) {
        return Int16Activations.checkedLog2(Quant.scale(op, op.input(0))) != null
                && Int16Activations.checkedLog2(Quant.scale(op, op.input(1))) != null
                && Int16Activations.checkedLog2(Quant.scale(op, op.output(0))) != null;
    }

    PowerOfTwoSubInt16(
            Op op, QuantizedBinary.Operand a, QuantizedBinary.Operand b, QuantizedBinary.Operand y, Activation act) {
        if (a.zeroPoint() != 0 || b.zeroPoint() != 0 || y.zeroPoint() != 0) {
            throw new UnsupportedOperationException(op.describe() + ": int16 SUB needs zero points 0, got "
                    + a.zeroPoint() + ", " + b.zeroPoint() + " and " + y.zeroPoint());
        }
        Integer la = Int16Activations.checkedLog2(a.scale());
        Integer lb = Int16Activations.checkedLog2(b.scale());
        Integer ly = Int16Activations.checkedLog2(y.scale());
        if (la == null || lb == null || ly == null) {
            throw new UnsupportedOperationException(op.describe() + ": int16 SUB's power-of-two form needs scales that"
                    + " are powers of two, got " + a.scale() + ", " + b.scale() + " and " + y.scale());
        }
        int ea = la - ly;
        int eb = lb - ly;
        if ((ea != 0 && eb != 0) || ea > 0 || eb > 0 || ea < -31 || eb < -31) {
            throw new UnsupportedOperationException(op.describe() + ": int16 SUB's power-of-two form rescales one"
                    + " input down to the output's scale (TFLite refuses input exponents " + ea + " and " + eb
                    + " relative to the output)");
        }
        this.a = (short[]) a.data();
        this.b = (short[]) b.data();
        this.y = (short[]) y.data();
        this.shiftA = -ea;
        this.shiftB = -eb;
        int[] range = Quant.activationRange(act, DType.INT16, y.scale(), 0, false);
        this.lo = range[0];
        this.hi = range[1];
        this.outShape = y.shape().clone();
        this.aStrides = Broadcast.strides(a.shape(), y.shape());
        this.bStrides = Broadcast.strides(b.shape(), y.shape());
    }

    @Override
    public void run(Parallel parallel) {
        Broadcast.forEach(outShape, aStrides, bStrides, (i, ia, ib) -> {
            int v = FixedPoint.roundingDivideByPOT(a[ia], shiftA) - FixedPoint.roundingDivideByPOT(b[ib], shiftB);
            y[i] = (short) (v < lo ? lo : (v > hi ? hi : v));
        });
    }
}
