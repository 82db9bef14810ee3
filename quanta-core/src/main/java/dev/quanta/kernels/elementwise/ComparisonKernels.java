package dev.quanta.kernels.elementwise;

import static dev.quanta.ir.DType.BOOL;
import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT16;
import static dev.quanta.ir.DType.INT32;
import static dev.quanta.ir.DType.INT64;
import static dev.quanta.ir.DType.INT8;
import static dev.quanta.ir.DType.UINT8;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL (BOOL output; float32, int32, int64 by stored
 * value, also int16 for EQUAL, LESS, GREATER_EQUAL and BOOL for EQUAL, NOT_EQUAL as TFLite; quantized int8/uint8
 * by TFLite's rescaled value), SELECT and SELECT_V2 (values
 * of any type copied), LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT (BOOL).
 */
public final class ComparisonKernels implements KernelProvider {
    private static final List<OpType> COMPARISONS = List.of(
            OpType.LESS, OpType.LESS_EQUAL, OpType.GREATER, OpType.GREATER_EQUAL, OpType.EQUAL, OpType.NOT_EQUAL);
    private static final Set<DType> SELECTABLE = Set.of(FLOAT32, INT32, INT64, INT16, INT8, UINT8, BOOL);

    /**
     * The unquantized types TFLite 2.21's kernel of each comparison takes (int16 only for EQUAL, LESS and
     * GREATER_EQUAL; BOOL only for the equalities).
     */
    private static Set<DType> plainTypes(OpType t) {
        return switch (t) {
            case EQUAL -> Set.of(FLOAT32, INT32, INT64, INT16, BOOL);
            case NOT_EQUAL -> Set.of(FLOAT32, INT32, INT64, BOOL);
            case LESS, GREATER_EQUAL -> Set.of(FLOAT32, INT32, INT64, INT16);
            default -> Set.of(FLOAT32, INT32, INT64);
        };
    }

    @Override
    public boolean handles(Op op) {
        OpType type = op.type();
        if (COMPARISONS.contains(type)) {
            if (op.output(0).dtype() != BOOL
                    || op.input(0).dtype() != op.input(1).dtype()) {
                return false;
            }
            DType t = op.input(0).dtype();
            if (t == INT8 || t == UINT8) {
                return op.input(0).quant() != null && op.input(1).quant() != null;
            }
            return plainTypes(type).contains(t);
        }
        return switch (type) {
            case SELECT, SELECT_V2 ->
                op.input(0).dtype() == BOOL
                        && SELECTABLE.contains(op.input(1).dtype())
                        && op.input(1).dtype() == op.input(2).dtype()
                        && op.output(0).dtype() == op.input(1).dtype();
            case LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT -> Operands.plain(op, Set.of(BOOL));
            default -> false;
        };
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return PlainElementwise.create(op, buffer, shape);
    }

    /**
     * Rows for the non-activation types only: the quantized int8/uint8 (and int16) comparisons run, but the
     * quantizer does not produce them (their BOOL output is not an activation), so they have no row; nor do
     * SELECT's value types (its row type is its BOOL condition).
     */
    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        for (OpType op : COMPARISONS) {
            for (DType t : List.of(FLOAT32, INT32, INT64, BOOL)) {
                if (plainTypes(op).contains(t)) {
                    rows.add(KernelSupport.bothPaths(op, t, "compares stored values"));
                }
            }
        }
        for (OpType op : List.of(OpType.SELECT, OpType.SELECT_V2)) {
            rows.add(KernelSupport.bothPaths(op, BOOL, "copies the chosen stored values (any value type)"));
        }
        for (OpType op : List.of(OpType.LOGICAL_AND, OpType.LOGICAL_OR, OpType.LOGICAL_NOT)) {
            rows.add(KernelSupport.bothPaths(op, BOOL, "exact"));
        }
        return rows;
    }
}
