package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * The kernel registry: the op families, each a {@link KernelProvider} listed in
 * {@code META-INF/services/dev.quanta.kernels.KernelProvider} and found with {@link ServiceLoader} (so that this
 * package depends on none of them): the built-in {@code conv.ConvolutionKernels},
 * {@code elementwise.ElementwiseKernels}, {@code shape.ShapeKernels}, {@code reduce.ReductionKernels},
 * {@code sequence.SequenceKernels} and {@code signal.SignalKernelProvider} first, then the families added later. Their {@link KernelProvider#handles} are
 * disjoint: each op has one family, which makes its kernel from the types of its tensors. {@link #registry()} lists
 * what they run.
 */
public final class Kernels {
    private Kernels() {}

    /** The families on the class path, found once, in the order the services files list them. */
    private static final List<KernelProvider> FAMILIES =
            ServiceLoader.load(KernelProvider.class, Kernels.class.getClassLoader()).stream()
                    .map(ServiceLoader.Provider::get)
                    .toList();

    /** Every kernel family. */
    public static List<KernelProvider> families() {
        return FAMILIES;
    }

    /** The rows of every kernel family: each op × activation type × TFLite paths Quanta runs. */
    public static List<KernelSupport> registry() {
        return FAMILIES.stream().flatMap(p -> p.supported().stream()).toList();
    }

    /** The same rows as {@link #registry()} (the name the first provider-only registry had). */
    public static List<KernelSupport> providerSupport() {
        return registry();
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
        return family(op).create(op, buffer, shape, path);
    }

    private static KernelProvider family(Op op) {
        for (KernelProvider p : FAMILIES) {
            if (p.handles(op)) {
                return p;
            }
        }
        throw new UnsupportedOperationException(op.describe() + ": no kernel for " + op.type() + " with "
                + op.inputs().stream().map(t -> t.dtype().toString()).toList() + " inputs");
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
