package dev.quanta.kernels.elementwise;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;

/**
 * The elementwise and activation family: ADD, the activations RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX,
 * BATCH_NORM (float only: Keras' layer before it is folded), QUANTIZE, DEQUANTIZE, CAST, and MUL, DIV, MINIMUM,
 * MAXIMUM on tensors that are not quantized.
 *
 * <p>Integer arithmetic per TFLite 2.21 path: 8-bit ADD is XNNPACK's vadd (2^shift multipliers) on the XNNPACK path
 * and TFLite's Add (left shift 20, double rounding) on the built-in one; int16 ADD is TFLite's Add (left shift 15) on
 * both. 8-bit LOGISTIC and TANH are float lookup tables (expf, tanhf), the same table on both paths; int16 LOGISTIC
 * and TANH use gemmlowp Q3.12 fixed point for a power-of-two input scale, else TFLite's interpolated 256-entry
 * sigmoid table ({@link Int16Activations}). SOFTMAX 8-bit is a float lookup-table softmax; int16 SOFTMAX uses the exp
 * and 1/(1 + x) 513-entry tables with 7-bit interpolation; both built-in on both paths. RELU and RELU6 requantize
 * as TFLite's ReluX. 8-bit LEAKY_RELU is XNNPACK's vlrelu (M = rint(256·r)) or TFLite's QuantizeLeakyRelu (MBQM).
 * QUANTIZE from float32 is rint(x · (1/s)) + zp on XNNPACK and round(x / s) + zp with ties away on the built-in
 * path (int16 output: the double quotient, ties away, on both); a same-type 8-bit requantization is XNNPACK's vcvt
 * or TFLite's Requantize (mixed types and int16: Requantize on both). DEQUANTIZE is float(s·(x − zp)), and float16
 * widening, the same on both paths.
 */
public final class ElementwiseKernels implements KernelProvider {
    /** Ops this family runs whatever their tensor types. */
    private static final Set<OpType> OPS = EnumSet.of(
            OpType.ADD,
            OpType.CAST,
            OpType.RELU,
            OpType.RELU6,
            OpType.LEAKY_RELU,
            OpType.LOGISTIC,
            OpType.TANH,
            OpType.SOFTMAX,
            OpType.BATCH_NORM,
            OpType.QUANTIZE,
            OpType.DEQUANTIZE);

    /** Ops this family runs on plain tensors only (a quantized form belongs to another family). */
    private static final Set<OpType> PLAIN_OPS = EnumSet.of(OpType.MUL, OpType.DIV, OpType.MINIMUM, OpType.MAXIMUM);

    private static final DType[] QUANTIZED = {DType.INT8, DType.UINT8, DType.INT16};
    /**
     * The plain integer types of the rows: those TFLite's kernels register. The kernels also run uint32 and uint64
     * (tflite-micro's audio preprocessor), which TFLite has no ADD, MUL, MINIMUM or MAXIMUM for.
     */
    private static final DType[] PLAIN_INTEGERS = {DType.INT32, DType.INT64};

