package dev.quanta.kernels.elementwise;

import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT16;
import static dev.quanta.ir.DType.INT8;
import static dev.quanta.ir.DType.UINT8;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;

/**
 * Kernels of the activation ops of issue 11 (HARD_SWISH, PRELU, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1,
 * LOG_SOFTMAX) in every type TFLite 2.21 registers for them, and of quantized MINIMUM and MAXIMUM (float and
 * int32 MINIMUM/MAXIMUM stay with {@code TensorOps}). The arithmetic is in {@link ActivationFormulas}; the table
 * below is {@link #supported()}.
 *
 * <pre>
 * op            float32   int8                     uint8                    int16
 * HARD_SWISH    yes       int16 fixed point        int16 fixed point        refused (TFLite has none)
 * PRELU         yes       two multipliers (MBQM)   two multipliers (MBQM)   the same, int8 slopes
 * ELU           yes       float table (XNNPACK:    refused                  refused
 *                         zero point added before rounding)
 * GELU          yes       float table              float table              interpolated int16 table
 * RELU_N1_TO_1  yes       ReluX (MBQM, clamp)      ReluX                    refused
 * RELU_0_TO_1   yes       ReluX                    ReluX                    refused
 * LOG_SOFTMAX   yes       float exp table, rint    float exp table, rint    refused
 * MIN/MAXIMUM   TensorOps stored values            stored values            stored values
 * </pre>
 */
public final class ActivationOpsKernels implements KernelProvider {
    private static final Set<OpType> ACTIVATIONS = EnumSet.of(
            OpType.HARD_SWISH,
            OpType.PRELU,
            OpType.ELU,
            OpType.GELU,
            OpType.RELU_N1_TO_1,
            OpType.RELU_0_TO_1,
            OpType.LOG_SOFTMAX);

    @Override
    public boolean handles(Op op) {
        if (ACTIVATIONS.contains(op.type())) {
            return true;
        }
        if (op.type() == OpType.MINIMUM || op.type() == OpType.MAXIMUM) {
            DType t = op.input(0).dtype();
            return (t == INT8 || t == UINT8 || t == INT16) && op.input(0).quant() != null;
        }
        return false;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        DType t = in.dtype();
        if (!supports(op.type(), t)) {
            throw new UnsupportedOperationException(
                    op.describe() + ": " + op.type() + " has no " + t + " kernel (TFLite 2.21 has none either)");
        }
        for (int i = 0; i < op.inputs().size(); i++) {
            // int16 PRELU takes int8 slopes (the 16x8 scheme), as TFLite reads them
            boolean int8Slopes = op.type() == OpType.PRELU && t == INT16 && i == 1;
            requireType(op, op.input(i), int8Slopes ? INT8 : t);
        }
        requireType(op, out, t);
        Object x = buffer.apply(in);
        Object y = buffer.apply(out);
        if (op.type() == OpType.MINIMUM || op.type() == OpType.MAXIMUM) {
            Tensor b = op.input(1);
            return new MinMaxInt(
                    t,
                    op.type() == OpType.MAXIMUM,
                    x,
                    shape.apply(in),
                    buffer.apply(b),
                    shape.apply(b),
                    y,
                    shape.apply(out));
        }
        if (op.type() == OpType.PRELU) {
            Tensor a = op.input(1);
            if (t == FLOAT32) {
                return PreluKernel.ofFloat(
                        (float[]) x,
                        shape.apply(in),
                        (float[]) buffer.apply(a),
                        shape.apply(a),
                        (float[]) y,
                        shape.apply(out));
            }
            if (t == INT16) {
                return PreluKernel.ofShorts(
                        (short[]) x,
                        shape.apply(in),
                        Quant.scale(op, in),
                        Quant.zeroPoint(op, in),
                        (byte[]) buffer.apply(a),
                        shape.apply(a),
                        Quant.scale(op, a),
                        Quant.zeroPoint(op, a),
                        (short[]) y,
                        shape.apply(out),
                        Quant.scale(op, out),
                        Quant.zeroPoint(op, out));
            }
            return PreluKernel.ofBytes(
                    t == INT8,
                    (byte[]) x,
                    shape.apply(in),
                    Quant.scale(op, in),
                    Quant.zeroPoint(op, in),
                    (byte[]) buffer.apply(a),
                    shape.apply(a),
                    Quant.scale(op, a),
                    Quant.zeroPoint(op, a),
                    (byte[]) y,
                    shape.apply(out),
                    Quant.scale(op, out),
                    Quant.zeroPoint(op, out));
        }
        if (t == FLOAT32) {
            if (op.type() == OpType.LOG_SOFTMAX) {
                int[] xs = shape.apply(in);
                return SoftmaxFloat.logSoftmax((float[]) x, (float[]) y, xs.length == 0 ? 1 : xs[xs.length - 1]);
            }
            ActivationFormulas.FloatFunction f = op.type() == OpType.HARD_SWISH && path == QuantizedPath.XNNPACK
                    ? ActivationFormulas::hardSwishXnnpack
                    : floatFunction(op);
            return new FloatUnaryKernel((float[]) x, (float[]) y, f);
        }
        float sx = Quant.scale(op, in);
        int zx = Quant.zeroPoint(op, in);
        float sy = Quant.scale(op, out);
        int zy = Quant.zeroPoint(op, out);
        if (op.type() == OpType.LOG_SOFTMAX) {
            int wantZero = t == INT8 ? 127 : 255;
            if (sy != 16f / 256 || zy != wantZero) {
                throw new UnsupportedOperationException(op.describe() + ": " + t
                        + " LOG_SOFTMAX needs output scale 16/256 and zero point " + wantZero
                        + " (TFLite requires them), it has " + sy + ", " + zy);
            }
            int[] xs = shape.apply(in);
            return new LogSoftmaxInt(
                    t == INT8, (byte[]) x, sx, (byte[]) y, sy, zy, xs.length == 0 ? 1 : xs[xs.length - 1]);
        }
        boolean xnnpack = path == QuantizedPath.XNNPACK;
        IntUnaryOperator f = switch (op.type()) {
            case HARD_SWISH -> {
                try {
                    yield ActivationFormulas.hardSwish(t, sx, zx, sy, zy);
                } catch (UnsupportedOperationException e) {
                    throw new UnsupportedOperationException(op.describe() + ": " + e.getMessage(), e);
                }
            }
            case RELU_N1_TO_1 -> ActivationFormulas.reluRange(t, sx, zx, sy, zy, -1f, 1f);
            case RELU_0_TO_1 -> ActivationFormulas.reluRange(t, sx, zx, sy, zy, 0f, 1f);
            // XNNPACK takes int8 ELU and adds the zero point before rounding; GELU has TFLite's table on both paths
            case ELU ->
                ActivationFormulas.table(
                        t,
                        sx,
                        zx,
                        sy,
                        zy,
                        floatFunction(op),
                        xnnpack ? ActivationFormulas.TableRounding.XNNPACK : ActivationFormulas.TableRounding.TFLITE);
            case GELU -> {
                if (t == INT16) {
                    short[] lut = Int16Table.populate(sx, zx, sy, zy, floatFunction(op));
                    yield v -> Int16Table.lookup(v, lut);
                }
                yield ActivationFormulas.table(
                        t, sx, zx, sy, zy, floatFunction(op), ActivationFormulas.TableRounding.TFLITE);
            }
            default -> throw new IllegalStateException(op.type().name());
        };
        return new LookupTableInt(x, t, y, t, f);
    }

