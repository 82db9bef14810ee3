package dev.quanta.kernels;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import java.util.function.Function;

/**
 * Kernels for ops whose tensors are not all FLOAT32: integer (int8, uint8, 16x8), hybrid and float16 paths.
 *
 * <p>Each kernel reproduces one of the official TFLite 2.21 runtime's two x86-64 paths bit for bit, chosen by
 * {@link QuantizedPath} ({@link QuantizedPath#XNNPACK}, TFLite's default, unless told otherwise). Which arithmetic
 * each op uses, and how far it was verified against the oracle ({@code SingleOpOracleTest}: seeded single-op
 * models of every op and type; {@code FixtureConformanceTest}: the MLPerf Tiny int8 models on real inputs):
 *
 * <pre>
 * op                      XNNPACK path                                   BUILTIN path
 * ----------------------  ---------------------------------------------  ---------------------------------------------
 * CONV_2D  int8           fp32 requant, scale (s_x·s_w)/s_y  [XNNPACK]   SRDHM + upward-tie shift (int8 per-channel)
 * DEPTHWISE_CONV_2D int8  fp32 requant                       [XNNPACK]   gemmlowp double rounding
 * FULLY_CONNECTED int8    fp32 requant                       [XNNPACK]   SRDHM + upward-tie shift
 * CONV/DW/FC uint8        fp32 requant                       [XNNPACK]   gemmlowp double rounding, float s_x·s_w
 * CONV/DW 16x8            int64 acc, MBQM₆₄ (16-bit multiplier)  [built-in on both]
 * FULLY_CONNECTED 16x8    int32 acc, single rounding, 31-bit multiplier  [built-in on both]
 *                         of the double s_x·s_w/s_y, also for per-tensor weights (not int8's float product)
 * ADD int8/uint8          XNNPACK vadd (2^shift multipliers) [XNNPACK]   TFLite Add (L = 20, double rounding)
 * ADD int16               TFLite Add (L = 15)                 [built-in on both]
 * MAX_POOL_2D             exact                                           exact
 * AVERAGE_POOL_2D         rounding division, ties away       [built-in on both: XNNPACK does not take int8]
 * MEAN int8/uint8         rint(float(Σ−n·zp)·scale)+zp       [XNNPACK]   optimized GAP / QuantizedMeanOrSum
 * MEAN int16              QuantizedMeanOrSum (int32 MBQM)    [built-in on both]
 * SOFTMAX 8-bit in        float LUT softmax                   [built-in on both: XNNPACK does not take it]
 * LOGISTIC, TANH 8-bit    float LUT (expf, tanhf)            [XNNPACK]   same table
 * LOGISTIC, TANH int16    gemmlowp Q3.12 fixed point for power-of-two s_x, else the interpolated 256-entry
 *                         sigmoid table  [built-in on both: XNNPACK does not take int16]  (Int16Activations)
 * SOFTMAX int16           exp and 1/(1+x) 513-entry tables with 7-bit interpolation  [built-in on both]
 * RELU, RELU6             TFLite ReluX (requantizing)         [built-in on both in the measured cases]
 * LEAKY_RELU 8-bit        XNNPACK vlrelu (M = rint(256·r))   [XNNPACK]   TFLite QuantizeLeakyRelu (MBQM)
 * QUANTIZE float→int      rint(x · (1/s)) + zp               [XNNPACK]   round(x / s) + zp, ties away
 * QUANTIZE float→int16    round((double) x / (double) s), ties away, double quotient  [built-in on both]
 * QUANTIZE int8→int8 ...  XNNPACK vcvt (M = rint(256·r))     [XNNPACK]   TFLite Requantize (MBQM)
 *   (mixed 8-bit types and anything with int16: TFLite Requantize on both; XNNPACK does not take them)
 * DEQUANTIZE              float(s·(x − zp)), float16 widening — one rounding, the same on both
 * RESHAPE, PAD, TRANSPOSE,
 * CONCATENATION           copies (PAD fills the zero point); uint8 CONCATENATION requantizes with float math;
 *                         int16 CONCATENATION copies stored values as TFLite does, whatever the parameters
 * hybrid FC/CONV/DW       TFLite hybrid kernels on both paths: rows quantized asymmetrically, or for FC symmetrically
 *                         on the built-in path when the file says asymmetric_quantize_inputs = false
 * </pre>
 *
 * Everything above is bit-exact on the oracle for the path it names, with these exceptions, all measured:
 * <ul>
 *   <li>MEAN on the XNNPACK path when input and output share their parameters: about 0.06% of outputs differ by
 *       one (exact ties of the mean); see {@link MeanInt}.</li>
 *   <li>hybrid FULLY_CONNECTED and CONV_2D on the XNNPACK path: XNNPACK's own dynamic quantization is not
 *       reproduced; results differ from it by float rounding (a few ulps).</li>
 *   <li>XNNPACK's SAME-padding quirk (no input read when the TensorFlow padding total is negative) is reproduced;
 *       see {@link XnnpackQuirks}.</li>
 * </ul>
 *
 * <p>Kernels prepare everything when made (multipliers, shifts, packed weights, lookup tables); {@code run} only
 * computes. Integer results do not depend on the thread count.
 */
