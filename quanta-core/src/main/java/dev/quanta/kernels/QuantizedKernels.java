package dev.quanta.kernels;

import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.function.Function;

/** Kernels for ops whose tensors are not all FLOAT32: integer, hybrid and float16 paths. */
public final class QuantizedKernels {
    private QuantizedKernels() {}

    /**
     * @throws UnsupportedOperationException naming the op when no kernel handles its types
     */
    public static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        throw new UnsupportedOperationException(op.describe() + ": no kernel for " + op.type() + " with "
                + op.input(0).dtype() + " input and " + op.output(0).dtype() + " output");
    }
}
