package dev.quanta.kernels.conv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Padding;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The Vector API float kernels ({@link SimdConv2DFloat}, {@link SimdDepthwiseConv2DFloat}, {@link
 * SimdFullyConnectedFloat}) against the scalar references over random shapes: every output within
 * 1e-5·(1 + max |reference|) of the reference, on 1 and 2 threads, and again after the input changes (the
 * per-thread im2col scratch must not serve a stale block); and the fast results are the same floats whatever the
 * thread count and whether a batch item runs alone or in its batch.
 */
class SimdFloatKernelsTest {
    private static final Parallel ONE = Parallel.of(1);
    private static final Parallel TWO = Parallel.of(2);

    @AfterContainer
    static void close() {
        ONE.close();
        TWO.close();
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** Asserts max |fast − reference| ≤ 1e-5·(1 + max |reference|). */
    private static void assertClose(float[] fast, float[] reference, String context) {
        float max = 0;
        for (float v : reference) {
            max = Math.max(max, Math.abs(v));
        }
        float tolerance = 1e-5f * (1 + max);
        for (int i = 0; i < reference.length; i++) {
            float d = Math.abs(fast[i] - reference[i]);
            if (!(d <= tolerance)) {
                assertThat(fast[i])
                        .as("%s: output %d of %d (tolerance %g)", context, i, reference.length, tolerance)
                        .isEqualTo(reference[i]);
            }
        }
    }

    private static int outSize(Padding p, int in, int k, int s, int d) {
        return p.outputSize(in, k, s, d);
    }

    @Property(tries = 150)
    void conv2dMatchesTheScalarReference(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 11) int h,
            @ForAll @IntRange(min = 1, max = 11) int w,
            @ForAll @IntRange(min = 1, max = 35) int inC,
            @ForAll @IntRange(min = 1, max = 70) int outC,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int stride,
            @ForAll @IntRange(min = 1, max = 2) int dilation,
            @ForAll boolean same,
            @ForAll Activation act,
            @ForAll boolean withBias,
            @ForAll boolean twoThreads) {
        Padding pad = same ? Padding.SAME : Padding.VALID;
        // VALID needs the dilated window inside the input
        h = Math.max(h, (kh - 1) * dilation + 1);
        w = Math.max(w, (kw - 1) * dilation + 1);
        OpAttributes.Conv2D a =
                new OpAttributes.Conv2D(pad, stride, stride == 3 ? 1 : stride + 1, dilation, dilation, act);
        checkConv(seed, batch, h, w, inC, outC, kh, kw, a, withBias, twoThreads);
    }