public final class QuantizedKernels {
    private QuantizedKernels() {}

    /**
     * Requantization rounding of the built-in path per op family (package-private: for experiments and tests).
     * Measured on TFLite 2.21 x86-64: int8 CONV_2D and FULLY_CONNECTED round ties of the final shift upwards,
     * int8 DEPTHWISE_CONV_2D and every uint8 layer use gemmlowp's double rounding.
     */
    record BuiltinRounding(
            Requantizer.Rounding int8Conv,
            Requantizer.Rounding int8Depthwise,
            Requantizer.Rounding int8FullyConnected,
            Requantizer.Rounding uint8,
            boolean symmetricHybridInputs) {
        static final BuiltinRounding DEFAULT = new BuiltinRounding(
                Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD,
                Requantizer.Rounding.DOUBLE_ROUNDING,
                Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD,
                Requantizer.Rounding.DOUBLE_ROUNDING,
                false);

        /** This tuning with hybrid FULLY_CONNECTED inputs quantized symmetrically (asymmetric_quantize_inputs off). */
        BuiltinRounding withSymmetricHybridInputs() {
            return new BuiltinRounding(int8Conv, int8Depthwise, int8FullyConnected, uint8, true);
        }

        Requantizer.Rounding forOp(dev.quanta.ir.OpType type, DType inType) {
            if (inType == DType.UINT8) {
                return uint8;
            }
            return switch (type) {
                case CONV_2D -> int8Conv;
                case DEPTHWISE_CONV_2D -> int8Depthwise;
                default -> int8FullyConnected;
            };
        }
    }

