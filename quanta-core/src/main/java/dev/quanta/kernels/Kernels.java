package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * Chooses the kernel of an op: a {@link KernelProvider}'s when one handles the op (the op families of other
 * packages), the type-generic tensor ops, else from the types of its tensors: the float32 reference kernels when
 * every input and output is FLOAT32, the quantized (integer, hybrid and float16) kernels otherwise.
 */
public final class Kernels {
    private Kernels() {}

    /** The providers on the class path, found once. */
    private static final List<KernelProvider> PROVIDERS =
            ServiceLoader.load(KernelProvider.class, Kernels.class.getClassLoader()).stream()
                    .map(ServiceLoader.Provider::get)
                    .toList();

    /** The registry rows of every {@link KernelProvider} on the class path. */
    public static List<KernelSupport> providerSupport() {
        return PROVIDERS.stream().flatMap(p -> p.supported().stream()).toList();
    }

    /**
     * @param buffer the interpreter array of a tensor (see {@link Buffers})
     * @param shape its concrete dimensions
     * @throws UnsupportedOperationException naming the op when no kernel handles its types
     */
    public static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return create(op, buffer, shape, QuantizedPath.XNNPACK);
    }

    /**
     * As {@link #create(Op, Function, Function)}, with the quantized kernels reproducing {@code path} of the official
     * TFLite runtime ({@link QuantizedPath#XNNPACK} is what the three-argument form uses).
     */
    public static Kernel create(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        for (KernelProvider p : PROVIDERS) {
            if (p.handles(op)) {
                return p.create(op, buffer, shape, path);
            }
        }
        if (op.type().isSignal()) {
            throw new UnsupportedOperationException(
                    op.describe() + ": no kernel provider for " + op.type() + " on the class path");
        }
        if (TensorOps.handles(op)) {
            return TensorOps.create(op, buffer, shape);
        }
        if (isFloat(op)) {
            return FloatKernels.create(op, t -> (float[]) buffer.apply(t), shape);
        }
        return QuantizedKernels.create(op, buffer, shape, path);
    }

    /** True when every input and output of {@code op} is FLOAT32. */
    public static boolean isFloat(Op op) {
        for (Tensor t : op.inputs()) {
            if (t.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        for (Tensor t : op.outputs()) {
            if (t.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        return true;
    }
}
