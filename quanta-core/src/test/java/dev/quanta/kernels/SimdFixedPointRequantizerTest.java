package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.kernels.arithmetic.Requantizer;
import dev.quanta.kernels.arithmetic.SimdFixedPointRequantizer;
import java.util.Random;
import jdk.incubator.vector.IntVector;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The vector double-rounding requantizations (gemmlowp's and the upward one of TFLite's x86 int8 CONV_2D / FC) equal
 * {@link Requantizer#apply(int, int)} bit for bit.
 */
class SimdFixedPointRequantizerTest {
    @Property(tries = 300)
    void equalsTheScalarRequantizer(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 70) int channels,
            @ForAll @IntRange(min = -128, max = 127) int zeroPoint,
            @ForAll @IntRange(min = -40, max = 6) int exponent,
            @ForAll boolean uint8,
            @ForAll boolean upward) {
        Random r = new Random(seed);
        double[] real = new double[channels];
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            // multipliers from 2^-41 (zero multiplier) up to 2^7 (left shifts); some exact powers of two (ties)
            real[c] = r.nextInt(5) == 0
                    ? Math.scalb(1.0, exponent + r.nextInt(3))
                    : Math.scalb(0.5 + r.nextDouble() * 0.5, exponent + r.nextInt(3));
            scales[c] = (float) real[c];
        }
        int lo = uint8 ? 0 : -128;
        int hi = uint8 ? 255 : 127;
        int zp = uint8 ? zeroPoint + 128 : zeroPoint;
        Requantizer.Rounding mode =
                upward ? Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD : Requantizer.Rounding.DOUBLE_ROUNDING;
        Requantizer rq = Requantizer.of(mode, real, scales, zp, lo + r.nextInt(20), hi - r.nextInt(20));
        SimdFixedPointRequantizer v = new SimdFixedPointRequantizer(rq);
        int lanes = SimdSpecies.INT.length();
        int[] acc = new int[channels + lanes];
        for (int i = 0; i < channels; i++) {
            acc[i] = switch (r.nextInt(4)) {
                case 0 -> r.nextInt();
                case 1 -> (r.nextInt(600) - 300) << Math.max(0, -exponent - 2); // near ties of the final shift
                case 2 -> r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
                default -> r.nextInt(200001) - 100000;
            };
        }
        byte[] y = new byte[channels + 64];
        for (int c = 0; c < channels; c += lanes) {
            IntVector a = IntVector.fromArray(SimdSpecies.INT, acc, c);
            if (upward) {
                v.storeUpward(a, c, y, c, Math.min(lanes, channels - c));
            } else {
                v.store(a, c, y, c, Math.min(lanes, channels - c));
            }
        }
        for (int c = 0; c < channels; c++) {
            assertThat(uint8 ? y[c] & 0xFF : y[c])
                    .as("channel %d acc %d real %s", c, acc[c], real[c])
                    .isEqualTo(rq.apply(acc[c], c));
        }
        for (int c = channels; c < y.length; c++) {
            assertThat(y[c]).as("untouched past the channels").isZero();
        }
    }
}
