package dev.quanta.kernels.elementwise;

import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT16;
import static dev.quanta.ir.DType.INT32;
import static dev.quanta.ir.DType.INT64;
import static dev.quanta.ir.DType.INT8;
import static dev.quanta.ir.DType.UINT8;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
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
 * SUB (float32, int32, int64, and quantized int8, uint8, int16), quantized MUL (int8, uint8, int16; the other
 * types run in {@code TensorOps}), SQUARED_DIFFERENCE (float32, int32, quantized int8), FLOOR_DIV (float32, int32, int16, int8 on
 * plain tensors), FLOOR_MOD (those and int64), POW (float32, int32). See {@link QuantizedBinary} for the integer
 * arithmetic of each path and {@link PlainElementwise} for the rest.
 */
public final class BinaryArithmeticKernels implements KernelProvider {
    private static final Set<DType> QUANTIZED = Set.of(INT8, UINT8, INT16);

    private static Set<DType> plainTypes(OpType type) {
        return switch (type) {
            case SUB -> Set.of(FLOAT32, INT32, INT64);
            case SQUARED_DIFFERENCE, POW -> Set.of(FLOAT32, INT32);
            case FLOOR_DIV -> Set.of(FLOAT32, INT32, INT16, INT8);
            case FLOOR_MOD -> Set.of(FLOAT32, INT32, INT64, INT16, INT8);
            default -> Set.of();
        };
    }

    @Override
    public boolean handles(Op op) {
        return switch (op.type()) {
            case SUB -> Operands.plain(op, plainTypes(OpType.SUB)) || Operands.quantized(op, QUANTIZED);
            case MUL -> Operands.quantized(op, QUANTIZED);
            case SQUARED_DIFFERENCE ->
                Operands.plain(op, plainTypes(op.type())) || Operands.quantized(op, Set.of(INT8));
            case FLOOR_DIV, FLOOR_MOD, POW -> Operands.plain(op, plainTypes(op.type()));
            default -> false;
        };
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        boolean integerOp =
                op.type() == OpType.SUB || op.type() == OpType.MUL || op.type() == OpType.SQUARED_DIFFERENCE;
        if (op.attributes() instanceof OpAttributes.PowerOfTwoSub pot
                && Operands.quantized(op, Set.of(DType.INT16))
                && PowerOfTwoSubInt16.allPowersOfTwo(op)) {
            Tensor a = op.input(0);
            Tensor b = op.input(1);
            Tensor y = op.output(0);
            return new PowerOfTwoSubInt16(
                    op,
                    Operands.operand(op, a, buffer.apply(a), shape.apply(a)),
                    Operands.operand(op, b, buffer.apply(b), shape.apply(b)),
                    Operands.operand(op, y, buffer.apply(y), shape.apply(y)),
                    pot.activation());
        }
        if (integerOp && Operands.quantized(op, QUANTIZED)) {
            Tensor a = op.input(0);
            Tensor b = op.input(1);
            Tensor y = op.output(0);
            Activation act = switch (op.attributes()) {
                case OpAttributes.Arithmetic ar -> ar.activation();
                case OpAttributes.PowerOfTwoSub pot -> pot.activation();
                default -> Activation.NONE;
            };
            return new QuantizedBinary(
                    op.type(),
                    Operands.operand(op, a, buffer.apply(a), shape.apply(a)),
                    Operands.operand(op, b, buffer.apply(b), shape.apply(b)),
                    Operands.operand(op, y, buffer.apply(y), shape.apply(y)),
                    y.dtype(),
                    act,
                    path == QuantizedPath.XNNPACK);
        }
        if (!handles(op)) {
            throw new UnsupportedOperationException(op.describe() + ": no kernel for " + op.type() + " on "
                    + op.input(0).dtype() + " tensors");
        }
        return PlainElementwise.create(op, buffer, shape);
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        for (DType t : plainTypes(OpType.SUB)) {
            rows.add(KernelSupport.bothPaths(OpType.SUB, t, "exact in the type, wrap-around integers"));
        }
        rows.add(KernelSupport.bothPaths(OpType.SUB, INT8, "XNNPACK vadd (−s_b) [XNNPACK], TFLite Add (−m_b, L = 20)"));
        rows.add(
                KernelSupport.bothPaths(OpType.SUB, UINT8, "XNNPACK vadd (−s_b) [XNNPACK], TFLite Add (−m_b, L = 20)"));
        rows.add(KernelSupport.bothPaths(
                OpType.SUB, INT16, "TFLite Add with −m_b (L = 15), or its power-of-two shifts [built-in on both]"));
        rows.add(KernelSupport.bothPaths(OpType.MUL, INT8, "XNNPACK vmul fp32 [XNNPACK], TFLite MBQM((a−zp)(b−zp))"));
        rows.add(KernelSupport.bothPaths(OpType.MUL, UINT8, "XNNPACK vmul fp32 [XNNPACK], TFLite MBQM((a−zp)(b−zp))"));
        rows.add(KernelSupport.bothPaths(OpType.MUL, INT16, "TFLite MBQM((a−zp)(b−zp)) [built-in on both]"));
        rows.add(KernelSupport.bothPaths(
                OpType.SQUARED_DIFFERENCE,
                INT8,
                "TFLite SquaredDifference (L = 7, MBQM of (a' − b')²) [built-in on both]"));
        for (OpType op : List.of(OpType.SQUARED_DIFFERENCE, OpType.FLOOR_DIV, OpType.FLOOR_MOD, OpType.POW)) {
            for (DType t : plainTypes(op)) {
                // unquantized int8/int16 run but have no row: the quantizer reads those rows as quantized kernels
                if (t != INT8 && t != INT16) {
                    rows.add(KernelSupport.bothPaths(op, t, "TFLite reference arithmetic in the type"));
                }
            }
        }
        return rows;
    }
}
