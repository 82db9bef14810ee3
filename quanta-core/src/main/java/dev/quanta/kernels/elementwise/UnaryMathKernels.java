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
 * (integers wrap: |MIN| = MIN); quantized ABS and SQRT (int8, int16) as {@link QuantizedUnary}. Quantized EXP
 * and LOG (int8, int16) and RSQRT (int16) through TFLite's tables ({@link LookupUnary}); per-tensor int8 RSQRT
 * through TFLite's fixed-point inverse square root ({@link RsqrtInt8}).
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

    private static boolean quantized(Op op) {
        return (op.type() == OpType.ABS || op.type() == OpType.SQRT)
                && Operands.quantized(op, Set.of(DType.INT8, DType.INT16));
    }

    /** NEG on int8/int16, quantized or not: TFLite negates the stored values, whatever their parameters. */
    private static boolean storedNegation(Op op) {
        DType t = op.input(0).dtype();
        return op.type() == OpType.NEG
                && (t == DType.INT8 || t == DType.INT16)
                && op.output(0).dtype() == t;
    }

    /** EXP and LOG on int8/int16, RSQRT on int16: TFLite's lookup tables. */
    private static boolean lookup(Op op) {
        DType t = op.input(0).dtype();
        return switch (op.type()) {
            case EXP, LOG -> Operands.quantized(op, Set.of(DType.INT8, DType.INT16));
            case RSQRT -> Operands.quantized(op, Set.of(DType.INT16)) && t == DType.INT16;
            default -> false;
        };
    }

    /** RSQRT on per-tensor int8: TFLite's fixed-point inverse square root. */
    private static boolean rsqrtInt8(Op op) {
        return op.type() == OpType.RSQRT
                && op.input(0).dtype() == DType.INT8
                && Operands.quantized(op, Set.of(DType.INT8))
                && op.input(0).quant().isPerTensor()
                && op.output(0).quant().isPerTensor();
    }

    @Override
    public boolean handles(Op op) {
        return Operands.plain(op, types(op.type()))
                || quantized(op)
                || storedNegation(op)
                || lookup(op)
                || rsqrtInt8(op);
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        if (rsqrtInt8(op)) {
            return new RsqrtInt8(op, buffer.apply(op.input(0)), buffer.apply(op.output(0)));
        }
        if (lookup(op)) {
            return new LookupUnary(op, buffer.apply(op.input(0)), buffer.apply(op.output(0)));
        }
        if (quantized(op)) {
            return new QuantizedUnary(op, buffer.apply(op.input(0)), buffer.apply(op.output(0)));
        }
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
        // quantized SQRT runs too but has no row: the quantizer leaves SQRT in float (its input may be negative)
        for (DType t : List.of(DType.INT8, DType.INT16)) {
            rows.add(KernelSupport.bothPaths(OpType.ABS, t, "TFLite's quantized Abs, tabulated [built-in on both]"));
        }
        rows.add(KernelSupport.bothPaths(
                OpType.RSQRT, DType.INT8, "TFLite's fixed-point inverse square root [built-in on both]"));
        // int16 RSQRT (zero points 0): the quantizer writes it in 16x8 mode; its input is a variance + ε, never < 0
        rows.add(KernelSupport.bothPaths(
                OpType.RSQRT, DType.INT16, "TFLite's interpolated 513-entry table [built-in on both]"));
        return rows;
    }
}
