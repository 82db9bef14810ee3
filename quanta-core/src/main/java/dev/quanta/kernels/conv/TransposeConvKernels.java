package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;
import java.util.List;
import java.util.function.Function;

/**
 * TRANSPOSE_CONV (Keras Conv2DTranspose) in float32, int8 (per-channel or per-tensor weights), uint8 and 16x8.
 *
 * <p>The built-in path requantizes as TFLite 2.21's transpose_conv kernel: {@code PopulateConvolutionQuantizationParams}
 * multipliers (the double s_x·s_w[c]/s_y; uint8 the float product s_x·s_w widened), gemmlowp double rounding for
 * 8-bit accumulators, the 64-bit form with a 16-bit multiplier for 16x8. XNNPACK takes float32, int8 and uint8
 * TRANSPOSE_CONV (SAME padding only with kernels at least as large as the strides) and requantizes in fp32; what it
 * leaves (SAME with a kernel smaller than the stride) stays on TFLite's built-in kernel, and so here.
 */
public final class TransposeConvKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.TRANSPOSE_CONV && !HybridLinearKernels.isHybrid(op); // hybrid: HybridLinearKernels
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        OpAttributes.TransposeConv a = op.attrs(OpAttributes.TransposeConv.class);
        Tensor x = op.input(0);
        Tensor w = op.input(1);
        int[] xs = shape.apply(x);
        int[] ws = shape.apply(w);
        if (Kernels.isFloat(op)) {
            if (w.dtype() != DType.FLOAT32) {
                throw Quant.unsupported(op, "float32 input takes float32 or int8 weights");
            }
            float[] bias = op.inputs().size() > 2 ? (float[]) buffer.apply(op.input(2)) : null;
            return TransposeConv2D.floating(
                    (float[]) buffer.apply(x),
                    xs,
                    (float[]) buffer.apply(w),
                    ws,
                    bias,
                    (float[]) buffer.apply(op.output(0)),
                    a);
        }
        Quant.requireQuantizedActivations(op);
        QuantizedPath effective = path == QuantizedPath.XNNPACK && xnnpackTakes(a, ws) ? path : QuantizedPath.BUILTIN;
        WeightedOpParams p = new WeightedOpParams(
                op, buffer, 0, ws[0], a.activation(), effective, Requantizer.Rounding.DOUBLE_ROUNDING);
        return TransposeConv2D.integer(buffer.apply(x), xs, ws, buffer.apply(op.output(0)), a, p);
    }

    /**
     * True when XNNPACK's delegate takes the op (its {@code CalculateTransposeConvPaddings}): with SAME padding only
     * when the kernel is at least as large as the stride on both axes (so that TFLite's padding total, computed on
     * the output, is not clamped at zero); with VALID padding when the kernel fits the output, which a consistent
     * output shape always does.
     */
    static boolean xnnpackTakes(OpAttributes.TransposeConv a, int[] ws) {
        if (a.padding() == Padding.SAME) {
            return ws[1] >= a.strideH() && ws[2] >= a.strideW();
        }
        return ws[1] <= a.outH() && ws[2] <= a.outW();
    }

    @Override
    public List<KernelSupport> supported() {
        OpType op = OpType.TRANSPOSE_CONV;
        return List.of(
                KernelSupport.bothPaths(op, DType.FLOAT32, "float32 gather over the scattered taps"),
                KernelSupport.bothPaths(
                        op, DType.INT8, "XNNPACK: fp32 requantization; built-in: gemmlowp double rounding"),
                KernelSupport.bothPaths(
                        op, DType.UINT8, "XNNPACK: fp32 requantization; built-in: gemmlowp double rounding"),
                KernelSupport.bothPaths(op, DType.INT16, "built-in on both: int64 accumulator, 16-bit multiplier"));
    }
}
