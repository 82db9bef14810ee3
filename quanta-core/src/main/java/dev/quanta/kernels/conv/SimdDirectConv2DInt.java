package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import dev.quanta.kernels.arithmetic.Requantizer;
import dev.quanta.kernels.arithmetic.SimdRequantizer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast 8-bit CONV_2D of layers with few input channels (1 to {@link #MAX_INPUT_CHANNELS}, a first layer over a
 * grey or RGB image) and few output channels (a divisor of the float lanes V, at most V/2): a direct convolution, no
 * GEMM, equal to {@link Conv2DInt} bit for bit. Through {@link Int8Gemm} such a layer has K = kh·kw·C taps of one or
 * a few values and at most half a vector of channels, so its micro-kernel broadcasts one input value per FMA of
 * half-empty vectors.
 *
 * <p>Here one float vector holds G = V / outC neighbouring output pixels of one output row × all their channels,
 * lane {@code l = g·outC + o}: the output's NHWC order, so a vector is stored as it is.
 *
 * <pre>
 * P[b, py, px, c] = x[b, py − padT, px − padL, c] − zp_x   inside the input, 0 in the zero border
 * acc[l]          = bias[o] + Σ_{ky,kx,c} P[b, oy·sh + ky·dh, (ox0 + g)·sw + kx·dw, c] · W[o, ky, kx, c]
 * y[b, oy, ox0 + g, o] = requantize(acc[l], o)
 * </pre>
 *
 * A run centres the input into P (zero border allocated once, as {@link SimdConv2DInt}). For each tap a vector of P
 * is loaded at the tap's position for pixel ox0 and rearranged by one fixed shuffle (lane l takes element g·sw·C,
 * the same for every tap), then multiplied by a packed weight vector (lane l holding W[o, tap]): eight output
 * vectors (8·G pixels) at a time, eight independent chains of FMAs. (A copy of P spread once into V floats per value
 * saves the shuffles, equally fast on the demo CNN but 2.7x slower than the GEMM on VWW's 96×96×3 stride-2 layer,
 * whose 1.8 MB copy leaves the caches.) The sums are exact: every product is an integer of magnitude at most
 * {@code P = max|x − zp_x| · max|W|}, and the kernel is only made when {@code K·P ≤ 2^24}, so every partial float sum
 * is an exact integer (see {@link Int8Gemm}); the sums start at the bias when {@code |bias| + K·P ≤ 2^24} too, else the
 * bias is added to the converted int sum. The requantization is XNNPACK's FP32 rounding in vectors
 * ({@link SimdRequantizer}'s formula) or, for the built-in path's fixed-point roundings, {@link Requantizer#apply(int,
 * int)} per value. Only made when {@link Simd#enabled()}.
 */
final class SimdDirectConv2DInt extends WindowKernel {
    private static final VectorSpecies<Float> F = SimdSpecies.FLOAT;
    private static final VectorSpecies<Integer> I = SimdSpecies.INT;
    /** Float lanes per vector. */
    static final int V = F.length();
    /** Bytes of one float vector's lanes (a quarter of the width); null at 128 bits: no such kernel. */
    private static final VectorSpecies<Byte> BYTES =
            V < 8 ? null : ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(V * 8));
    /** The most input channels this kernel takes. */
    static final int MAX_INPUT_CHANNELS = 4;
    /** Vectors computed at once by {@link #block}. */
    private static final int BLOCK = 8;

    private static final int EXACT = 1 << 24;

    private final Object x;
    private final DType inType;
    private final int inZeroPoint;
    private final byte[] y;
    private final DType outType;
    private final int outC;
    private final int[] biasInt;
    private final Requantizer rq;
    private final boolean biasOnly;
    /** True when the requantization is XNNPACK's FP32 rounding (in vectors). */
    private final boolean fp32;
    /** True when the float sums start at the bias (|bias| + K·P ≤ 2^24): the last sum is then float(acc) itself. */
    private final boolean foldBias;
    /** Output pixels per vector, G. */
    private final int pixelsPerVector;
    /** Offset in P from one vector's first pixel to the next vector's: G·sw·C. */
    private final int groupStride;
    /** Per tap (ky, kx, c): its offset in P from the window's origin, (ky·dh·pw + kx·dw)·C + c. */
    private final int[] tapOffset;
    /** Per tap, one vector: lane l holds W[l mod outC, tap]. */
    private final float[] packedWeights;
    /** Per lane: bias and FP32 scale of its channel, and the bias as a float (the sums' start when folded, else 0). */
    private final int[] laneBias;

    private final float[] laneScale;
    private final float[] laneStart;
    private final float lo;
    private final float hi;
    private final int zeroPoint;
    /** Lane l takes element (l / outC)·sw·C of a loaded vector. */
    private final VectorShuffle<Float> spread;
    /** The stored bytes of a row's last, partial vector (outW not a multiple of G), or null. */
    private final VectorMask<Byte> tail;
    /** The centred input with its zero border, P: [batch][ph][pw][C], then V floats that loads may read past. */
    private final float[] padded;

    private final int ph;
    private final int pw;
    /** Per thread: the sums of a block's vectors. */
    private final ThreadLocal<float[]> sums = ThreadLocal.withInitial(() -> new float[BLOCK * V]);

    private final Parallel.RangeBody centreBody;

    /**
     * True when this kernel takes the 8-bit layer: 1 to {@link #MAX_INPUT_CHANNELS} input channels, an output channel
     * count dividing V and at most V/2, a vector's pixels within one loaded vector ((G − 1)·sw·C &lt; V), 8-bit
     * output, and the K taps' sums exact in float ({@code K·max|x − zp|·max|W| ≤ 2^24}).
     */
    static boolean supports(int[] xShape, int[] wShape, OpAttributes.Conv2D a, WeightedOpParams p) {
        int inC = xShape[3];
        int outC = wShape[0];
        if (BYTES == null || p.wide || inC < 1 || inC > MAX_INPUT_CHANNELS || outC > V / 2 || V % outC != 0) {
            return false;
        }
        if (p.outType != DType.INT8 && p.outType != DType.UINT8) {
            return false;
        }
        if ((long) (V / outC - 1) * a.strideW() * inC >= V) {
            return false;
        }
        int maxW = 0;
        for (int v : p.weights) {
            maxW = Math.max(maxW, Math.abs(v));
        }
        long taps = (long) wShape[1] * wShape[2] * inC;
        return taps * Int8Gemm.maxAbsCentred(p.inType, p.inZeroPoint) * maxW <= EXACT;
    }

    /** Rows (or columns) of P: the input with its padding before, and enough after for the last window. */
    private static int paddedSize(int in, int k, int s, int d, dev.quanta.ir.Padding padding) {
        int out = padding.outputSize(in, k, s, d);
        return Math.max(padding.padBefore(in, k, s, d) + in, (out - 1) * s + (k - 1) * d + 1);
    }

    /** The fast kernel as a {@link Kernel}; the factory calls this only when {@link Simd#enabled()} and {@link #supports}. */
    static Kernel create(
            Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape, OpAttributes.Conv2D a) {
        return new SimdDirectConv2DInt(x, xShape, p, wShape, y, yShape, a);
    }

    SimdDirectConv2DInt(
            Object x, int[] xShape, WeightedOpParams p, int[] wShape, Object y, int[] yShape, OpAttributes.Conv2D a) {
        super(xShape, yShape, Window.of(wShape, a));
        if (!supports(xShape, wShape, a, p)) {
            throw new IllegalArgumentException("the direct convolution does not take this layer");
        }
        this.outC = wShape[0];
        int taps = kh * kw * inC;
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = (byte[]) y;
        this.outType = p.outType;
        this.rq = p.requantizer;
        this.biasInt = new int[outC];
        long maxBias = 0;
        for (int o = 0; o < outC; o++) {
            biasInt[o] = (int) p.bias[o];
            maxBias = Math.max(maxBias, Math.abs((long) biasInt[o]));
        }
        int maxW = 0;
        for (int v : p.weights) {
            maxW = Math.max(maxW, Math.abs(v));
        }
        this.biasOnly = p.xnnpack && XnnpackQuirks.sameWithNegativePadding(Window.of(wShape, a), inH, inW);
        this.fp32 = rq.mode() == Requantizer.Rounding.FP32;
        this.foldBias = maxBias + (long) taps * Int8Gemm.maxAbsCentred(p.inType, p.inZeroPoint) * maxW <= EXACT;
        this.pixelsPerVector = V / outC;
        this.groupStride = pixelsPerVector * sw * inC;
        this.ph = paddedSize(inH, kh, sh, dh, a.padding());
        this.pw = paddedSize(inW, kw, sw, dw, a.padding());
        int paddedLength = batch * ph * pw * inC;
        this.padded = new float[paddedLength + V];
        this.tapOffset = new int[taps];
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                for (int c = 0; c < inC; c++) {
                    tapOffset[(ky * kw + kx) * inC + c] = (ky * dh * pw + kx * dw) * inC + c;
                }
            }
        }
        int[] weights = p.weights;
        int n = outC;
        this.packedWeights = PackedWeights.get(weights, "direct-conv-int8 [taps][" + V + " lanes]", () -> {
            float[] v = new float[taps * V];
            for (int t = 0; t < taps; t++) {
                for (int l = 0; l < V; l++) {
                    v[t * V + l] = weights[(l % n) * taps + t];
                }
            }
            return v;
        });
        this.laneBias = new int[V];
        this.laneScale = new float[V];
        this.laneStart = new float[V];
        for (int l = 0; l < V; l++) {
            laneBias[l] = foldBias ? 0 : biasInt[l % outC];
            laneStart[l] = foldBias ? biasInt[l % outC] : 0f;
            laneScale[l] = fp32 ? rq.scale(l % outC) : 0f;
        }
        this.zeroPoint = rq.zeroPoint();
        this.lo = rq.lo - zeroPoint;
        this.hi = rq.hi - zeroPoint;
        int[] index = new int[V];
        for (int l = 0; l < V; l++) {
            index[l] = (l / outC) * sw * inC;
        }
        this.spread = VectorShuffle.fromArray(F, index, 0);
        int tailLanes = (outW % pixelsPerVector) * outC;
        this.tail = tailLanes == 0 ? null : BYTES.indexInRange(0, tailLanes);
        this.centreBody = (from, to) -> {
            for (int r = from; r < to; r++) {
                int b = r / inH;
                int iy = r % inH;
                int dst = ((b * ph + iy + padT) * pw + padL) * inC;
                SimdCentre.toFloat(x, inType, inZeroPoint, r * inW * inC, padded, dst, inW * inC);
            }
        };
    }

    @Override
    public void run(Parallel parallel) {
        if (biasOnly) {
            XnnpackQuirks.fillWithRequantizedBias(y, outType, biasInt, rq);
            return;
        }
        parallel.forRange(batch * inH, Math.max(1, 16384 / Math.max(1, inW * inC)), centreBody);
        forEachOutputRow(parallel);
    }

    @Override
    protected void outputRow(int b, int oy) {
        float[] s = sums.get();
        int origin = (b * ph + oy * sh) * pw * inC; // P at the window origin of pixel (oy, 0)
        int out = (b * outH + oy) * outW * outC;
        int g = pixelsPerVector;
        int ox = 0;
        for (; ox + BLOCK * g <= outW; ox += BLOCK * g) {
            block(origin + ox * sw * inC, s);
            for (int i = 0; i < BLOCK; i++) {
                store(s, i * V, out + (ox + i * g) * outC, V);
            }
        }
        for (; ox < outW; ox += g) {
            single(origin + ox * sw * inC, s);
            store(s, 0, out + ox * outC, Math.min(g, outW - ox) * outC);
        }
    }

    /**
     * The float sums of the {@link #BLOCK} vectors whose first pixels' windows start at P index {@code at}, {@code
     * at + groupStride}, ... into {@code s}. No vector enters or leaves it (a vector argument of a method C2 does not
     * inline is boxed).
     */
    private void block(int at, float[] s) {
        float[] p = padded;
        float[] w = packedWeights;
        int[] off = tapOffset;
        VectorShuffle<Float> sh = spread;
        int d = groupStride;
        FloatVector c0 = FloatVector.fromArray(F, laneStart, 0);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        FloatVector c4 = c0;
        FloatVector c5 = c0;
        FloatVector c6 = c0;
        FloatVector c7 = c0;
        for (int t = 0; t < off.length; t++) {
            FloatVector wv = FloatVector.fromArray(F, w, t * V);
            int a = at + off[t];
            c0 = FloatVector.fromArray(F, p, a).rearrange(sh).fma(wv, c0);
            c1 = FloatVector.fromArray(F, p, a + d).rearrange(sh).fma(wv, c1);
            c2 = FloatVector.fromArray(F, p, a + 2 * d).rearrange(sh).fma(wv, c2);
            c3 = FloatVector.fromArray(F, p, a + 3 * d).rearrange(sh).fma(wv, c3);
            c4 = FloatVector.fromArray(F, p, a + 4 * d).rearrange(sh).fma(wv, c4);
            c5 = FloatVector.fromArray(F, p, a + 5 * d).rearrange(sh).fma(wv, c5);
            c6 = FloatVector.fromArray(F, p, a + 6 * d).rearrange(sh).fma(wv, c6);
            c7 = FloatVector.fromArray(F, p, a + 7 * d).rearrange(sh).fma(wv, c7);
        }
        c0.intoArray(s, 0);
        c1.intoArray(s, V);
        c2.intoArray(s, 2 * V);
        c3.intoArray(s, 3 * V);
        c4.intoArray(s, 4 * V);
        c5.intoArray(s, 5 * V);
        c6.intoArray(s, 6 * V);
        c7.intoArray(s, 7 * V);
    }

    /** The float sums of the one vector whose first pixel's window starts at P index {@code at} into {@code s[0 .. V)}. */
    private void single(int at, float[] s) {
        float[] p = padded;
        float[] w = packedWeights;
        int[] off = tapOffset;
        VectorShuffle<Float> sh = spread;
        FloatVector c0 = FloatVector.fromArray(F, laneStart, 0);
        for (int t = 0; t < off.length; t++) {
            c0 = FloatVector.fromArray(F, p, at + off[t]).rearrange(sh).fma(FloatVector.fromArray(F, w, t * V), c0);
        }
        c0.intoArray(s, 0);
    }

    /**
     * Requantizes the vector of sums at {@code s[i ..]} and stores its first {@code lanes} values (V, or a row's
     * partial last vector) at {@code y[at ..]}: {@code acc = int(sum) + bias} (the sum itself when the bias is
     * folded), then FP32 as {@link SimdRequantizer} ({@code f = clamp(float(acc)·scale, lo − zp, hi − zp)}, rounded
     * to nearest even by the bits of {@code f + 1.5·2^23}, plus zp) or {@link Requantizer#apply(int, int)} per value.
     */
    private void store(float[] s, int i, int at, int lanes) {
        if (!fp32) {
            for (int l = 0; l < lanes; l++) {
                int acc = (int) s[i + l] + laneBias[l];
                y[at + l] = (byte) rq.apply(acc, l % outC);
            }
            return;
        }
        FloatVector f = FloatVector.fromArray(F, s, i);
        if (!foldBias) {
            IntVector acc = ((IntVector) f.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(I, laneBias, 0));
            f = (FloatVector) acc.convert(VectorOperators.I2F, 0);
        }
        f = f.mul(FloatVector.fromArray(F, laneScale, 0));
        FloatVector min = FloatVector.broadcast(F, lo);
        FloatVector max = FloatVector.broadcast(F, hi);
        f = f.blend(min, f.compare(VectorOperators.LT, min));
        f = f.blend(max, f.compare(VectorOperators.GT, max));
        IntVector q = ((IntVector) f.add(SimdRequantizer.MAGIC).reinterpretAsInts())
                .add(zeroPoint - Float.floatToRawIntBits(SimdRequantizer.MAGIC));
        ByteVector bytes = (ByteVector) q.convertShape(VectorOperators.I2B, BYTES, 0);
        if (lanes == V) {
            bytes.intoArray(y, at);
        } else {
            bytes.intoArray(y, at, tail);
        }
    }
}