    /**
     * The kernel of {@code op} reproducing {@link QuantizedPath#XNNPACK}, TFLite's default path.
     *
     * @throws UnsupportedOperationException naming the op when no kernel handles its types
     */
    public static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return create(op, buffer, shape, QuantizedPath.XNNPACK);
    }

    /**
     * The kernel of {@code op} reproducing the arithmetic of {@code path}.
     *
     * @throws UnsupportedOperationException naming the op when no kernel handles its types
     */
    public static Kernel create(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return create(op, buffer, shape, path, BuiltinRounding.DEFAULT);
    }

    /** Multiply-adds per run below which an 8-bit CONV_2D or FULLY_CONNECTED stays on the scalar kernel. */
    static final long SIMD_GEMM_MIN_MACS = 8192;

    /**
     * True when an 8-bit GEMM of {@code macs} multiply-adds takes the SIMD kernel: below {@link #SIMD_GEMM_MIN_MACS}
     * (a classifier head, say) the scalar loop takes about a microsecond, and the vector kernel's fixed costs and its
     * JIT warm-up (Vector API code allocates until C2 compiles it) outweigh the gain.
     */
    static boolean useSimdGemm(long macs) {
        return macs >= SIMD_GEMM_MIN_MACS;
    }

    static Kernel create(
            Op op,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            QuantizedPath path,
            BuiltinRounding rounding) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        Object x = buffer.apply(in);
        int[] xs = shape.apply(in);
        Object y = buffer.apply(out);
        int[] ys = shape.apply(out);
        boolean xnnpack = path == QuantizedPath.XNNPACK;
        if (isHybrid(op)) {
            // XNNPACK quantizes hybrid inputs asymmetrically (qd8) whatever the option says
            boolean asymmetric = xnnpack
                    || op.type() != dev.quanta.ir.OpType.FULLY_CONNECTED
                    || op.attrs(OpAttributes.FullyConnected.class).asymmetricQuantizeInputs();
            return hybrid(op, buffer, shape, x, xs, y, asymmetric && !rounding.symmetricHybridInputs(), xnnpack);
        }
        switch (op.type()) {
            case CONV_2D -> {
                requireQuantizedActivations(op);
                OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
                int[] ws = shape.apply(op.input(1));
                WeightedOpParams p = new WeightedOpParams(
                        op, buffer, 0, ws[0], a.activation(), path, rounding.forOp(op.type(), in.dtype()));
                if (Simd.enabled() && !p.wide && useSimdGemm((long) Buffers.length(y) * ws[1] * ws[2] * ws[3])) {
                    return SimdConv2DInt.create(x, xs, p, ws, y, ys, a);
                }
                return new Conv2DInt(x, xs, p, ws, y, ys, a);
            }
            case DEPTHWISE_CONV_2D -> {
                requireQuantizedActivations(op);
                OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
                int[] ws = shape.apply(op.input(1));
                WeightedOpParams p = new WeightedOpParams(
                        op, buffer, 3, ws[3], a.activation(), path, rounding.forOp(op.type(), in.dtype()));
                return Simd.enabled()
                        ? SimdDepthwiseConv2DInt.create(x, xs, p, ws, y, ys, a)
                        : new DepthwiseConv2DInt(x, xs, p, ws, y, ys, a);
            }
            case FULLY_CONNECTED -> {
                requireQuantizedActivations(op);
                Activation act = op.attrs(OpAttributes.FullyConnected.class).activation();
                int[] ws = shape.apply(op.input(1));
                WeightedOpParams p =
                        new WeightedOpParams(op, buffer, 0, ws[0], act, path, rounding.forOp(op.type(), in.dtype()));
                int rows = Buffers.length(x) / ws[1];
                if (Simd.enabled() && !p.wide && useSimdGemm((long) rows * ws[1] * ws[0])) {
                    return SimdFullyConnectedInt.create(x, p, y, rows, ws[1], ws[0]);
                }
                return new FullyConnectedInt(x, p, y, rows, ws[1], ws[0]);
            }
            case ADD -> {
                requireSameType(op);
                Tensor b = op.input(1);
                AddInt.Operand ao = operand(op, in, x, xs);
                AddInt.Operand bo = operand(op, b, buffer.apply(b), shape.apply(b));
                AddInt.Operand yo = operand(op, out, y, ys);
                Activation act = op.attrs(OpAttributes.Add.class).activation();
                return Simd.enabled()
                        ? SimdAddInt.create(ao, bo, yo, out.dtype(), act, xnnpack)
                        : new AddInt(ao, bo, yo, out.dtype(), act, xnnpack);
            }
            case MAX_POOL_2D, AVERAGE_POOL_2D -> {
                requireSameType(op);
                requireSameParams(op, in, out);
                OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
                boolean max = op.type() == dev.quanta.ir.OpType.MAX_POOL_2D;
                int[] range = Quant.activationRange(
                        a.activation(), out.dtype(), Quant.scale(op, out), Quant.zeroPoint(op, out), xnnpack && max);
                return Simd.enabled()
                        ? SimdPool2DInt.create(max, x, xs, y, ys, out.dtype(), a, range[0], range[1])
                        : new Pool2DInt(max, x, xs, y, ys, out.dtype(), a, range[0], range[1]);
            }
            case SOFTMAX -> {
                if (in.dtype() == DType.INT16) {
                    if (out.dtype() != DType.INT16
                            || Quant.zeroPoint(op, in) != 0
                            || Quant.zeroPoint(op, out) != 0
                            || Math.abs(Quant.scale(op, out) - 1f / 32768) > 0.001f / 32768) {
                        throw Quant.unsupported(
                                op, "int16 softmax needs zero points 0 and an int16 output of scale 1/32768");
                    }
                    return new SoftmaxInt16(
                            (short[]) x,
                            Quant.scale(op, in),
                            op.attrs(OpAttributes.Softmax.class).beta(),
                            (short[]) y,
                            xs[xs.length - 1]);
                }
                if (in.dtype() != DType.INT8 && in.dtype() != DType.UINT8) {
                    throw Quant.unsupported(op, "softmax takes int8, uint8 or int16 input");
                }
                if (!Quant.isQuantizedType(out.dtype())) {
                    throw Quant.unsupported(op, "softmax output must be int8, uint8 or int16");
                }
                float beta = op.attrs(OpAttributes.Softmax.class).beta();
                return new SoftmaxInt(
                        x,
                        in.dtype(),
                        Quant.scale(op, in),
                        beta,
                        y,
                        out.dtype(),
                        Quant.scale(op, out),
                        Quant.zeroPoint(op, out),
                        xs[xs.length - 1]);
            }
            case RESHAPE, IDENTITY -> {
                requireSameType(op);
                requireSameParams(op, in, out);
                return new CopyInt(x, y);
            }
            case MEAN -> {
                requireSameType(op);
                OpAttributes.Mean a = op.attrs(OpAttributes.Mean.class);
                return new MeanInt(
                        x,
                        xs,
                        y,
                        out.dtype(),
                        a.axes(),
                        a.keepDims(),
                        Quant.scale(op, in),
                        Quant.zeroPoint(op, in),
                        Quant.scale(op, out),
                        Quant.zeroPoint(op, out),
                        xnnpack);
            }
            case CONCATENATION -> {
                requireSameType(op);
                OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
                int n = op.inputs().size();
                Object[] ins = new Object[n];
                int[][] shapes = new int[n][];
                float[] scales = new float[n];
                int[] zps = new int[n];
                for (int i = 0; i < n; i++) {
                    ins[i] = buffer.apply(op.input(i));
                    shapes[i] = shape.apply(op.input(i));
                    scales[i] = Quant.scale(op, op.input(i));
                    zps[i] = Quant.zeroPoint(op, op.input(i));
                }
                int axis = a.axis() < 0 ? a.axis() + xs.length : a.axis();
                float sy = Quant.scale(op, out);
                int zy = Quant.zeroPoint(op, out);
                int[] range = Quant.activationRange(a.activation(), out.dtype(), sy, zy, false);
                return new ConcatenationInt(ins, shapes, scales, zps, axis, y, out.dtype(), sy, zy, range[0], range[1]);
            }
            case PAD -> {
                requireSameType(op);
                requireSameParams(op, in, out);
                return new PadInt(
                        x,
                        xs,
                        y,
                        ys,
                        op.attrs(OpAttributes.Pad.class).paddings(),
                        out.dtype(),
                        Quant.zeroPoint(op, out));
            }
            case TRANSPOSE -> {
                requireSameType(op);
                requireSameParams(op, in, out);
                return new TransposeInt(
                        x, xs, y, op.attrs(OpAttributes.Transpose.class).perm());
            }
            case UNIDIRECTIONAL_SEQUENCE_LSTM -> {
                return LstmInt.create(op, buffer, shape); // TFLite's 8x8→16 LSTM, built-in on both paths
            }
            case RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH -> {
                requireSameType(op);
                DType t = out.dtype();
                float sx = Quant.scale(op, in);
                int zx = Quant.zeroPoint(op, in);
                float sy = Quant.scale(op, out);
                int zy = Quant.zeroPoint(op, out);
                java.util.function.IntUnaryOperator f = switch (op.type()) {
                    case RELU -> ElementwiseFormulas.reluX(t, sx, zx, sy, zy, false);
                    case RELU6 -> ElementwiseFormulas.reluX(t, sx, zx, sy, zy, true);
                    case LEAKY_RELU ->
                        xnnpack && t != DType.INT16
                                ? ElementwiseFormulas.leakyReluXnnpack(
                                        t,
                                        sx,
                                        zx,
                                        sy,
                                        zy,
                                        op.attrs(OpAttributes.LeakyRelu.class).alpha())
                                : ElementwiseFormulas.leakyRelu(
                                        t,
                                        sx,
                                        zx,
                                        sy,
                                        zy,
                                        op.attrs(OpAttributes.LeakyRelu.class).alpha());
                    case LOGISTIC -> {
                        if (t == DType.INT16) {
                            if (zx != 0 || zy != 0 || sy != 1f / 32768) {
                                throw Quant.unsupported(op, "int16 LOGISTIC needs zero points 0, output scale 1/32768");
                            }
                            yield ElementwiseFormulas.logisticInt16(sx);
                        }
                        yield ElementwiseFormulas.logistic(t, sx, zx, sy, zy);
                    }
                    default -> {
                        if (t == DType.INT16) {
                            if (zx != 0 || zy != 0 || sy != 1f / 32768) {
                                throw Quant.unsupported(op, "int16 TANH needs zero points 0, output scale 1/32768");
                            }
                            yield ElementwiseFormulas.tanhInt16(sx);
                        }
                        yield ElementwiseFormulas.tanh(t, sx, zx, sy, zy);
                    }
                };
                return new LookupTableInt(x, in.dtype(), y, t, f);
            }
            case QUANTIZE -> {
                DType to = out.dtype();
                if (!Quant.isQuantizedType(to)) {
                    throw Quant.unsupported(op, "QUANTIZE produces int8, uint8 or int16");
                }
                float sy = Quant.scale(op, out);
                int zy = Quant.zeroPoint(op, out);
                if (in.dtype() == DType.FLOAT32) {
                    return new QuantizeFloat((float[]) x, y, to, sy, zy, xnnpack);
                }
                if (!Quant.isQuantizedType(in.dtype())) {
                    throw Quant.unsupported(op, "QUANTIZE takes float32, int8, uint8 or int16 input");
                }
                float sx = Quant.scale(op, in);
                int zx = Quant.zeroPoint(op, in);
                // XNNPACK takes only same-type requantization (int8 -> int8, uint8 -> uint8)
                boolean delegated = in.dtype() == to && to != DType.INT16;
                java.util.function.IntUnaryOperator f = xnnpack && delegated
                        ? ElementwiseFormulas.requantizeXnnpack(to, sx, zx, sy, zy)
                        : ElementwiseFormulas.requantize(to, sx, zx, sy, zy);
                return new LookupTableInt(x, in.dtype(), y, to, f);
            }
            case DEQUANTIZE -> {
                if (out.dtype() != DType.FLOAT32) {
                    throw Quant.unsupported(op, "DEQUANTIZE produces float32");
                }
                if (in.dtype() == DType.FLOAT16) {
                    return new DequantizeFloat16((short[]) x, (float[]) y);
                }
                if (!Quant.isQuantizedType(in.dtype())) {
                    throw Quant.unsupported(op, "DEQUANTIZE takes int8, uint8, int16 or float16 input");
                }
                return new LookupTableInt(
                        x,
                        in.dtype(),
                        (float[]) y,
                        ElementwiseFormulas.dequantize(Quant.scale(op, in), Quant.zeroPoint(op, in)));
            }
            default -> throw Quant.unsupported(op, "this op has no integer kernel");
        }
    }

    /** {@code t} as an ADD operand: its array, shape and the op's view of its quantization. */
    private static AddInt.Operand operand(Op op, Tensor t, Object data, int[] dims) {
        return new AddInt.Operand(data, dims, Quant.scale(op, t), Quant.zeroPoint(op, t));
    }

    private static boolean isHybrid(Op op) {
        return switch (op.type()) {
            case FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D ->
                op.input(0).dtype() == DType.FLOAT32
                        && op.output(0).dtype() == DType.FLOAT32
                        && op.inputs().size() > 1
                        && op.input(1).dtype() == DType.INT8;
            default -> false;
        };
    }

    /** FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D with float32 input and output and int8 weights. */
    private static Kernel hybrid(
            Op op,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            Object x,
            int[] xs,
            Object y,
            boolean asymmetric,
            boolean xnnpack) {
        Tensor w = op.input(1);
        if (!w.isConstant() || w.quant() == null) {
            throw Quant.unsupported(op, "hybrid weights must be constant and quantized");
        }
        Tensor b = op.inputs().size() > 2 ? op.input(2) : null;
        if (b != null && (b.dtype() != DType.FLOAT32 || !b.isConstant())) {
            throw Quant.unsupported(op, "a hybrid op's bias must be a float32 constant");
        }
        for (long zp : w.quant().zeroPoints()) {
            if (zp != 0) {
                throw Quant.unsupported(op, "hybrid weights must be symmetric (zero point 0), found " + zp);
            }
        }
        int[] ws = shape.apply(w);
        byte[] weights = (byte[]) buffer.apply(w);
        float[] scales = w.quant().scales();
        float[] bias = b == null ? null : (float[]) buffer.apply(b);
        int channelAxis = op.type() == dev.quanta.ir.OpType.DEPTHWISE_CONV_2D ? 3 : 0;
        if (!w.quant().isPerTensor() && (w.quant().axis() != channelAxis || scales.length != ws[channelAxis])) {
            throw Quant.unsupported(op, "per-channel weights must be quantized along axis " + channelAxis);
        }
        HybridInt.Tensors t = new HybridInt.Tensors((float[]) x, xs, weights, ws, scales, bias, (float[]) y);
        return switch (op.type()) {
            case FULLY_CONNECTED ->
                HybridInt.fullyConnected(
                        t, op.attrs(OpAttributes.FullyConnected.class).activation(), asymmetric);
            case CONV_2D -> HybridInt.conv(t, op.attrs(OpAttributes.Conv2D.class), xnnpack);
            default -> HybridInt.depthwise(t, op.attrs(OpAttributes.DepthwiseConv2D.class));
        };
    }

    private static void requireQuantizedActivations(Op op) {
        if (!Quant.isQuantizedType(op.input(0).dtype())
                || !Quant.isQuantizedType(op.output(0).dtype())) {
            throw Quant.unsupported(op, "input and output must be int8, uint8 or int16");
        }
    }

    private static void requireSameType(Op op) {
        DType t = op.output(0).dtype();
        if (!Quant.isQuantizedType(t)) {
            throw Quant.unsupported(op, "the output must be int8, uint8 or int16");
        }
        for (Tensor i : op.inputs()) {
            if (i.dtype() != t) {
                throw Quant.unsupported(op, "every input must have the output's type " + t);
            }
        }
    }

    private static void requireSameParams(Op op, Tensor a, Tensor b) {
        if (Quant.scale(op, a) != Quant.scale(op, b) || Quant.zeroPoint(op, a) != Quant.zeroPoint(op, b)) {
            throw Quant.unsupported(
                    op,
                    "input and output must share their quantization parameters, found " + a.quant() + " and "
                            + b.quant());
        }
    }
}
