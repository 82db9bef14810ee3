package dev.quanta.kernels.conv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.Simd;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The vector depthwise convolution equals the scalar {@link DepthwiseConv2DInt} bit for bit, on 1 and 2 threads. */
class SimdDepthwiseConv2DIntTest {

    @Property(tries = 150)
    void equalsTheScalarKernel(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 40) int channels,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int stride,
            @ForAll @IntRange(min = 1, max = 2) int dilation,
            @ForAll boolean same,
            @ForAll boolean uint8,
            @ForAll boolean perChannel,
            @ForAll QuantizedPath path,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        int inH = 1 + r.nextInt(9);
        int inW = 1 + r.nextInt(9);
        Padding padding = same ? Padding.SAME : Padding.VALID;
        int outH = padding.outputSize(inH, kh, stride, dilation);
        int outW = padding.outputSize(inW, kw, stride, dilation);
        if (outH == 0 || outW == 0) {
            padding = Padding.SAME;
            outH = padding.outputSize(inH, kh, stride, dilation);
            outW = padding.outputSize(inW, kw, stride, dilation);
        }
        var a = new OpAttributes.DepthwiseConv2D(padding, stride, stride, dilation, dilation, 1, activation);
        Case c = new Case(r, uint8, perChannel, batch, inH, inW, channels, kh, kw, outH, outW, a);
        for (int threads = 1; threads <= 2; threads++) {
            byte[] expected = c.run(false, path, threads);
            byte[] actual = c.run(true, path, threads);
            assertThat(actual).as("%s, %d threads", path, threads).containsExactly(expected);
        }
    }

    /**
     * Channels that fill whole vectors (1 to 5 vectors of the widest species here, so also whole vectors at 256
     * bits): for int8 the fast kernel reads the input bytes directly and puts the zero point into the sums' start per
     * class of window (corner, edge, interior); feature maps from 1x1 (every window cut) to 12x12.
     */
    @Property(tries = 60)
    void equalsTheScalarKernelOnWholeVectorsOfChannels(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 2) int batch,
            @ForAll @IntRange(min = 1, max = 5) int vectors,
            @ForAll @IntRange(min = 1, max = 3) int k,
            @ForAll @IntRange(min = 1, max = 2) int stride,
            @ForAll @IntRange(min = 1, max = 2) int dilation,
            @ForAll boolean same,
            @ForAll boolean uint8,
            @ForAll boolean perChannel,
            @ForAll QuantizedPath path,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        int channels = vectors * 16;
        int inH = 1 + r.nextInt(12);
        int inW = 1 + r.nextInt(12);
        int kh = 2 * k - 1;
        int kw = 2 * k - 1;
        Padding padding = same ? Padding.SAME : Padding.VALID;
        int outH = padding.outputSize(inH, kh, stride, dilation);
        int outW = padding.outputSize(inW, kw, stride, dilation);
        if (outH == 0 || outW == 0) {
            padding = Padding.SAME;
            outH = padding.outputSize(inH, kh, stride, dilation);
            outW = padding.outputSize(inW, kw, stride, dilation);
        }
        var a = new OpAttributes.DepthwiseConv2D(padding, stride, stride, dilation, dilation, 1, activation);
        Case c = new Case(r, uint8, perChannel, batch, inH, inW, channels, kh, kw, outH, outW, a);
        for (int threads = 1; threads <= 2; threads++) {
            byte[] expected = c.run(false, path, threads);
            byte[] actual = c.run(true, path, threads);
            assertThat(actual).as("%s, %d threads", path, threads).containsExactly(expected);
        }
    }

    /**
     * A 26x26 kernel of weights 255 from their zero point: 676 taps · 255 · |x − zp_x| pass 2^24, so the fast kernel
     * leaves its exact float sums for int lanes; still the scalar kernel's outputs.
     */
    @Property(tries = 8)
    void equalsTheScalarKernelPastTheFloatBound(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 20) int channels, @ForAll QuantizedPath path) {
        Random r = new Random(seed);
        int in = 1 + r.nextInt(5);
        var a = new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 1, Activation.NONE);
        Case c = new Case(r, true, false, 1, in, in, channels, 26, 26, in, in, a, true);
        for (int threads = 1; threads <= 2; threads++) {
            assertThat(c.run(true, path, threads)).containsExactly(c.run(false, path, threads));
        }
    }

    /** The factory takes the fast kernel for 8-bit multiplier-1 depthwise when SIMD is on, the scalar one otherwise. */
    @Property(tries = 4)
    void theFactoryChoosesTheFastKernelWhenSimdIsOn(@ForAll QuantizedPath path, @ForAll boolean uint8) {
        Random r = new Random(7);
        var one = new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 1, Activation.RELU6);
        Case c = new Case(r, uint8, false, 1, 4, 4, 20, 3, 3, 4, 4, one);
        Kernel k = Kernels.create(c.op, c.buffers::get, c.shapes::get, path);
        assertThat(k).isInstanceOf(Simd.enabled() ? SimdDepthwiseConv2DInt.class : DepthwiseConv2DInt.class);
    }

    /** A random depthwise op with its input; {@link #run} makes and runs the scalar or the fast kernel. */
    private static final class Case {
        private final Op op;
        private final Map<Tensor, Object> buffers = new IdentityHashMap<>();
        private final Map<Tensor, int[]> shapes = new IdentityHashMap<>();
        private final OpAttributes.DepthwiseConv2D attrs;

        Case(
                Random r,
                boolean uint8,
                boolean perChannel,
                int batch,
                int inH,
                int inW,
                int ch,
                int kh,
                int kw,
                int outH,
                int outW,
                OpAttributes.DepthwiseConv2D attrs) {
            this(r, uint8, perChannel, batch, inH, inW, ch, kh, kw, outH, outW, attrs, false);
        }

        /** With {@code farWeights} (uint8, per tensor): every weight byte 0 with zero point 255, so |W − zp| = 255. */
        Case(
                Random r,
                boolean uint8,
                boolean perChannel,
                int batch,
                int inH,
                int inW,
                int ch,
                int kh,
                int kw,
                int outH,
                int outW,
                OpAttributes.DepthwiseConv2D attrs,
                boolean farWeights) {
            this.attrs = attrs;
            DType type = uint8 ? DType.UINT8 : DType.INT8;
            int zx = uint8 ? r.nextInt(256) : r.nextInt(256) - 128;
            int zy = uint8 ? r.nextInt(256) : r.nextInt(256) - 128;
            float sx = 0.01f + r.nextFloat() * 0.1f;
            float sy = 0.02f + r.nextFloat() * 0.3f;
            int[] xs = {batch, inH, inW, ch};
            int[] ws = {1, kh, kw, ch};
            int[] ys = {batch, outH, outW, ch};
            byte[] wData = farWeights ? new byte[kh * kw * ch] : randomBytes(r, kh * kw * ch);
            QuantParams wq;
            if (farWeights) {
                wq = QuantParams.perTensor(0.0001f, 255);
            } else if (perChannel && !uint8) {
                float[] scales = new float[ch];
                for (int i = 0; i < ch; i++) {
                    scales[i] = 0.005f + r.nextFloat() * 0.05f;
                }
                wq = QuantParams.perAxis(scales, new long[ch], 3);
            } else {
                wq = QuantParams.perTensor(0.005f + r.nextFloat() * 0.05f, uint8 ? r.nextInt(256) : 0);
            }
            int[] bias = new int[ch];
            for (int i = 0; i < ch; i++) {
                bias[i] = r.nextInt(20001) - 10000;
            }
            if (r.nextInt(3) == 0) {
                // one bias past 2^24: the fast kernel can no longer start its float sums at the bias
                bias[r.nextInt(ch)] = r.nextBoolean() ? (1 << 24) + r.nextInt(1000) : -(1 << 24) - r.nextInt(1000);
            }
            Tensor x = new Tensor("x", Shape.of(xs), type, null, QuantParams.perTensor(sx, zx), false);
            Tensor w = new Tensor("w", Shape.of(ws), type, TensorData.ofBytes(type, wData), wq, true);
            Tensor b = new Tensor(
                    "b", Shape.of(ch), DType.INT32, TensorData.ofInts(bias), QuantParams.perTensor(1f, 0), true);
            Tensor y = new Tensor("y", Shape.of(ys), type, null, QuantParams.perTensor(sy, zy), false);
            this.op =
                    new Op("dw", OpType.DEPTHWISE_CONV_2D, List.of(x, w, b), List.of(y), attrs, new Origin("dw", "t"));
            buffers.put(x, randomBytes(r, batch * inH * inW * ch));
            buffers.put(w, wData);
            buffers.put(b, bias);
            buffers.put(y, new byte[batch * outH * outW * ch]);
            shapes.put(x, xs);
            shapes.put(w, ws);
            shapes.put(b, new int[] {ch});
            shapes.put(y, ys);
        }

        byte[] run(boolean fast, QuantizedPath path, int threads) {
            Tensor x = op.input(0);
            Tensor y = op.output(0);
            WeightedOpParams p = new WeightedOpParams(
                    op,
                    buffers::get,
                    3,
                    shapes.get(x)[3],
                    attrs.activation(),
                    path,
                    ConvolutionKernels.BuiltinRounding.DEFAULT.forOp(OpType.DEPTHWISE_CONV_2D, x.dtype()));
            byte[] out = (byte[]) buffers.get(y);
            java.util.Arrays.fill(out, (byte) 0x5A);
            Object xb = buffers.get(x);
            int[] ws = shapes.get(op.input(1));
            Kernel k = fast
                    ? new SimdDepthwiseConv2DInt(xb, shapes.get(x), p, ws, out, shapes.get(y), attrs)
                    : new DepthwiseConv2DInt(xb, shapes.get(x), p, ws, out, shapes.get(y), attrs);
            try (Parallel parallel = Parallel.of(threads)) {
                k.run(parallel);
                k.run(parallel); // a second run gives the same
            }
            return out.clone();
        }
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
