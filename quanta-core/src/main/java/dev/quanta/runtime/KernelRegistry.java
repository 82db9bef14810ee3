package dev.quanta.runtime;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpType;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.Kernels;

/**
 * What the interpreter's kernel registry runs, for the layers above the runtime (the quantizer asks it whether an
 * op has an integer kernel), which do not see the kernels themselves.
 */
public final class KernelRegistry {
    private KernelRegistry() {}

    /**
     * True when a kernel family's registry row ({@code Kernels.registry()}, hybrid rows aside) runs {@code op} with activations of {@code type} on both TFLite
     * paths, so that a file using it runs in Quanta whichever path is chosen.
     */
    public static boolean runsOnBothPaths(OpType op, DType type) {
        for (KernelSupport s : Kernels.registry()) {
            if (s.op() == op && s.type() == type && !s.hybrid() && s.onBothPaths()) {
                return true;
            }
        }
        return false;
    }
}
