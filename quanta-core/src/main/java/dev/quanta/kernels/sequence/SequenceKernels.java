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
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;

/**
 * The sequence family: UNIDIRECTIONAL_SEQUENCE_LSTM in float32, hybrid (float32 activations, int8 weights: TFLite's
 * hybrid step, input and states quantized per row at every step; with peepholes and projection, without layer
 * normalization) and TFLite's integer 8x8→16 LSTM (int8 activations, int16 cell state, any zero points) without
 * peepholes, projection or layer normalization; all three are TFLite's built-in kernels on both paths (XNNPACK
 * takes no LSTM).
 */
public final class SequenceKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        if (isHybrid(op)) {
            return LstmHybrid.create(op, buffer, shape);
        }
        if (Kernels.isFloat(op)) {
            return LstmFloat.create(op, t -> (float[]) buffer.apply(t), shape);
        }
        return LstmInt.create(op, buffer, shape); // TFLite's 8x8→16 LSTM, built-in on both paths
    }

    @Override
    public List<KernelSupport> supported() {
        return List.of(
                KernelSupport.bothPaths(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, DType.FLOAT32, "float32"),
                KernelSupport.hybrid(
                        OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                        EnumSet.allOf(QuantizedPath.class),
                        "hybrid: int8 weights (peepholes, projection), float input and states quantized per row at every step"),
                KernelSupport.bothPaths(
                        OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                        DType.INT8,
                        "built-in on both: 8x8→16 (int16 cell state); no peepholes, projection or layer norm"));
    }

    /** A hybrid LSTM: float32 input and int8 weights. */
    static boolean isHybrid(Op op) {
        if (op.input(0).dtype() != DType.FLOAT32) {
            return false;
        }
        for (Tensor t : op.inputs()) {
            if (t.dtype() == DType.INT8) {
                return true;
            }
        }
        return false;
    }
}
