package dev.quanta.kernels.conv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.conv.SimdConvFullyConnectedIntTest.Layer;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The direct 8-bit convolution for few input and output channels ({@link SimdDirectConv2DInt}) equals the scalar
 * {@link Conv2DInt} bit for bit, on 1 and 2 threads: random windows, strides, dilations, padding, batch, 1 to 4
 * input channels, every output channel count it takes, int8 and uint8, zero points across the range, per-tensor and
 * per-channel weights, both paths and every rounding mode, every fused activation.
 */
class SimdDirectConv2DIntTest {

    /**
     * Output channel counts the kernel takes at this vector width with {@code inC} input channels: divisors of V up
     * to V/2 whose vector of V / outC pixels lies within one loaded vector at stride 1.
     */
    private static int[] outChannelChoices(int inC) {
        int v = SimdDirectConv2DInt.V;
        return IntStream.rangeClosed(1, v / 2)
                .filter(c -> v % c == 0 && (v / c - 1) * inC < v)
                .toArray();
    }

    @Property(tries = 200)
    void directConvolutionEqualsTheScalarKernel(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh,
            @ForAll @IntRange(min = 1, max = 3) int swChoice,
            @ForAll @IntRange(min = 1, max = 2) int dh,
            @ForAll @IntRange(min = 1, max = 2) int dw,
            @ForAll boolean same,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 4) int inC,
            @ForAll @IntRange(min = 0, max = 15) int outChoice,
            @ForAll boolean uint8,
            @ForAll @IntRange(min = 0, max = 3) int zpChoice,
            @ForAll boolean perChannel,
            @ForAll boolean xnnpack,
            @ForAll Activation activation) {
        if (Simd.bits() < 256) {
            // no quarter-width byte vector to store through: the factory keeps the GEMM, and supports() says so
            assertThat(SimdDirectConv2DInt.supports(
                            new int[] {1, 8, 8, 1}, new int[] {2, 3, 3, 1}, conv(Padding.SAME, 1, 1, 1, 1), null))
                    .isFalse();
            return;
        }
        Random r = new Random(seed);
        int[] outs = outChannelChoices(inC);
        int outC = outs[outChoice % outs.length];
        int pixels = SimdDirectConv2DInt.V / outC;
        // the widest stride whose vector of pixels still lies within one loaded vector
        int sw = pixels == 1
                ? swChoice
                : Math.max(1, Math.min(swChoice, (SimdDirectConv2DInt.V - 1) / ((pixels - 1) * inC)));
        DType dt = uint8 ? DType.UINT8 : DType.INT8;
        int inH = (kh - 1) * dh + 1 + r.nextInt(12);
        int inW = (kw - 1) * dw + 1 + r.nextInt(20);
        var a = new OpAttributes.Conv2D(same ? Padding.SAME : Padding.VALID, sh, sw, dh, dw, activation);
        Layer l = SimdConvFullyConnectedIntTest.layer(
                r,
                OpType.CONV_2D,
                a,
                dt,
                new int[] {batch, inH, inW, inC},
                new int[] {outC, kh, kw, inC},
                zeroPoint(r, dt, zpChoice),
                false,
                perChannel && !uint8,
                xnnpack);
        assertDirectEqualsScalar(l, a);
    }

    /**
     * A bias too large to start the float sums at (|bias| + K·P > 2^24): the kernel adds it to the converted int sum,
     * still equal to the scalar kernel.
     */
    @Property(tries = 40)
    void largeBiasIsAddedAsAnInteger(
            @ForAll long seed, @ForAll boolean uint8, @ForAll boolean xnnpack, @ForAll boolean negative) {
        if (Simd.bits() < 256) {
            return;
        }
        Random r = new Random(seed);
        DType dt = uint8 ? DType.UINT8 : DType.INT8;
        var a = conv(Padding.SAME, 1, 1, 1, 1);
        Layer l = SimdConvFullyConnectedIntTest.layer(
                r,
                OpType.CONV_2D,
                a,
                dt,
                new int[] {1, 9, 13, 3},
                new int[] {4, 3, 3, 3},
                zeroPoint(r, dt, 2),
                false,
                false,
                xnnpack);
        int[] bias = (int[]) l.buffer(l.op().input(2));
        for (int o = 0; o < bias.length; o++) {
            bias[o] = (negative ? -1 : 1) * ((1 << 24) + r.nextInt(1000)) + o;
        }
        assertDirectEqualsScalar(l, a);
    }

    /** The demo CNN's first layer (16×16×1 → 8 channels, 3×3 SAME, ReLU) takes the direct kernel through the factory. */
    @Test
    void theFactoryTakesTheDirectKernelForAFirstLayer() {
        Random r = new Random(7);
        var a = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU);
        Layer l = SimdConvFullyConnectedIntTest.layer(
                r,
                OpType.CONV_2D,
                a,
                DType.INT8,
                new int[] {1, 16, 16, 1},
                new int[] {8, 3, 3, 1},
                -128,
                false,
                true,
                true);
        Op op = l.op();
        Kernel k = Kernels.create(op, l::buffer, (Tensor t) -> t.shape().dims(), l.path());
        // 8 channels are at most half a vector from 512 bits on
        if (Simd.enabled() && Simd.bits() >= 512) {
            assertThat(k).isInstanceOf(SimdDirectConv2DInt.class);
            assertDirectEqualsScalar(l, a);
        } else {
            assertThat(k).isNotInstanceOf(SimdDirectConv2DInt.class);
        }
    }

    private static OpAttributes.Conv2D conv(Padding padding, int sh, int sw, int dh, int dw) {
        return new OpAttributes.Conv2D(padding, sh, sw, dh, dw, Activation.NONE);
    }

    private static int zeroPoint(Random r, DType dt, int choice) {
        int lo = dt == DType.UINT8 ? 0 : -128;
        return switch (choice) {
            case 0 -> lo;
            case 1 -> lo + 255;
            default -> lo + r.nextInt(256);
        };
    }

    private static void assertDirectEqualsScalar(Layer l, OpAttributes.Conv2D a) {
        if (Simd.bits() < 256) {
            return;
        }
        Op op = l.op();
        int[] xs = op.input(0).shape().dims();
        int[] ws = op.input(1).shape().dims();
        int[] ys = op.output(0).shape().dims();
        WeightedOpParams p = l.params(0, ws[0], a.activation());
        assertThat(SimdDirectConv2DInt.supports(xs, ws, a, p)).isTrue();
        Object x = l.buffer(op.input(0));
        int n = Math.toIntExact(op.output(0).shape().elementCount());
        byte[] expected = new byte[n];
        try (Parallel one = Parallel.of(1)) {
            new Conv2DInt(x, xs, p, ws, expected, ys, a).run(one);
        }
        for (int threads = 1; threads <= 2; threads++) {
            byte[] actual = new byte[n];
            Kernel fast = new SimdDirectConv2DInt(x, xs, p, ws, actual, ys, a);
            try (Parallel par = Parallel.of(threads)) {
                fast.run(par);
                assertThat(actual)
                        .as("%d thread(s), %s, %s", threads, l.path(), l.mode())
                        .containsExactly(expected);
                fast.run(par); // a second run of the same kernel (buffers reused)
            }
            assertThat(actual).as("second run").containsExactly(expected);
        }
    }
}
