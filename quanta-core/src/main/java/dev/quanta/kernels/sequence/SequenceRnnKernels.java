package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;

/**
 * UNIDIRECTIONAL_SEQUENCE_RNN for {@link dev.quanta.kernels.Kernels} (registered as a service): float32 and hybrid
 * (int8 weights), the two forms TFLite 2.21's built-in kernel registers, on both paths (XNNPACK does not take it).
 */
public final class SequenceRnnKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_RNN;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        if (op.input(0).dtype() != DType.FLOAT32 || op.output(0).dtype() != DType.FLOAT32) {
            throw new UnsupportedOperationException(op.describe() + ": UNIDIRECTIONAL_SEQUENCE_RNN runs on float32"
                    + " activations only (TFLite has no integer kernel for it), got "
                    + op.input(0).dtype());
        }
        return SequenceRnn.create(op, buffer, shape);
    }

    @Override
    public List<KernelSupport> supported() {
        return List.of(
                KernelSupport.bothPaths(OpType.UNIDIRECTIONAL_SEQUENCE_RNN, DType.FLOAT32, "float32"),
                KernelSupport.hybrid(
                        OpType.UNIDIRECTIONAL_SEQUENCE_RNN,
                        EnumSet.allOf(QuantizedPath.class),
                        "hybrid: int8 weights, input and state quantized per row at every step"));
    }
}
