package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.tflite.TfliteExporters.Exported;
import dev.quanta.tflite.TfliteExporters.OpExporter;
import java.util.Map;

/**
 * Reading and writing the shape and data movement operators of issue 11: SPLIT, SPLIT_V, UNPACK, PACK, GATHER and
 * GATHER_ND. Axes and split sizes that TFLite takes as constant input tensors become attributes of the IR op (a
 * computed one is refused); the versions written are those of {@code op_version.cc} for the tensor types.
 */
final class TfliteDataMovementOps {
    private TfliteDataMovementOps() {}

    // ------------------------------------------------------------------ options tables

    /** An options table of int fields (SplitOptions, SplitVOptions, UnpackOptions, PackOptions, GatherOptions). */
    record IntFields(int[] values) {
        /** The fields 0..n−1 of {@code t} (0 when absent, all 0 for a missing table). */
        static IntFields read(FbTable t, String... names) {
            int[] v = new int[names.length];
            for (int i = 0; t != null && i < names.length; i++) {
                v[i] = t.int32(i, 0, names[i]);
            }
            return new IntFields(v);
        }

        int get(int i) {
            return values[i];
        }

        int write(FlatBufferBuilder b) {
            b.startTable(values.length);
            for (int i = 0; i < values.length; i++) {
                b.addInt(i, values[i], 0);
            }
            return b.endTable();
        }
    }

    private static IntFields options(OpContext c, int type, String... names) {
        return c.options(type, t -> IntFields.read(t, names));
    }

    // ------------------------------------------------------------------ reading

    /** Registers the importers of this family with {@link TfliteImporters}. */
    static void registerImporters() {
        TfliteImporters.register(TfliteSchema.OP_SPLIT, TfliteDataMovementOps::readSplit);
        TfliteImporters.register(TfliteSchema.OP_SPLIT_V, TfliteDataMovementOps::readSplitV);
        TfliteImporters.register(TfliteSchema.OP_UNPACK, TfliteDataMovementOps::readUnpack);
        TfliteImporters.register(TfliteSchema.OP_PACK, TfliteDataMovementOps::readPack);
        TfliteImporters.register(TfliteSchema.OP_GATHER, TfliteDataMovementOps::readGather);
        TfliteImporters.register(TfliteSchema.OP_GATHER_ND, TfliteDataMovementOps::readGatherNd);
    }

    /** The single value of constant input {@code i} (an axis). */
    private static int scalar(OpContext c, int i, String what) {
        int[] v = c.constantInts(i, what);
        if (v.length != 1) {
            throw c.error("the " + what + " input holds " + v.length + " values, expected 1");
        }
        return v[0];
    }

    /** SPLIT: inputs axis (constant) and the tensor; num_splits outputs. */
    private static void readSplit(OpContext c) {
        int num = options(c, TfliteSchema.BO_SPLIT, "num_splits").get(0);
        if (num != c.outputCount()) {
            throw c.error("num_splits is " + num + " but the operator has " + c.outputCount() + " outputs");
        }
        c.produceAll(OpType.SPLIT, new OpAttributes.Split(scalar(c, 0, "axis"), num), c.input(1));
    }

    /** SPLIT_V: inputs the tensor, size_splits (constant) and axis (constant). */
    private static void readSplitV(OpContext c) {
        int[] sizes = c.constantInts(1, "size_splits");
        if (sizes.length != c.outputCount()) {
            throw c.error("size_splits holds " + sizes.length + " sizes but the operator has " + c.outputCount()
                    + " outputs");
        }
        c.produceAll(OpType.SPLIT_V, new OpAttributes.SplitV(scalar(c, 2, "axis"), sizes), c.input(0));
    }

    private static void readUnpack(OpContext c) {
        IntFields o = options(c, TfliteSchema.BO_UNPACK, "num", "axis");
        if (o.get(0) != c.outputCount()) {
            throw c.error("num is " + o.get(0) + " but the operator has " + c.outputCount() + " outputs");
        }
        c.produceAll(OpType.UNPACK, new OpAttributes.Unpack(o.get(1), o.get(0)), c.input(0));
    }

    private static void readPack(OpContext c) {
        IntFields o = options(c, TfliteSchema.BO_PACK, "values_count", "axis");
        if (o.get(0) != c.inputCount() || c.inputCount() < 1) {
            throw c.error("values_count is " + o.get(0) + " but the operator has " + c.inputCount() + " inputs");
        }
        Tensor[] inputs = new Tensor[c.inputCount()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = c.input(i);
            if (inputs[i].dtype() != inputs[0].dtype()) {
                throw c.error("input " + i + " is " + inputs[i].dtype() + " but input 0 is " + inputs[0].dtype());
            }
        }
        c.produce(OpType.PACK, new OpAttributes.Pack(o.get(1)), inputs);
    }

    private static Tensor indices(OpContext c, int i) {
        Tensor t = c.input(i);
        if (t.dtype() != DType.INT32 && t.dtype() != DType.INT64 && t.dtype() != DType.INT16) {
            throw c.error("indices " + t.name() + " are " + t.dtype() + "; int16, int32 or int64 expected");
        }
        return t;
    }

    private static void readGather(OpContext c) {
        IntFields o = options(c, TfliteSchema.BO_GATHER, "axis", "batch_dims");
        c.produce(OpType.GATHER, new OpAttributes.Gather(o.get(0), o.get(1)), c.input(0), indices(c, 1));
    }

