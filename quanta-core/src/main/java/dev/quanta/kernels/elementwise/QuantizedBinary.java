package dev.quanta.kernels.elementwise;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Integer SUB and MUL (int8, uint8, int16) and SQUARED_DIFFERENCE (int8) with NumPy broadcasting, each operand and the result with its own
 * parameters, the fused activation applied as a clamp. Both TFLite arithmetics of each op:
 *
 * <pre>
 * SUB, TFLite built-in (its Add kernel with input 2's multiplier negated; int8/uint8 L = 20, int16 L = 15):
 *   twice_max = 2 · max(s_a, s_b)                                         in double
 *   (m_a, e_a) = QM(s_a / twice_max),  (m_b, e_b) = QM(s_b / twice_max),  (m_y, e_y) = QM(twice_max / (2^L · s_y))
 *   y = clamp(MBQM(MBQM((a − zp_a)·2^L, m_a, e_a) + MBQM((b − zp_b)·2^L, −m_b, e_b), m_y, e_y) + zp_y, lo, hi)
 * SUB, XNNPACK (qs8/qu8 vadd with input 2's scale ratio negated):
 *   r_a = s_a / s_y,  r_b = −s_b / s_y                                   in float
 *   shift = 20 − ⌊log2 max(|r_a|, |r_b|)⌋,  M_a = rint(r_a · 2^shift),  M_b = rint(r_b · 2^shift)
 *   y = clamp(((2^(shift−1) − M_a·zp_a − M_b·zp_b + a·M_a + b·M_b) &gt;&gt; shift) + zp_y, lo, hi)
 * MUL, TFLite built-in:
 *   (m, e) = QM(s_a · s_b / s_y)                                          in float, then widened to double
 *   y = clamp(MBQM((a − zp_a)·(b − zp_b), m, e) + zp_y, lo, hi)
 * SQUARED_DIFFERENCE, TFLite built-in (int8 only, L = 7, no activation; XNNPACK does not take it):
 *   a', b' as SUB's with m_b positive,  y = clamp(MBQM((a' − b')², QM(twice_max² / (2^14 · s_y))) + zp_y)
 * MUL, XNNPACK (qs8/qu8 vmul, fp32 requantization):
 *   r = (s_a · s_b) / s_y                                                 in float
 *   y = clamp(rint(float((a − zp_a)·(b − zp_b)) · r) + zp_y, lo, hi)
 * </pre>
 *
 * XNNPACK takes only 8-bit operands, and SUB only when |r_a|, |r_b| lie in [2⁻¹⁰, 2⁸), MUL only when r lies in
 * [2⁻¹⁶, 2⁸); otherwise TFLite keeps its built-in kernel, and so does this class.
 */
final class QuantizedBinary implements Kernel {
    /** One operand or the result: its array, its concrete shape and its quantization. */
    record Operand(Object data, int[] shape, float scale, int zeroPoint) {}

    private final boolean multiply;
    private final boolean squaredDifference;
    private final DType type;
    private final Object a;
    private final Object b;
    private final Object y;
    private final int zpA;
    private final int zpB;
    private final int zpY;
    private final boolean xnnpack;
    // TFLite SUB
    private final int leftShift;
    private final int mA;
    private final int eA;
    private final int mB;
    private final int eB;
    // TFLite SUB output and MUL
    private final int mY;
    private final int eY;
    // XNNPACK
    private final int xMulA;
    private final int xMulB;
    private final int xBias;
    private final int xShift;
    private final float xScale;
    private final int lo;
    private final int hi;
    private final int[] outShape;
    private final int[] aStrides;
    private final int[] bStrides;

    /**
     * @param op SUB, MUL or SQUARED_DIFFERENCE (int8 only)
     * @param xnnpackRequested reproduce XNNPACK where it takes the op
     */
    QuantizedBinary(
            dev.quanta.ir.OpType op,
            Operand a,
            Operand b,
            Operand y,
            DType type,
            Activation activation,
            boolean xnnpackRequested) {
        this.multiply = op == dev.quanta.ir.OpType.MUL;
        this.squaredDifference = op == dev.quanta.ir.OpType.SQUARED_DIFFERENCE;
        this.type = type;
        this.a = a.data();
        this.b = b.data();
        this.y = y.data();
        this.zpA = a.zeroPoint();
        this.zpB = b.zeroPoint();
        this.zpY = y.zeroPoint();
        float sA = a.scale();
        float sB = b.scale();
        float sY = y.scale();
        boolean bytes = type == DType.INT8 || type == DType.UINT8;
        if (multiply) {
            this.leftShift = 0;
            this.mA = 0;
            this.eA = 0;
            this.mB = 0;
            this.eB = 0;
            // TFLite's Prepare multiplies and divides the float scales in float, then widens to double
            FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier((double) (sA * sB / sY));
            this.mY = q.multiplier();
            this.eY = q.shift();
            float r = sA * sB / sY;
            this.xnnpack = xnnpackRequested && bytes && r >= 0x1p-16f && r < 0x1p8f;
            this.xScale = r;
            this.xMulA = 0;
            this.xMulB = 0;
            this.xBias = 0;
            this.xShift = 0;
        } else {
            AddParameters.Builtin p = AddParameters.builtin(
                    sA, sB, sY, squaredDifference ? 7 : type == DType.INT16 ? 15 : 20, squaredDifference);
            this.leftShift = p.leftShift();
            this.mA = p.mA();
            this.eA = p.eA();
            this.mB = squaredDifference ? p.mB() : -p.mB();
            this.eB = p.eB();
            this.mY = p.mY();
            this.eY = p.eY();
            float ra = sA / sY;
            float rb = sB / sY;
            this.xnnpack = xnnpackRequested && bytes && !squaredDifference && AddParameters.xnnpackTakes(ra, rb);
            this.xScale = 0;
            AddParameters.Xnnpack x = xnnpack ? AddParameters.xnnpack(ra, -rb, zpA, zpB) : AddParameters.Xnnpack.NONE;
            this.xShift = x.shift();
            this.xMulA = x.mulA();
            this.xMulB = x.mulB();
            this.xBias = x.bias();
        }
        int[] range = Quant.activationRange(activation, type, sY, zpY, xnnpack);
        this.lo = range[0];
        this.hi = range[1];
        this.outShape = y.shape().clone();
        this.aStrides = Broadcast.strides(a.shape(), y.shape());
        this.bStrides = Broadcast.strides(b.shape(), y.shape());
    }

    /** True when the kernel computes XNNPACK's arithmetic (the path asked for it and XNNPACK takes the op). */
    boolean xnnpack() {
        return xnnpack;
    }

    /** y for the stored values {@code va}, {@code vb} (UINT8 read unsigned). */
    int apply(int va, int vb) {
        int v;
        if (multiply) {
            int product = (va - zpA) * (vb - zpB);
            if (xnnpack) {
                return FixedPoint.requantizeFp32(product, xScale, zpY, lo, hi);
            }
            v = FixedPoint.multiplyByQuantizedMultiplier(product, mY, eY) + zpY;
        } else if (xnnpack) {
            v = ((xBias + va * xMulA + vb * xMulB) >> xShift) + zpY;
        } else {
            int sa = FixedPoint.multiplyByQuantizedMultiplier((va - zpA) * (1 << leftShift), mA, eA);
            int sb = FixedPoint.multiplyByQuantizedMultiplier((vb - zpB) * (1 << leftShift), mB, eB);
            int sum = squaredDifference ? (sa - sb) * (sa - sb) : sa + sb;
            v = FixedPoint.multiplyByQuantizedMultiplier(sum, mY, eY) + zpY;
        }
        return v < lo ? lo : (v > hi ? hi : v);
    }

    @Override
    public void run(Parallel parallel) {
        Broadcast.forEach(
                outShape,
                aStrides,
                bStrides,
                (i, ia, ib) -> Quant.set(y, type, i, apply(Quant.get(a, type, ia), Quant.get(b, type, ib))));
    }
}
