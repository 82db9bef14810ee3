package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.Set;

/** Type checks of an op's tensors shared by the providers of this package. */
final class Operands {
    private Operands() {}

    /** True when every input and output has a type of {@code types}, none quantized (floats may carry params). */
    static boolean plain(Op op, Set<DType> types) {
        for (Tensor t : op.inputs()) {
            if (!types.contains(t.dtype()) || quantizedInteger(t)) {
                return false;
            }
        }
        for (Tensor t : op.outputs()) {
            if (!types.contains(t.dtype()) || quantizedInteger(t)) {
                return false;
            }
        }
        return true;
    }

    /** True when every input and output of {@code op} is a quantized tensor of one type of {@code types}. */
    static boolean quantized(Op op, Set<DType> types) {
        DType first = op.input(0).dtype();
        if (!types.contains(first)) {
            return false;
        }
        for (Tensor t : op.inputs()) {
            if (t.dtype() != first || t.quant() == null) {
                return false;
            }
        }
        for (Tensor t : op.outputs()) {
            if (t.dtype() != first || t.quant() == null) {
                return false;
            }
        }
        return true;
    }

    private static boolean quantizedInteger(Tensor t) {
        return t.quant() != null && t.dtype() != DType.FLOAT32 && t.dtype() != DType.FLOAT16;
    }

    static QuantizedBinary.Operand operand(Op op, Tensor t, Object data, int[] dims) {
        return new QuantizedBinary.Operand(
                data,
                dims,
                dev.quanta.kernels.arithmetic.Quant.scale(op, t),
                dev.quanta.kernels.arithmetic.Quant.zeroPoint(op, t));
    }
}
