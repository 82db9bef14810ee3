package dev.quanta.kernels.arithmetic;

/**
 * TFLite's fixed-point inverse square root ({@code GetInvSqrtQuantizedMultiplierExp}), shared by quantized
 * L2_NORMALIZATION and int8 RSQRT: for a positive int32 {@code a}, 1/√a ≈ m · 2^e / 2³¹ with m found by five
 * Newton steps v ← v·(3 − a·v²)/2 in Q3.28 fixed point, starting from 1 on a shifted by bit pairs.
 */
public final class InverseSqrt {
    private InverseSqrt() {}

    /**
     * TFLite's {@code GetInvSqrtQuantizedMultiplierExp}: {multiplier, shift} with 1/√input ≈ multiplier · 2^shift
     * / 2³¹ (shift multiplied by {@code reverseShift}); inputs 0 and 1 give (INT32_MAX, 0).
     */
    public static int[] multiplierExp(int input, int reverseShift) {
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
