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
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.arithmetic.Requantizer;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The SIMD 8-bit CONV_2D and FULLY_CONNECTED ({@link SimdConv2DInt}, {@link SimdFullyConnectedInt} on
 * {@link Int8Gemm}) equal the scalar reference kernels bit for bit, on 1 and 2 threads: random shapes, int8 and
 * uint8, zero points across the range, per-tensor and per-channel weights, both paths and every rounding mode, every
 * fused activation.
 */
class SimdConvFullyConnectedIntTest {
    private static final Requantizer.Rounding[] BUILTIN_MODES = {
        Requantizer.Rounding.DOUBLE_ROUNDING,
        Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD,
        Requantizer.Rounding.SINGLE_ROUNDING
    };

    /** A random 8-bit layer: its op, the constant and input buffers, and the settings it was made with. */
    record Layer(Op op, Map<Tensor, Object> buffers, QuantizedPath path, Requantizer.Rounding mode) {
        Object buffer(Tensor t) {
            return buffers.get(t);
        }

        WeightedOpParams params(int channelAxis, int channels, Activation act) {
            return new WeightedOpParams(op, this::buffer, channelAxis, channels, act, path, mode);
        }
    }

    /**
     * x [xDims] with zero point zpX, weights [wDims] with per-tensor or per-channel (axis 0) zero points, INT32 bias,
     * output [yDims]; scales chosen so the outputs spread over the quantized range.
     */
    static Layer layer(
            Random r,
            OpType type,
            OpAttributes attrs,
            DType dt,
            int[] xDims,
            int[] wDims,
            int zpX,
            boolean extremeWeights,
            boolean perChannel,
            boolean xnnpack) {
        boolean u8 = dt == DType.UINT8;
        int outC = wDims[0];
        int taps = 1;
        for (int i = 1; i < wDims.length; i++) {
            taps *= wDims[i];
        }
        int channels = perChannel ? outC : 1;
        float[] sw = new float[channels];
        long[] zw = new long[channels];
        double meanSw = 0;
        for (int c = 0; c < channels; c++) {
            sw[c] = 0.002f + 0.02f * r.nextFloat();
            meanSw += sw[c] / channels;
            zw[c] = extremeWeights
                    ? (u8 ? 255 : -128)
                    : (u8 ? 100 + r.nextInt(56) : (perChannel ? 0 : r.nextInt(21) - 10));
        }
        byte[] wBytes = new byte[outC * taps];
        for (int i = 0; i < wBytes.length; i++) {
            // extreme: the weight farthest from its zero point, so a K chunk of the exact float sums is short
            wBytes[i] = extremeWeights ? (byte) (u8 ? 0 : 127) : (byte) r.nextInt(256);
        }
        if (extremeWeights) {
            for (int i = 0; i < wBytes.length; i += 1 + r.nextInt(5)) {
                wBytes[i] = (byte) r.nextInt(256);
            }
        }
        float sy = 0.02f + 0.2f * r.nextFloat();
        float spread = (float) (Math.sqrt(taps) * 74 * (extremeWeights ? 200 : 74) * meanSw);
        float sx = (float) (sy * 40 * (0.25 + 4 * r.nextDouble()) / spread);
        int zpY = u8 ? r.nextInt(256) : r.nextInt(256) - 128;
        QuantParams wq = perChannel ? QuantParams.perAxis(sw, zw, 0) : QuantParams.perTensor(sw[0], zw[0]);
        Tensor x = new Tensor("x", Shape.of(xDims), dt, null, QuantParams.perTensor(sx, zpX), false);
        Tensor w = new Tensor("w", Shape.of(wDims), dt, TensorData.ofBytes(dt, wBytes), wq, true);
        // the bias cancels the mean of the accumulator (the input's mean minus its zero point times the weights' sum),
        // so the outputs spread over the range instead of saturating
        int[] bias = new int[outC];
        double meanX = (u8 ? 127.5 : -0.5) - zpX;
        for (int o = 0; o < outC; o++) {
            long sum = 0;
            for (int i = 0; i < taps; i++) {
                int raw = u8 ? wBytes[o * taps + i] & 0xFF : wBytes[o * taps + i];
                sum += raw - zw[perChannel ? o : 0];
            }
            bias[o] = (int) Math.round(-meanX * sum) + r.nextInt(2001) - 1000;
        }
        Tensor b = new Tensor(
                "b", Shape.of(outC), DType.INT32, TensorData.ofInts(bias), QuantParams.perTensor(sx * sw[0], 0), true);
        Shape ys = ShapeInference.infer(type, attrs, List.of(x, w, b));
        Tensor y = new Tensor("y", ys, dt, null, QuantParams.perTensor(sy, zpY), false);
        Op op = new Op("y", type, List.of(x, w, b), List.of(y), attrs, new Origin("y", type.name()));
        Map<Tensor, Object> buffers = new IdentityHashMap<>();
        byte[] in = new byte[Math.toIntExact(x.shape().elementCount())];
        r.nextBytes(in);
        buffers.put(x, in);
        buffers.put(w, Buffers.of(w));
        buffers.put(b, Buffers.of(b));
        buffers.put(y, new byte[Math.toIntExact(ys.elementCount())]);
        QuantizedPath path = xnnpack ? QuantizedPath.XNNPACK : QuantizedPath.BUILTIN;
        return new Layer(op, buffers, path, BUILTIN_MODES[r.nextInt(BUILTIN_MODES.length)]);
    }

