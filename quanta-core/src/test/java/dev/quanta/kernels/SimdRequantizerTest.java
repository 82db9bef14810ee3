package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.kernels.arithmetic.Requantizer;
import dev.quanta.kernels.arithmetic.SimdRequantizer;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

/** The vector FP32 requantization equals {@link Requantizer#apply(int, int)} bit for bit. */
class SimdRequantizerTest {
    @Property(tries = 300)
    void equalsTheScalarRequantizer(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 70) int channels,
            @ForAll @IntRange(min = -128, max = 127) int zeroPoint,
            @ForAll @FloatRange(min = 1e-6f, max = 0.5f) @net.jqwik.api.constraints.Scale(8) float scaleBase,
            @ForAll boolean uint8) {
        java.util.Random r = new java.util.Random(seed);
        double[] real = new double[channels];
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = scaleBase * (0.25f + r.nextFloat());
            real[c] = scales[c];
        }
        int lo = uint8 ? 0 : -128;
        int hi = uint8 ? 255 : 127;
        int zp = uint8 ? zeroPoint + 128 : zeroPoint;
        int clampLo = lo + r.nextInt(20);
        Requantizer rq = Requantizer.of(Requantizer.Rounding.FP32, real, scales, zp, clampLo, hi);
        SimdRequantizer v = new SimdRequantizer(rq);
        int lanes = SimdRequantizer.lanes();
        int[] acc = new int[channels + lanes];
        for (int i = 0; i < channels; i++) {
            // mostly near the output range, some ties, some huge
            acc[i] = switch (r.nextInt(4)) {
                case 0 -> r.nextInt();
                case 1 -> Math.round((r.nextInt(600) - 300 + 0.5f) / scales[i]);
                default -> r.nextInt(20001) - 10000;
            };
        }
        byte[] y = new byte[channels + lanes];
        for (int c = 0; c < channels; c += lanes) {
            VectorMask<Integer> m = SimdSpecies.INT.indexInRange(c, channels);
            v.store(IntVector.fromArray(SimdSpecies.INT, acc, c), c, y, c, m);
        }
        for (int c = 0; c < channels; c++) {
            int expected = rq.apply(acc[c], c);
            assertThat(uint8 ? y[c] & 0xFF : y[c])
                    .as("channel %d acc %d", c, acc[c])
                    .isEqualTo(expected);
        }
        for (int c = channels; c < y.length; c++) {
            assertThat(y[c]).as("untouched past the channels").isZero();
        }
    }
}
