package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;
import dev.quanta.kernels.arithmetic.SimdFixedPointRequantizer;
import dev.quanta.kernels.arithmetic.SimdRequantizer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast int8/uint8 depthwise convolution (depth multiplier 1), vectorised across channels in
 * {@link SimdSpecies#INT} lanes; the same integers as {@link DepthwiseConv2DInt}:
 *
 * <pre>
 * acc[c .. c+L) = bias[c ..] + Σ_{taps inside the input} (x − zp_x)[iy, ix, c ..] · (W − zp_w)[ky, kx, c ..]
 * </pre>
 *
 * Main route (exact float sums): when max|x − zp_x| · Σ_tap |W − zp_w| &lt; 2^24 for every channel, every partial
 * sum of integer products is an integer below 2^24, so float lanes add them exactly in any order and FMA gives the
 * scalar accumulator bit for bit. Only the taps inside the input are summed: per output row a range [kyLo, kyHi)
 * of tap rows, per output column a range [kxLo, kxHi) of tap columns (on small feature maps the cut taps are a
 * large share of all taps). Interior columns go 4 output pixels at a time (4 FMA chains sharing each weight
 * vector), the others one pixel at a time in blocks of 4 channel vectors. Two ways to read the input:
 * <ul>
 *   <li>Direct (int8 whose channels fill whole vectors, the usual case): the taps load the input bytes and convert
 *       them to float lanes; the zero point goes into the sums' start, {@code Σ (x − zp_x)·W = Σ x·W − zp_x·Σ W},
 *       with {@code zp_x·Σ W} over the taps inside precomputed per class of window (each distinct pair of tap-row
 *       and tap-column ranges). No per-run copy of the input.
 *   <li>Centred (uint8, other channel counts): each run first centres the input once into a float buffer with a
 *       zero border wide enough for every tap (and zeros past the channels), so the tap loops read whole vectors.
 *       Stride-1 rows whose channels are not whole vectors run as one flat stretch of ox·C + c elements over
 *       weights tiled along the row.
 * </ul>
 * On the XNNPACK path, when also |bias| stays inside the bound, the sums start at the bias and the FP32
 * requantization is fused in (the lanes already hold float(acc)); otherwise the sums go to a buffer, are converted to
 * int, the bias is added and {@link SimdRequantizer}, {@link SimdFixedPointRequantizer} (the built-in path's double
 * rounding) or the scalar {@link Requantizer#apply(int, int)} finish them.
 *
 * <p>Fallback route (bound exceeded, e.g. hundreds of taps of far weights): each tap's input bytes are widened to
 * int lanes minus the zero point and multiplied in int32 lanes exactly as the scalar loop does; the taps inside the
 * input form a rectangle {@code [kyLo, kyHi) × [kxLo, kxHi)} per output pixel.
 *
 * <p>Only loaded when {@link Simd#enabled()}; {@link #create} falls back to the scalar kernel for 16x8, depth
 * multipliers above 1 and vectors narrower than 256 bits. XNNPACK's SAME-padding quirk is kept as in
 * {@link IntegerWindowKernel}: where it applies, every output is the requantized bias.
 */
final class SimdDepthwiseConv2DInt extends WindowKernel {
    private static final VectorSpecies<Integer> INT = SimdSpecies.INT;
    /** Output rows (over the batch) below which the channels are split across threads too. */
    private static final int FEW_ROWS = 16;
    /** Bytes of one int vector's lanes (a quarter of the width); none below 256 bits, where the kernel stays scalar. */
    private static final VectorSpecies<Byte> BYTE_QUARTER = INT.length() * 8 >= 64
            ? ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(INT.length() * 8))
            : null;

    private final byte[] x;
    private final byte[] y;
    private final DType outType;
    private final boolean unsigned;
    private final int zeroPoint;
    private final int channels;
    private final Requantizer rq;
    private final int[] biasInt;
    /** XNNPACK's quirk: no input is read, every output is the requantized bias. */
    private final boolean biasOnly;

    /** Centred weights [tap][cPad], each tap's channels padded with zeros to a whole number of vectors. */
    private final int[] w;
    /** Bias padded to cPad. */
    private final int[] biasPadded;

    private final int cPad;
    /** FP32 requantization in vectors (XNNPACK path), or null. */
    private final SimdRequantizer vrq;
    /** gemmlowp double rounding in vectors (the built-in path's int8 depthwise and uint8 layers), or null. */
    private final SimdFixedPointRequantizer frq;
    /** Other rounding modes: the accumulators of every output element, requantized by the scalar requantizer. */
    private final int[] acc;

    /** Lanes of the last, partial channel block (none when the channels fill whole vectors). */
    private final VectorMask<Integer> tail;

    private final VectorMask<Byte> tailBytes;
    private final int fullC;
    /**
     * Threads split output rows × channel groups: with few rows (under {@link #FEW_ROWS}) the channels are cut into
     * groups of whole vectors, so that small late layers still give every thread work.
     */
    private final int groups;

    private final int groupChannels;
    private final Parallel.RangeBody body = this::units;

    private static final VectorSpecies<Float> FLOAT = SimdSpecies.FLOAT;
    /**
     * Whether every partial sum of a channel's taps stays below 2^24 in magnitude (max |x − zp_x| · Σ_tap |W − zp_w| &lt; 2^24),
     * so that float lanes add the integer products exactly; then the input is centred once per run into
     * {@link #xc} and the taps are summed with FMA in float lanes, else the int-lane pixel loop is used.
     */
    private final boolean exact;
    /** Centred weights as floats [tap][cPad] (exact: |W − zp_w| ≤ 255). */
    private final float[] fw;
    /**
     * The centred input as floats [b][top + rowsHi][left + colsHi][cPad], with a zero border wide enough for every
     * tap of every output and zeros past the channels, so the tap loops read whole vectors with no checks.
     */
    private final float[] xc;

    private final int top;
    private final int left;
    private final int padH;
    private final int padW;
    private final VectorMask<Float> tailFloat;
    private final Parallel.RangeBody centreBody = this::centreRows;
    /** The float tap sums of every output pixel [b][oy][ox][cPad], before the epilogue. */
    private final float[] sums;
    /**
     * XNNPACK's FP32 requantization fused with the float sums: when also |bias| + the tap bound stays below 2^24,
     * the accumulators start at the bias as floats, so each lane already holds {@code float(acc)} exactly, and
     * {@code rint} plus the zero point come from the bits of {@code v + 1.5·2^23} (as {@link SimdRequantizer}).
     */
    private final boolean fused;
    /**
     * The direct form (int8 with whole vectors of channels): no centred copy; the taps read the input bytes as float
     * lanes and the zero point goes into the accumulators' start, {@code Σ (x − zp)·w = Σ x·w − zp·Σ w} over the
     * taps inside. Exact while (max|bias| when fused) + (128 + |zp_x|) · Σ_tap |W − zp_w| &lt; 2^24.
     */
    private final boolean direct;
    /**
     * Direct form: the sums' start for each class of window, (bias when fused, else 0) − zp_x · Σ_{taps inside} W,
     * [rowClass][columnClass][cPad]; a row class is one range [kyLo, kyHi) of tap rows inside the input
     * ({@link #rowClass} per output row), a column class one range of tap columns ({@link #columnClass} per output
     * column).
     */
    private final float[] starts;

    private final int[] rowClass;
    private final int[] columnClass;
    private final int columnClasses;
    /** Largest {@link #starts} table (floats) the direct form may take. */
    private static final int MAX_STARTS = 1 << 18;

    private final float[] fusedBias;
    private final float[] fusedScale;
    private final float fusedLo;
    private final float fusedHi;
    /** The bits of 1.5·2^23 minus the output zero point. */
    private final int fusedOffset;

    /** Largest tiled row weights (floats) the flat form may take. */
    private static final int MAX_ROW_WEIGHTS = 1 << 16;
    /**
     * Stride-1 rows with channels that are not whole vectors ({@link #fused} only): the row's outputs are one run of
     * ox·C + c elements, read from {@link #xc} stored with channel stride C, over weights, bias and scales tiled along
     * the row ({@code rowWeights[tap][f]} holds channel f mod C), so every vector lane does useful work.
     */
    private final boolean flat;
    /** The channel stride of {@link #xc}: C in the flat form, else cPad. */
    private final int xcStride;

    private final int rowPadded;
    private final float[] rowWeights;
    private final float[] rowBias;
    private final float[] rowScale;
    /** The flat form's float sums [b][oy][rowPadded]. */
    private final float[] rowSums;
    /**
     * Per output column ox: the first and past-the-last kx whose input column is inside the input. Taps outside read
     * the zero border of {@link #xc} and add nothing, so the float routes skip them (on small feature maps they are
     * a large share of all taps).
     */
    private final int[] kxLo;

    private final int[] kxHi;
    /** Output columns [interiorFrom, interiorTo) whose every tap column is inside the input. */
    private final int interiorFrom;

    private final int interiorTo;

    /** The fast kernel when it applies (8-bit, multiplier 1, 256-bit vectors or wider), else the scalar one. */
    static Kernel create(
            Object x,
            int[] xShape,
            WeightedOpParams p,
            int[] wShape,
            Object y,
            int[] yShape,
            OpAttributes.DepthwiseConv2D a) {
        if (p.wide || a.depthMultiplier() != 1 || BYTE_QUARTER == null) {
            return new DepthwiseConv2DInt(x, xShape, p, wShape, y, yShape, a);
        }
        return new SimdDepthwiseConv2DInt(x, xShape, p, wShape, y, yShape, a);
    }

    SimdDepthwiseConv2DInt(
            Object x,
            int[] xShape,
            WeightedOpParams p,
            int[] wShape,
            Object y,
            int[] yShape,
            OpAttributes.DepthwiseConv2D a) {
        super(xShape, yShape, Window.of(wShape, a));
        this.channels = wShape[3];
        if (p.wide || a.depthMultiplier() != 1 || channels != inC || BYTE_QUARTER == null) {
            throw new IllegalArgumentException(
                    "the fast depthwise kernel takes 8-bit types, multiplier 1 and vectors of 256 bits or more");
        }
        this.x = (byte[]) x;
        this.y = (byte[]) y;
        this.outType = p.outType;
        this.unsigned = p.inType == DType.UINT8;
        this.zeroPoint = p.inZeroPoint;
        this.rq = p.requantizer;
        this.biasInt = new int[channels];
        for (int o = 0; o < channels; o++) {
            biasInt[o] = (int) p.bias[o];
        }
        this.biasOnly = p.xnnpack && XnnpackQuirks.sameWithNegativePadding(Window.of(wShape, a), inH, inW);
        int lanes = INT.length();
        this.cPad = (channels + lanes - 1) / lanes * lanes;
        int taps = kh * kw;
        this.w = new int[taps * cPad];
        for (int t = 0; t < taps; t++) {
            System.arraycopy(p.weights, t * channels, w, t * cPad, channels);
        }
        this.biasPadded = new int[cPad];
        System.arraycopy(biasInt, 0, biasPadded, 0, channels);
        this.vrq = SimdRequantizer.supports(rq) ? new SimdRequantizer(rq) : null;
        this.frq = vrq == null && SimdFixedPointRequantizer.supports(rq) ? new SimdFixedPointRequantizer(rq) : null;
        this.acc = vrq == null && frq == null ? new int[batch * outH * outW * channels] : null;
        this.fullC = channels / lanes * lanes;
        this.tail = fullC < channels ? INT.indexInRange(fullC, channels) : null;
        this.tailBytes = fullC < channels ? BYTE_QUARTER.indexInRange(fullC, channels) : null;
        int vectors = cPad / lanes;
        int rows = batch * outH;
        long worst = 0;
        for (int o = 0; o < channels; o++) {
            long sum = 0;
            for (int t = 0; t < taps; t++) {
                sum += Math.abs((long) p.weights[t * channels + o]);
            }
            worst = Math.max(worst, sum);
        }
        long maxInput = unsigned
                ? Math.max(Math.abs(zeroPoint), Math.abs(255L - zeroPoint))
                : Math.max(Math.abs(-128L - zeroPoint), Math.abs(127L - zeroPoint));
        this.top = Math.max(0, padT);
        this.left = Math.max(0, padL);
        this.padH = top + Math.max(inH, (outH - 1) * sh - padT + (kh - 1) * dh + 1);
        this.padW = left + Math.max(inW, (outW - 1) * sw - padL + (kw - 1) * dw + 1);
        long cells = (long) batch * padH * padW * cPad;
        this.exact = !biasOnly
                && worst * maxInput < (1 << 24)
                && cells <= Integer.MAX_VALUE - 64
                && (long) batch * outH * outW * cPad <= Integer.MAX_VALUE - 64;
        this.fw = exact ? new float[taps * cPad] : null;
        if (exact) {
            for (int i = 0; i < w.length; i++) {
                fw[i] = w[i];
            }
        }
        long maxBiasAll = 0;
        for (int o = 0; o < channels; o++) {
            maxBiasAll = Math.max(maxBiasAll, Math.abs((long) biasInt[o]));
        }
        boolean fusable = exact && vrq != null && maxBiasAll + worst * maxInput < (1 << 24);
        // tap ranges per output row and column; the windows fall into few classes of ranges
        int[] kyLoOf = new int[outH];
        int[] kyHiOf = new int[outH];
        for (int oy = 0; oy < outH; oy++) {
            int iy0 = oy * sh - padT;
            kyLoOf[oy] = iy0 >= 0 ? 0 : Math.min(kh, (-iy0 + dh - 1) / dh);
            kyHiOf[oy] = Math.max(kyLoOf[oy], Math.min(kh, Math.floorDiv(inH - 1 - iy0, dh) + 1));
        }
        this.kxLo = new int[outW];
        this.kxHi = new int[outW];
        for (int ox = 0; ox < outW; ox++) {
            int ix0 = ox * sw - padL;
            kxLo[ox] = ix0 >= 0 ? 0 : Math.min(kw, (-ix0 + dw - 1) / dw);
            kxHi[ox] = Math.max(kxLo[ox], Math.min(kw, Math.floorDiv(inW - 1 - ix0, dw) + 1));
        }
        this.rowClass = classes(kyLoOf, kyHiOf, kh);
        this.columnClass = classes(kxLo, kxHi, kw);
        int rowClasses = count(rowClass);
        this.columnClasses = count(columnClass);
        this.direct = exact
                && !unsigned
                && channels % lanes == 0
                && (long) rowClasses * columnClasses * cPad <= MAX_STARTS
                && (fusable ? maxBiasAll : 0) + (128L + Math.abs(zeroPoint)) * worst < (1 << 24);
        this.starts = direct ? new float[rowClasses * columnClasses * cPad] : null;
        if (direct) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int at = (rowClass[oy] * columnClasses + columnClass[ox]) * cPad;
                    for (int o = 0; o < channels; o++) {
                        long start = fusable ? biasInt[o] : 0;
                        for (int ky = kyLoOf[oy]; ky < kyHiOf[oy]; ky++) {
                            for (int kx = kxLo[ox]; kx < kxHi[ox]; kx++) {
                                start -= (long) zeroPoint * w[(ky * kw + kx) * cPad + o];
                            }
                        }
                        starts[at + o] = start;
                    }
                }
            }
        }
        this.xc = exact && !direct ? new float[(int) cells + lanes] : null;
        this.sums = exact ? new float[batch * outH * outW * cPad] : null;
        this.tailFloat = fullC < channels ? FLOAT.indexInRange(fullC, channels) : null;
        long maxBias = 0;
        for (int o = 0; o < channels; o++) {
            maxBias = Math.max(maxBias, Math.abs((long) biasInt[o]));
        }
        this.fused = fusable;
        this.fusedBias = fused ? new float[cPad] : null;
        this.fusedScale = fused ? new float[cPad] : null;
        if (fused) {
            for (int o = 0; o < channels; o++) {
                fusedBias[o] = biasInt[o];
                fusedScale[o] = rq.scale(o);
            }
        }
        int rowLength = outW * channels;
        int rowPadded = (rowLength + lanes - 1) / lanes * lanes;
        this.flat = fused && sw == 1 && channels % lanes != 0 && (long) taps * rowPadded <= MAX_ROW_WEIGHTS;
        this.xcStride = flat ? channels : cPad;
        this.rowPadded = rowPadded;
        this.rowWeights = flat ? new float[taps * rowPadded] : null;
        this.rowBias = flat ? new float[rowPadded] : null;
        this.rowScale = flat ? new float[rowPadded] : null;
        this.rowSums = flat ? new float[batch * outH * rowPadded] : null;
        if (flat) {
            for (int f = 0; f < rowLength; f++) {
                int o = f % channels;
                rowBias[f] = biasInt[o];
                rowScale[f] = rq.scale(o);
                for (int t = 0; t < taps; t++) {
                    rowWeights[t * rowPadded + f] = w[t * cPad + o];
                }
            }
        }
        int from = 0;
        while (from < outW && (kxLo[from] != 0 || kxHi[from] != kw)) {
            from++;
        }
        int to = from;
        while (to < outW && kxLo[to] == 0 && kxHi[to] == kw) {
            to++;
        }
        this.interiorFrom = from;
        this.interiorTo = to;
        this.groups = rows >= FEW_ROWS || flat ? 1 : Math.min(vectors, 4);
        this.groupChannels = (vectors + groups - 1) / groups * lanes;
        this.fusedLo = rq.lo - rq.zeroPoint();
        this.fusedHi = rq.hi - rq.zeroPoint();
        this.fusedOffset = Float.floatToRawIntBits(SimdRequantizer.MAGIC) - rq.zeroPoint();
    }

    /** Class ids of the ranges [lo[i], hi[i]) (of a kernel of k taps): equal ranges, equal ids, numbered from 0. */
    private static int[] classes(int[] lo, int[] hi, int k) {
        int[] idOf = new int[(k + 1) * (k + 1)];
        java.util.Arrays.fill(idOf, -1);
        int[] ids = new int[lo.length];
        int next = 0;
        for (int i = 0; i < lo.length; i++) {
            int key = lo[i] * (k + 1) + hi[i];
            if (idOf[key] < 0) {
                idOf[key] = next++;
            }
            ids[i] = idOf[key];
        }
        return ids;
    }

    private static int count(int[] ids) {
        int n = 0;
        for (int id : ids) {
            n = Math.max(n, id + 1);
        }
        return n;
    }

    @Override
    public void run(Parallel parallel) {
        if (biasOnly) {
            XnnpackQuirks.fillWithRequantizedBias(y, outType, biasInt, rq);
            return;
        }
        if (exact && !direct) {
            parallel.forRange(batch * inH, 1, centreBody);
        }
        if (parallel.threads() == 1) {
            // one thread: whole rows, so the pixel loops keep their blocks of 4 channel vectors
            for (int r = 0; r < batch * outH; r++) {
                rowPart(r / outH, r % outH, 0, channels);
            }
        } else {
            parallel.forRange(batch * outH * groups, 1, body);
        }
    }

    /**
     * Input rows [from, to) over the batch, centred into {@link #xc} (the border and padded lanes stay zero). When
     * {@link #xc} keeps the input's channel stride, a row is one contiguous run in both, centred as such.
     */
    private void centreRows(int from, int to) {
        if (xcStride == inC) {
            centreContiguousRows(from, to);
            return;
        }
        for (int r = from; r < to; r++) {
            int b = r / inH;
            int iy = r % inH;
            for (int ix = 0; ix < inW; ix++) {
                int src = (r * inW + ix) * inC;
                int dst = ((b * padH + iy + top) * padW + ix + left) * xcStride;
                int c = 0;
                for (; c < fullC; c += INT.length()) {
                    ((FloatVector) centred(src + c, null).convert(VectorOperators.I2F, 0)).intoArray(xc, dst + c);
                }
                if (c < channels) {
                    ((FloatVector) centred(src + c, tailBytes).convert(VectorOperators.I2F, 0))
                            .intoArray(xc, dst + c, tailFloat);
                }
            }
        }
    }

    /**
     * Input rows [from, to) as runs of inW·C elements: {@code xc = float(x) − zp_x}, with uint8 read as its byte
     * plus 256 when negative. A plain loop that C2 vectorizes.
     */
    private void centreContiguousRows(int from, int to) {
        int n = inW * inC;
        float[] xc = this.xc;
        byte[] x = this.x;
        float zp = zeroPoint;
        for (int r = from; r < to; r++) {
            int b = r / inH;
            int iy = r % inH;
            int src = r * n;
            int dst = ((b * padH + iy + top) * padW + left) * xcStride;
            if (unsigned) {
                for (int i = 0; i < n; i++) {
                    xc[dst + i] = (x[src + i] & 0xFF) - zp;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    xc[dst + i] = x[src + i] - zp;
                }
            }
        }
    }

    /** Work units [from, to): unit u is channel group {@code u % groups} of output row {@code u / groups}. */
    private void units(int from, int to) {
        for (int u = from; u < to; u++) {
            int g = u % groups;
            int r = u / groups;
            rowPart(r / outH, r % outH, g * groupChannels, Math.min(channels, (g + 1) * groupChannels));
        }
    }

    @Override
    protected void outputRow(int b, int oy) {
        rowPart(b, oy, 0, channels);
    }

    /** Channels [c0, c1) of output row {@code oy} of batch item {@code b}; c0 is a multiple of the lane count. */
    private void rowPart(int b, int oy, int c0, int c1) {
        if (exact) {
            rowPartFloat(b, oy, c0, c1);
            return;
        }
        int iy0 = oy * sh - padT;
        int kyLo = iy0 >= 0 ? 0 : (-iy0 + dh - 1) / dh;
        int kyHi = Math.min(kh, Math.floorDiv(inH - 1 - iy0, dh) + 1);
        for (int ox = 0; ox < outW; ox++) {
            int ix0 = ox * sw - padL;
            int kxLo = ix0 >= 0 ? 0 : (-ix0 + dw - 1) / dw;
            int kxHi = Math.min(kw, Math.floorDiv(inW - 1 - ix0, dw) + 1);
            int out = ((b * outH + oy) * outW + ox) * channels;
            // element offset of tap (0, 0) in the input; taps outside the input are never formed
            int origin = ((b * inH + iy0) * inW + ix0) * inC;
            pixel(origin, out, kyLo, kyHi, kxLo, kxHi, c0, c1);
        }
    }

    /**
     * Channels [c0, c1) of output row {@code oy} from the centred input, over the taps inside the input only (rows
     * [kyLo, kyHi) of the row, columns {@link #kxLo} .. {@link #kxHi} of each pixel; the others read zeros): the
     * interior columns 4 output pixels at a time (4 FMA chains per channel vector sharing each tap's weights), the
     * others one pixel at a time in blocks of 4 channel vectors; fused, or the float sums go to {@link #sums} and
     * {@link #requantizeRow} turns them into outputs. No vector crosses a method boundary, so none is boxed when a call
     * is not inlined.
     */
    private void rowPartFloat(int b, int oy, int c0, int c1) {
        int iy0 = oy * sh - padT;
        int kyLo = iy0 >= 0 ? 0 : Math.min(kh, (-iy0 + dh - 1) / dh);
        int kyHi = Math.max(kyLo, Math.min(kh, Math.floorDiv(inH - 1 - iy0, dh) + 1));
        if (flat) {
            rowFlat(b, oy, kyLo, kyHi);
            return;
        }
        if (direct) {
            rowDirect(b, oy, iy0, kyLo, kyHi, c0, c1);
            return;
        }
        int rowBase = (b * padH + iy0 + top) * padW;
        int pixel0 = (b * outH + oy) * outW;
        int ox = 0;
        for (; ox < interiorFrom; ox++) {
            onePixel(rowBase, (pixel0 + ox) * cPad, ox * sw - padL + left, kyLo, kyHi, kxLo[ox], kxHi[ox], c0, c1);
        }
        for (; ox + 4 <= interiorTo; ox += 4) {
            fourPixels(rowBase, (pixel0 + ox) * cPad, ox * sw - padL + left, kyLo, kyHi, c0, c1);
        }
        for (; ox < outW; ox++) {
            onePixel(rowBase, (pixel0 + ox) * cPad, ox * sw - padL + left, kyLo, kyHi, kxLo[ox], kxHi[ox], c0, c1);
        }
        if (!fused) {
            requantizeRow(pixel0, c0, c1);
        }
    }

    /**
     * Channels [c0, c1) of output row {@code oy} in the {@link #direct} form, over the taps inside only, the sums
     * starting from {@link #starts}: the interior columns 4 pixels at a time, the others one pixel at a time in
     * blocks of 4 channel vectors.
     */
    private void rowDirect(int b, int oy, int iy0, int kyLo, int kyHi, int c0, int c1) {
        int inRow = (b * inH + iy0) * inW;
        int pixel0 = (b * outH + oy) * outW;
        int classes = rowClass[oy] * columnClasses;
        int ox = 0;
        for (; ox < interiorFrom; ox++) {
            onePixelDirect(
                    inRow,
                    (pixel0 + ox) * cPad,
                    ox * sw - padL,
                    kyLo,
                    kyHi,
                    kxLo[ox],
                    kxHi[ox],
                    (classes + columnClass[ox]) * cPad,
                    c0,
                    c1);
        }
        boolean rows3 = kw == 3 && dw == 1 && sw == 1;
        for (; rows3 && ox + 4 <= interiorTo; ox += 4) {
            fourPixelsDirect3(
                    inRow, (pixel0 + ox) * cPad, ox - padL, kyLo, kyHi, (classes + columnClass[ox]) * cPad, c0, c1);
        }
        boolean rows3s2 = kw == 3 && dw == 1 && sw == 2;
        for (; rows3s2 && ox + 4 <= interiorTo; ox += 4) {
            fourPixelsDirect3s2(
                    inRow, (pixel0 + ox) * cPad, 2 * ox - padL, kyLo, kyHi, (classes + columnClass[ox]) * cPad, c0, c1);
        }
        for (; ox + 4 <= interiorTo; ox += 4) {
            fourPixelsDirect(
                    inRow,
                    (pixel0 + ox) * cPad,
                    ox * sw - padL,
                    kyLo,
                    kyHi,
                    (classes + columnClass[ox]) * cPad,
                    c0,
                    c1);
        }
        for (; ox < outW; ox++) {
            onePixelDirect(
                    inRow,
                    (pixel0 + ox) * cPad,
                    ox * sw - padL,
                    kyLo,
                    kyHi,
                    kxLo[ox],
                    kxHi[ox],
                    (classes + columnClass[ox]) * cPad,
                    c0,
                    c1);
        }
        if (!fused) {
            requantizeRow(pixel0, c0, c1);
        }
    }

    /**
     * {@link #fourPixelsDirect} for 3-wide windows at stride 1, dilation 1: the 4 pixels of a tap row read 6 input
     * columns, each converted to floats once and used by up to 3 taps (instead of 12 conversions).
     */
    private void fourPixelsDirect3(int inRow, int sum, int ix0, int kyLo, int kyHi, int start, int c0, int c1) {
        int c = cPad;
        for (int ch = c0; ch < c1; ch += INT.length()) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, starts, start + ch);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int ky = kyLo; ky < kyHi; ky++) {
                int in = (inRow + ky * dh * inW + ix0) * c + ch;
                int wRow = ky * 3 * c + ch;
                FloatVector w0 = FloatVector.fromArray(FLOAT, fw, wRow);
                FloatVector w1 = FloatVector.fromArray(FLOAT, fw, wRow + c);
                FloatVector w2 = FloatVector.fromArray(FLOAT, fw, wRow + 2 * c);
                FloatVector v0 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v1 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v2 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 2 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v3 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 3 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v4 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 4 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v5 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 5 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                // tap order kx = 0, 1, 2 per pixel, as in fourPixelsDirect (exact sums: any order gives the same)
                a0 = v2.fma(w2, v1.fma(w1, v0.fma(w0, a0)));
                a1 = v3.fma(w2, v2.fma(w1, v1.fma(w0, a1)));
                a2 = v4.fma(w2, v3.fma(w1, v2.fma(w0, a2)));
                a3 = v5.fma(w2, v4.fma(w1, v3.fma(w0, a3)));
            }
            if (fused) {
                FloatVector sc = FloatVector.fromArray(FLOAT, fusedScale, ch);
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q1 = (ByteVector) ((IntVector) a1.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q2 = (ByteVector) ((IntVector) a2.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q3 = (ByteVector) ((IntVector) a3.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q0.intoArray(y, sum + ch);
                q1.intoArray(y, sum + c + ch);
                q2.intoArray(y, sum + 2 * c + ch);
                q3.intoArray(y, sum + 3 * c + ch);
            } else {
                a0.intoArray(sums, sum + ch);
                a1.intoArray(sums, sum + c + ch);
                a2.intoArray(sums, sum + 2 * c + ch);
                a3.intoArray(sums, sum + 3 * c + ch);
            }
        }
    }

    /**
     * {@link #fourPixelsDirect} for 3-wide windows at stride 2, dilation 1: the 4 pixels of a tap row read 9 input
     * columns, each converted to floats once (instead of 12 conversions); columns 2, 4 and 6 serve two pixels.
     */
    private void fourPixelsDirect3s2(int inRow, int sum, int ix0, int kyLo, int kyHi, int start, int c0, int c1) {
        int c = cPad;
        for (int ch = c0; ch < c1; ch += INT.length()) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, starts, start + ch);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int ky = kyLo; ky < kyHi; ky++) {
                int in = (inRow + ky * dh * inW + ix0) * c + ch;
                int wRow = ky * 3 * c + ch;
                FloatVector w0 = FloatVector.fromArray(FLOAT, fw, wRow);
                FloatVector w1 = FloatVector.fromArray(FLOAT, fw, wRow + c);
                FloatVector w2 = FloatVector.fromArray(FLOAT, fw, wRow + 2 * c);
                FloatVector v0 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v1 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v2 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 2 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v3 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 3 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v4 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 4 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v5 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 5 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v6 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 6 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v7 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 7 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                FloatVector v8 = (FloatVector)
                        ByteVector.fromArray(BYTE_QUARTER, x, in + 8 * c).convertShape(VectorOperators.B2F, FLOAT, 0);
                // tap order kx = 0, 1, 2 per pixel, as in fourPixelsDirect (exact sums: any order gives the same)
                a0 = v2.fma(w2, v1.fma(w1, v0.fma(w0, a0)));
                a1 = v4.fma(w2, v3.fma(w1, v2.fma(w0, a1)));
                a2 = v6.fma(w2, v5.fma(w1, v4.fma(w0, a2)));
                a3 = v8.fma(w2, v7.fma(w1, v6.fma(w0, a3)));
            }
            if (fused) {
                FloatVector sc = FloatVector.fromArray(FLOAT, fusedScale, ch);
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q1 = (ByteVector) ((IntVector) a1.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q2 = (ByteVector) ((IntVector) a2.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q3 = (ByteVector) ((IntVector) a3.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q0.intoArray(y, sum + ch);
                q1.intoArray(y, sum + c + ch);
                q2.intoArray(y, sum + 2 * c + ch);
                q3.intoArray(y, sum + 3 * c + ch);
            } else {
                a0.intoArray(sums, sum + ch);
                a1.intoArray(sums, sum + c + ch);
                a2.intoArray(sums, sum + 2 * c + ch);
                a3.intoArray(sums, sum + 3 * c + ch);
            }
        }
    }

    /**
     * Direct form: pixels at {@code sum} .. + 3 pixels (C = cPad here), windows from input column {@code ix0} with
     * every tap column inside, tap rows [kyLo, kyHi); the sums start at {@code starts[start + c]}.
     */
    private void fourPixelsDirect(int inRow, int sum, int ix0, int kyLo, int kyHi, int start, int c0, int c1) {
        int c = cPad;
        int step = sw * c;
        for (int ch = c0; ch < c1; ch += INT.length()) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, starts, start + ch);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = (inRow + ky * dh * inW + ix0) * c + ch;
                int wRow = ky * kw * c + ch;
                for (int kx = 0; kx < kw; kx++) {
                    int in = row + kx * dw * c;
                    FloatVector wv = FloatVector.fromArray(FLOAT, fw, wRow + kx * c);
                    a0 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(wv, a0);
                    a1 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in + step)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(wv, a1);
                    a2 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in + 2 * step)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(wv, a2);
                    a3 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in + 3 * step)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(wv, a3);
                }
            }
            if (fused) {
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(FloatVector.fromArray(FLOAT, fusedScale, ch))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q0.intoArray(y, sum + ch);
                ByteVector q1 = (ByteVector) ((IntVector) a1.mul(FloatVector.fromArray(FLOAT, fusedScale, ch))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q1.intoArray(y, sum + c + ch);
                ByteVector q2 = (ByteVector) ((IntVector) a2.mul(FloatVector.fromArray(FLOAT, fusedScale, ch))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q2.intoArray(y, sum + 2 * c + ch);
                ByteVector q3 = (ByteVector) ((IntVector) a3.mul(FloatVector.fromArray(FLOAT, fusedScale, ch))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q3.intoArray(y, sum + 3 * c + ch);
            } else {
                a0.intoArray(sums, sum + ch);
                a1.intoArray(sums, sum + c + ch);
                a2.intoArray(sums, sum + 2 * c + ch);
                a3.intoArray(sums, sum + 3 * c + ch);
            }
        }
    }

    /**
     * Direct form: the pixel at {@code sum} whose window starts at input column {@code ix0}, over the taps [kyLo,
     * kyHi) × [kxA, kxB), the sums starting at {@code starts[start + c]}; 4 channel vectors at a time (4 independent
     * FMA chains), then single vectors.
     */
    private void onePixelDirect(
            int inRow, int sum, int ix0, int kyLo, int kyHi, int kxA, int kxB, int start, int c0, int c1) {
        int lanes = INT.length();
        int c = cPad;
        int ch = c0;
        for (; ch + 4 * lanes <= c1; ch += 4 * lanes) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, starts, start + ch);
            FloatVector a1 = FloatVector.fromArray(FLOAT, starts, start + ch + lanes);
            FloatVector a2 = FloatVector.fromArray(FLOAT, starts, start + ch + 2 * lanes);
            FloatVector a3 = FloatVector.fromArray(FLOAT, starts, start + ch + 3 * lanes);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = (inRow + ky * dh * inW + ix0) * c + ch;
                int wRow = ky * kw * c + ch;
                for (int kx = kxA; kx < kxB; kx++) {
                    int in = row + kx * dw * c;
                    int wAt = wRow + kx * c;
                    a0 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt), a0);
                    a1 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in + lanes)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt + lanes), a1);
                    a2 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in + 2 * lanes)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt + 2 * lanes), a2);
                    a3 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, in + 3 * lanes)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt + 3 * lanes), a3);
                }
            }
            if (fused) {
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(FloatVector.fromArray(FLOAT, fusedScale, ch))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q0.intoArray(y, sum + ch);
                ByteVector q1 = (ByteVector) ((IntVector) a1.mul(FloatVector.fromArray(FLOAT, fusedScale, ch + lanes))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q1.intoArray(y, sum + ch + lanes);
                ByteVector q2 =
                        (ByteVector) ((IntVector) a2.mul(FloatVector.fromArray(FLOAT, fusedScale, ch + 2 * lanes))
                                        .max(fusedLo)
                                        .min(fusedHi)
                                        .add(SimdRequantizer.MAGIC)
                                        .reinterpretAsInts())
                                .sub(fusedOffset)
                                .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q2.intoArray(y, sum + ch + 2 * lanes);
                ByteVector q3 =
                        (ByteVector) ((IntVector) a3.mul(FloatVector.fromArray(FLOAT, fusedScale, ch + 3 * lanes))
                                        .max(fusedLo)
                                        .min(fusedHi)
                                        .add(SimdRequantizer.MAGIC)
                                        .reinterpretAsInts())
                                .sub(fusedOffset)
                                .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q3.intoArray(y, sum + ch + 3 * lanes);
            } else {
                a0.intoArray(sums, sum + ch);
                a1.intoArray(sums, sum + ch + lanes);
                a2.intoArray(sums, sum + ch + 2 * lanes);
                a3.intoArray(sums, sum + ch + 3 * lanes);
            }
        }
        if (ch < c1) {
            onePixelDirectSingles(inRow, sum, ix0, kyLo, kyHi, kxA, kxB, start, ch, c1);
        }
    }

    /**
     * {@link #onePixelDirect} for channels [c0, c1) one vector at a time (a method of its own: the 4-vector loop and
     * this one together pass what C1 compiles).
     */
    private void onePixelDirectSingles(
            int inRow, int sum, int ix0, int kyLo, int kyHi, int kxA, int kxB, int start, int c0, int c1) {
        int lanes = INT.length();
        int c = cPad;
        for (int ch = c0; ch < c1; ch += lanes) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, starts, start + ch);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = (inRow + ky * dh * inW + ix0) * c + ch;
                int wRow = ky * kw * c + ch;
                for (int kx = kxA; kx < kxB; kx++) {
                    a0 = ((FloatVector) ByteVector.fromArray(BYTE_QUARTER, x, row + kx * dw * c)
                                    .convertShape(VectorOperators.B2F, FLOAT, 0))
                            .fma(FloatVector.fromArray(FLOAT, fw, wRow + kx * c), a0);
                }
            }
            if (fused) {
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(FloatVector.fromArray(FLOAT, fusedScale, ch))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q0.intoArray(y, sum + ch);
            } else {
                a0.intoArray(sums, sum + ch);
            }
        }
    }

    /**
     * The whole output row {@code oy} in the {@link #flat} form: element f = ox·C + c of the row at tap (ky, kx) reads
     * {@code xc} at the row's f + (kx·dw + left − padL)·C; 4 vectors of elements at a time, then single vectors, the
     * last one stored under a mask; the sums go to {@link #rowSums} and the fused FP32 epilogue runs over them in
     * the same method, so no vector crosses a call.
     */
    private void rowFlat(int b, int oy, int kyLo, int kyHi) {
        int c = channels;
        int length = outW * c;
        int in0 = (b * padH + oy - padT + top) * padW * c + (left - padL) * c;
        int out = (b * outH + oy) * length;
        int sum = (b * outH + oy) * rowPadded;
        int lanes = FLOAT.length();
        int f = 0;
        for (; f + 4 * lanes <= length; f += 4 * lanes) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, rowBias, f);
            FloatVector a1 = FloatVector.fromArray(FLOAT, rowBias, f + lanes);
            FloatVector a2 = FloatVector.fromArray(FLOAT, rowBias, f + 2 * lanes);
            FloatVector a3 = FloatVector.fromArray(FLOAT, rowBias, f + 3 * lanes);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = in0 + ky * dh * padW * c + f;
                for (int kx = 0; kx < kw; kx++) {
                    int in = row + kx * dw * c;
                    int wAt = (ky * kw + kx) * rowPadded + f;
                    a0 = FloatVector.fromArray(FLOAT, xc, in).fma(FloatVector.fromArray(FLOAT, rowWeights, wAt), a0);
                    a1 = FloatVector.fromArray(FLOAT, xc, in + lanes)
                            .fma(FloatVector.fromArray(FLOAT, rowWeights, wAt + lanes), a1);
                    a2 = FloatVector.fromArray(FLOAT, xc, in + 2 * lanes)
                            .fma(FloatVector.fromArray(FLOAT, rowWeights, wAt + 2 * lanes), a2);
                    a3 = FloatVector.fromArray(FLOAT, xc, in + 3 * lanes)
                            .fma(FloatVector.fromArray(FLOAT, rowWeights, wAt + 3 * lanes), a3);
                }
            }
            a0.intoArray(rowSums, sum + f);
            a1.intoArray(rowSums, sum + f + lanes);
            a2.intoArray(rowSums, sum + f + 2 * lanes);
            a3.intoArray(rowSums, sum + f + 3 * lanes);
        }
        for (; f < length; f += lanes) {
            FloatVector a0 = FloatVector.fromArray(FLOAT, rowBias, f);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = in0 + ky * dh * padW * c + f;
                for (int kx = 0; kx < kw; kx++) {
                    int wAt = (ky * kw + kx) * rowPadded + f;
                    a0 = FloatVector.fromArray(FLOAT, xc, row + kx * dw * c)
                            .fma(FloatVector.fromArray(FLOAT, rowWeights, wAt), a0);
                }
            }
            a0.intoArray(rowSums, sum + f);
        }
        for (f = 0; f < length; f += lanes) {
            FloatVector v = FloatVector.fromArray(FLOAT, rowSums, sum + f)
                    .mul(FloatVector.fromArray(FLOAT, rowScale, f))
                    .max(fusedLo)
                    .min(fusedHi)
                    .add(SimdRequantizer.MAGIC);
            ByteVector bytes = (ByteVector) ((IntVector) v.reinterpretAsInts())
                    .sub(fusedOffset)
                    .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
            if (f + lanes <= length) {
                bytes.intoArray(y, out + f);
            } else {
                bytes.intoArray(y, out + f, BYTE_QUARTER.indexInRange(f, length));
            }
        }
    }

    /**
     * Sums of pixels at {@code sum} .. + 3 pixels (in {@link #sums}), windows from padded column {@code ix0}, tap rows
     * [kyLo, kyHi), every tap column.
     */
    private void fourPixels(int rowBase, int sum, int ix0, int kyLo, int kyHi, int c0, int c1) {
        int step = sw * cPad;
        for (int c = c0; c < c1; c += INT.length()) {
            FloatVector a0 = fused ? FloatVector.fromArray(FLOAT, fusedBias, c) : FloatVector.zero(FLOAT);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = ((rowBase + ky * dh * padW) + ix0) * cPad + c;
                int wRow = ky * kw * cPad + c;
                for (int kx = 0; kx < kw; kx++) {
                    int in = row + kx * dw * cPad;
                    FloatVector wv = FloatVector.fromArray(FLOAT, fw, wRow + kx * cPad);
                    a0 = FloatVector.fromArray(FLOAT, xc, in).fma(wv, a0);
                    a1 = FloatVector.fromArray(FLOAT, xc, in + step).fma(wv, a1);
                    a2 = FloatVector.fromArray(FLOAT, xc, in + 2 * step).fma(wv, a2);
                    a3 = FloatVector.fromArray(FLOAT, xc, in + 3 * step).fma(wv, a3);
                }
            }
            if (fused) {
                // the FP32 epilogue written out here: a vector passed to a call C2 does not inline is boxed
                FloatVector sc = FloatVector.fromArray(FLOAT, fusedScale, c);
                int o = sum / cPad * channels + c;
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q1 = (ByteVector) ((IntVector) a1.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q2 = (ByteVector) ((IntVector) a2.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                ByteVector q3 = (ByteVector) ((IntVector) a3.mul(sc)
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                if (c < fullC) {
                    q0.intoArray(y, o);
                    q1.intoArray(y, o + channels);
                    q2.intoArray(y, o + 2 * channels);
                    q3.intoArray(y, o + 3 * channels);
                } else {
                    q0.intoArray(y, o, tailBytes);
                    q1.intoArray(y, o + channels, tailBytes);
                    q2.intoArray(y, o + 2 * channels, tailBytes);
                    q3.intoArray(y, o + 3 * channels, tailBytes);
                }
            } else {
                a0.intoArray(sums, sum + c);
                a1.intoArray(sums, sum + cPad + c);
                a2.intoArray(sums, sum + 2 * cPad + c);
                a3.intoArray(sums, sum + 3 * cPad + c);
            }
        }
    }

    /**
     * Sums of the pixel at {@code sum} (in {@link #sums}) whose window starts at padded column {@code ix0}, over the
     * taps [kyLo, kyHi) × [kxA, kxB): 4 channel vectors at a time (4 independent FMA chains), then single vectors.
     */
    private void onePixel(int rowBase, int sum, int ix0, int kyLo, int kyHi, int kxA, int kxB, int c0, int c1) {
        int lanes = INT.length();
        int o = sum / cPad * channels;
        // whole vectors of channels in the blocks; a partial last vector goes to onePixelSingles
        int end = Math.min(c1, fullC);
        int c = c0;
        for (; c + 4 * lanes <= end; c += 4 * lanes) {
            FloatVector a0;
            FloatVector a1;
            FloatVector a2;
            FloatVector a3;
            if (fused) {
                a0 = FloatVector.fromArray(FLOAT, fusedBias, c);
                a1 = FloatVector.fromArray(FLOAT, fusedBias, c + lanes);
                a2 = FloatVector.fromArray(FLOAT, fusedBias, c + 2 * lanes);
                a3 = FloatVector.fromArray(FLOAT, fusedBias, c + 3 * lanes);
            } else {
                a0 = FloatVector.zero(FLOAT);
                a1 = a0;
                a2 = a0;
                a3 = a0;
            }
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = ((rowBase + ky * dh * padW) + ix0) * cPad + c;
                int wRow = ky * kw * cPad + c;
                for (int kx = kxA; kx < kxB; kx++) {
                    int in = row + kx * dw * cPad;
                    int wAt = wRow + kx * cPad;
                    a0 = FloatVector.fromArray(FLOAT, xc, in).fma(FloatVector.fromArray(FLOAT, fw, wAt), a0);
                    a1 = FloatVector.fromArray(FLOAT, xc, in + lanes)
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt + lanes), a1);
                    a2 = FloatVector.fromArray(FLOAT, xc, in + 2 * lanes)
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt + 2 * lanes), a2);
                    a3 = FloatVector.fromArray(FLOAT, xc, in + 3 * lanes)
                            .fma(FloatVector.fromArray(FLOAT, fw, wAt + 3 * lanes), a3);
                }
            }
            if (fused) {
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(FloatVector.fromArray(FLOAT, fusedScale, c))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q0.intoArray(y, o + c);
                ByteVector q1 = (ByteVector) ((IntVector) a1.mul(FloatVector.fromArray(FLOAT, fusedScale, c + lanes))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q1.intoArray(y, o + c + lanes);
                ByteVector q2 =
                        (ByteVector) ((IntVector) a2.mul(FloatVector.fromArray(FLOAT, fusedScale, c + 2 * lanes))
                                        .max(fusedLo)
                                        .min(fusedHi)
                                        .add(SimdRequantizer.MAGIC)
                                        .reinterpretAsInts())
                                .sub(fusedOffset)
                                .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q2.intoArray(y, o + c + 2 * lanes);
                ByteVector q3 =
                        (ByteVector) ((IntVector) a3.mul(FloatVector.fromArray(FLOAT, fusedScale, c + 3 * lanes))
                                        .max(fusedLo)
                                        .min(fusedHi)
                                        .add(SimdRequantizer.MAGIC)
                                        .reinterpretAsInts())
                                .sub(fusedOffset)
                                .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                q3.intoArray(y, o + c + 3 * lanes);
            } else {
                a0.intoArray(sums, sum + c);
                a1.intoArray(sums, sum + c + lanes);
                a2.intoArray(sums, sum + c + 2 * lanes);
                a3.intoArray(sums, sum + c + 3 * lanes);
            }
        }
        if (c < c1) {
            onePixelSingles(rowBase, sum, ix0, kyLo, kyHi, kxA, kxB, c, c1);
        }
    }

    /** {@link #onePixel} for channels [c0, c1) one vector at a time (its own method, for C1's sake). */
    private void onePixelSingles(int rowBase, int sum, int ix0, int kyLo, int kyHi, int kxA, int kxB, int c0, int c1) {
        int lanes = INT.length();
        int o = sum / cPad * channels;
        for (int c = c0; c < c1; c += lanes) {
            FloatVector a0 = fused ? FloatVector.fromArray(FLOAT, fusedBias, c) : FloatVector.zero(FLOAT);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = ((rowBase + ky * dh * padW) + ix0) * cPad + c;
                int wRow = ky * kw * cPad + c;
                for (int kx = kxA; kx < kxB; kx++) {
                    FloatVector wv = FloatVector.fromArray(FLOAT, fw, wRow + kx * cPad);
                    a0 = FloatVector.fromArray(FLOAT, xc, row + kx * dw * cPad).fma(wv, a0);
                }
            }
            if (fused) {
                ByteVector q0 = (ByteVector) ((IntVector) a0.mul(FloatVector.fromArray(FLOAT, fusedScale, c))
                                .max(fusedLo)
                                .min(fusedHi)
                                .add(SimdRequantizer.MAGIC)
                                .reinterpretAsInts())
                        .sub(fusedOffset)
                        .convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                if (c + INT.length() <= channels) {
                    q0.intoArray(y, o + c);
                } else {
                    q0.intoArray(y, o + c, BYTE_QUARTER.indexInRange(c, channels));
                }
            } else {
                a0.intoArray(sums, sum + c);
            }
        }
    }

    /**
     * Channels [c0, c1) of the output row starting at pixel {@code pixel0}, from its sums: fused FP32 requantization
     * ({@code v = sum · scale}, clamped, rint and zero point from the bits of {@code v + 1.5·2^23}), or the sums as
     * ints plus the bias into {@link SimdRequantizer}, {@link SimdFixedPointRequantizer} or the scalar requantizer.
     */
    private void requantizeRow(int pixel0, int c0, int c1) {
        for (int p = pixel0; p < pixel0 + outW; p++) {
            int sum = p * cPad;
            int out = p * channels;
            for (int c = c0; c < c1; c += INT.length()) {
                boolean whole = c < fullC;
                FloatVector a = FloatVector.fromArray(FLOAT, sums, sum + c);
                if (fused) {
                    FloatVector v = a.mul(FloatVector.fromArray(FLOAT, fusedScale, c))
                            .max(fusedLo)
                            .min(fusedHi)
                            .add(SimdRequantizer.MAGIC);
                    IntVector q = ((IntVector) v.reinterpretAsInts()).sub(fusedOffset);
                    ByteVector bytes = (ByteVector) q.convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
                    if (whole) {
                        bytes.intoArray(y, out + c);
                    } else {
                        bytes.intoArray(y, out + c, tailBytes);
                    }
                    continue;
                }
                IntVector s =
                        ((IntVector) a.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(INT, biasPadded, c));
                if (vrq != null) {
                    if (whole) {
                        vrq.store(s, c, y, out + c);
                    } else {
                        vrq.store(s, c, y, out + c, tail);
                    }
                } else if (frq != null) {
                    frq.store(s, c, y, out + c, Math.min(INT.length(), channels - c));
                } else if (whole) {
                    s.intoArray(acc, out + c);
                } else {
                    s.intoArray(acc, out + c, tail);
                }
            }
            if (acc != null) {
                requantizeScalar(out, c0, c1);
            }
        }
    }

    private void requantizeScalar(int out, int c0, int c1) {
        for (int o = c0; o < c1; o++) {
            Quant.set(y, outType, out + o, rq.apply(acc[out + o], o));
        }
    }

    /** The input bytes at {@code at} (as many as {@code m} selects, or a whole vector's) as centred ints. */
    private IntVector centred(int at, VectorMask<Byte> m) {
        ByteVector v =
                m == null ? ByteVector.fromArray(BYTE_QUARTER, x, at) : ByteVector.fromArray(BYTE_QUARTER, x, at, m);
        IntVector i = (IntVector) v.convertShape(VectorOperators.B2I, INT, 0);
        return (unsigned ? i.and(0xFF) : i).sub(zeroPoint);
    }

    /**
     * Channels [c0, c1) of one output pixel at {@code out}, over the taps [kyLo, kyHi) × [kxLo, kxHi) from the input
     * element {@code origin} of tap (0, 0). A method of its own, invoked once per pixel, so the JIT compiles it whole
     * after a few thousand pixels (Vector API code is slow until then); no vector enters or leaves it.
     */
    private void pixel(int origin, int out, int kyLo, int kyHi, int kxLo, int kxHi, int c0, int c1) {
        for (int c = c0; c < c1; c += INT.length()) {
            boolean whole = c < fullC;
            VectorMask<Byte> m = whole ? null : tailBytes;
            IntVector s = IntVector.fromArray(INT, biasPadded, c);
            for (int ky = kyLo; ky < kyHi; ky++) {
                int row = origin + ky * dh * inW * inC + c;
                int wRow = ky * kw * cPad + c;
                for (int kx = kxLo; kx < kxHi; kx++) {
                    IntVector xv = centred(row + kx * dw * inC, m);
                    s = s.add(xv.mul(IntVector.fromArray(INT, w, wRow + kx * cPad)));
                }
            }
            if (vrq != null) {
                if (whole) {
                    vrq.store(s, c, y, out + c);
                } else {
                    vrq.store(s, c, y, out + c, tail);
                }
            } else if (frq != null) {
                frq.store(s, c, y, out + c, Math.min(INT.length(), channels - c));
            } else if (whole) {
                s.intoArray(acc, out + c);
            } else {
                s.intoArray(acc, out + c, tail);
            }
        }
        if (acc != null) {
            for (int o = c0; o < c1; o++) {
                Quant.set(y, outType, out + o, rq.apply(acc[out + o], o));
            }
        }
    }
}