    private static void readGatherNd(OpContext c) {
        c.produce(OpType.GATHER_ND, OpAttributes.None.INSTANCE, c.input(0), indices(c, 1));
    }

    // ------------------------------------------------------------------ writing

    /** Registers the exporters of this family in {@code exporters} ({@link TfliteExporters}' map). */
    static void registerExporters(Map<OpType, OpExporter> exporters) {
        exporters.put(OpType.SPLIT, TfliteDataMovementOps::writeSplit);
        exporters.put(OpType.SPLIT_V, TfliteDataMovementOps::writeSplitV);
        exporters.put(OpType.UNPACK, TfliteDataMovementOps::writeUnpack);
        exporters.put(OpType.PACK, TfliteDataMovementOps::writePack);
        exporters.put(OpType.GATHER, TfliteDataMovementOps::writeGather);
        exporters.put(OpType.GATHER_ND, TfliteDataMovementOps::writeGatherNd);
    }

    private static boolean is(Tensor t, DType... types) {
        for (DType d : types) {
            if (t.dtype() == d) {
                return true;
            }
        }
        return false;
    }

    private static Exported withOptions(int code, int version, int[] inputs, int type, int... fields) {
        return new Exported(code, version, inputs, type, new IntFields(fields)::write);
    }

    /** SPLIT: the axis as a constant scalar, then the tensor. Version 4 int16, 3 int32, 2 int8, else 1. */
    private static Exported writeSplit(Op op, TfliteExporters.Context c) {
        OpAttributes.Split a = op.attrs(OpAttributes.Split.class);
        Tensor x = op.input(0);
        int axis = c.int32Constant(op.output(0).name() + "/axis", new int[0], new int[] {a.axis()});
        int version = is(x, DType.INT16) ? 4 : is(x, DType.INT32) ? 3 : is(x, DType.INT8) ? 2 : 1;
        return withOptions(
                TfliteSchema.OP_SPLIT, version, new int[] {axis, c.index(x)}, TfliteSchema.BO_SPLIT, a.numSplits());
    }

    /** SPLIT_V: the tensor, size_splits and the axis (constants). Version 2 for int8, else 1. */
    private static Exported writeSplitV(Op op, TfliteExporters.Context c) {
        OpAttributes.SplitV a = op.attrs(OpAttributes.SplitV.class);
        Tensor x = op.input(0);
        String name = op.output(0).name();
        int[] inputs = {
            c.index(x),
            c.int32Constant(name + "/size_splits", new int[] {a.sizes().length}, a.sizes()),
            c.int32Constant(name + "/axis", new int[0], new int[] {a.axis()})
        };
        return withOptions(
                TfliteSchema.OP_SPLIT_V, is(x, DType.INT8) ? 2 : 1, inputs, TfliteSchema.BO_SPLIT_V, a.sizes().length);
    }

    /** UNPACK: version 2 int8/uint8, 3 bool, 4 int16, else 1. */
    private static Exported writeUnpack(Op op, TfliteExporters.Context c) {
        OpAttributes.Unpack a = op.attrs(OpAttributes.Unpack.class);
        Tensor x = op.input(0);
        int version = is(x, DType.INT8, DType.UINT8) ? 2 : is(x, DType.BOOL) ? 3 : is(x, DType.INT16) ? 4 : 1;
        return withOptions(
                TfliteSchema.OP_UNPACK, version, new int[] {c.index(x)}, TfliteSchema.BO_UNPACK, a.num(), a.axis());
    }

    /** PACK: version 2 int8, 3 int16, 4 uint32, else 1. */
    private static Exported writePack(Op op, TfliteExporters.Context c) {
        Tensor x = op.input(0);
        int version = is(x, DType.INT8) ? 2 : is(x, DType.INT16) ? 3 : is(x, DType.UINT32) ? 4 : 1;
        int[] inputs = new int[op.inputs().size()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = c.index(op.input(i));
        }
        return withOptions(
                TfliteSchema.OP_PACK,
                version,
                inputs,
                TfliteSchema.BO_PACK,
                inputs.length,
                op.attrs(OpAttributes.Pack.class).axis());
    }

    /** GATHER: version 6 int16 indices, 5 batch_dims, 4 int16, 3 bool, 2 int8, else 1. */
    private static Exported writeGather(Op op, TfliteExporters.Context c) {
        OpAttributes.Gather a = op.attrs(OpAttributes.Gather.class);
        Tensor x = op.input(0);
        int version;
        if (is(op.input(1), DType.INT16)) {
            version = 6;
        } else if (a.batchDims() != 0) {
            version = 5;
        } else {
            version = is(x, DType.INT16) ? 4 : is(x, DType.BOOL) ? 3 : is(x, DType.INT8) ? 2 : 1;
        }
        return withOptions(
                TfliteSchema.OP_GATHER,
                version,
                new int[] {c.index(x), c.index(op.input(1))},
                TfliteSchema.BO_GATHER,
                a.axis(),
                a.batchDims());
    }

    /** GATHER_ND: version 5 bool, 4 int16 indices, 3 int16, else 1. */
    private static Exported writeGatherNd(Op op, TfliteExporters.Context c) {
        Tensor x = op.input(0);
        int version = is(x, DType.BOOL) ? 5 : is(op.input(1), DType.INT16) ? 4 : is(x, DType.INT16) ? 3 : 1;
        return Exported.withEmptyOptions(
                TfliteSchema.OP_GATHER_ND,
                version,
                new int[] {c.index(x), c.index(op.input(1))},
                TfliteSchema.BO_GATHER_ND);
    }
}