    /** The float function of an element-wise activation. */
    private static ActivationFormulas.FloatFunction floatFunction(Op op) {
        return switch (op.type()) {
            case HARD_SWISH -> ActivationFormulas::hardSwish;
            case ELU -> ActivationFormulas::elu;
            case GELU ->
                op.attrs(OpAttributes.Gelu.class).approximate()
                        ? ActivationFormulas::geluApproximate
                        : ActivationFormulas::gelu;
            case RELU_N1_TO_1 -> v -> Math.min(1f, Math.max(-1f, v));
            case RELU_0_TO_1 -> v -> Math.min(1f, Math.max(0f, v));
            default -> throw new IllegalStateException(op.type().name());
        };
    }

    /** True when a row of {@link #supported()} has {@code type} with activations of {@code t}. */
    private boolean supports(OpType type, DType t) {
        for (KernelSupport s : supported()) {
            if (s.op() == type && s.type() == t) {
                return true;
            }
        }
        return false;
    }

    private static void requireType(Op op, Tensor u, DType t) {
        if (u.dtype() != t) {
            throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " needs every tensor " + t
                    + ", tensor '" + u.name() + "' is " + u.dtype());
        }
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        String f32 = "float32, TFLite's reference formula";
        for (OpType op : ACTIVATIONS) {
            rows.add(KernelSupport.bothPaths(op, FLOAT32, f32));
        }
        String relu = "TFLite QuantizedReluX: MBQM and clamp to the real bounds";
        for (DType t : new DType[] {INT8, UINT8}) {
            rows.add(KernelSupport.bothPaths(OpType.HARD_SWISH, t, "TFLite HardSwish, int16 fixed point"));
            rows.add(KernelSupport.bothPaths(OpType.PRELU, t, "TFLite Prelu, two MBQM multipliers"));
            rows.add(KernelSupport.bothPaths(OpType.GELU, t, "TFLite's float lookup table"));
            rows.add(KernelSupport.bothPaths(OpType.RELU_N1_TO_1, t, relu));
            rows.add(KernelSupport.bothPaths(OpType.RELU_0_TO_1, t, relu));
        }
        rows.add(new KernelSupport(
                OpType.ELU,
                INT8,
                EnumSet.allOf(QuantizedPath.class),
                "float lookup table: TFLite's (std::round, then zp) built-in, XNNPACK's (zp, then round) delegated"));
        rows.add(KernelSupport.bothPaths(OpType.PRELU, INT16, "TFLite Prelu, two MBQM multipliers, int8 slopes"));
        rows.add(KernelSupport.bothPaths(
                OpType.GELU, INT16, "TFLite's 513-entry int16 table (float LUTPopulate), interpolated"));
        for (DType t : new DType[] {INT8, UINT8}) {
            rows.add(KernelSupport.bothPaths(
                    OpType.LOG_SOFTMAX, t, "TFLite's optimized LogSoftmax: float exp table, rint; s_y = 16/256"));
        }
        for (DType t : new DType[] {INT8, UINT8, INT16}) {
            rows.add(KernelSupport.bothPaths(OpType.MINIMUM, t, "stored values compared"));
            rows.add(KernelSupport.bothPaths(OpType.MAXIMUM, t, "stored values compared"));
        }
        return List.copyOf(rows);
    }
}
