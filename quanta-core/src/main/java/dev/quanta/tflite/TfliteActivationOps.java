package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import java.util.Map;

/**
 * The activation operators of issue 11 (HARD_SWISH, PRELU, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1, LOG_SOFTMAX):
 * reading, and writing with the version {@code op_version.cc} gives each type combination. MINIMUM and MAXIMUM
 * keep their importers in {@link TfliteImporters}; their exporter is here so that quantized files get version 2
 * (int8) or 4 (int16).
 */
final class TfliteActivationOps {
    private TfliteActivationOps() {}

    /** GeluOptions: field 0, {@code approximate} (bool, default false). */
    record Gelu(boolean approximate) {
        static final int TYPE = TfliteSchema.BO_GELU;

        static Gelu read(FbTable t) {
            return new Gelu(t != null && t.bool(TfliteSchema.SINGLE_FIELD, false, "approximate"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(1);
            b.addBoolean(TfliteSchema.SINGLE_FIELD, approximate, false);
            return b.endTable();
        }
    }

    /** Registers the importers (called from {@link TfliteImporters}' static block). */
    static void registerImporters() {
        TfliteImporters.register(TfliteSchema.OP_HARD_SWISH, c -> unary(c, OpType.HARD_SWISH));
        TfliteImporters.register(TfliteSchema.OP_ELU, c -> unary(c, OpType.ELU));
        TfliteImporters.register(TfliteSchema.OP_RELU_N1_TO_1, c -> unary(c, OpType.RELU_N1_TO_1));
        TfliteImporters.register(TfliteSchema.OP_RELU_0_TO_1, c -> unary(c, OpType.RELU_0_TO_1));
        TfliteImporters.register(TfliteSchema.OP_LOG_SOFTMAX, c -> unary(c, OpType.LOG_SOFTMAX));
        TfliteImporters.register(
                TfliteSchema.OP_PRELU,
                c -> c.produce(OpType.PRELU, OpAttributes.None.INSTANCE, c.input(0), c.input(1)));
        TfliteImporters.register(
                TfliteSchema.OP_GELU,
                c -> c.produce(
                        OpType.GELU,
                        new OpAttributes.Gelu(c.options(Gelu.TYPE, Gelu::read).approximate()),
                        c.input(0)));
    }

    private static void unary(OpContext c, OpType type) {
        c.produce(type, OpAttributes.None.INSTANCE, c.input(0));
    }

    /** Registers the exporters (called from {@link TfliteExporters}' static block). */
    static void registerExporters(Map<OpType, TfliteExporters.OpExporter> exporters) {
        exporters.put(OpType.HARD_SWISH, (op, c) -> plain(op, c, TfliteSchema.OP_HARD_SWISH, 1));
        exporters.put(OpType.PRELU, (op, c) -> plain(op, c, TfliteSchema.OP_PRELU, 1));
        exporters.put(OpType.ELU, (op, c) -> plain(op, c, TfliteSchema.OP_ELU, 1));
        exporters.put(OpType.RELU_N1_TO_1, (op, c) -> plain(op, c, TfliteSchema.OP_RELU_N1_TO_1, 1));
        exporters.put(OpType.RELU_0_TO_1, (op, c) -> plain(op, c, TfliteSchema.OP_RELU_0_TO_1, 1));
        exporters.put(
                OpType.LOG_SOFTMAX,
                (op, c) -> plain(op, c, TfliteSchema.OP_LOG_SOFTMAX, inputIs(op, DType.INT8) ? 2 : 1));
        exporters.put(OpType.GELU, (op, c) -> {
            Gelu o = new Gelu(op.attrs(OpAttributes.Gelu.class).approximate());
            int version = inputIs(op, DType.INT8) || inputIs(op, DType.UINT8) ? 2 : 1;
            return new TfliteExporters.Exported(TfliteSchema.OP_GELU, version, inputs(op, c), Gelu.TYPE, o::write);
        });
        exporters.put(OpType.MINIMUM, (op, c) -> minimumMaximum(op, c, TfliteSchema.OP_MINIMUM));
        exporters.put(OpType.MAXIMUM, (op, c) -> minimumMaximum(op, c, TfliteSchema.OP_MAXIMUM));
    }

    /**
     * MINIMUM and MAXIMUM with their empty MaximumMinimumOptions: version 4 for int16, 3 when a broadcast has an
     * input of more than 4 dimensions, 2 for int8, else 1.
     */
    private static TfliteExporters.Exported minimumMaximum(Op op, TfliteExporters.Context c, int code) {
        int version = 1;
        boolean broadcast = !op.input(0).shape().equals(op.input(1).shape());
        int rank = Math.max(op.input(0).shape().rank(), op.input(1).shape().rank());
        if (inputIs(op, DType.INT16) && op.output(0).dtype() == DType.INT16) {
            version = 4;
        } else if (broadcast && rank > 4) {
            version = 3;
        } else if (inputIs(op, DType.INT8)) {
            version = 2;
        }
        return TfliteExporters.Exported.withEmptyOptions(code, version, inputs(op, c), TfliteSchema.BO_MAXIMUM_MINIMUM);
    }

    private static TfliteExporters.Exported plain(Op op, TfliteExporters.Context c, int code, int version) {
        return TfliteExporters.Exported.of(code, version, inputs(op, c));
    }

    private static boolean inputIs(Op op, DType type) {
        return op.input(0).dtype() == type;
    }

    private static int[] inputs(Op op, TfliteExporters.Context c) {
        int[] idx = new int[op.inputs().size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = c.index(op.input(i));
        }
        return idx;
    }
}
