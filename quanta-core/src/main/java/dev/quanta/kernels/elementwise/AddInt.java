package dev.quanta.kernels.elementwise;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Integer addition with NumPy broadcasting, inputs and output each with their own parameters, and a fused
 * activation applied as a clamp. Two arithmetics:
 *
 * <pre>
 * TFLite built-in (reference and optimized integer Add; int8/uint8 L = 20, int16 L = 15):
 *   twice_max = 2 · max(s_a, s_b)                                        in double
 *   (m_a, e_a) = QM(s_a / twice_max),  (m_b, e_b) = QM(s_b / twice_max),  (m_y, e_y) = QM(twice_max / (2^L · s_y))
 *   a' = MBQM((a − zp_a) · 2^L, m_a, e_a),   b' = MBQM((b − zp_b) · 2^L, m_b, e_b)      double rounding
 *   y  = clamp(MBQM(a' + b', m_y, e_y) + zp_y, lo, hi)
 *
 * XNNPACK (qs8/qu8 vadd):
 *   r_a = s_a / s_y,  r_b = s_b / s_y                                   in float
 *   shift = 20 − ⌊log2 max(r_a, r_b)⌋,   M_a = rint(r_a · 2^shift),   M_b = rint(r_b · 2^shift)
 *   y = clamp(((2^(shift−1) − M_a·zp_a − M_b·zp_b + a·M_a + b·M_b) &gt;&gt; shift) + zp_y, lo, hi)    arithmetic shift
 * </pre>
 *
 * XNNPACK accepts the op only when both ratios lie in [2⁻¹⁰, 2⁸); otherwise TFLite keeps its built-in kernel, and
 * so does this class.
 */
final class AddInt implements Kernel {
    final Object a;
    final Object b;
    final Object y;
    final DType type;
    final boolean xnnpack;
    // TFLite
    final int zpA;
    final int zpB;
    final int zpY;
    final int leftShift;
    final int mA;
    final int eA;
    final int mB;
    final int eB;
    final int mY;
    final int eY;
    // XNNPACK
    final int xMulA;
    final int xMulB;
    final int xBias;
    final int xShift;
    final int lo;
    final int hi;
    // broadcasting
    final boolean sameShape;
    private final int[] outShape;
    private final int[] aStrides;
    private final int[] bStrides;
    private final int[] index;

    /** One operand or the result: its array, its concrete shape and its quantization. */
    record Operand(Object data, int[] shape, float scale, int zeroPoint) {}

    /**
     * The addition {@code y = a + b} with {@code activation} as a clamp.
     *
     * @param xnnpackRequested reproduce XNNPACK where it takes the op (8-bit types, ratios in range)
     */
    AddInt(Operand a, Operand b, Operand y, DType type, Activation activation, boolean xnnpackRequested) {
        this.a = a.data();
        this.b = b.data();
        this.y = y.data();
        this.type = type;
        this.zpA = a.zeroPoint();
        this.zpB = b.zeroPoint();
        this.zpY = y.zeroPoint();
        float sA = a.scale();
        float sB = b.scale();
        float sY = y.scale();
        AddParameters.Builtin p = AddParameters.builtin(sA, sB, sY, type == DType.INT16 ? 15 : 20, false);
        this.leftShift = p.leftShift();
        this.mA = p.mA();
        this.eA = p.eA();
        this.mB = p.mB();
        this.eB = p.eB();
        this.mY = p.mY();
        this.eY = p.eY();
        float ra = sA / sY;
        float rb = sB / sY;
        this.xnnpack = xnnpackRequested && AddParameters.xnnpackTakes(ra, rb) && type != DType.INT16;
        AddParameters.Xnnpack x = xnnpack ? AddParameters.xnnpack(ra, rb, zpA, zpB) : AddParameters.Xnnpack.NONE;
        this.xShift = x.shift();
        this.xMulA = x.mulA();
        this.xMulB = x.mulB();
        this.xBias = x.bias();
        int[] range = Quant.activationRange(activation, type, sY, zpY, xnnpack);
        this.lo = range[0];
        this.hi = range[1];
        int n = Buffers.length(this.y);
        this.sameShape = Buffers.length(this.a) == n && Buffers.length(this.b) == n;
        this.outShape = y.shape().clone();
        this.aStrides = Broadcast.strides(a.shape(), y.shape());
        this.bStrides = Broadcast.strides(b.shape(), y.shape());
        this.index = new int[y.shape().length];
    }

    /** y for the stored values {@code va}, {@code vb} (UINT8 read unsigned). */
    int add(int va, int vb) {
        if (xnnpack) {
            int v = ((xBias + va * xMulA + vb * xMulB) >> xShift) + zpY;
            return v < lo ? lo : (v > hi ? hi : v);
        }
        int sa = FixedPoint.multiplyByQuantizedMultiplier((va - zpA) * (1 << leftShift), mA, eA);
        int sb = FixedPoint.multiplyByQuantizedMultiplier((vb - zpB) * (1 << leftShift), mB, eB);
        int v = FixedPoint.multiplyByQuantizedMultiplier(sa + sb, mY, eY) + zpY;
        return v < lo ? lo : (v > hi ? hi : v);
    }

    @Override
    public void run(Parallel parallel) {
        int n = Buffers.length(y);
        if (sameShape) {
            parallel.forRange(n, 4096, (from, to) -> {
                for (int i = from; i < to; i++) {
                    Quant.set(y, type, i, add(Quant.get(a, type, i), Quant.get(b, type, i)));
                }
            });
            return;
        }
        int rank = outShape.length;
        java.util.Arrays.fill(index, 0);
        int ia = 0;
        int ib = 0;
        for (int i = 0; i < n; i++) {
            Quant.set(y, type, i, add(Quant.get(a, type, ia), Quant.get(b, type, ib)));
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                ia += aStrides[d];
                ib += bStrides[d];
                if (index[d] < outShape[d]) {
                    break;
                }
                ia -= aStrides[d] * outShape[d];
                ib -= bStrides[d] * outShape[d];
                index[d] = 0;
            }
        }
    }
}
