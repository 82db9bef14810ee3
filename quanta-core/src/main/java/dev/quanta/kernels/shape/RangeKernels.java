package dev.quanta.kernels.shape;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.List;
import java.util.function.Function;

/**
 * RANGE (issue 11) in the types TFLite 2.21 registers: int32, int64 and float32 (no quantized form). The output
 * length n was fixed by shape inference from the constant inputs; the kernel writes y[0] = start and
 * y[i+1] = y[i] + delta, accumulating in the element type as TFLite's kernel does (so float values carry its
 * rounding, and integers wrap).
 */
public final class RangeKernels implements KernelProvider {
    private static final List<DType> TYPES = List.of(DType.FLOAT32, DType.INT32, DType.INT64);

    @Override
    public boolean handles(Op op) {
        if (op.type() != OpType.RANGE) {
            return false;
        }
        DType t = op.input(0).dtype();
        return TYPES.contains(t)
                && op.inputs().stream().allMatch(in -> in.dtype() == t)
                && op.output(0).dtype() == t;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Object start = buffer.apply(op.input(0));
        Object delta = buffer.apply(op.input(2));
        Object y = buffer.apply(op.output(0));
        int n = shape.apply(op.output(0))[0];
        return switch (y) {
            case float[] out ->
                p -> {
                    float v = ((float[]) start)[0];
                    float d = ((float[]) delta)[0];
                    for (int i = 0; i < n; i++) {
                        out[i] = v;
                        v += d;
                    }
                };
            case int[] out ->
                p -> {
                    int v = ((int[]) start)[0];
                    int d = ((int[]) delta)[0];
                    for (int i = 0; i < n; i++) {
                        out[i] = v;
                        v += d;
                    }
                };
            case long[] out ->
                p -> {
                    long v = ((long[]) start)[0];
                    long d = ((long[]) delta)[0];
                    for (int i = 0; i < n; i++) {
                        out[i] = v;
                        v += d;
                    }
                };
            default ->
                throw new UnsupportedOperationException(
                        op.describe() + ": RANGE of " + op.input(0).dtype() + " is not supported");
        };
    }

    @Override
    public List<KernelSupport> supported() {
        return TYPES.stream()
                .map(t -> KernelSupport.bothPaths(OpType.RANGE, t, "start + i·delta, accumulated as TFLite does"))
                .toList();
    }
}
