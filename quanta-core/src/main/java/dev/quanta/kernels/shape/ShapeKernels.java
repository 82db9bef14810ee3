package dev.quanta.kernels.shape;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The shape and data-movement family: RESHAPE, IDENTITY, CONCATENATION, PAD, TRANSPOSE and STRIDED_SLICE. They copy
 * stored values, the same on both TFLite paths: PAD fills with the zero point; uint8 CONCATENATION requantizes each
 * input with float math when its parameters differ from the output's; int16 CONCATENATION copies stored values as
 * TFLite does, whatever the parameters; quantized RESHAPE, PAD and TRANSPOSE require the input's parameters on the
 * output. STRIDED_SLICE copies values of any type; CONCATENATION, RESHAPE and IDENTITY copy plain (not quantized)
 * tensors of any type too.
 */
public final class ShapeKernels implements KernelProvider {
    private static final Set<OpType> OPS = EnumSet.of(
            OpType.RESHAPE, OpType.IDENTITY, OpType.CONCATENATION, OpType.PAD, OpType.TRANSPOSE, OpType.STRIDED_SLICE);

    /**
     * The plain integer types of the rows besides float32 and the quantized types: those TFLite's kernels register.
     * The copies also take uint32 and uint64 (tflite-micro's audio preprocessor).
     */
    private static final DType[] PLAIN_INTEGERS = {DType.INT32, DType.INT64};

    @Override
    public boolean handles(Op op) {
        return OPS.contains(op.type());
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        Object x = buffer.apply(in);
        int[] xs = shape.apply(in);
        Object y = buffer.apply(out);
        int[] ys = shape.apply(out);
        switch (op.type()) {
            case STRIDED_SLICE -> {
                return PlainCopies.stridedSlice(x, xs, y, op.attrs(OpAttributes.StridedSlice.class));
            }
            case RESHAPE, IDENTITY -> {
                if (Kernels.isFloat(op) || isPlain(out)) {
                    int n = Buffers.length(y);
                    return p -> System.arraycopy(x, 0, y, 0, n);
                }
                Quant.requireSameType(op);
                Quant.requireSameParams(op, in, out);
                return new CopyInt(x, y);
            }
            case CONCATENATION -> {
                if (isPlainInteger(out.dtype())) {
                    return PlainCopies.concatenation(op, buffer, shape, y, ys);
                }
                OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
                int axis = a.axis() < 0 ? a.axis() + xs.length : a.axis();
                int n = op.inputs().size();
                int[][] shapes = new int[n][];
                for (int i = 0; i < n; i++) {
                    shapes[i] = shape.apply(op.input(i));
                }
                if (Kernels.isFloat(op)) {
                    float[][] ins = new float[n][];
                    for (int i = 0; i < n; i++) {
                        ins[i] = (float[]) buffer.apply(op.input(i));
                    }
                    return new ConcatenationFloat(
                            ins,
                            shapes,
                            axis,
                            (float[]) y,
                            a.activation().min(),
                            a.activation().max());
                }
                Quant.requireSameType(op);
                Object[] ins = new Object[n];
                float[] scales = new float[n];
                int[] zps = new int[n];
                for (int i = 0; i < n; i++) {
                    ins[i] = buffer.apply(op.input(i));
                    scales[i] = Quant.scale(op, op.input(i));
                    zps[i] = Quant.zeroPoint(op, op.input(i));
                }
                float sy = Quant.scale(op, out);
                int zy = Quant.zeroPoint(op, out);
                int[] range = Quant.activationRange(a.activation(), out.dtype(), sy, zy, false);
                return new ConcatenationInt(ins, shapes, scales, zps, axis, y, out.dtype(), sy, zy, range[0], range[1]);
            }
            case PAD -> {
                int[][] paddings = op.attrs(OpAttributes.Pad.class).paddings();
                if (Kernels.isFloat(op)) {
                    return new PadFloat((float[]) x, xs, (float[]) y, ys, paddings);
                }
                Quant.requireSameType(op);
                Quant.requireSameParams(op, in, out);
                return new PadInt(x, xs, y, ys, paddings, out.dtype(), Quant.zeroPoint(op, out));
            }
            default -> {
                int[] perm = op.attrs(OpAttributes.Transpose.class).perm();
                if (Kernels.isFloat(op)) {
                    return new TransposeFloat((float[]) x, xs, (float[]) y, perm);
                }
                Quant.requireSameType(op);
                Quant.requireSameParams(op, in, out);
                return new TransposeInt(x, xs, y, perm);
            }
        }
    }

    /** A RESHAPE or IDENTITY output copied whatever it holds: a plain integer tensor, or any unquantized one. */
    private static boolean isPlain(Tensor out) {
        return isPlainInteger(out.dtype()) || out.quant() == null && !Elements.isFloat(out.dtype());
    }

    private static boolean isPlainInteger(DType t) {
        return t == DType.INT32 || t == DType.UINT32 || t == DType.INT64 || t == DType.UINT64;
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.RESHAPE, OpType.IDENTITY, OpType.CONCATENATION}) {
            rows.add(KernelSupport.bothPaths(
                    op, DType.FLOAT32, op == OpType.IDENTITY ? "copy (Quanta's IR: not in TFLite files)" : "copy"));
            String integer = op != OpType.CONCATENATION
                    ? "copy (input and output share their parameters)"
                    : "copy; uint8 requantizes inputs with other parameters in float; int16 copies stored values";
            for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16}) {
                rows.add(KernelSupport.bothPaths(op, t, integer));
            }
            for (DType t : PLAIN_INTEGERS) {
                rows.add(KernelSupport.bothPaths(op, t, "copy of plain integers"));
            }
        }
        for (OpType op : new OpType[] {OpType.PAD, OpType.TRANSPOSE}) {
            rows.add(KernelSupport.bothPaths(op, DType.FLOAT32, op == OpType.PAD ? "copy, zero fill" : "copy"));
            String integer = op == OpType.PAD
                    ? "copy, zero-point fill (input and output share their parameters)"
                    : "copy (input and output share their parameters)";
            for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16}) {
                rows.add(KernelSupport.bothPaths(op, t, integer));
            }
        }
        for (DType t : new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16, DType.INT32, DType.INT64}) {
            rows.add(KernelSupport.bothPaths(OpType.STRIDED_SLICE, t, "copy of stored values"));
        }
        return rows;
    }
}
