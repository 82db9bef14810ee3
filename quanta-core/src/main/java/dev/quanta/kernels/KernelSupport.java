package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpType;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One row of the kernel registry: {@code op} runs with tensors of element type {@code type} (the type of the op's
 * first input: its activation type) on the TFLite {@code paths} whose arithmetic it reproduces, computed as
 * {@code arithmetic} says in a few words. {@code hybrid} rows are the float32-activation forms with int8 weights
 * (dynamic-range quantization); a float16 model is float32 ops behind DEQUANTIZE rows of type FLOAT16. Float32 rows
 * agree with TFLite within float rounding, integer rows bit for bit. The interpreter, the quantizer's "has an
 * integer kernel" check and the README's op table read these rows.
 */
public record KernelSupport(OpType op, DType type, boolean hybrid, Set<QuantizedPath> paths, String arithmetic) {
    public KernelSupport {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(type, "type");
        paths = Set.copyOf(paths);
        if (paths.isEmpty()) {
            throw new IllegalArgumentException(op + " " + type + ": a kernel runs on at least one path");
        }
        Objects.requireNonNull(arithmetic, "arithmetic");
        if (hybrid && type != DType.FLOAT32) {
            throw new IllegalArgumentException(op + " " + type + ": a hybrid kernel has float32 activations");
        }
    }

    /** A row of a kernel whose weights have the activations' type. */
    public KernelSupport(OpType op, DType type, Set<QuantizedPath> paths, String arithmetic) {
        this(op, type, false, paths, arithmetic);
    }

    /** A hybrid kernel: float32 activations, int8 weights, on {@code paths}. */
    public static KernelSupport hybrid(OpType op, Set<QuantizedPath> paths, String arithmetic) {
        return new KernelSupport(op, DType.FLOAT32, true, paths, arithmetic);
    }

    /** A kernel whose arithmetic is the same on both paths (TFLite runs its built-in kernel on both). */
    public static KernelSupport bothPaths(OpType op, DType type, String arithmetic) {
        return new KernelSupport(op, type, EnumSet.allOf(QuantizedPath.class), arithmetic);
    }

    /** True when the kernel reproduces both paths, so a quantized file runs in Quanta whichever is chosen. */
    public boolean onBothPaths() {
        return paths.size() == QuantizedPath.values().length;
    }
}
