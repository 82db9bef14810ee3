package dev.quanta.kernels.arithmetic;

import java.util.function.IntUnaryOperator;

/**
 * LOGISTIC and TANH on symmetric INT16 activations (zero points 0, output scale 2⁻¹⁵), as TFLite 2.21's built-in
 * kernels compute them (XNNPACK does not take int16, so both paths run these). The result of each input value is
 * tabulated by {@link LookupTableInt}. TFLite picks one of two arithmetics when the op is prepared:
 *
 * <h2>Power-of-two input scale: gemmlowp fixed point</h2>
 *
 * With {@code s_x = 2^e} ({@code |log2 s_x − round(log2 s_x)| < 10⁻³}, float) and {@code L = 12 + e}, LOGISTIC
 * takes this path when {@code L = 0}, TANH when {@code L ∈ {0, 1}}. The input is read as a Q3.12 number
 * ({@code x / 2¹²}; for TANH with L = 1 first {@code x ← sat(2x)}), and gemmlowp's int16 {@code logistic} /
 * {@code tanh} give a Q0.15 result:
 *
 * <pre>
 * logistic(a) = a = 0 ? 2¹⁴ : a &gt; 0 ? R(|a|) : 32767 − R(|a|),     R(p) = 1/(1+x)|ₓ₌exp(−p)
 * tanh(a)     = a = 0 ? 0   : a &lt; 0 ? −T(a)  : T(−|a|),            T(n) = (1−x)/(1+x)|ₓ₌exp(2n)   (2n read as Q4.11)
 * exp(a), a ≤ 0 (Qk.(15−k)):  r = (a mod ¼) − ¼;  e = exp on [−¼, 0) of r (Taylor around −⅛, Q0.15),
 *     then e ← e·exp(−2^j) for every set bit j ∈ {−2 … k−1} of (r − a);  exp(0) = 32767
 * 1/(1+x), (1−x)/(1+x) for x ∈ (0, 1):  d = ⌈(x + 1)/2⌋,  y₀ = 48/17 − 32/17·d  (Q2.13),
 *     three Newton steps y ← y + sat(4·(y·(1 − d·y))),  result sat(2·y/2) resp. sat(4·(y − 1))
 * </pre>
 *
 * Every product is gemmlowp's int16 {@code SaturatingRoundingDoublingHighMul} ({@code ⌊(a·b + 2¹⁴) / 2¹⁵⌋},
 * −2¹⁵·−2¹⁵ ↦ 32767); additions wrap modulo 2¹⁶ except the saturating one that closes the exp polynomial; the
 * constants are gemmlowp's Q31 constants rounded to Q15 ({@code RoundingDivideByPOT(c, 16)}).
 *
 * <h2>Any other input scale: interpolated sigmoid table</h2>
 *
 * TFLite's 256-entry table {@code S[i] ≈ 2¹⁶·sigmoid(i/24)} (its exact values, {@link #SIGMOID}) is interpolated
 * linearly. The input is rescaled to steps of 1/(3·2¹²) (so that ±2¹⁷ covers ±10.7):
 *
 * <pre>
 * m = s_x·12288 (double), n = 0;  while m ≤ 16383.5 and n ≤ 30: m ← 2m, n ← n + 1;  M = (int) m
 * v = (x·M + (n &gt; 0 ? 2^(n−1) : 0)) &gt;&gt; n,   u = |v|
 * LOGISTIC:  h = u &gt;&gt; 9,  f = u &amp; 511;   r = h ≥ 255 ? 32767·2¹⁰ : S[h]·2⁹ + f·(S[h+1] − S[h])
 *            y = v ≥ 0 ? (r + 2⁹) &gt;&gt; 10 : (2²⁵ − r + 2⁹ − 1) &gt;&gt; 10
 * TANH:      h = u &gt;&gt; 8,  f = u &amp; 255;   r = h ≥ 255 ? 65535·2⁸ : S[h]·2⁸ + f·(S[h+1] − S[h])
 *            y = v ≥ 0 ? (r − 2²³ + 2⁷) &gt;&gt; 8 : (−r + 2²³ + 2⁷ − 1) &gt;&gt; 8
 * </pre>
 *
 * (TANH uses {@code tanh(x) = 2·sigmoid(2x) − 1}, hence the finer index.) The result is stored as int16.
 */
public final class Int16Activations {
    private Int16Activations() {}

    /**
     * TFLite's {@code sigmoid_table_uint16}: sigmoid(i/24) in unsigned Q0.16, i = 0..255. Its entries are up to one
     * above {@code round(2¹⁶·sigmoid(i/24))} (and the last is 65535), so they cannot be recomputed from the formula
     * and are kept as data.
     */
    public static final int[] SIGMOID = {
        32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
        40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
        47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
        53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
        57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
        60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
        62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
        63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
        64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
        64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
        65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
        65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
        65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
        65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
        65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
        65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
        65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
        65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
        65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
        65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
        65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
        65534, 65534, 65534, 65535
    };

