package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Int16Activations;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.function.IntToDoubleFunction;
import java.util.function.IntUnaryOperator;

/**
 * The per-value formulas of the quantized element-wise ops, tabulated by {@link LookupTableInt}. x is the stored
 * input value, {@code (s_x, zp_x)} and {@code (s_y, zp_y)} the input and output parameters, and every result is
 * clamped to the output type's range.
 *
 * <pre>
 * RELU / RELU6 (TFLite ReluX):  (m, e) = QM(float(s_x / s_y))
 *     y = clamp(zp_y + MBQM(x − zp_x, m, e), lo, hi)
 *     lo = max(qmin, zp_y + roundf(0 / s_y)),  hi = RELU6 ? min(qmax, zp_y + roundf(6 / s_y)) : qmax
 * LEAKY_RELU (TFLite QuantizeLeakyRelu):  (m₁, e₁) = QM(float(s_x / s_y)),  (m_α, e_α) = QM(float(s_x · α / s_y))
 *     y = zp_y + (x ≥ zp_x ? MBQM(x − zp_x, m₁, e₁) : MBQM(x − zp_x, m_α, e_α))
 * LEAKY_RELU on XNNPACK (qs8/qu8 vlrelu):  r₊ = s_x / s_y,  r₋ = r₊ · α  (float),  M± = rint(256 · r±)
 *     y = ⌊((x − zp_x) · M± + 128) / 256⌋ + zp_y          M₊ for x ≥ zp_x, M₋ otherwise
 * LOGISTIC / TANH, 8-bit (TFLite's lookup table, float):
 *     r = s_x · (x − zp_x),   f = 1 / (1 + expf(−r))  or  tanhf(r)
 *     y = round(f · (1 / s_y)) + zp_y           round = std::round, ties away from zero
 * LOGISTIC / TANH, int16 (zero points 0, s_y = 2⁻¹⁵): gemmlowp Q3.12 fixed point for power-of-two s_x,
 *     otherwise TFLite's interpolated 256-entry sigmoid table; see {@link Int16Activations}
 * QUANTIZE, integer → integer (TFLite Requantize):  (m, e) = QM(s_x / s_y)  (double)
 *     y = MBQM(x − zp_x, m, e) + zp_y
 * QUANTIZE, int8/uint8 → int8/uint8 on XNNPACK (qs8/qu8 vcvt):  M = rint(256 · float(s_x / s_y))
 *     y = ⌊((x − zp_x) · M + 128) / 256⌋ + zp_y
 * DEQUANTIZE:  y = float(s_x · (x − zp_x))          one rounding of the exact product
 * </pre>
 *
 * MBQM is the double-rounding {@link FixedPoint#multiplyByQuantizedMultiplier}, QM {@link
 * FixedPoint#quantizeMultiplier}.
 */
final class ElementwiseFormulas {
    private ElementwiseFormulas() {}

    static IntUnaryOperator reluX(DType out, float sx, int zx, float sy, int zy, boolean relu6) {
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier((double) (sx / sy));
        int lo = Math.max(Quant.qmin(out), zy + (int) FixedPoint.roundHalfAwayFromZero(0f / sy));
        int hi = relu6
                ? Math.min(Quant.qmax(out), zy + (int) FixedPoint.roundHalfAwayFromZero(6f / sy))
                : Quant.qmax(out);
        return v -> FixedPoint.clamp(
                zy + FixedPoint.multiplyByQuantizedMultiplier(v - zx, q.multiplier(), q.shift()), lo, hi);
    }

    static IntUnaryOperator leakyRelu(DType out, float sx, int zx, float sy, int zy, float alpha) {
        FixedPoint.Multiplier id = FixedPoint.quantizeMultiplier((double) (sx / sy));
        FixedPoint.Multiplier al = FixedPoint.quantizeMultiplier((double) (sx * alpha / sy));
        int lo = Quant.qmin(out);
        int hi = Quant.qmax(out);
        return v -> {
            int c = v - zx;
            FixedPoint.Multiplier q = c >= 0 ? id : al;
            return FixedPoint.clamp(
                    zy + FixedPoint.multiplyByQuantizedMultiplier(c, q.multiplier(), q.shift()), lo, hi);
        };
    }

    static IntUnaryOperator leakyReluXnnpack(DType out, float sx, int zx, float sy, int zy, float alpha) {
        float positive = sx / sy;
        float negative = positive * alpha;
        int mp = (int) Math.rint(256.0f * positive);
        int mn = (int) Math.rint(256.0f * negative);
        int lo = Quant.qmin(out);
        int hi = Quant.qmax(out);
        return v -> {
            int c = v - zx;
            return FixedPoint.clamp(((c * (c >= 0 ? mp : mn) + 128) >> 8) + zy, lo, hi);
        };
    }

    static IntUnaryOperator logistic(DType out, float sx, int zx, float sy, int zy) {
        float inverse = 1f / sy;
        int lo = Quant.qmin(out);
        int hi = Quant.qmax(out);
        return v -> {
            float r = sx * (float) (v - zx);
            float f = 1.0f / (1.0f + (float) Math.exp(-r));
            float rescaled = FixedPoint.roundHalfAwayFromZero(f * inverse);
            return FixedPoint.clamp((int) (rescaled + (float) zy), lo, hi);
        };
    }

    static IntUnaryOperator tanh(DType out, float sx, int zx, float sy, int zy) {
        float inverse = 1f / sy;
        int lo = Quant.qmin(out);
        int hi = Quant.qmax(out);
        return v -> {
            float r = sx * (float) (v - zx);
            float f = (float) Math.tanh(r);
            float rescaled = FixedPoint.roundHalfAwayFromZero(f * inverse);
            return FixedPoint.clamp((int) (rescaled + (float) zy), lo, hi);
        };
    }

    /** int16 LOGISTIC (TFLite's built-in kernel); see {@link Int16Activations}. */
    static IntUnaryOperator logisticInt16(float sx) {
        return Int16Activations.logistic(sx);
    }

    /** int16 TANH (TFLite's built-in kernel); see {@link Int16Activations}. */
    static IntUnaryOperator tanhInt16(float sx) {
        return Int16Activations.tanh(sx);
    }

    static IntUnaryOperator requantize(DType out, float sx, int zx, float sy, int zy) {
        FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier((double) sx / (double) sy);
        int lo = Quant.qmin(out);
        int hi = Quant.qmax(out);
        return v -> FixedPoint.clamp(
                FixedPoint.multiplyByQuantizedMultiplier(v - zx, q.multiplier(), q.shift()) + zy, lo, hi);
    }

    static IntUnaryOperator requantizeXnnpack(DType out, float sx, int zx, float sy, int zy) {
        int m = (int) Math.rint(256.0f * (sx / sy));
        int lo = Quant.qmin(out);
        int hi = Quant.qmax(out);
        return v -> FixedPoint.clamp((((v - zx) * m + 128) >> 8) + zy, lo, hi);
    }

    static IntToDoubleFunction dequantize(float sx, int zx) {
        return v -> (float) ((double) sx * (double) (v - zx));
    }
}
