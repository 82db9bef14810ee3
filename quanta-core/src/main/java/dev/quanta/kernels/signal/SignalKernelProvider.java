package dev.quanta.kernels.signal;

import static dev.quanta.ir.DType.*;

import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.List;
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

    /** Each signal op with the type of its first input, as {@link SignalKernels} checks it. */
    @Override
    public List<KernelSupport> supported() {
        String tflm = "tflite-micro's signal kernel";
        return List.of(
                KernelSupport.bothPaths(OpType.SIGNAL_WINDOW, INT16, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_FFT_AUTO_SCALE, INT16, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_RFFT, INT16, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_ENERGY, INT16, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_FILTER_BANK, UINT32, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_FILTER_BANK_SQUARE_ROOT, UINT64, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION, UINT32, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_PCAN, UINT32, tflm),
                KernelSupport.bothPaths(OpType.SIGNAL_FILTER_BANK_LOG, UINT32, tflm));
    }
}