    /** TFLite int16 LOGISTIC for input scale {@code sx} (zero points 0, output scale 2⁻¹⁵). */
    public static IntUnaryOperator logistic(float sx) {
        Integer log2 = checkedLog2(sx);
        if (log2 != null && 12 + log2 == 0) {
            return v -> logisticQ3(v);
        }
        int[] mn = rescale(sx);
        return v -> logisticTable(v, mn[0], mn[1]);
    }

    /** TFLite int16 TANH for input scale {@code sx} (zero points 0, output scale 2⁻¹⁵). */
    public static IntUnaryOperator tanh(float sx) {
        Integer log2 = checkedLog2(sx);
        if (log2 != null && (12 + log2 == 0 || 12 + log2 == 1)) {
            boolean doubled = 12 + log2 == 1;
            return v -> tanhQ3(doubled ? saturatingDouble(v) : v);
        }
        int[] mn = rescale(sx);
        return v -> tanhTable(v, mn[0], mn[1]);
    }

    /** Lazily built tables over every int16 input: gemmlowp logistic of Q3.12, tanh of Q0.15 … Q4.11 inputs. */
    private static volatile short[] logisticQ3Table;

    private static final short[][] TANH_TABLES = new short[5][];

    /** {@code table[v + 32768]} = gemmlowp logistic of the Q3.12 value v, for every int16 v (built once). */
    public static short[] logisticQ3Table() {
        short[] t = logisticQ3Table;
        if (t == null) {
            t = tabulate(Int16Activations::logisticQ3);
            logisticQ3Table = t;
        }
        return t;
    }

    /** {@code table[v + 32768]} = gemmlowp tanh of v read with {@code integerBits} integer bits (built once). */
    public static short[] tanhTable(int integerBits) {
        synchronized (TANH_TABLES) {
            if (TANH_TABLES[integerBits] == null) {
                TANH_TABLES[integerBits] = tabulate(v -> tanh(v, integerBits));
            }
            return TANH_TABLES[integerBits];
        }
    }

    private static short[] tabulate(IntUnaryOperator f) {
        short[] t = new short[65536];
        for (int v = -32768; v <= 32767; v++) {
            t[v + 32768] = (short) f.applyAsInt(v);
        }
        return t;
    }

    /** TFLite's {@code CheckedLog2}: the rounded log2 of x when x is within 10⁻³ (in log2) of a power of two. */
    public static Integer checkedLog2(float x) {
        float log2 = (float) Math.log(x) * (1.0f / (float) Math.log(2.0f));
        float rounded = FixedPoint.roundHalfAwayFromZero(log2);
        return Math.abs(log2 - rounded) < 1e-3 ? (int) rounded : null;
    }

    /** (M, n): the input multiplier to steps of 1/(3·2¹²) and its right shift, as TFLite's Prepare finds them. */
    public static int[] rescale(float sx) {
        double m = (double) sx * 4096.0 * 3.0;
        int n = 0;
        while (m <= 32767.0 / 2.0 && n <= 30) {
            n++;
            m *= 2.0;
        }
        return new int[] {(int) m, n};
    }

    public static int logisticTable(int x, int multiplier, int shift) {
        int round = shift > 0 ? 1 << (shift - 1) : 0;
        int v = (x * multiplier + round) >> shift;
        long u = Math.abs((long) v);
        long h = u >> 9;
        long r;
        if (h >= 255) {
            r = 0x7FFFL << 10;
        } else {
            int a = SIGMOID[(int) h];
            int b = SIGMOID[(int) h + 1];
            r = ((long) a << 9) + (u & 0x1FF) * (b - a);
        }
        r = v >= 0 ? r + (1 << 9) : (1L << 25) - r + (1 << 9) - 1;
        return (short) ((r & 0xFFFFFFFFL) >>> 10);
    }

    public static int tanhTable(int x, int multiplier, int shift) {
        int round = shift > 0 ? 1 << (shift - 1) : 0;
        int v = (x * multiplier + round) >> shift;
        int u = Math.abs(v);
        int h = u >>> 8;
        int r;
        if (h >= 255) {
            r = 0xFFFF << 8;
        } else {
            int a = SIGMOID[h];
            int b = SIGMOID[h + 1];
            r = (a << 8) + (u & 0xFF) * (b - a);
        }
        r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        return (short) (r >> 8);
    }

    // ---- gemmlowp int16 fixed point ----

    /** gemmlowp's {@code SaturatingRoundingMultiplyByPOT<1>} on int16. */
    public static int saturatingDouble(int x) {
        return x > 16383 ? 32767 : x < -16383 ? -32768 : 2 * x;
    }

    /** Wrapping int16 addition. */
    private static int add(int a, int b) {
        return (short) (a + b);
    }

