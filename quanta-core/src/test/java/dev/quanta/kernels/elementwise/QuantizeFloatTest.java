package dev.quanta.kernels.elementwise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Parallel;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** QUANTIZE's 8-bit XNNPACK loop gives {@link QuantizeFloat#quantize(float)} for every element. */
class QuantizeFloatTest {

    @Property(tries = 200)
    void theByteLoopEqualsTheElementFormula(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 300) int n,
            @ForAll boolean uint8,
            @ForAll boolean xnnpack,
            @ForAll @IntRange(min = 0, max = 255) int zpCode) {
        Random r = new Random(seed);
        DType type = uint8 ? DType.UINT8 : DType.INT8;
        int zp = uint8 ? zpCode : zpCode - 128;
        float scale = (float) Math.pow(2, -12 + r.nextInt(14)) * (0.5f + r.nextFloat());
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (r.nextInt(8)) {
                case 0 -> Float.NaN;
                case 1 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                case 2 -> (r.nextInt(600) - 300 + 0.5f) * scale; // near ties of x / s
                case 3 -> (r.nextBoolean() ? 1 : -1) * r.nextFloat() * 1e30f;
                default -> (float) r.nextGaussian() * 200 * scale;
            };
        }
        byte[] y = new byte[n];
        QuantizeFloat k = new QuantizeFloat(x, y, type, scale, zp, xnnpack);
        try (Parallel parallel = Parallel.of(1)) {
            k.run(parallel);
        }
        for (int i = 0; i < n; i++) {
            int expected = k.quantize(x[i]);
            int actual = uint8 ? y[i] & 0xFF : y[i];
            assertThat(actual)
                    .as("x[%d] = %s, scale %s, zp %d", i, x[i], scale, zp)
                    .isEqualTo(expected);
        }
    }
}
