package dev.quanta.kernels.signal;

/**
 * The fixed-point helpers of tflite-micro's signal library. Unsigned 32-bit values travel in {@code int}s (read
 * with {@link Integer#toUnsignedLong}), unsigned 64-bit values in {@code long}s.
 */
final class SignalMath {
    private SignalMath() {}

    /** Number of significant bits of unsigned {@code x} (1 + the index of its top bit); 32 for 0, as with GCC. */
    static int msb32(int x) {
        return x == 0 ? 32 : 32 - Integer.numberOfLeadingZeros(x);
    }

    /** As {@link #msb32} for 64 bits; 64 for 0. */
    static int msb64(long x) {
        return x == 0 ? 64 : 64 - Long.numberOfLeadingZeros(x);
    }

    /** Rounded integer square root of unsigned 32-bit {@code num} (bit-by-bit), as an unsigned 16-bit value. */
    static int sqrt32(int num) {
        if (num == 0) {
            return 0;
        }
        long n = Integer.toUnsignedLong(num);
        long res = 0;
        int maxBit = (32 - msb32(num)) | 1;
        long bit = 1L << (31 - maxBit);
        for (int it = (31 - maxBit) / 2 + 1; it > 0; it--) {
            if (n >= res + bit) {
                n -= res + bit;
                res = (res >> 1) + bit;
            } else {
                res >>= 1;
            }
            bit >>= 2;
        }
        if (n > res && res != 0xFFFF) {
            res++;
        }
        return (int) (res & 0xFFFF);
    }

    /**
     * Rounded integer square root of unsigned 64-bit {@code num}, as an unsigned 32-bit value; below 2^32 it takes
     * {@link #sqrt32} (and its 16-bit result), as tflite-micro does.
     */
    static int sqrt64(long num) {
        if (num >>> 32 == 0) {
            return sqrt32((int) num);
        }
        long res = 0;
        int maxBit = (64 - msb64(num)) | 1;
        long bit = 1L << (63 - maxBit);
        for (int it = (63 - maxBit) / 2 + 1; it > 0; it--) {
            if (Long.compareUnsigned(num, res + bit) >= 0) {
                num -= res + bit;
                res = (res >>> 1) + bit;
            } else {
                res >>>= 1;
            }
            bit >>>= 2;
        }
        if (Long.compareUnsigned(num, res) > 0 && res != 0xFFFF_FFFFL) {
            res++;
        }
        return (int) res;
    }

    /** ln(1 + f) − f in 1/65536 units for f = i/128, the correction table of {@link #log32}. */
    private static final int[] LOG_LUT = {
        0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944, 3087, 3224, 3358,
        3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864, 4934, 5001, 5063,
        5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637,
        5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291,
        5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184,
        4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437,
        2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0, 0
    };

    /**
     * Fixed-point natural log of unsigned {@code x} (≥ 1) times {@code outScale}, in 1/65536 … rounded:
     * log2(x) = msb + fraction (fraction from a 128-segment table with linear interpolation, 16 fractional bits),
     * ln = log2 · 45426 / 65536, result = (outScale · ln + 32768) >> 16, in unsigned 32-bit arithmetic.
     */
    static int log32(int x, int outScale) {
        int integer = msb32(x) - 1;
        int fraction = log2Fraction(x, integer);
        int log2 = (integer << 16) + fraction;
        int loge = (int) ((45426L * Integer.toUnsignedLong(log2) + 32768) >>> 16);
        return (outScale * loge + 32768) >>> 16;
    }

    private static int log2Fraction(int x, int log2x) {
        int frac = (int) (Integer.toUnsignedLong(x) - (1L << log2x));
        if (log2x < 16) {
            frac <<= 16 - log2x;
        } else {
            frac >>= log2x - 16;
        }
        int baseSeg = frac >>> 9;
        int c0 = LOG_LUT[baseSeg];
        int c1 = LOG_LUT[baseSeg + 1];
        int segBase = 512 * baseSeg;
        int relPos = ((c1 - c0) * (frac - segBase)) >> 16;
        return frac + c0 + relPos;
    }

    /** Fractional bits of the PCAN signal-to-noise ratio and of its output. */
    static final int PCAN_SNR_BITS = 12;

    static final int PCAN_OUTPUT_BITS = 6;

    /** Entries of a PCAN gain table: 3 polynomial coefficients for each of the 32 − 2 + 1 intervals, plus 3. */
    static final int PCAN_LUT_SIZE = 125;

    /**
     * PCAN's wide-dynamic-range gain of noise level {@code x} (unsigned): {@code lut[x]} for x ≤ 2, else a quadratic
     * in the 10 bits below x's top bit, with the coefficients of x's octave: ((c2·f >> 5) + c1·32)·f, rounded by 15
     * bits, plus c0; truncated to int16.
     */
    static short wideDynamicFunction(int x, short[] lut) {
        if (Integer.compareUnsigned(x, 2) <= 0) {
            return lut[x];
        }
        int interval = msb32(x);
        int base = 4 * interval - 6;
        int shifted = interval < 11 ? x << (11 - interval) : x >>> (interval - 11);
        int frac = (short) (shifted & 0x3FF);
        int result = (lut[base + 2] * frac) >> 5;
        result += lut[base + 1] << 5;
        result *= frac;
        result = (result + (1 << 14)) >> 15;
        result += lut[base];
        return (short) result;
    }

    /** PCAN's shrink of an SNR with 12 fractional bits to 6: x²/4 below 2, x − 1 from 2 on (unsigned). */
    static int pcanShrink(int x) {
        if (Integer.compareUnsigned(x, 2 << PCAN_SNR_BITS) < 0) {
            return (x * x) >>> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
        }
        return (x >>> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1 << PCAN_OUTPUT_BITS);
    }
}
