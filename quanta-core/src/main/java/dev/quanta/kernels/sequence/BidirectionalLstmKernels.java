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
 * BIDIRECTIONAL_SEQUENCE_LSTM for {@link dev.quanta.kernels.Kernels} (registered as a service): float32 and hybrid
 * (int8 weights), on both paths (XNNPACK does not take the op).
 */
public final class BidirectionalLstmKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.BIDIRECTIONAL_SEQUENCE_LSTM;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return BidirectionalLstm.create(op, buffer, shape);
    }

    @Override
    public List<KernelSupport> supported() {
        return List.of(
                KernelSupport.bothPaths(OpType.BIDIRECTIONAL_SEQUENCE_LSTM, DType.FLOAT32, "float32"),
                KernelSupport.hybrid(
                        OpType.BIDIRECTIONAL_SEQUENCE_LSTM,
                        EnumSet.allOf(QuantizedPath.class),
                        "hybrid: int8 weights (peepholes, projection), input and states quantized per row at every step"));
    }
}
