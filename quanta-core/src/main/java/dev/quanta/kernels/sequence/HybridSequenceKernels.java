package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.List;
import java.util.function.Function;

/**
 * The hybrid sequence kernels for {@link dev.quanta.kernels.Kernels} (registered as a service): sequence ops with
 * float32 activations and int8 weights, which TFLite runs with its built-in hybrid kernels on both paths.
 */
public final class HybridSequenceKernels implements KernelProvider {
    /** A hybrid LSTM: float32 input, int8 forget-gate weights (TFLite's own test: input 2). */
    @Override
    public boolean handles(Op op) {
        if (op.type() != OpType.UNIDIRECTIONAL_SEQUENCE_LSTM || op.input(0).dtype() != DType.FLOAT32) {
            return false;
        }
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        int p = a.position(2);
        return p >= 0 && op.input(p).dtype() == DType.INT8;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return LstmHybrid.create(op, buffer, shape);
    }

    @Override
    public List<KernelSupport> supported() {
        return List.of(KernelSupport.bothPaths(
                OpType.UNIDIRECTIONAL_SEQUENCE_LSTM,
                DType.FLOAT32,
                "hybrid: int8 weights, float input and states quantized per row at every step"));
    }
}
