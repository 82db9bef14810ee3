package dev.quanta.kernels.elementwise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import dev.quanta.kernels.arithmetic.FixedPoint;
import java.util.Random;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The vector ADD kernels equal the scalar {@link AddInt} and {@link AddFloat} bit for bit. */
class SimdAddTest {
    private static final VectorSpecies<Long> LONG = LongVector.SPECIES_PREFERRED.withShape(SimdSpecies.SHAPE);

    @Property(tries = 200)
    void intAddEqualsTheScalarKernel(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 700) int length,
            @ForAll boolean large,
            @ForAll boolean uint8,
            @ForAll QuantizedPath path,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        int n = large ? 8192 + length * 13 : length; // large: two threads get a part each
        DType type = uint8 ? DType.UINT8 : DType.INT8;
        byte[] a = randomBytes(r, n);
        byte[] b = randomBytes(r, n);
        int[] shape = {1, n};
        // scales spread over several octaves: ratios inside and outside XNNPACK's [2^-10, 2^8)
        float sa = (float) Math.scalb(0.5 + r.nextDouble(), r.nextInt(12) - 8);
        float sb = (float) Math.scalb(0.5 + r.nextDouble(), r.nextInt(12) - 8);
        float sy = (float) Math.scalb(0.5 + r.nextDouble(), r.nextInt(12) - 8);
        if (r.nextInt(8) == 0) {
            sb = sa; // equal scales: multipliers of exactly one half
        }
        byte[] expected = new byte[n];
        byte[] actual = new byte[n];
        java.util.Arrays.fill(actual, (byte) 0x5A);
        AddInt scalar = new AddInt(
                operand(a, shape, sa, r, uint8),
                operand(b, shape, sb, r, uint8),
                new AddInt.Operand(expected, shape, sy, zeroPoint(r, uint8)),
                type,
                activation,
                path == QuantizedPath.XNNPACK);
        AddInt forFast = new AddInt(
                new AddInt.Operand(a, shape, sa, scalar.zpA),
                new AddInt.Operand(b, shape, sb, scalar.zpB),
                new AddInt.Operand(actual, shape, sy, scalar.zpY),
                type,
                activation,
                path == QuantizedPath.XNNPACK);
        // below 256 bits (no quarter-width byte vector) every ADD stays on the scalar kernel
        assertThat(SimdAddInt.applies(forFast)).isEqualTo(Simd.bits() >= 256 && (forFast.xnnpack || forFast.eY <= 0));
        Kernel fast = SimdAddInt.applies(forFast) ? new SimdAddInt(forFast) : forFast;
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel p = Parallel.of(threads)) {
                scalar.run(p);
                fast.run(p);
            }
            assertThat(actual).as("%s, %d threads", path, threads).containsExactly(expected);
        }
    }

    /** {@link SimdAddInt#mbqm} is {@link FixedPoint#multiplyByQuantizedMultiplier(int, int, int)} for shifts ≤ 0. */
    @Property(tries = 300)
    void vectorMultiplyByQuantizedMultiplierIsExact(
            @ForAll long seed, @ForAll @IntRange(min = 0, max = 31) int rightShift) {
        Random r = new Random(seed);
        int m = r.nextInt(4) == 0 ? 1 << 30 : (1 << 30) + r.nextInt(1 << 30);
        long[] x = new long[LONG.length()];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (r.nextInt(3)) {
                case 0 -> r.nextInt();
                case 1 -> (r.nextInt(511) - 255) << 20;
                default -> r.nextInt(2001) - 1000;
            };
        }
        long[] got = new long[x.length];
        SimdAddInt.mbqm(LongVector.fromArray(LONG, x, 0), m, rightShift).intoArray(got, 0);
        for (int i = 0; i < x.length; i++) {
            assertThat(got[i])
                    .as("x %d m %d shift -%d", x[i], m, rightShift)
                    .isEqualTo(FixedPoint.multiplyByQuantizedMultiplier((int) x[i], m, -rightShift));
        }
    }

    private static AddInt.Operand operand(byte[] data, int[] shape, float scale, Random r, boolean uint8) {
        return new AddInt.Operand(data, shape, scale, zeroPoint(r, uint8));
    }

    private static int zeroPoint(Random r, boolean uint8) {
        return uint8 ? r.nextInt(256) : r.nextInt(256) - 128;
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
