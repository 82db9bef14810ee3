package dev.quanta.kernels.signal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The signal library's fixed-point helpers against their mathematical definitions: the square roots round to
 * nearest (r² − r < n ≤ r² + r), the log follows ln within its table's accuracy, the PCAN shrink is x²/4 then
 * x − 1, and the 16-bit real FFT is the DFT divided by its length within the rounding of its stages.
 */
class SignalMathTest {

    @Property
    void sqrt32RoundsToNearest(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int a, @ForAll boolean high) {
        long n = high ? Integer.toUnsignedLong(a) | 0x8000_0000L : a;
        long r = SignalMath.sqrt32((int) n);
        if (n == 0) {
            assertThat(r).isZero();
        } else if (r == 0xFFFF) { // saturates: 65535² + 65535 < n < 2^32 also gives 65535
            assertThat(n).isGreaterThan(r * r - r);
        } else {
            assertThat(n).as("n = %d, r = %d", n, r).isGreaterThan(r * r - r).isLessThanOrEqualTo(r * r + r);
        }
    }

    @Property
    void sqrt64RoundsToNearestAbove2To32(@ForAll @LongRange(min = 1L << 32, max = Long.MAX_VALUE) long n) {
        long r = Integer.toUnsignedLong(SignalMath.sqrt64(n));
        java.math.BigInteger big = java.math.BigInteger.valueOf(n);
        java.math.BigInteger rr = java.math.BigInteger.valueOf(r);
        assertThat(big)
                .isGreaterThan(rr.multiply(rr).subtract(rr))
                .isLessThanOrEqualTo(rr.multiply(rr).add(rr));
    }

    @Test
    void sqrt64BelowTwoTo32IsTheSixteenBitRoot() {
        assertThat(SignalMath.sqrt64(0)).isZero();
        assertThat(SignalMath.sqrt64(16)).isEqualTo(4);
        assertThat(SignalMath.sqrt64(0xFFFF_FFFFL)).isEqualTo(0xFFFF); // 65535.99…, the 16-bit cap
        assertThat(SignalMath.sqrt64(1L << 40)).isEqualTo(1 << 20);
    }

    @Property
    void log32FollowsTheNaturalLog(
            @ForAll @IntRange(min = 2, max = Integer.MAX_VALUE) int x,
            @ForAll @IntRange(min = 1, max = 2000) int scale) {
        // (scale · ln x · 2^16) must fit in 32 bits: tflite-micro's product wraps past that
        double want = scale * Math.log(x);
        double got = SignalMath.log32(x, scale);
        // table accuracy ~1e-4 in log2, plus the two roundings to integers
        assertThat(got).isCloseTo(want, org.assertj.core.data.Offset.offset(2 + 3e-4 * want));
    }

    @Test
    void log32OfPowersOfTwoIsExactUpToRounding() {
        for (int k = 1; k < 31; k++) {
            // log2 = k exactly; ln·2^16 = (k·2^16 · 45426 + 2^15) >> 16; then (1000 · ln·2^16 + 2^15) >> 16
            long loge = (45426L * (k << 16) + 32768) >>> 16;
            assertThat(SignalMath.log32(1 << k, 1000)).as("k = %d", k).isEqualTo((int) ((1000 * loge + 32768) >>> 16));
        }
    }

    @Property
    void pcanShrinkIsQuarterSquareThenMinusOne(@ForAll @IntRange(min = 0, max = 1 << 24) int x) {
        double real = x / 4096.0; // 12 fractional bits in
        double want = real < 2 ? real * real / 4 : real - 1;
        assertThat(SignalMath.pcanShrink(x) / 64.0).isCloseTo(want, org.assertj.core.data.Offset.offset(1 / 64.0));
    }

    @Test
    void msbCountsSignificantBits() {
        assertThat(SignalMath.msb32(1)).isEqualTo(1);
        assertThat(SignalMath.msb32(0x80)).isEqualTo(8);
        assertThat(SignalMath.msb32(-1)).isEqualTo(32);
        assertThat(SignalMath.msb32(0)).isEqualTo(32); // GCC's __builtin_clz path of tflite-micro
        assertThat(SignalMath.msb64(1L << 40)).isEqualTo(41);
    }

    @Test
    void realFftIsTheDftOverNWithinStageRounding() {
        Random random = new Random(7);
        for (int n : new int[] {4, 8, 16, 32, 64, 128, 256, 512, 1024}) {
            RealFftInt16 fft = new RealFftInt16(n);
            double worst = 0;
            for (int trial = 0; trial < 20; trial++) {
                short[] x = new short[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (short) (random.nextInt(65536) - 32768);
                }
                short[] out = new short[n + 2];
                fft.forward(x, 0, out, 0);
                for (int k = 0; k <= n / 2; k++) {
                    double re = 0;
                    double im = 0;
                    for (int t = 0; t < n; t++) {
                        double ph = -2 * Math.PI * k * t / n;
                        re += x[t] * Math.cos(ph);
                        im += x[t] * Math.sin(ph);
                    }
                    worst = Math.max(worst, Math.max(Math.abs(out[2 * k] - re / n), Math.abs(out[2 * k + 1] - im / n)));
                }
            }
            // each of the log4(n/2) + 2 roundings adds at most about one step
            int stages = 32 - Integer.numberOfLeadingZeros(n);
            assertThat(worst).as("n = %d", n).isLessThanOrEqualTo(stages);
        }
    }

    @Test
    void realFftOfAConstantIsItsMeanAtDc() {
        RealFftInt16 fft = new RealFftInt16(512);
        short[] x = new short[512];
        java.util.Arrays.fill(x, (short) 12000);
        short[] out = new short[514];
        fft.forward(x, 0, out, 0);
        assertThat(out[0]).isBetween((short) 11990, (short) 12000);
        for (int k = 1; k <= 256; k++) {
            assertThat(Math.abs(out[2 * k])).as("bin %d", k).isLessThanOrEqualTo((short) 2);
            assertThat(Math.abs(out[2 * k + 1])).as("bin %d", k).isLessThanOrEqualTo((short) 2);
        }
    }
}
