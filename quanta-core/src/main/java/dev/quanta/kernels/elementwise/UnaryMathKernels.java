package dev.quanta.kernels.elementwise;

import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT32;
import static dev.quanta.ir.DType.INT64;

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
 * Float32 SQRT, RSQRT, EXP, LOG, FLOOR, CEIL, ROUND (ties to even), ABS on float32, int32 and unquantized int16, NEG on float32, int32 and int64
 * (integers wrap: |MIN| = MIN). Quantized forms (int8/int16 ABS, RSQRT, EXP) are not run: the interpreter
 * refuses them naming the op.
 */
public final class UnaryMathKernels implements KernelProvider {
    private static final List<OpType> FLOAT_ONLY =
            List.of(OpType.SQRT, OpType.RSQRT, OpType.EXP, OpType.LOG, OpType.FLOOR, OpType.CEIL, OpType.ROUND);

    private static Set<DType> types(OpType type) {
        return switch (type) {
            case SQRT, RSQRT, EXP, LOG, FLOOR, CEIL, ROUND -> Set.of(FLOAT32);
            case ABS -> Set.of(FLOAT32, INT32, DType.INT16);
            case NEG -> Set.of(FLOAT32, INT32, INT64);
            default -> Set.of();
        };
    }

    @Override
    public boolean handles(Op op) {
        return Operands.plain(op, types(op.type()));
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return PlainElementwise.create(op, buffer, shape);
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        for (OpType op : FLOAT_ONLY) {
            rows.add(KernelSupport.bothPaths(op, FLOAT32, "float32 (JDK double function rounded once)"));
        }
        for (OpType op : List.of(OpType.ABS, OpType.NEG)) {
            for (DType t : types(op)) {
                // unquantized int16 ABS runs but has no row: the quantizer reads an int16 row as a quantized kernel
                if (t != DType.INT16) {
                    rows.add(KernelSupport.bothPaths(op, t, "exact, integers wrap"));
                }
            }
        }
        return rows;
    }
}