    @Override
    public boolean handles(Op op) {
        return OPS.contains(op.type()) || PLAIN_OPS.contains(op.type()) && PlainArithmetic.isPlain(op);
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        OpType type = op.type();
        if (type == OpType.CAST
                || PLAIN_OPS.contains(type)
                || type == OpType.ADD
                        && PlainArithmetic.isPlainInteger(op.output(0).dtype())) {
            return PlainArithmetic.create(op, buffer, shape);
        }
        if (Kernels.isFloat(op)) {
            return createFloat(op, t -> (float[]) buffer.apply(t), shape);
        }
        return createQuantized(op, buffer, shape, path == QuantizedPath.XNNPACK);
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        rows.add(KernelSupport.bothPaths(OpType.ADD, DType.FLOAT32, "float32"));
        rows.add(KernelSupport.bothPaths(
                OpType.ADD, DType.INT8, "XNNPACK: vadd, 2^shift multipliers; built-in: TFLite Add, left shift 20"));
        rows.add(KernelSupport.bothPaths(
                OpType.ADD, DType.UINT8, "XNNPACK: vadd, 2^shift multipliers; built-in: TFLite Add, left shift 20"));
        rows.add(KernelSupport.bothPaths(OpType.ADD, DType.INT16, "built-in on both: TFLite Add, left shift 15"));
        for (DType t : PLAIN_INTEGERS) {
            rows.add(KernelSupport.bothPaths(OpType.ADD, t, "integer, wrap-around"));
        }
        for (OpType op : PLAIN_OPS) {
            rows.add(KernelSupport.bothPaths(op, DType.FLOAT32, "float32"));
            if (op == OpType.DIV) {
                rows.add(KernelSupport.bothPaths(op, DType.INT32, "integer, truncating toward zero"));
                continue; // TFLite's DIV takes no int64
            }
            for (DType t : PLAIN_INTEGERS) {
                rows.add(KernelSupport.bothPaths(op, t, "integer, wrap-around"));
            }
        }
        for (DType t :
                new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16, DType.INT32, DType.UINT32, DType.INT64
                }) {
            rows.add(KernelSupport.bothPaths(OpType.CAST, t, "stored values converted"));
        }
        rows.add(KernelSupport.bothPaths(OpType.RELU, DType.FLOAT32, "float32"));
        rows.add(KernelSupport.bothPaths(OpType.RELU6, DType.FLOAT32, "float32"));
        for (DType t : QUANTIZED) {
            rows.add(KernelSupport.bothPaths(OpType.RELU, t, "TFLite ReluX (requantizing)"));
        }
        // TFLite 2.21's Relu6 kernel takes float32, int8 and uint8 only (Quanta's would run int16 too)
        rows.add(KernelSupport.bothPaths(OpType.RELU6, DType.INT8, "TFLite ReluX (requantizing)"));
        rows.add(KernelSupport.bothPaths(OpType.RELU6, DType.UINT8, "TFLite ReluX (requantizing)"));
        rows.add(KernelSupport.bothPaths(OpType.LEAKY_RELU, DType.FLOAT32, "float32"));
        String leaky8 = "XNNPACK: vlrelu, M = rint(256·r); built-in: QuantizeLeakyRelu (MBQM)";
        rows.add(KernelSupport.bothPaths(OpType.LEAKY_RELU, DType.INT8, leaky8));
        rows.add(KernelSupport.bothPaths(OpType.LEAKY_RELU, DType.UINT8, leaky8));
        rows.add(KernelSupport.bothPaths(OpType.LEAKY_RELU, DType.INT16, "built-in on both: QuantizeLeakyRelu"));
        for (OpType op : new OpType[] {OpType.LOGISTIC, OpType.TANH}) {
            rows.add(KernelSupport.bothPaths(op, DType.FLOAT32, "float32"));
            rows.add(KernelSupport.bothPaths(op, DType.INT8, "float lookup table (expf, tanhf)"));
            rows.add(KernelSupport.bothPaths(op, DType.UINT8, "float lookup table (expf, tanhf)"));
            rows.add(KernelSupport.bothPaths(
                    op, DType.INT16, "built-in on both: Q3.12 fixed point or the interpolated sigmoid table"));
        }
        rows.add(KernelSupport.bothPaths(OpType.SOFTMAX, DType.FLOAT32, "float32"));
        rows.add(KernelSupport.bothPaths(OpType.SOFTMAX, DType.INT8, "built-in on both: float lookup-table softmax"));
        rows.add(KernelSupport.bothPaths(OpType.SOFTMAX, DType.UINT8, "built-in on both: float lookup-table softmax"));
        rows.add(KernelSupport.bothPaths(
                OpType.SOFTMAX, DType.INT16, "built-in on both: exp and 1/(1+x) tables, 7-bit interpolation"));
        rows.add(KernelSupport.bothPaths(OpType.BATCH_NORM, DType.FLOAT32, "float32 (Keras layer, folded on export)"));
        rows.add(KernelSupport.bothPaths(
                OpType.QUANTIZE,
                DType.FLOAT32,
                "XNNPACK: rint(x·(1/s)) + zp; built-in: round(x/s) + zp, ties away; int16: double quotient on both"));
        for (DType t : QUANTIZED) {
            rows.add(KernelSupport.bothPaths(
                    OpType.QUANTIZE,
                    t,
                    t == DType.INT16
                            ? "built-in on both: TFLite Requantize"
                            : "same type: XNNPACK vcvt or TFLite Requantize; mixed types: Requantize on both"));
            rows.add(KernelSupport.bothPaths(OpType.DEQUANTIZE, t, "float(s·(x − zp))"));
        }
        rows.add(KernelSupport.bothPaths(OpType.DEQUANTIZE, DType.FLOAT16, "float16 widening"));
        return rows;
    }

    private static Kernel createFloat(Op op, Function<Tensor, float[]> buffer, Function<Tensor, int[]> shape) {
        Tensor in = op.input(0);
        float[] x = buffer.apply(in);
        int[] xs = shape.apply(in);
        Tensor out = op.output(0);
        float[] y = buffer.apply(out);
        int[] ys = shape.apply(out);
        return switch (op.type()) {
            case BATCH_NORM -> batchNorm(op, x, xs, y, buffer);
            case RELU, RELU6, LOGISTIC, TANH -> new ActivationFloat(op.type(), 0f, x, y);
            case LEAKY_RELU ->
                new ActivationFloat(
                        op.type(), op.attrs(OpAttributes.LeakyRelu.class).alpha(), x, y);
            case SOFTMAX ->
                new SoftmaxFloat(
                        x,
                        y,
                        xs[xs.length - 1],
                        op.attrs(OpAttributes.Softmax.class).beta());
            case ADD -> {
                Activation act = op.attrs(OpAttributes.Add.class).activation();
                float[] b = buffer.apply(op.input(1));
                int[] bs = shape.apply(op.input(1));
                // the scalar loop is what C2 vectorises itself; a Vector API form measured 0.6x as fast (h7's
                // KernelThroughput, 32x32x16)
                yield new AddFloat(x, xs, b, bs, y, ys, act.min(), act.max());
            }
            default ->
                throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " has no float32 kernel");
        };
    }

    private static Kernel batchNorm(Op op, float[] x, int[] xs, float[] y, Function<Tensor, float[]> buffer) {
        OpAttributes.BatchNorm a = op.attrs(OpAttributes.BatchNorm.class);
        int k = 1;
        float[] gamma = a.hasGamma() ? buffer.apply(op.input(k++)) : null;
        float[] beta = a.hasBeta() ? buffer.apply(op.input(k++)) : null;
        float[] mean = buffer.apply(op.input(k++));
        float[] var = buffer.apply(op.input(k));
        int axis = a.axis() < 0 ? a.axis() + xs.length : a.axis();
        int inner = 1;
        for (int i = axis + 1; i < xs.length; i++) {
            inner *= xs[i];
        }
        return new BatchNormFloat(x, y, gamma, beta, mean, var, a.epsilon(), xs[axis], inner);
    }

    private static Kernel createQuantized(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, boolean xnnpack) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        Object x = buffer.apply(in);
        int[] xs = shape.apply(in);
        Object y = buffer.apply(out);
        int[] ys = shape.apply(out);
        switch (op.type()) {
            case ADD -> {
                Quant.requireSameType(op);
                Tensor b = op.input(1);
                AddInt.Operand ao = operand(op, in, x, xs);
                AddInt.Operand bo = operand(op, b, buffer.apply(b), shape.apply(b));
                AddInt.Operand yo = operand(op, out, y, ys);
                Activation act = op.attrs(OpAttributes.Add.class).activation();
                return Simd.enabled()
                        ? SimdAddInt.create(ao, bo, yo, out.dtype(), act, xnnpack)
                        : new AddInt(ao, bo, yo, out.dtype(), act, xnnpack);
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
            case RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH -> {
                Quant.requireSameType(op);
                DType t = out.dtype();
                float sx = Quant.scale(op, in);
                int zx = Quant.zeroPoint(op, in);
                float sy = Quant.scale(op, out);
                int zy = Quant.zeroPoint(op, out);
                IntUnaryOperator f = switch (op.type()) {
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
                IntUnaryOperator f = xnnpack && delegated
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
}
