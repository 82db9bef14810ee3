package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.QuantizedPath;
import java.util.List;
import java.util.function.Function;

/**
 * The sequence family: UNIDIRECTIONAL_SEQUENCE_LSTM in float32, and TFLite's integer 8x8→16 LSTM (int8
 * activations, int16 cell state, built-in on both paths) without peepholes, projection or layer normalization.
 */
public final class SequenceKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        if (Kernels.isFloat(op)) {
            return LstmFloat.create(op, t -> (float[]) buffer.apply(t), shape);
        }
        return LstmInt.create(op, buffer, shape); // TFLite's 8x8→16 LSTM, built-in on both paths
    }

    @Override
    public List<KernelSupport> supported() {
        return List.of(
                KernelSupport.bothPaths(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, DType.FLOAT32, "float32"),
                KernelSupport.bothPaths(
                        OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                        DType.INT8,
                        "built-in on both: 8x8→16 (int16 cell state); no peepholes, projection or layer norm"));
    }
}
