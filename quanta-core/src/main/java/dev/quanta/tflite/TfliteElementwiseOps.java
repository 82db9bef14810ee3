package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.Map;

/**
 * Reading and writing the element-wise arithmetic, math, comparison, selection and logical operators (issue 11):
 * SUB (with SubOptions), SQRT, RSQRT, ABS, NEG, EXP, LOG, FLOOR, CEIL, ROUND, SQUARED_DIFFERENCE, FLOOR_DIV,
 * FLOOR_MOD, POW, the six comparisons, SELECT, SELECT_V2, LOGICAL_AND/OR/NOT; and the versions of quantized MUL.
 * Versions follow {@code tensorflow/lite/tools/versioning/op_version.cc} for the tensor types.
 */
final class TfliteElementwiseOps {
    private TfliteElementwiseOps() {}

    /** SubOptions (union member 28): fused_activation_function (field 0), pot_scale_int16 (field 1, default true). */
    record SubOptions(int activation, boolean potScaleInt16) {
        static SubOptions read(FbTable t) {
            return t == null
                    ? new SubOptions(0, true)
                    : new SubOptions(t.int8(0, 0, "fused_activation_function"), t.bool(1, true, "pot_scale_int16"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(2);
            b.addByte(0, (byte) activation, 0);
            b.addBoolean(1, potScaleInt16, true);
            return b.endTable();
        }
    }

    private record Code(int op, int options, OpType type) {}

    /** Ops with no attributes: builtin code, options union member (BO_NONE: none written), IR op. */
    private static final Code[] SIMPLE = {
        new Code(TfliteSchema.OP_SQRT, TfliteSchema.BO_NONE, OpType.SQRT),
        new Code(TfliteSchema.OP_RSQRT, TfliteSchema.BO_NONE, OpType.RSQRT),
        new Code(TfliteSchema.OP_ABS, TfliteSchema.BO_ABS, OpType.ABS),
        new Code(TfliteSchema.OP_NEG, TfliteSchema.BO_NEG, OpType.NEG),
        new Code(TfliteSchema.OP_EXP, TfliteSchema.BO_EXP, OpType.EXP),
        new Code(TfliteSchema.OP_LOG, TfliteSchema.BO_NONE, OpType.LOG),
        new Code(TfliteSchema.OP_FLOOR, TfliteSchema.BO_NONE, OpType.FLOOR),
        new Code(TfliteSchema.OP_CEIL, TfliteSchema.BO_NONE, OpType.CEIL),
        new Code(TfliteSchema.OP_ROUND, TfliteSchema.BO_NONE, OpType.ROUND),
        new Code(TfliteSchema.OP_SQUARED_DIFFERENCE, TfliteSchema.BO_SQUARED_DIFFERENCE, OpType.SQUARED_DIFFERENCE),
        new Code(TfliteSchema.OP_FLOOR_DIV, TfliteSchema.BO_FLOOR_DIV, OpType.FLOOR_DIV),
        new Code(TfliteSchema.OP_FLOOR_MOD, TfliteSchema.BO_FLOOR_MOD, OpType.FLOOR_MOD),
        new Code(TfliteSchema.OP_POW, TfliteSchema.BO_POW, OpType.POW),
        new Code(TfliteSchema.OP_LESS, TfliteSchema.BO_LESS, OpType.LESS),
        new Code(TfliteSchema.OP_LESS_EQUAL, TfliteSchema.BO_LESS_EQUAL, OpType.LESS_EQUAL),
        new Code(TfliteSchema.OP_GREATER, TfliteSchema.BO_GREATER, OpType.GREATER),
        new Code(TfliteSchema.OP_GREATER_EQUAL, TfliteSchema.BO_GREATER_EQUAL, OpType.GREATER_EQUAL),
        new Code(TfliteSchema.OP_EQUAL, TfliteSchema.BO_EQUAL, OpType.EQUAL),
        new Code(TfliteSchema.OP_NOT_EQUAL, TfliteSchema.BO_NOT_EQUAL, OpType.NOT_EQUAL),
        new Code(TfliteSchema.OP_SELECT, TfliteSchema.BO_SELECT, OpType.SELECT),
        new Code(TfliteSchema.OP_SELECT_V2, TfliteSchema.BO_SELECT_V2, OpType.SELECT_V2),
        new Code(TfliteSchema.OP_LOGICAL_AND, TfliteSchema.BO_LOGICAL_AND, OpType.LOGICAL_AND),
        new Code(TfliteSchema.OP_LOGICAL_OR, TfliteSchema.BO_LOGICAL_OR, OpType.LOGICAL_OR),
        new Code(TfliteSchema.OP_LOGICAL_NOT, TfliteSchema.BO_LOGICAL_NOT, OpType.LOGICAL_NOT),
    };

    /** Registers the importers with {@link TfliteImporters}. */
    static void registerImporters() {
        TfliteImporters.register(TfliteSchema.OP_SUB, TfliteElementwiseOps::sub);
        for (Code code : SIMPLE) {
            TfliteImporters.register(code.op(), c -> {
                Tensor[] in = new Tensor[c.inputCount()];
                for (int i = 0; i < in.length; i++) {
                    in[i] = c.input(i);
                }
                c.produce(code.type(), OpAttributes.None.INSTANCE, in);
            });
        }
    }

    /** Adds the exporters to {@link TfliteExporters}' map (quantized MUL's versions replace its float-only one). */
    static void registerExporters(Map<OpType, TfliteExporters.OpExporter> exporters) {
        exporters.put(OpType.SUB, TfliteElementwiseOps::writeSub);
        exporters.put(OpType.MUL, TfliteElementwiseOps::writeMul);
        for (Code code : SIMPLE) {
            exporters.put(code.type(), (op, c) -> {
                int version = version(op);
                return code.options() == TfliteSchema.BO_NONE
                        ? TfliteExporters.Exported.of(code.op(), version, inputs(op, c))
                        : TfliteExporters.Exported.withEmptyOptions(code.op(), version, inputs(op, c), code.options());
            });
        }
    }

    /**
     * SUB. A quantized int16 SUB whose options set pot_scale_int16 (the default) keeps the flag as
     * {@link OpAttributes.PowerOfTwoSub}: TFLite then takes its power-of-two form when all three scales are powers of
     * two (the kernel decides, as TFLite's Prepare does).
     */
    private static void sub(OpContext c) {
        SubOptions o = c.options(TfliteSchema.BO_SUB, SubOptions::read);
        Tensor a = c.input(0);
        Tensor b = c.input(1);
        boolean pot = o.potScaleInt16() && a.dtype() == DType.INT16 && a.quant() != null;
        OpAttributes attrs = pot
                ? new OpAttributes.PowerOfTwoSub(c.activation(o.activation()))
                : new OpAttributes.Arithmetic(c.activation(o.activation()));
        c.produce(OpType.SUB, attrs, a, b);
    }

    private static TfliteExporters.Exported writeSub(Op op, TfliteExporters.Context c) {
        DType t = op.input(0).dtype();
        int version;
        if (t == DType.INT16) {
            version = 5;
        } else if (t == DType.INT64) {
            version = 4;
        } else if (broadcastAbove4(op)) {
            version = 3;
        } else {
            version = t == DType.INT8 ? 2 : 1;
        }
        SubOptions o = op.attributes() instanceof OpAttributes.PowerOfTwoSub pot
                ? new SubOptions(TfliteSchema.activation(pot.activation()), true)
                : new SubOptions(
                        TfliteSchema.activation(
                                op.attrs(OpAttributes.Arithmetic.class).activation()),
                        false);
        return new TfliteExporters.Exported(TfliteSchema.OP_SUB, version, inputs(op, c), TfliteSchema.BO_SUB, o::write);
    }

    /** MUL with op_version.cc's version for its types (int8 2, rescale ≥ 1: 3, quantized int16 4, int64 5). */
    private static TfliteExporters.Exported writeMul(Op op, TfliteExporters.Context c) {
        Tensor a = op.input(0);
        DType t = a.dtype();
        boolean quantized = a.quant() != null && t != DType.FLOAT32;
        int version;
        if (t == DType.INT16) {
            version = quantized ? 4 : 7;
        } else if (t == DType.UINT32) {
            version = 7;
        } else if (t == DType.INT64) {
            version = 5;
        } else if (quantized
                && op.input(1).quant() != null
                && op.output(0).quant() != null
                && a.quant().scales()[0]
                                * op.input(1).quant().scales()[0]
                                / op.output(0).quant().scales()[0]
                        >= 1.0f) {
            version = 3;
        } else {
            version = t == DType.INT8 ? 2 : 1;
        }
        TfliteOptions.Arithmetic o = new TfliteOptions.Arithmetic(
                TfliteSchema.BO_MUL,
                TfliteSchema.activation(op.attrs(OpAttributes.Arithmetic.class).activation()));
        return new TfliteExporters.Exported(TfliteSchema.OP_MUL, version, inputs(op, c), TfliteSchema.BO_MUL, o::write);
    }

    private static boolean broadcastAbove4(Op op) {
        int rank = 0;
        for (Tensor t : op.inputs()) {
            rank = Math.max(rank, t.shape().rank());
        }
        return !op.input(0).shape().equals(op.input(1).shape()) && rank > 4;
    }

    /** op_version.cc's version of the attribute-free ops for the type of their first input. */
    private static int version(Op op) {
        DType t = op.input(0).dtype();
        boolean i8 = t == DType.INT8;
        boolean i16 = t == DType.INT16;
        return switch (op.type()) {
            case RSQRT -> i16 ? 3 : i8 ? 2 : 1;
            case EXP, LOG -> i8 || i16 ? 2 : 1;
            case ABS ->
                t == DType.INT32 ? 5 : i16 ? (op.input(0).quant() != null ? 3 : 4) : i8 || t == DType.UINT8 ? 2 : 1;
            case FLOOR_DIV -> i8 || i16 ? 3 : t == DType.FLOAT32 ? 2 : 1;
            case FLOOR_MOD -> i8 || i16 ? 2 : 1;
            case LESS, GREATER_EQUAL -> i16 ? 3 : i8 ? 2 : 1;
            case EQUAL -> i16 ? 4 : i8 ? 2 : 1;
            case GREATER, LESS_EQUAL, NOT_EQUAL, SQUARED_DIFFERENCE -> i8 ? 2 : 1;
            case SELECT -> {
                for (Tensor in : op.inputs()) {
                    if (in.shape().rank() == 5) {
                        yield 3;
                    }
                }
                yield 1;
            }
            default -> 1;
        };
    }

    private static int[] inputs(Op op, TfliteExporters.Context c) {
        int[] idx = new int[op.inputs().size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = c.index(op.input(i));
        }
        return idx;
    }
}
