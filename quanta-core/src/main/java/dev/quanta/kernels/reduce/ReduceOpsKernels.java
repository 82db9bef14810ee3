package dev.quanta.kernels.reduce;

import static dev.quanta.ir.DType.BOOL;
import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT16;
import static dev.quanta.ir.DType.INT32;
import static dev.quanta.ir.DType.INT64;
import static dev.quanta.ir.DType.INT8;
import static dev.quanta.ir.DType.UINT8;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.ResampleReduceShapes;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The kernels of ARG_MAX, ARG_MIN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD and L2_NORMALIZATION, in the types
 * TFLite 2.21's built-in kernels take. XNNPACK takes SUM, REDUCE_MAX and REDUCE_MIN of float32, int8 and uint8
 * (refusing, with the whole model, an axis list that names an axis twice); only its int8/uint8 SUM differs from the
 * built-in arithmetic. Quanta runs repeated axes on both paths.
 *
 * <ul>
 *   <li>ARG_MAX/ARG_MIN: float32, int8, uint8, int32, bool in; int32 or int64 out.
 *   <li>SUM: float32, int32, int64; int8, uint8 and int16 rescaled to the output's parameters
 *       ({@link Reduction.Mode#SUM_RESCALE}; XNNPACK takes int8 and uint8 with {@link Reduction.Mode#SUM_XNNPACK}).
 *   <li>REDUCE_MAX/REDUCE_MIN: float32, int32, int64, and int8/uint8/int16 whose output has the input's parameters.
 *   <li>REDUCE_PROD: float32, int32, int64, quantized int8 and int16 ({@link Reduction.Mode#PROD_QUANTIZED}).
 *   <li>L2_NORMALIZATION: float32, int8 and uint8 with TFLite's fixed output (scale 1/128, zero point 0 / 128).
 * </ul>
 */
public final class ReduceOpsKernels implements KernelProvider {
    private static final Set<OpType> OPS = EnumSet.of(
            OpType.ARG_MAX,
            OpType.ARG_MIN,
            OpType.SUM,
            OpType.REDUCE_MAX,
            OpType.REDUCE_MIN,
            OpType.REDUCE_PROD,
            OpType.L2_NORMALIZATION);

    @Override
    public boolean handles(Op op) {
        return OPS.contains(op.type());
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        DType type = in.dtype();
        int[] xShape = shape.apply(in);
        Object x = buffer.apply(in);
        Object y = buffer.apply(out);
        return switch (op.type()) {
            case ARG_MAX, ARG_MIN -> {
                if (!EnumSet.of(FLOAT32, INT8, UINT8, INT32, BOOL).contains(type)
                        || (out.dtype() != INT32 && out.dtype() != INT64)) {
                    throw unsupported(op, "float32, int8, uint8, int32 or bool in, int32 or int64 out");
                }
                int axis = op.attrs(OpAttributes.ArgMinMax.class).axis();
                axis = axis < 0 ? axis + xShape.length : axis;
                yield new ArgMinMax(x, type, xShape, axis, y, out.dtype(), op.type() == OpType.ARG_MAX);
            }
            case L2_NORMALIZATION -> {
                if (type != out.dtype() || !EnumSet.of(FLOAT32, INT8, UINT8).contains(type)) {
                    throw unsupported(op, "float32, int8 or uint8, the same in and out");
                }
                int zx = 0;
                if (type != FLOAT32) {
                    QuantParams qy = perTensor(op, out);
                    int zy = type == UINT8 ? 128 : 0;
                    if (qy.scale() != 1f / 128 || qy.zeroPoint() != zy) {
                        throw new UnsupportedOperationException(op.describe() + ": " + type.lowerName()
                                + " L2_NORMALIZATION needs output scale 1/128 and zero point " + zy + ", got "
                                + qy.scale() + " and " + qy.zeroPoint());
                    }
                    zx = (int) perTensor(op, in).zeroPoint();
                }
                yield new L2Normalization(x, xShape, y, type, zx);
            }
            default -> reduction(op, x, xShape, y, type, path);
        };
    }

    private static Kernel reduction(Op op, Object x, int[] xShape, Object y, DType type, QuantizedPath path) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        if (out.dtype() != type) {
            throw unsupported(op, "the same type in and out");
        }
        OpAttributes.Reduce a = op.attrs(OpAttributes.Reduce.class);
        boolean[] reduced = ResampleReduceShapes.reducedAxes(Shape.of(xShape), a.axes());
        Reduction.Kind kind = switch (op.type()) {
            case SUM -> Reduction.Kind.SUM;
            case REDUCE_MAX -> Reduction.Kind.MAX;
            case REDUCE_MIN -> Reduction.Kind.MIN;
            default -> Reduction.Kind.PROD;
        };
        if (type == FLOAT32) {
            return new Reduction(x, xShape, y, type, reduced, kind, Reduction.Mode.FLOAT, 1, 0, 1, 0);
        }
        if (type == INT32 || type == INT64) {
            return new Reduction(x, xShape, y, type, reduced, kind, Reduction.Mode.RAW, 1, 0, 1, 0);
        }
        if (type != INT8 && type != UINT8 && type != INT16) {
            throw unsupported(op, "float32, int32, int64, int8, uint8 or int16");
        }
        if (in.quant() == null || out.quant() == null) {
            if (kind == Reduction.Kind.PROD || in.quant() != out.quant()) {
                throw unsupported(op, "quantization parameters on its input and output");
            }
            return new Reduction(x, xShape, y, type, reduced, kind, Reduction.Mode.RAW, 1, 0, 1, 0);
        }
        QuantParams qx = perTensor(op, in);
        QuantParams qy = perTensor(op, out);
        boolean same = qx.scale() == qy.scale() && qx.zeroPoint() == qy.zeroPoint();
        if (type == INT16 && (qx.zeroPoint() != 0 || qy.zeroPoint() != 0)) {
            throw new UnsupportedOperationException(
                    op.describe() + ": int16 " + op.type() + " needs zero points 0 (TFLite's condition)");
        }
        Reduction.Mode mode;
        if (kind == Reduction.Kind.SUM && type != INT16 && path == QuantizedPath.XNNPACK) {
            mode = Reduction.Mode.SUM_XNNPACK;
        } else if (kind == Reduction.Kind.PROD) {
            if (type == UINT8) {
                throw unsupported(op, "int8 or int16 when quantized (TFLite has no uint8 REDUCE_PROD)");
            }
            mode = Reduction.Mode.PROD_QUANTIZED;
        } else if (kind == Reduction.Kind.SUM) {
            mode = Reduction.Mode.SUM_RESCALE;
        } else if (same) {
            mode = Reduction.Mode.RAW;
        } else {
            throw new UnsupportedOperationException(op.describe() + ": " + type.lowerName() + " " + op.type()
                    + " needs its output to have the input's parameters (TFLite's condition), got " + qx + " and "
                    + qy);
        }
        return new Reduction(
                x, xShape, y, type, reduced, kind, mode, qx.scale(), (int) qx.zeroPoint(), qy.scale(), (int)
                        qy.zeroPoint());
    }

    private static QuantParams perTensor(Op op, Tensor t) {
        QuantParams q = t.quant();
        if (q == null || !q.isPerTensor()) {
            throw new UnsupportedOperationException(
                    op.describe() + ": " + op.type() + " needs per-tensor quantization of " + t.name());
        }
        return q;
    }

    private static UnsupportedOperationException unsupported(Op op, String needs) {
        StringBuilder types = new StringBuilder();
        for (Tensor t : op.inputs()) {
            types.append(types.isEmpty() ? "" : ", ").append(t.dtype().lowerName());
        }
        return new UnsupportedOperationException(op.describe() + ": " + op.type() + " of " + types + " → "
                + op.output(0).dtype().lowerName() + " is not supported (needs " + needs + ")");
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        for (OpType t : new OpType[] {OpType.ARG_MAX, OpType.ARG_MIN}) {
            for (DType d : new DType[] {FLOAT32, INT8, UINT8, INT32, BOOL}) {
                rows.add(KernelSupport.bothPaths(t, d, "index of the first extreme value"));
            }
        }
        rows.add(KernelSupport.bothPaths(OpType.SUM, FLOAT32, "float sum"));
        rows.add(KernelSupport.bothPaths(OpType.SUM, INT32, "int32 sum (wraps)"));
        rows.add(KernelSupport.bothPaths(OpType.SUM, INT64, "int64 sum (wraps)"));
        for (DType d : new DType[] {INT8, UINT8}) {
            rows.add(KernelSupport.bothPaths(
                    OpType.SUM, d, "built-in: float rescale, ties away from zero; XNNPACK: fp32 rescale, rint"));
        }
        rows.add(KernelSupport.bothPaths(OpType.SUM, INT16, "TFLite's float rescale, ties away from zero"));
        for (OpType t : new OpType[] {OpType.REDUCE_MAX, OpType.REDUCE_MIN}) {
            for (DType d : new DType[] {FLOAT32, INT32, INT64, INT8, UINT8, INT16}) {
                rows.add(KernelSupport.bothPaths(t, d, "exact, output parameters = input parameters"));
            }
        }
        rows.add(KernelSupport.bothPaths(OpType.REDUCE_PROD, FLOAT32, "float product"));
        rows.add(KernelSupport.bothPaths(OpType.REDUCE_PROD, INT32, "int32 product (wraps)"));
        rows.add(KernelSupport.bothPaths(OpType.REDUCE_PROD, INT64, "int64 product (wraps)"));
        for (DType d : new DType[] {INT8, INT16}) {
            rows.add(KernelSupport.bothPaths(
                    OpType.REDUCE_PROD, d, "TFLite's QuantizedReduceProd: each step rescaled by s_x/s_y^(1/n)"));
        }
        rows.add(KernelSupport.bothPaths(OpType.L2_NORMALIZATION, FLOAT32, "x / max(‖x‖, 1e-6)"));
        for (DType d : new DType[] {INT8, UINT8}) {
            rows.add(KernelSupport.bothPaths(
                    OpType.L2_NORMALIZATION, d, "TFLite's fixed-point inverse square root, output 1/128"));
        }
        return rows;
    }
}
