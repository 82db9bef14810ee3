package dev.quanta.kernels.conv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Padding;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The vector pools equal the scalar {@link Pool2DInt} and {@link Pool2DFloat} bit for bit, on 1 and 2 threads. */
class SimdPool2DTest {

    @Property(tries = 200)
    void intPoolEqualsTheScalarKernel(
            @ForAll long seed,
            @ForAll boolean max,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 150) int channels,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int stride,
            @ForAll boolean same,
            @ForAll boolean uint8) {
        Random r = new Random(seed);
        Geometry g = Geometry.random(r, batch, channels, kh, kw, stride, same);
        DType type = uint8 ? DType.UINT8 : DType.INT8;
        int qmin = Quant.qmin(type);
        int qmax = Quant.qmax(type);
        int lo = r.nextBoolean() ? qmin : qmin + r.nextInt(100);
        int hi = r.nextBoolean() ? qmax : qmax - r.nextInt(100);
        byte[] x = SimdDepthwiseConv2DIntTest.randomBytes(r, g.inputLength());
        byte[] expected = new byte[g.outputLength()];
        byte[] actual = new byte[g.outputLength()];
        Pool2DInt scalar = new Pool2DInt(max, x, g.xShape(), expected, g.yShape(), type, g.attrs(), lo, hi);
        // below 256 bits the average pool stays scalar: the factory says so, and the scalar kernel is what runs
        Kernel fast = max || Simd.bits() >= 256
                ? new SimdPool2DInt(max, x, g.xShape(), actual, g.yShape(), type, g.attrs(), lo, hi)
                : SimdPool2DInt.create(max, x, g.xShape(), actual, g.yShape(), type, g.attrs(), lo, hi);
        assertThat(fast).isInstanceOf(max || Simd.bits() >= 256 ? SimdPool2DInt.class : Pool2DInt.class);
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel p = Parallel.of(threads)) {
                scalar.run(p);
                fast.run(p);
            }
            assertThat(actual)
                    .as("%s %s, %d threads", type, max ? "max" : "avg", threads)
                    .containsExactly(expected);
        }
    }

    /** Large windows of extreme values: the float division of the average stays exact. */
    @Property(tries = 30)
    void averageOfLargeWindowsOfExtremeValues(@ForAll long seed, @ForAll boolean uint8) {
        Random r = new Random(seed);
        DType type = uint8 ? DType.UINT8 : DType.INT8;
        int h = 20 + r.nextInt(60);
        int w = 20 + r.nextInt(60);
        int channels = 1 + r.nextInt(70);
        byte[] x = new byte[h * w * channels];
        for (int i = 0; i < x.length; i++) {
            x[i] = (byte) (r.nextInt(10) == 0 ? r.nextInt(256) : (r.nextBoolean() ? 127 : -128));
        }
        var attrs = new OpAttributes.Pool2D(Padding.VALID, h, w, 1, 1, Activation.NONE);
        int[] xs = {1, h, w, channels};
        int[] ys = {1, 1, 1, channels};
        byte[] expected = new byte[channels];
        byte[] actual = new byte[channels];
        int lo = Quant.qmin(type);
        int hi = Quant.qmax(type);
        try (Parallel p = Parallel.of(1)) {
            new Pool2DInt(false, x, xs, expected, ys, type, attrs, lo, hi).run(p);
            Kernel fast = Simd.bits() >= 256
                    ? new SimdPool2DInt(false, x, xs, actual, ys, type, attrs, lo, hi)
                    : SimdPool2DInt.create(false, x, xs, actual, ys, type, attrs, lo, hi);
            assertThat(fast).isInstanceOf(Simd.bits() >= 256 ? SimdPool2DInt.class : Pool2DInt.class);
            fast.run(p);
        }
        assertThat(actual).containsExactly(expected);
    }

    @Property(tries = 150)
    void floatPoolEqualsTheScalarKernel(
            @ForAll long seed,
            @ForAll boolean max,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 40) int channels,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int stride,
            @ForAll boolean same,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        Geometry g = Geometry.random(r, batch, channels, kh, kw, stride, same);
        var attrs = new OpAttributes.Pool2D(g.attrs().padding(), kh, kw, stride, stride, activation);
        float[] x = new float[g.inputLength()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 3;
        }
        float[] expected = new float[g.outputLength()];
        float[] actual = new float[g.outputLength()];
        Pool2DFloat scalar = new Pool2DFloat(max, x, g.xShape(), expected, g.yShape(), attrs);
        SimdPool2DFloat fast = new SimdPool2DFloat(max, x, g.xShape(), actual, g.yShape(), attrs);
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel p = Parallel.of(threads)) {
                scalar.run(p);
                fast.run(p);
            }
            assertThat(actual)
                    .as("%s, %d threads", max ? "max" : "avg", threads)
                    .containsExactly(expected);
        }
    }

    /** Random input sizes for a pool window, with TensorFlow's output size (VALID windows that fit become SAME). */
    private record Geometry(int[] xShape, int[] yShape, OpAttributes.Pool2D attrs) {
        static Geometry random(Random r, int batch, int channels, int kh, int kw, int stride, boolean same) {
            int inH = 1 + r.nextInt(10);
            int inW = 1 + r.nextInt(10);
            Padding padding = same || inH < kh || inW < kw ? Padding.SAME : Padding.VALID;
            int outH = padding.outputSize(inH, kh, stride, 1);
            int outW = padding.outputSize(inW, kw, stride, 1);
            var attrs = new OpAttributes.Pool2D(padding, kh, kw, stride, stride, Activation.NONE);
            return new Geometry(new int[] {batch, inH, inW, channels}, new int[] {batch, outH, outW, channels}, attrs);
        }

        int inputLength() {
            return xShape[0] * xShape[1] * xShape[2] * xShape[3];
        }

        int outputLength() {
            return yShape[0] * yShape[1] * yShape[2] * yShape[3];
        }
    }
}
