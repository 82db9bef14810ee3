package dev.quanta.kernels.reduce;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;

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
            int[] inv = invSqrtMultiplierExp(acc, -1);
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

    /**
     * TFLite's {@code GetInvSqrtQuantizedMultiplierExp}: {multiplier, shift} with 1/√input ≈ multiplier · 2^shift
     * / 2³¹ (shift multiplied by {@code reverseShift}); inputs 0 and 1 give (INT32_MAX, 0).
     */
    static int[] invSqrtMultiplierExp(int input, int reverseShift) {
        if (input <= 1) {
            return new int[] {Integer.MAX_VALUE, 0};
        }
        int shift = 11;
        while (input >= (1 << 29)) {
            input /= 4;
            shift++;
        }
        int maxLeftShiftBits = Integer.numberOfLeadingZeros(input) - 1;
        int leftShiftBitPairs = maxLeftShiftBits / 2 - 1;
        shift -= leftShiftBitPairs;
        input <<= 2 * leftShiftBitPairs;
        // Q3.28 fixed point: one = 2^28
        int in = input >> 1;
        int halfIn = FixedPoint.roundingDivideByPOT(in, 1);
        int halfThree = (1 << 28) + (1 << 27);
        int v = 1 << 28;
        for (int i = 0; i < 5; i++) {
            int v2 = FixedPoint.saturatingRoundingDoublingHighMul(v, v); // Q6
            int v3 = saturatingShiftLeft(FixedPoint.saturatingRoundingDoublingHighMul(v2, v), 6); // Q9 → Q3
            int a = FixedPoint.saturatingRoundingDoublingHighMul(halfThree, v); // Q6
            int b = FixedPoint.saturatingRoundingDoublingHighMul(halfIn, v3); // Q6
            v = saturatingShiftLeft(a - b, 3); // Q6 → Q3
        }
        v = FixedPoint.saturatingRoundingDoublingHighMul(v, 1518500250); // × √2/2
        if (shift < 0) {
            v <<= -shift;
            shift = 0;
        }
        return new int[] {v, shift * reverseShift};
    }

    /** gemmlowp's SaturatingRoundingMultiplyByPOT for a positive exponent: x · 2^e, saturated to int32. */
    private static int saturatingShiftLeft(int x, int e) {
        int threshold = (1 << (31 - e)) - 1;
        if (x > threshold) {
            return Integer.MAX_VALUE;
        }
        if (x < -threshold) {
            return Integer.MIN_VALUE;
        }
        return x << e;
    }
}
