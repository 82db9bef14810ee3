package dev.quanta.kernels.reduce;

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
import java.util.List;
import java.util.function.Function;

/**
 * The reduction family: MEAN. Float32 sums in float; 8-bit MEAN is rint(float(Σ − n·zp)·scale) + zp on the XNNPACK
 * path and TFLite's optimized global average pool or QuantizedMeanOrSum on the built-in one; int16 MEAN is
 * QuantizedMeanOrSum (int32 MBQM) on both. On the XNNPACK path, when input and output share their parameters,
 * about 0.06% of 8-bit outputs differ from TFLite by one (exact ties of the mean); see {@link MeanInt}.
 */
public final class ReductionKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.MEAN;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        OpAttributes.Mean a = op.attrs(OpAttributes.Mean.class);
        if (Kernels.isFloat(op)) {
            return new MeanFloat((float[]) buffer.apply(in), shape.apply(in), (float[]) buffer.apply(out), a.axes());
        }
        Quant.requireSameType(op);
        return new MeanInt(
                buffer.apply(in),
                shape.apply(in),
                buffer.apply(out),
                out.dtype(),
                a.axes(),
                a.keepDims(),
                Quant.scale(op, in),
                Quant.zeroPoint(op, in),
                Quant.scale(op, out),
                Quant.zeroPoint(op, out),
                path == QuantizedPath.XNNPACK);
    }

    @Override
    public List<KernelSupport> supported() {
        String eightBit = "XNNPACK: rint(float(Σ − n·zp)·scale) + zp (ties of the mean may differ by one when input"
                + " and output share parameters); built-in: QuantizedMeanOrSum";
        return List.of(
                KernelSupport.bothPaths(OpType.MEAN, DType.FLOAT32, "float32"),
                KernelSupport.bothPaths(OpType.MEAN, DType.INT8, eightBit),
                KernelSupport.bothPaths(OpType.MEAN, DType.UINT8, eightBit),
                KernelSupport.bothPaths(OpType.MEAN, DType.INT16, "built-in on both: QuantizedMeanOrSum, int32 MBQM"));
    }
}