    /** int16 {@code SaturatingRoundingDoublingHighMul}: ⌊(a·b + 2¹⁴) / 2¹⁵⌋ with ties upwards; −2¹⁵·−2¹⁵ ↦ 32767. */
    public static int mul(int a, int b) {
        if (a == -32768 && b == -32768) {
            return 32767;
        }
        int ab = a * b;
        int nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
        return (short) ((ab + nudge) / (1 << 15));
    }

    /** Saturating multiplication by 2^e (e &gt; 0) of an int16. */
    private static int shiftSat(int x, int e) {
        int threshold = (1 << (15 - e)) - 1;
        return x > threshold ? 32767 : x < -threshold ? -32768 : x << e;
    }

    /** A gemmlowp Q31 constant in int16: {@code RoundingDivideByPOT(c, 16)}. */
    private static int constant(int q31) {
        return (short) FixedPoint.roundingDivideByPOT(q31, 16);
    }

    private static final int EXP_MINUS_ONE_EIGHTH = constant(1895147668);
    private static final int ONE_THIRD = constant(715827883);
    private static final int[] EXP_BARREL = {
        constant(1672461947),
        constant(1302514674),
        constant(790015084),
        constant(290630308),
        constant(39332535),
        constant(720401),
        constant(242)
    };
    private static final int C48_OVER_17 = constant(1515870810);
    private static final int CNEG32_OVER_17 = constant(-1010580540);

    /** exp(a) for a in [−¼, 0), Q0.15 in and out. */
    private static int expQuarter(int a) {
        int x = add(a, 1 << 12);
        int x2 = mul(x, x);
        int x3 = mul(x2, x);
        int x4 = mul(x2, x2);
        int x4Over4 = FixedPoint.roundingDivideByPOT(x4, 2);
        int poly = FixedPoint.roundingDivideByPOT(add(mul(add(x4Over4, x3), ONE_THIRD), x2), 1);
        return FixedPoint.clamp(EXP_MINUS_ONE_EIGHTH + mul(EXP_MINUS_ONE_EIGHTH, add(x, poly)), -32768, 32767);
    }

    /** exp(a) for a ≤ 0 given in Q(k).(15 − k), result Q0.15. */
    private static int expNegative(int a, int integerBits) {
        int fractional = 15 - integerBits;
        int quarter = 1 << (fractional - 2);
        int r = add(a & (quarter - 1), -quarter);
        int result = expQuarter(shiftSat(r, integerBits));
        int remainder = add(r, -a);
        for (int j = -2; j <= 4; j++) {
            if (integerBits > j && (remainder & (1 << (fractional + j))) != 0) {
                result = mul(result, EXP_BARREL[j + 2]);
            }
        }
        return a == 0 ? 32767 : result;
    }

    /** Newton-Raphson division for x in (0, 1) Q0.15: y ≈ 1/d with d = (x + 1)/2, in Q2.13 (before the final step). */
    private static int newtonReciprocal(int a) {
        int sum = a + 32767;
        int halfDenominator = (short) ((sum + (sum >= 0 ? 1 : -1)) / 2);
        int y = add(C48_OVER_17, mul(halfDenominator, CNEG32_OVER_17));
        for (int i = 0; i < 3; i++) {
            int oneMinus = add(1 << 13, -mul(halfDenominator, y));
            y = add(y, shiftSat(mul(y, oneMinus), 2));
        }
        return y;
    }

    /** gemmlowp {@code logistic} of a Q3.12 input, Q0.15 result. */
    public static int logisticQ3(int a) {
        if (a == 0) {
            return 1 << 14;
        }
        int abs = a > 0 ? a : (short) -a;
        int e = expNegative((short) -abs, 3);
        int positive = shiftSat(newtonReciprocal(e), 1);
        return a > 0 ? positive : add(32767, -positive);
    }

    /** gemmlowp {@code tanh} of a Q3.12 input, Q0.15 result. */
    public static int tanhQ3(int a) {
        return tanh(a, 3);
    }

    /**
     * gemmlowp {@code tanh} of a Q{@code k}.(15 − k) input, Q0.15 result, for 0 ≤ k ≤ 4 (exp of 2n, the input's
     * raw value read with one more integer bit; beyond 5 integer bits gemmlowp's exp adds a clamp not reproduced
     * here). TFLite's integer LSTM applies it to the cell state with k = 15 + log2(cell scale).
     */
    public static int tanh(int a, int integerBits) {
        if (integerBits < 0 || integerBits > 4) {
            throw new IllegalArgumentException("tanh of Q" + integerBits + " inputs is not supported");
        }
        if (a == 0) {
            return 0;
        }
        int n = a < 0 ? a : (short) -a;
        int e = expNegative(n, integerBits + 1);
        int t = shiftSat(add(newtonReciprocal(e), -(1 << 13)), 2);
        return a < 0 ? (short) -t : t;
    }
}