    /** Runs {@code kernel} on {@code threads} threads. */
    private static void run(Kernel kernel, int threads) {
        try (Parallel p = Parallel.of(threads)) {
            kernel.run(p);
        }
    }

    private static int zeroPoint(Random r, DType dt, int choice) {
        int lo = dt == DType.UINT8 ? 0 : -128;
        return switch (choice) {
            case 0 -> lo; // the extremes make |x − zp| reach 255
            case 1 -> lo + 255;
            default -> lo + r.nextInt(256);
        };
    }

    @Property(tries = 150)
    void convolutionEqualsTheScalarKernel(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh,
            @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 1, max = 2) int dh,
            @ForAll @IntRange(min = 1, max = 2) int dw,
            @ForAll boolean same,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 40) int inC,
            @ForAll @IntRange(min = 1, max = 70) int outC,
            @ForAll boolean uint8,
            @ForAll @IntRange(min = 0, max = 3) int zpChoice,
            @ForAll boolean perChannel,
            @ForAll boolean xnnpack,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        DType dt = uint8 ? DType.UINT8 : DType.INT8;
        int inH = (kh - 1) * dh + 1 + r.nextInt(9);
        int inW = (kw - 1) * dw + 1 + r.nextInt(9);
        var a = new OpAttributes.Conv2D(same ? Padding.SAME : Padding.VALID, sh, sw, dh, dw, activation);
        Layer l = layer(
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
        assertConvEqual(l, a);
    }

    /**
     * Pointwise and 3×3 layers whose channels fill whole panels (8 .. 80: the micro-kernels requantize
     * straight from their registers) with K inside one exact chunk or over several (extreme zero points), on both
     * paths, against the scalar kernel; 1 and 2 threads.
     */
    @Property(tries = 60)
    void wholeVectorPanelsRequantizeInRegisters(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 8) int outChoice,
            @ForAll @IntRange(min = 1, max = 70) int inC,
            @ForAll boolean pointwise,
            @ForAll boolean extreme,
            @ForAll boolean uint8,
            @ForAll boolean perChannel,
            @ForAll boolean xnnpack,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        DType dt = uint8 ? DType.UINT8 : DType.INT8;
        int outC = new int[] {8, 16, 24, 32, 40, 48, 56, 64, 80}[outChoice];
        int kSize = pointwise ? 1 : 3;
        var a = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, activation);
        Layer l = layer(
                r,
                OpType.CONV_2D,
                a,
                dt,
                new int[] {1 + r.nextInt(2), 3 + r.nextInt(8), 3 + r.nextInt(8), inC},
                new int[] {outC, kSize, kSize, inC},
                extreme ? zeroPoint(r, dt, 1) : zeroPoint(r, dt, 2),
                extreme,
                perChannel && !uint8,
                xnnpack);
        assertConvEqual(l, a);
        var fc = new OpAttributes.FullyConnected(activation);
        int k = kSize * kSize * inC;
        Layer f = layer(
                r,
                OpType.FULLY_CONNECTED,
                fc,
                dt,
                new int[] {1 + r.nextInt(11), k},
                new int[] {outC, k},
                extreme ? zeroPoint(r, dt, 1) : zeroPoint(r, dt, 2),
                extreme,
                perChannel && !uint8,
                xnnpack);
        assertFullyConnectedEqual(f, f.op().input(0).shape().dims()[0], k, outC, activation);
    }

    /** Kernels whose K exceeds the exact chunk (|x − zp| and |w − zp_w| both 255 ⇒ L = 258 taps). */
    @Property(tries = 20)
    void longReductionsWithExtremeZeroPointsStayExact(
            @ForAll long seed,
            @ForAll boolean uint8,
            @ForAll boolean xnnpack,
            @ForAll @IntRange(min = 30, max = 80) int inC,
            @ForAll @IntRange(min = 1, max = 40) int outC) {
        Random r = new Random(seed);
        DType dt = uint8 ? DType.UINT8 : DType.INT8;
        var a = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.NONE);
        Layer l = layer(
                r,
                OpType.CONV_2D,
                a,
                dt,
                new int[] {1, 5, 6, inC},
                new int[] {outC, 3, 3, inC},
                zeroPoint(r, dt, 1),
                true,
                false,
                xnnpack);
        WeightedOpParams p = l.params(0, outC, Activation.NONE);
        int maxX = Int8Gemm.maxAbsCentred(dt, p.inZeroPoint);
        assertThat(Int8Gemm.chunkLength(9 * inC, maxX, 255)).isLessThan(9 * inC);
        assertConvEqual(l, a);
        var fc = new OpAttributes.FullyConnected(Activation.NONE);
        Layer f = layer(
                r,
                OpType.FULLY_CONNECTED,
                fc,
                dt,
                new int[] {3, 9 * inC},
                new int[] {outC, 9 * inC},
                zeroPoint(r, dt, 1),
                true,
                false,
                xnnpack);
        assertFullyConnectedEqual(f, 3, 9 * inC, outC, Activation.NONE);
    }

    private static void assertConvEqual(Layer l, OpAttributes.Conv2D a) {
        Op op = l.op();
        int[] xs = op.input(0).shape().dims();
        int[] ws = op.input(1).shape().dims();
        int[] ys = op.output(0).shape().dims();
        WeightedOpParams p = l.params(0, ws[0], a.activation());
        Object x = l.buffer(op.input(0));
        int n = Math.toIntExact(op.output(0).shape().elementCount());
        byte[] expected = new byte[n];
        run(new Conv2DInt(x, xs, p, ws, expected, ys, a), 1);
        for (int threads = 1; threads <= 2; threads++) {
            byte[] actual = new byte[n];
            Kernel fast = new SimdConv2DInt(x, xs, p, ws, actual, ys, a);
            run(fast, threads);
            assertThat(actual)
                    .as("%d thread(s), %s, %s", threads, l.path(), l.mode())
                    .containsExactly(expected);
            run(fast, threads); // a second run of the same kernel (scratch reused)
            assertThat(actual).as("second run").containsExactly(expected);
        }
    }

    @Property(tries = 150)
    void fullyConnectedEqualsTheScalarKernel(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 11) int rows,
            @ForAll @IntRange(min = 1, max = 300) int k,
            @ForAll @IntRange(min = 1, max = 100) int n,
            @ForAll boolean uint8,
            @ForAll @IntRange(min = 0, max = 3) int zpChoice,
            @ForAll boolean perChannel,
            @ForAll boolean xnnpack,
            @ForAll Activation activation) {
        Random r = new Random(seed);
        DType dt = uint8 ? DType.UINT8 : DType.INT8;
        var a = new OpAttributes.FullyConnected(activation);
        Layer l = layer(
                r,
                OpType.FULLY_CONNECTED,
                a,
                dt,
                new int[] {rows, k},
                new int[] {n, k},
                zeroPoint(r, dt, zpChoice),
                false,
                perChannel && !uint8,
                xnnpack);
        assertFullyConnectedEqual(l, rows, k, n, activation);
    }

    private static void assertFullyConnectedEqual(Layer l, int rows, int k, int n, Activation act) {
        Op op = l.op();
        WeightedOpParams p = l.params(0, n, act);
        Object x = l.buffer(op.input(0));
        byte[] expected = new byte[rows * n];
        run(new FullyConnectedInt(x, p, expected, rows, k, n), 1);
        for (int threads = 1; threads <= 2; threads++) {
            byte[] actual = new byte[rows * n];
            run(new SimdFullyConnectedInt(x, p, actual, rows, k, n), threads);
            assertThat(actual)
                    .as("%d thread(s), %s, %s", threads, l.path(), l.mode())
                    .containsExactly(expected);
        }
    }

    /**
     * The GEMM's raw sums equal the exact integer sums (wrapped to int32 as the scalar kernels wrap) when inputs and
     * weights sit at |255| and K runs over several exact chunks, so a float sum past 2^24 would round. Up to 20 rows:
     * whole 8-row tiles (at 512 bits 8 × two vectors, sums flushed through the scratch) and the single rows after.
     */
    @Property(tries = 60)
    void rawSumsAreExactOverManyChunks(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 20) int rows,
            @ForAll @IntRange(min = 1, max = 1500) int k,
            @ForAll @IntRange(min = 1, max = 70) int n,
            @ForAll @IntRange(min = 0, max = 255) int maxW) {
        Random r = new Random(seed);
        int[] w = new int[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextInt(8) == 0 ? r.nextInt(2 * maxW + 1) - maxW : maxW; // mostly one sign: the sums grow
        }
        float[] a = new float[rows * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextInt(8) == 0 ? r.nextInt(511) - 255 : 255;
        }
        Requantizer rq = Requantizer.of(Requantizer.Rounding.FP32, new double[n], new float[n], 0, -128, 127);
        Int8Gemm g = new Int8Gemm(w, k, n, new int[n], rq, DType.INT8, 255);
        assertThat(g.chunk).isEqualTo(Int8Gemm.chunkLength(k, 255, maxW));
        int[] base = new int[rows];
        for (int m = 0; m < rows; m++) {
            base[m] = m * k;
        }
        int[] sums = g.sums(a, base, rows);
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < n; o++) {
                int exact = 0;
                for (int i = 0; i < k; i++) {
                    exact += (int) a[m * k + i] * w[o * k + i];
                }
                assertThat(sums[m * n + o]).as("row %d channel %d", m, o).isEqualTo(exact);
            }
        }
    }

    /**
     * The GEMM's vector FP32 requantization (clamp by compare and blend, rounding by the bits of v + 1.5·2^23) equals
     * {@link Requantizer#apply(int, int)}: accumulators near the output range, exact ties, huge ones; int8 and uint8.
     */
    @Property(tries = 200)
    void fp32RequantizationEqualsTheScalarRequantizer(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 70) int channels,
            @ForAll @IntRange(min = 1, max = 8) int rows,
            @ForAll boolean uint8) {
        Random r = new Random(seed);
        double[] real = new double[channels];
        float[] scales = new float[channels];
        float base = (float) Math.pow(10, -6 + 5 * r.nextDouble());
        for (int c = 0; c < channels; c++) {
            scales[c] = base * (0.25f + r.nextFloat());
            real[c] = scales[c];
        }
        int zp = uint8 ? r.nextInt(256) : r.nextInt(256) - 128;
        int lo = (uint8 ? 0 : -128) + (r.nextBoolean() ? 0 : r.nextInt(40));
        int hi = (uint8 ? 255 : 127) - (r.nextBoolean() ? 0 : r.nextInt(40));
        Requantizer rq = Requantizer.of(Requantizer.Rounding.FP32, real, scales, zp, lo, hi);
        Int8Gemm g = new Int8Gemm(new int[channels], 1, channels, new int[channels], rq, DType.INT8, 255);
        if (Simd.bits() < 256) {
            // no quarter-width byte vector to narrow through: the GEMM requantizes per value (Requantizer.apply)
            assertThat(g.vectorFp32()).isFalse();
            return;
        }
        assertThat(g.vectorFp32()).isTrue();
        int tileRows = Math.min(rows, g.mr);
        int[] accs = new int[tileRows * channels];
        for (int i = 0; i < accs.length; i++) {
            int c = i % channels;
            accs[i] = switch (r.nextInt(4)) {
                case 0 -> r.nextInt();
                case 1 -> Math.round((r.nextInt(600) - 300 + 0.5f) / scales[c]); // at or near a tie
                default -> r.nextInt(20001) - 10000;
            };
        }
        byte[] y = new byte[tileRows * channels];
        int[] scratch = new int[Int8Gemm.scratchLength()];
        for (int p = 0; p < g.panels; p++) {
            int width = g.panelWidth(p);
            int c0 = g.panelStart(p);
            for (int m = 0; m < tileRows; m++) {
                for (int j = 0; j < width && c0 + j < channels; j++) {
                    scratch[m * width + j] = accs[m * channels + c0 + j];
                }
            }
            g.requantize(scratch, tileRows, p, y, 0);
        }
        for (int i = 0; i < accs.length; i++) {
            int c = i % channels;
            assertThat(uint8 ? y[i] & 0xFF : y[i])
                    .as("channel %d acc %d", c, accs[i])
                    .isEqualTo(rq.apply(accs[i], c));
        }
    }

    /**
     * The FP32 tile kernels start their sums at the bias only when every partial sum stays an exact float integer
     * (one chunk, {@code max|bias| + K·P ≤ 2^24}); with biases near 2^24 they add it in int lanes. Both equal
     * {@link Requantizer#apply(int, int)} of the exact accumulator, over whole and partial panels and tail rows.
     */
    @Property(tries = 60)
    void biasStartsTheSumsOnlyWhenExact(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 60) int k,
            @ForAll @IntRange(min = 0, max = 9) int nChoice,
            @ForAll @IntRange(min = 1, max = 13) int rows,
            @ForAll boolean hugeBias) {
        Random r = new Random(seed);
        int n = new int[] {8, 16, 24, 32, 40, 48, 56, 64, 80, 37}[nChoice];
        int[] w = new int[n * k];
        int maxW = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextInt(255) - 127;
            maxW = Math.max(maxW, Math.abs(w[i]));
        }
        int[] bias = new int[n];
        long maxBias = 0;
        for (int o = 0; o < n; o++) {
            bias[o] = hugeBias ? (r.nextBoolean() ? 1 : -1) * ((1 << 24) - r.nextInt(1000)) : r.nextInt(20001) - 10000;
            maxBias = Math.max(maxBias, Math.abs((long) bias[o]));
        }
        float[] a = new float[rows * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextInt(511) - 255;
        }
        double[] real = new double[n];
        float[] scales = new float[n];
        for (int o = 0; o < n; o++) {
            scales[o] = (hugeBias ? 1e-5f : 2e-4f) * (0.5f + r.nextFloat());
            real[o] = scales[o];
        }
        Requantizer rq = Requantizer.of(Requantizer.Rounding.FP32, real, scales, r.nextInt(256) - 128, -128, 127);
        Int8Gemm g = new Int8Gemm(w, k, n, bias, rq, DType.INT8, 255);
        boolean exact = g.chunk >= k && maxBias + (long) k * 255 * maxW <= 1 << 24;
        assertThat(g.foldBias).isEqualTo(exact && g.vectorFp32());
        if (hugeBias && maxW > 0) {
            assertThat(g.foldBias).isFalse();
        }
        int[] base = new int[rows];
        for (int m = 0; m < rows; m++) {
            base[m] = m * k;
        }
        byte[] y = new byte[rows * n];
        g.rows(a, base, 0, rows, 0, 0, g.panels, y, new int[Int8Gemm.scratchLength()]);
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < n; o++) {
                int acc = bias[o];
                for (int i = 0; i < k; i++) {
                    acc += (int) a[m * k + i] * w[o * k + i];
                }
                assertThat(y[m * n + o]).as("row %d channel %d", m, o).isEqualTo((byte) rq.apply(acc, o));
            }
        }
    }

    /**
     * Layers of at most {@link Int8Gemm#HV} channels (a first convolution's 8) get half-width panels on a 512-bit
     * machine, and their sums and requantized outputs stay exact through the half-width micro-kernels and epilogue.
     */
    @Test
    void narrowLayersUseHalfWidthPanelsAndStayExact() {
        Random r = new Random(3);
        for (int n : new int[] {1, 3, 7, 8, 9}) {
            Requantizer rq = Requantizer.of(Requantizer.Rounding.FP32, new double[n], new float[n], 0, -128, 127);
            Int8Gemm g = new Int8Gemm(new int[n * 27], 27, n, new int[n], rq, DType.INT8, 255);
            boolean half = Int8Gemm.HV > 0 && n <= Int8Gemm.HV;
            assertThat(g.half).as("n = %d", n).isEqualTo(half);
            assertThat(g.nr).isEqualTo(half ? Int8Gemm.HV : n <= Int8Gemm.V ? Int8Gemm.V : 2 * Int8Gemm.V);
        }
        var a = new OpAttributes.Conv2D(Padding.SAME, 2, 2, 1, 1, Activation.RELU6);
        for (boolean xnnpack : new boolean[] {true, false}) {
            Layer l = layer(
                    r,
                    OpType.CONV_2D,
                    a,
                    DType.INT8,
                    new int[] {2, 19, 21, 3},
                    new int[] {8, 3, 3, 3},
                    -128,
                    false,
                    true,
                    xnnpack);
            assertConvEqual(l, a);
        }
    }

    /**
     * The panels cover the channels in order with little padding: at 512 bits two-vector panels and then the rest in
     * narrower ones (40 = 32 + 8, 24 = 16 + 8, 80 = 32 + 32 + 16), below it panels of one width.
     */
    @Test
    void panelsCoverTheChannelsWithNarrowerLastPanels() {
        int v = Int8Gemm.V;
        for (int n = 1; n <= 200; n++) {
            int[] widths = Int8Gemm.panelWidths(n);
            int total = 0;
            for (int w : widths) {
                assertThat(w).isIn(2 * v, v, Int8Gemm.HV);
                total += w;
            }
            assertThat(total).as("n = %d", n).isGreaterThanOrEqualTo(n);
            if (Int8Gemm.HV > 0) {
                // only the last panel may pad, by less than half a vector unless it is two vectors wide
                assertThat(total - n).as("n = %d", n).isLessThan(widths[widths.length - 1] == 2 * v ? 2 * v : v);
            }
        }
        if (v == 16) {
            assertThat(Int8Gemm.panelWidths(40)).containsExactly(32, 8);
            assertThat(Int8Gemm.panelWidths(24)).containsExactly(16, 8);
            assertThat(Int8Gemm.panelWidths(80)).containsExactly(32, 32, 16);
            assertThat(Int8Gemm.panelWidths(8)).containsExactly(8);
            assertThat(Int8Gemm.panelWidths(60)).containsExactly(32, 32);
        }
        // a GEMM of a row or two (fully connected) keeps one width: its narrow-panel kernel would run too rarely to
        // be compiled
        Requantizer rq = Requantizer.of(Requantizer.Rounding.FP32, new double[40], new float[40], 0, -128, 127);
        Int8Gemm fc = new Int8Gemm(new int[40 * 5], 5, 40, new int[40], rq, DType.INT8, 255, false);
        assertThat(fc.panels).isEqualTo((40 + 2 * v - 1) / (2 * v));
        assertThat(fc.panelWidth(fc.panels - 1)).isEqualTo(2 * v);
    }

    @Test
    void chunkLengthKeepsEverySumWithin2To24() {
        assertThat(Int8Gemm.chunkLength(1000, 255, 255)).isEqualTo(258); // 258 · 65025 ≤ 2^24 < 259 · 65025
        assertThat(Int8Gemm.chunkLength(100, 255, 255)).isEqualTo(100);
        assertThat(Int8Gemm.chunkLength(5000, 128, 127)).isEqualTo((1 << 24) / (128 * 127));
        assertThat(Int8Gemm.chunkLength(7, 255, 0)).isEqualTo(7);
        assertThat(Int8Gemm.maxAbsCentred(DType.INT8, -128)).isEqualTo(255);
        assertThat(Int8Gemm.maxAbsCentred(DType.INT8, 0)).isEqualTo(128);
        assertThat(Int8Gemm.maxAbsCentred(DType.UINT8, 0)).isEqualTo(255);
        assertThat(Int8Gemm.maxAbsCentred(DType.UINT8, 128)).isEqualTo(128);
    }

    /** Without the chunks a long reduction of extreme values loses exactness in float: the bound is needed. */
    @Test
    void floatSumsBeyond2To24WouldRound() {
        float s = 0;
        long exact = 0;
        for (int i = 0; i < 300; i++) {
            s = Math.fma(255f, 255f, s);
            exact += 255 * 255;
        }
        assertThat((long) s).isNotEqualTo(exact);
    }

    @Test
    void theFactoryTakesTheFastKernelsOnlyWhenSimdIsOn() {
        Random r = new Random(1);
        var a = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.NONE);
        // 8·8 pixels · 16 channels · 3·3·16 taps = 147,456 multiply-adds: the fast kernel when SIMD is on
        Layer big = layer(
                r,
                OpType.CONV_2D,
                a,
                DType.INT8,
                new int[] {1, 8, 8, 16},
                new int[] {16, 3, 3, 16},
                0,
                false,
                true,
                true);
        Kernel k = Kernels.create(big.op(), big::buffer, t -> t.shape().dims(), QuantizedPath.XNNPACK);
        assertThat(k).isInstanceOf(Simd.enabled() ? SimdConv2DInt.class : Conv2DInt.class);
        // 4·4 · 5 · 3·3·3 = 2,160: a layer this small stays scalar
        Layer small = layer(
                r, OpType.CONV_2D, a, DType.INT8, new int[] {1, 4, 4, 3}, new int[] {5, 3, 3, 3}, 0, false, true, true);
        Kernel s = Kernels.create(small.op(), small::buffer, t -> t.shape().dims(), QuantizedPath.XNNPACK);
        assertThat(s).isInstanceOf(Conv2DInt.class);
        var fc = new OpAttributes.FullyConnected(Activation.NONE);
        Layer dense = layer(
                r,
                OpType.FULLY_CONNECTED,
                fc,
                DType.UINT8,
                new int[] {1, 256},
                new int[] {40, 256},
                3,
                false,
                false,
                false);
        Kernel f = Kernels.create(dense.op(), dense::buffer, t -> t.shape().dims(), QuantizedPath.BUILTIN);
        assertThat(f).isInstanceOf(Simd.enabled() ? SimdFullyConnectedInt.class : FullyConnectedInt.class);
    }
}
