package dev.quanta.kernels.signal;

import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.QuantizedPath;
import java.util.function.Function;

/** The kernels of the {@code SIGNAL_*} ops for {@link dev.quanta.kernels.Kernels} (registered as a service). */
public final class SignalKernelProvider implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type().isSignal();
    }

    /** As {@link SignalKernels#create}; tflite-micro's signal kernels have one arithmetic, whatever the path. */
    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return SignalKernels.create(op, buffer, shape);
    }
}
