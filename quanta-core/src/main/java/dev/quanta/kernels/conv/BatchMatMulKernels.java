package dev.quanta.kernels.conv;

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
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;
import java.util.List;
import java.util.function.Function;

/**
 * BATCH_MATMUL in float32, int8 and int16 (per-tensor quantization of both operands and the output, no fused
 * activation), with the multiplier of TFLite 2.21's batch_matmul kernel ({@code GetQuantizedConvolutionMultipler}:
 * the float product s_a·s_b widened, / s_y) and its rounding: int8 gemmlowp's double rounding (ties away from
 * zero), int16 the 64-bit form. XNNPACK's delegate takes float32 and int8 BATCH_MATMUL: int8 requantized in fp32, and the
 * second operand's zero point ignored (read as 0, measured on TFLite 2.21: a file with a nonzero one gives other
 * values there than on the built-in path; Quanta's quantizer gives a constant one zero point 0 for this reason).
 * int16 runs the built-in kernel on both paths.
 *
 * <p>TFLite 2.21's built-in kernel gives undefined values (uninitialized memory) when adj_x is set and the second
 * operand has a batch axis of size 1 against a larger one of the first; Quanta computes the broadcast product there.
 */
public final class BatchMatMulKernels implements KernelProvider {
    /** The rounding of int8 sums on the built-in path (measured against TFLite 2.21 x86-64). */
    static final Requantizer.Rounding INT8_ROUNDING = Requantizer.Rounding.DOUBLE_ROUNDING;

    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.BATCH_MATMUL && !HybridLinearKernels.isHybrid(op); // hybrid: HybridLinearKernels
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor a = op.input(0);
        Tensor b = op.input(1);
        Tensor y = op.output(0);
        if (Kernels.isFloat(op)) {
            if (b.dtype() != DType.FLOAT32) {
                throw Quant.unsupported(op, "float32 input takes a float32 or int8 second input");
            }
            return matMul(op, buffer, shape, DType.FLOAT32, 0, 0, null);
        }
        DType t = a.dtype();
        if ((t != DType.INT8 && t != DType.INT16) || b.dtype() != t || y.dtype() != t) {
            throw Quant.unsupported(op, "supported are int8 x int8 -> int8 and int16 x int16 -> int16");
        }
        float sa = Quant.scale(op, a);
        float sb = Quant.scale(op, b);
        float sy = Quant.scale(op, y);
        int zy = Quant.zeroPoint(op, y);
        int za = Quant.zeroPoint(op, a);
        int zb = Quant.zeroPoint(op, b);
        if (t == DType.INT16 && (za != 0 || zb != 0 || zy != 0)) {
            throw Quant.unsupported(
                    op, "int16 operands must be symmetric (zero point 0), found " + za + ", " + zb + " and " + zy);
        }
        double real = (double) (sa * sb) / (double) sy;
        boolean xnnpack = path == QuantizedPath.XNNPACK && t == DType.INT8;
        if (xnnpack) {
            zb = 0; // XNNPACK's delegate reads the second operand as symmetric, whatever its zero point
        }
        Requantizer rq = Requantizer.of(
                xnnpack
                        ? Requantizer.Rounding.FP32
                        : t == DType.INT16 ? Requantizer.Rounding.DOUBLE_ROUNDING : INT8_ROUNDING,
                new double[] {real},
                new float[] {sa * sb / sy},
                zy,
                Quant.qmin(t),
                Quant.qmax(t));
        return matMul(op, buffer, shape, t, za, zb, rq);
    }

    /** The kernel over the op's operands of type {@code t} (float32: zero points 0, no requantizer). */
    private static BatchMatMul matMul(
            Op op,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            DType t,
            int za,
            int zb,
            Requantizer rq) {
        OpAttributes.BatchMatMul attrs = op.attrs(OpAttributes.BatchMatMul.class);
        Tensor a = op.input(0);
        Tensor b = op.input(1);
        Tensor y = op.output(0);
        return new BatchMatMul(
                buffer.apply(a),
                shape.apply(a),
                buffer.apply(b),
                shape.apply(b),
                buffer.apply(y),
                shape.apply(y),
                attrs.adjX(),
                attrs.adjY(),
                t,
                t,
                za,
                zb,
                rq);
    }

    @Override
    public List<KernelSupport> supported() {
        OpType op = OpType.BATCH_MATMUL;
        return List.of(
                KernelSupport.bothPaths(op, DType.FLOAT32, "float32, k in order"),
                KernelSupport.bothPaths(
                        op,
                        DType.INT8,
                        "XNNPACK: fp32 requantization, second zero point read as 0;"
                                + " built-in: gemmlowp double rounding"),
                KernelSupport.bothPaths(op, DType.INT16, "built-in on both: int64 accumulator, 16-bit multiplier"));
    }
}
