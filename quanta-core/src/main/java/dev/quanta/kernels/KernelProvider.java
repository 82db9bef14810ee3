package dev.quanta.kernels;

import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.List;
import java.util.function.Function;

/**
 * Makes the kernels of one op family (convolution, elementwise, shape, ... in a subpackage of its own).
 * {@link Kernels} finds the families with {@link java.util.ServiceLoader} (listed in
 * {@code META-INF/services/dev.quanta.kernels.KernelProvider}), so that this package depends on none of them, and
 * gives each op to the one family whose {@link #handles} takes it: families must not overlap.
 */
public interface KernelProvider {
    /** True when this provider makes the kernel of {@code op}. */
    boolean handles(Op op);

    /**
     * The kernel of {@code op}, as {@link Kernels#create(Op, Function, Function, QuantizedPath)} describes.
     *
     * @throws UnsupportedOperationException naming the op when its tensor types are not supported
     */
    Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path);

    /**
     * The op × type × path combinations this provider runs: its rows of the kernel registry. {@link #handles} is
     * true for an op of each row whose tensors have the row's type.
     */
    List<KernelSupport> supported();
}