    /** 1×1 stride-1 convolutions read the input as the GEMM's A; large enough M for full 6-row tiles. */
    @Property(tries = 60)
    void pointwiseConv2dMatchesTheScalarReference(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 14) int h,
            @ForAll @IntRange(min = 1, max = 14) int w,
            @ForAll @IntRange(min = 1, max = 70) int inC,
            @ForAll @IntRange(min = 1, max = 100) int outC,
            @ForAll Activation act,
            @ForAll boolean twoThreads) {
        OpAttributes.Conv2D a = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, act);
        checkConv(seed, batch, h, w, inC, outC, 1, 1, a, true, twoThreads);
    }

    private static void checkConv(
            long seed,
            int batch,
            int h,
            int w,
            int inC,
            int outC,
            int kh,
            int kw,
            OpAttributes.Conv2D a,
            boolean withBias,
            boolean twoThreads) {
        SplittableRandom r = new SplittableRandom(seed);
        int oh = outSize(a.padding(), h, kh, a.strideH(), a.dilationH());
        int ow = outSize(a.padding(), w, kw, a.strideW(), a.dilationW());
        int[] xs = {batch, h, w, inC};
        int[] ws = {outC, kh, kw, inC};
        int[] ys = {batch, oh, ow, outC};
        float[] x = random(r, batch * h * w * inC);
        float[] weights = random(r, outC * kh * kw * inC);
        float[] bias = withBias ? random(r, outC) : null;
        float[] yRef = new float[batch * oh * ow * outC];
        float[] yFast = new float[yRef.length];
        Conv2DFloat ref = new Conv2DFloat(new FloatConvKernel.Tensors(x, xs, weights, ws, bias, yRef, ys), a);
        SimdConv2DFloat fast = new SimdConv2DFloat(new FloatConvKernel.Tensors(x, xs, weights, ws, bias, yFast, ys), a);
        Parallel p = twoThreads ? TWO : ONE;
        String context = "conv x%s w%s %s".formatted(java.util.Arrays.toString(xs), java.util.Arrays.toString(ws), a);
        for (int pass = 0; pass < 2; pass++) {
            ref.run(ONE);
            fast.run(p);
            assertClose(yFast, yRef, context + " pass " + pass);
            // the other thread count, and each batch item alone, give the very same floats
            float[] first = yFast.clone();
            fast.run(twoThreads ? ONE : TWO);
            assertThat(yFast).as(context + " 1 vs 2 threads").containsExactly(first);
            int itemIn = h * w * inC;
            int itemOut = oh * ow * outC;
            for (int b = 0; b < batch && batch > 1; b++) {
                float[] xb = java.util.Arrays.copyOfRange(x, b * itemIn, (b + 1) * itemIn);
                float[] yb = new float[itemOut];
                int[] xsb = {1, h, w, inC};
                int[] ysb = {1, oh, ow, outC};
                new SimdConv2DFloat(new FloatConvKernel.Tensors(xb, xsb, weights, ws, bias, yb, ysb), a).run(ONE);
                assertThat(yb)
                        .as(context + " item " + b + " alone")
                        .containsExactly(java.util.Arrays.copyOfRange(first, b * itemOut, (b + 1) * itemOut));
            }
            System.arraycopy(random(r, x.length), 0, x, 0, x.length);
        }
    }

    @Property(tries = 150)
    void depthwiseMatchesTheScalarReference(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 11) int h,
            @ForAll @IntRange(min = 1, max = 11) int w,
            @ForAll @IntRange(min = 1, max = 75) int inC,
            @ForAll @IntRange(min = 1, max = 2) int mult,
            @ForAll @IntRange(min = 1, max = 5) int kh,
            @ForAll @IntRange(min = 1, max = 5) int kw,
            @ForAll @IntRange(min = 1, max = 3) int stride,
            @ForAll @IntRange(min = 1, max = 2) int dilation,
            @ForAll boolean same,
            @ForAll Activation act,
            @ForAll boolean withBias,
            @ForAll boolean twoThreads) {
        Padding pad = same ? Padding.SAME : Padding.VALID;
        h = Math.max(h, (kh - 1) * dilation + 1);
        w = Math.max(w, (kw - 1) * dilation + 1);
        OpAttributes.DepthwiseConv2D a =
                new OpAttributes.DepthwiseConv2D(pad, stride, stride == 3 ? 1 : stride + 1, 1, dilation, mult, act);
        SplittableRandom r = new SplittableRandom(seed);
        int outC = inC * mult;
        int oh = outSize(pad, h, kh, a.strideH(), a.dilationH());
        int ow = outSize(pad, w, kw, a.strideW(), a.dilationW());
        int[] xs = {batch, h, w, inC};
        int[] ws = {1, kh, kw, outC};
        int[] ys = {batch, oh, ow, outC};
        float[] x = random(r, batch * h * w * inC);
        float[] weights = random(r, kh * kw * outC);
        float[] bias = withBias ? random(r, outC) : null;
        float[] yRef = new float[batch * oh * ow * outC];
        float[] yFast = new float[yRef.length];
        Kernel ref = new DepthwiseConv2DFloat(new FloatConvKernel.Tensors(x, xs, weights, ws, bias, yRef, ys), a);
        Kernel fast = SimdFloatKernels.depthwise(new FloatConvKernel.Tensors(x, xs, weights, ws, bias, yFast, ys), a);
        assertThat(fast).isInstanceOf(mult == 1 ? SimdDepthwiseConv2DFloat.class : DepthwiseConv2DFloat.class);
        ref.run(ONE);
        fast.run(twoThreads ? TWO : ONE);
        assertClose(
                yFast,
                yRef,
                "depthwise x%s w%s %s".formatted(java.util.Arrays.toString(xs), java.util.Arrays.toString(ws), a));
    }

    @Property(tries = 150)
    void fullyConnectedMatchesTheScalarReference(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 20) int rows,
            @ForAll @IntRange(min = 1, max = 130) int k,
            @ForAll @IntRange(min = 1, max = 100) int n,
            @ForAll Activation act,
            @ForAll boolean withBias,
            @ForAll boolean twoThreads) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = random(r, rows * k);
        float[] weights = random(r, n * k);
        float[] bias = withBias ? random(r, n) : null;
        float[] yRef = new float[rows * n];
        float[] yFast = new float[rows * n];
        new FullyConnectedFloat(x, weights, bias, yRef, rows, k, n, act).run(ONE);
        new SimdFullyConnectedFloat(x, weights, bias, yFast, rows, k, n, act).run(twoThreads ? TWO : ONE);
        String context = "fc rows %d k %d n %d %s".formatted(rows, k, n, act);
        assertClose(yFast, yRef, context);
        // each row alone, on the other thread count, gives the very same floats
        for (int m = 0; m < rows; m++) {
            float[] ym = new float[n];
            new SimdFullyConnectedFloat(
                            java.util.Arrays.copyOfRange(x, m * k, (m + 1) * k), weights, bias, ym, 1, k, n, act)
                    .run(twoThreads ? ONE : TWO);
            assertThat(ym)
                    .as(context + " row " + m + " alone")
                    .containsExactly(java.util.Arrays.copyOfRange(yFast, m * n, (m + 1) * n));
        }
    }
}
