package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.Quant;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;

/**
 * The hybrid ("dynamic range") forms of TRANSPOSE_CONV and BATCH_MATMUL: float32 input and output, constant int8
 * symmetric weights, as TFLite 2.21's built-in kernels run them ({@link HybridTransposeConv},
 * {@link HybridBatchMatMul}). Listed before {@link TransposeConvKernels} and {@link BatchMatMulKernels}, which take
 * every other type combination of these ops.
 *
 * <p>XNNPACK's delegate takes both ops with its dynamic ("qd8") quantization: asymmetric rows (whatever
 * asymmetric_quantize_inputs says), products in int32, float scaling. Quanta computes the built-in arithmetic with
 * asymmetric rows on that path; its outputs agree with XNNPACK's within float rounding (within 1e-5 of the output's
 * range on 60 seeded single-op models, {@code HybridLinearOracleTest}), so the rows name both paths.
 */
public final class HybridLinearKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return isHybrid(op);
    }

    /** A TRANSPOSE_CONV or BATCH_MATMUL with a float32 first input and int8 weights. */
    static boolean isHybrid(Op op) {
        return (op.type() == OpType.TRANSPOSE_CONV || op.type() == OpType.BATCH_MATMUL)
                && op.inputs().size() > 1
                && op.input(0).dtype() == DType.FLOAT32
                && op.input(1).dtype() == DType.INT8;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor x = op.input(0);
        Tensor w = op.input(1);
        Tensor y = op.output(0);
        if (y.dtype() != DType.FLOAT32) {
            throw Quant.unsupported(op, "a hybrid op's output is float32");
        }
        QuantParams q = w.quant();
        if (!w.isConstant() || q == null) {
            throw Quant.unsupported(op, "hybrid weights must be constant and quantized");
        }
        for (long zp : q.zeroPoints()) {
            if (zp != 0) {
                throw Quant.unsupported(op, "hybrid weights must be symmetric (zero point 0), found " + zp);
            }
        }
        int[] xs = shape.apply(x);
        int[] ws = shape.apply(w);
        byte[] weights = (byte[]) buffer.apply(w);
        float[] scales = q.scales();
        if (op.type() == OpType.TRANSPOSE_CONV) {
            if (!q.isPerTensor() && (q.axis() != 0 || scales.length != ws[0])) {
                throw Quant.unsupported(op, "per-channel weights must be quantized along axis 0 (output channels)");
            }
            Tensor b = op.inputs().size() > 2 ? op.input(2) : null;
            if (b != null && (b.dtype() != DType.FLOAT32 || !b.isConstant())) {
                throw Quant.unsupported(op, "a hybrid op's bias must be a float32 constant");
            }
            return new HybridTransposeConv(
                    (float[]) buffer.apply(x),
                    xs,
                    weights,
                    ws,
                    scales,
                    b == null ? null : (float[]) buffer.apply(b),
                    (float[]) buffer.apply(y),
                    op.attrs(OpAttributes.TransposeConv.class));
        }
        OpAttributes.BatchMatMul a = op.attrs(OpAttributes.BatchMatMul.class);
        if (xs.length > 4 || ws.length > 4) {
            throw Quant.unsupported(op, "TFLite's hybrid kernel sums the weight rows of operands up to rank 4 only");
        }
        if (a.adjX() && xs.length > 2 && ws.length > 2 && ws[ws.length - 3] == 1) {
            throw Quant.unsupported(
                    op, "adj_x with weights [..., 1, K, N]: TFLite folds the first operand's batch axis into its rows");
        }
        if (!q.isPerTensor() && (ws.length != 2 || q.axis() != (a.adjY() ? 0 : 1))) {
            throw Quant.unsupported(op, "per-channel weights must be a matrix quantized along its output columns");
        }
        return new HybridBatchMatMul(
                (float[]) buffer.apply(x),
                xs,
                weights,
                ws,
                scales,
                (float[]) buffer.apply(y),
                a.adjX(),
                a.adjY(),
                // XNNPACK quantizes the rows asymmetrically whatever the option says
                a.asymmetricQuantizeInputs() || path == QuantizedPath.XNNPACK);
    }

    @Override
    public List<KernelSupport> supported() {
        EnumSet<QuantizedPath> both = EnumSet.allOf(QuantizedPath.class);
        return List.of(
                KernelSupport.hybrid(
                        OpType.TRANSPOSE_CONV,
                        both,
                        "TFLite hybrid kernel: each image quantized asymmetrically to int8, int32 accumulator"),
                KernelSupport.hybrid(
                        OpType.BATCH_MATMUL,
                        both,
                        "TFLite hybrid kernel: rows quantized to int8 (XNNPACK: asymmetric), int32 accumulator"));
    }
}
