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
 * Reading and writing the shape and data movement operators of issue 11: SPLIT, SPLIT_V, UNPACK, PACK, GATHER,
 * GATHER_ND, SLICE, SQUEEZE, EXPAND_DIMS, TILE, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH, REVERSE_V2, MIRROR_PAD,
 * PADV2, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, SHAPE, FILL, ZEROS_LIKE and RANGE. Axes, sizes, shapes and amounts that
 * TFLite takes as constant input tensors become attributes of the IR op (a computed one is refused); the versions
 * written are those of {@code op_version.cc} for the tensor types.
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
        TfliteImporters.register(
                TfliteSchema.OP_SLICE,
                c -> c.produce(
                        OpType.SLICE,
                        new OpAttributes.Slice(c.constantInts(1, "begin"), c.constantInts(2, "size")),
                        c.input(0)));
        TfliteImporters.register(TfliteSchema.OP_SQUEEZE, TfliteDataMovementOps::readSqueeze);
        TfliteImporters.register(
                TfliteSchema.OP_EXPAND_DIMS,
                c -> c.produce(OpType.EXPAND_DIMS, new OpAttributes.ExpandDims(scalar(c, 1, "axis")), c.input(0)));
        TfliteImporters.register(
                TfliteSchema.OP_TILE,
                c -> c.produce(OpType.TILE, new OpAttributes.Tile(c.constantInts(1, "multiples")), c.input(0)));
        TfliteImporters.register(
                TfliteSchema.OP_BROADCAST_TO,
                c -> c.produce(
                        OpType.BROADCAST_TO, new OpAttributes.BroadcastTo(c.constantInts(1, "shape")), c.input(0)));
        TfliteImporters.register(TfliteSchema.OP_DEPTH_TO_SPACE, c -> readBlock(c, OpType.DEPTH_TO_SPACE));
        TfliteImporters.register(TfliteSchema.OP_SPACE_TO_DEPTH, c -> readBlock(c, OpType.SPACE_TO_DEPTH));
        TfliteImporters.register(
                TfliteSchema.OP_REVERSE_V2,
                c -> c.produce(OpType.REVERSE_V2, new OpAttributes.Reverse(c.constantInts(1, "axis")), c.input(0)));
        TfliteImporters.register(TfliteSchema.OP_MIRROR_PAD, TfliteDataMovementOps::readMirrorPad);
        TfliteImporters.register(
                TfliteSchema.OP_PADV2,
                c -> c.produce(
                        OpType.PADV2,
                        new OpAttributes.Pad(
                                pairs(c, 1, "paddings", c.input(0).shape().rank())),
                        c.input(0),
                        c.inputCount() > 2 ? c.optionalInput(2) : null));
        TfliteImporters.register(TfliteSchema.OP_SPACE_TO_BATCH_ND, c -> readSpaceBatch(c, OpType.SPACE_TO_BATCH_ND));
        TfliteImporters.register(TfliteSchema.OP_BATCH_TO_SPACE_ND, c -> readSpaceBatch(c, OpType.BATCH_TO_SPACE_ND));
        TfliteImporters.register(
                TfliteSchema.OP_SHAPE, c -> c.produce(OpType.SHAPE, OpAttributes.None.INSTANCE, c.input(0)));
        TfliteImporters.register(
                TfliteSchema.OP_FILL,
                c -> c.produce(OpType.FILL, new OpAttributes.Fill(c.constantInts(0, "dims")), c.input(1)));
        TfliteImporters.register(
                TfliteSchema.OP_ZEROS_LIKE, c -> c.produce(OpType.ZEROS_LIKE, OpAttributes.None.INSTANCE, c.input(0)));
        // RANGE: start, limit and delta stay inputs (constants: shape inference reads them, and refuses computed ones)
        TfliteImporters.register(
                TfliteSchema.OP_RANGE,
                c -> c.produce(OpType.RANGE, OpAttributes.None.INSTANCE, c.input(0), c.input(1), c.input(2)));
    }

    /** Constant input {@code i} as {@code rows} pairs (paddings, crops). */
    private static int[][] pairs(OpContext c, int i, String what, int rows) {
        int[] flat = c.constantInts(i, what);
        if (flat.length != 2 * rows) {
            throw c.error("the " + what + " input holds " + flat.length + " values, expected " + 2 * rows);
        }
        int[][] p = new int[rows][];
        for (int k = 0; k < rows; k++) {
            p[k] = new int[] {flat[2 * k], flat[2 * k + 1]};
        }
        return p;
    }

    private static void readSqueeze(OpContext c) {
        int[] axes = c.options(TfliteSchema.BO_SQUEEZE, t -> t == null ? null : t.ints(0, "squeeze_dims"));
        c.produce(OpType.SQUEEZE, new OpAttributes.Squeeze(axes == null ? new int[0] : axes), c.input(0));
    }

    private static void readBlock(OpContext c, OpType type) {
        int option = type == OpType.DEPTH_TO_SPACE ? TfliteSchema.BO_DEPTH_TO_SPACE : TfliteSchema.BO_SPACE_TO_DEPTH;
        int block = c.positive(options(c, option, "block_size").get(0), "block_size");
        c.produce(type, new OpAttributes.BlockSize(block), c.input(0));
    }

    /** MIRROR_PAD: mode REFLECT (0) or SYMMETRIC (1). */
    private static void readMirrorPad(OpContext c) {
        int mode = c.options(TfliteSchema.BO_MIRROR_PAD, t -> t == null ? 0 : t.int8(0, 0, "mode"));
        if (mode != 0 && mode != 1) {
            throw c.error("unknown mirror pad mode " + mode);
        }
        int[][] paddings = pairs(c, 1, "paddings", c.input(0).shape().rank());
        c.produce(OpType.MIRROR_PAD, new OpAttributes.MirrorPad(paddings, mode == 1), c.input(0));
    }

    private static void readSpaceBatch(OpContext c, OpType type) {
        int[] block = c.constantInts(1, "block_shape");
        int[][] amounts = pairs(c, 2, type == OpType.SPACE_TO_BATCH_ND ? "paddings" : "crops", block.length);
        c.produce(type, new OpAttributes.SpaceBatch(block, amounts), c.input(0));
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
        exporters.put(OpType.SLICE, TfliteDataMovementOps::writeSlice);
        exporters.put(OpType.SQUEEZE, TfliteDataMovementOps::writeSqueeze);
        exporters.put(
                OpType.EXPAND_DIMS,
                (op, c) -> Exported.withEmptyOptions(
                        TfliteSchema.OP_EXPAND_DIMS,
                        1,
                        new int[] {
                            c.index(op.input(0)),
                            c.int32Constant(op.output(0).name() + "/axis", new int[0], new int[] {
                                op.attrs(OpAttributes.ExpandDims.class).axis()
                            })
                        },
                        TfliteSchema.BO_EXPAND_DIMS));
        exporters.put(
                OpType.TILE,
                (op, c) -> withVector(
                        op,
                        c,
                        TfliteSchema.OP_TILE,
                        is(op.input(0), DType.INT8) ? 3 : 1,
                        "multiples",
                        op.attrs(OpAttributes.Tile.class).multiples(),
                        TfliteSchema.BO_TILE));
        exporters.put(
                OpType.BROADCAST_TO,
                (op, c) -> withVector(
                        op,
                        c,
                        TfliteSchema.OP_BROADCAST_TO,
                        is(op.input(0), DType.INT8, DType.INT16) ? 3 : 2,
                        "shape",
                        concrete(op.attrs(OpAttributes.BroadcastTo.class).shape(), op.output(0)),
                        TfliteSchema.BO_BROADCAST_TO));
        exporters.put(
                OpType.DEPTH_TO_SPACE,
                (op, c) -> writeBlockSize(op, c, TfliteSchema.OP_DEPTH_TO_SPACE, TfliteSchema.BO_DEPTH_TO_SPACE));
        exporters.put(
                OpType.SPACE_TO_DEPTH,
                (op, c) -> writeBlockSize(op, c, TfliteSchema.OP_SPACE_TO_DEPTH, TfliteSchema.BO_SPACE_TO_DEPTH));
        exporters.put(
                OpType.REVERSE_V2,
                (op, c) -> withVector(
                        op,
                        c,
                        TfliteSchema.OP_REVERSE_V2,
                        is(op.input(0), DType.INT8) ? 3 : is(op.input(0), DType.BOOL) ? 2 : 1,
                        "axis",
                        op.attrs(OpAttributes.Reverse.class).axes(),
                        TfliteSchema.BO_REVERSE_V2));
        exporters.put(OpType.MIRROR_PAD, TfliteDataMovementOps::writeMirrorPad);
        exporters.put(OpType.PADV2, TfliteDataMovementOps::writePadV2);
        exporters.put(OpType.SPACE_TO_BATCH_ND, TfliteDataMovementOps::writeSpaceBatch);
        exporters.put(OpType.BATCH_TO_SPACE_ND, TfliteDataMovementOps::writeSpaceBatch);
        exporters.put(OpType.SHAPE, TfliteDataMovementOps::writeShape);
        exporters.put(OpType.FILL, TfliteDataMovementOps::writeFill);
        // RANGE: start, limit, delta; RangeOptions is empty; version 2 for int64 (op_version.cc)
        exporters.put(
                OpType.RANGE,
                (op, c) -> Exported.withEmptyOptions(
                        TfliteSchema.OP_RANGE,
                        is(op.input(0), DType.INT64) ? 2 : 1,
                        new int[] {c.index(op.input(0)), c.index(op.input(1)), c.index(op.input(2))},
                        TfliteSchema.BO_RANGE));
        exporters.put(
                OpType.ZEROS_LIKE,
                (op, c) -> Exported.withEmptyOptions(
                        TfliteSchema.OP_ZEROS_LIKE, 1, new int[] {c.index(op.input(0))}, TfliteSchema.BO_ZEROS_LIKE));
    }

    /** {@code shape} with a -1 (a dynamic batch) replaced by the output's dimension there, 1 when it is dynamic. */
    private static int[] concrete(int[] shape, Tensor out) {
        int[] d = shape.clone();
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                d[i] = Math.max(1, out.shape().dim(i));
            }
        }
        return d;
    }

    /** The input, then {@code values} as an INT32 constant {@code <output>/<what>}; empty options. */
    private static Exported withVector(
            Op op, TfliteExporters.Context c, int code, int version, String what, int[] values, int optionsType) {
        int[] inputs = {
            c.index(op.input(0)), c.int32Constant(op.output(0).name() + "/" + what, new int[] {values.length}, values)
        };
        return Exported.withEmptyOptions(code, version, inputs, optionsType);
    }

    /** {@code pairs} flattened as an INT32 [n, 2] constant; returns its index. */
    private static int pairsConstant(TfliteExporters.Context c, String name, int[][] pairs) {
        int[] flat = new int[2 * pairs.length];
        for (int k = 0; k < pairs.length; k++) {
            flat[2 * k] = pairs[k][0];
            flat[2 * k + 1] = pairs[k][1];
        }
        return c.int32Constant(name, new int[] {pairs.length, 2}, flat);
    }

    /** SLICE: begin and size as INT32 constants. Version 6 uint32, 5 above rank 4, 4 int16, 2 int8, else 1. */
    private static Exported writeSlice(Op op, TfliteExporters.Context c) {
        OpAttributes.Slice a = op.attrs(OpAttributes.Slice.class);
        Tensor x = op.input(0);
        String name = op.output(0).name();
        int rank = a.begin().length;
        int[] inputs = {
            c.index(x),
            c.int32Constant(name + "/begin", new int[] {rank}, a.begin()),
            c.int32Constant(name + "/size", new int[] {rank}, a.size())
        };
        int version = is(x, DType.UINT32) ? 6 : rank > 4 ? 5 : is(x, DType.INT16) ? 4 : is(x, DType.INT8) ? 2 : 1;
        return Exported.withEmptyOptions(TfliteSchema.OP_SLICE, version, inputs, TfliteSchema.BO_SLICE);
    }

    /** SQUEEZE: SqueezeOptions.squeeze_dims (field 0). Version 1. */
    private static Exported writeSqueeze(Op op, TfliteExporters.Context c) {
        int[] axes = op.attrs(OpAttributes.Squeeze.class).axes();
        return new Exported(
                TfliteSchema.OP_SQUEEZE, 1, new int[] {c.index(op.input(0))}, TfliteSchema.BO_SQUEEZE, b -> {
                    int v = TfliteBuilder.intVector(b, axes);
                    b.startTable(1);
                    b.addOffset(0, v, 0);
                    return b.endTable();
                });
    }

    /** DEPTH_TO_SPACE or SPACE_TO_DEPTH: the input and its block_size option; version 2 for int8, else 1. */
    private static Exported writeBlockSize(Op op, TfliteExporters.Context c, int code, int optionsType) {
        return withOptions(
                code,
                is(op.input(0), DType.INT8) ? 2 : 1,
                new int[] {c.index(op.input(0))},
                optionsType,
                op.attrs(OpAttributes.BlockSize.class).blockSize());
    }

    /** MIRROR_PAD: paddings [rank, 2], MirrorPadOptions.mode (REFLECT 0, SYMMETRIC 1). Version 3 int16, 2 int8. */
    private static Exported writeMirrorPad(Op op, TfliteExporters.Context c) {
        OpAttributes.MirrorPad a = op.attrs(OpAttributes.MirrorPad.class);
        Tensor x = op.input(0);
        int[] inputs = {c.index(x), pairsConstant(c, op.output(0).name() + "/paddings", a.paddings())};
        int version = is(x, DType.INT16) ? 3 : is(x, DType.INT8) ? 2 : 1;
        return new Exported(TfliteSchema.OP_MIRROR_PAD, version, inputs, TfliteSchema.BO_MIRROR_PAD, b -> {
            b.startTable(1);
            b.addByte(0, (byte) (a.symmetric() ? 1 : 0), 0);
            return b.endTable();
        });
    }

    /** PADV2: x, paddings [rank, 2] and the value when the op has one. Version 4 above rank 4, 3 int16, 2 int8. */
    private static Exported writePadV2(Op op, TfliteExporters.Context c) {
        Tensor x = op.input(0);
        int paddings = pairsConstant(
                c,
                op.output(0).name() + "/paddings",
                op.attrs(OpAttributes.Pad.class).paddings());
        int[] inputs = op.inputs().size() > 1
                ? new int[] {c.index(x), paddings, c.index(op.input(1))}
                : new int[] {c.index(x), paddings};
        int version = x.shape().rank() > 4 ? 4 : is(x, DType.INT16) ? 3 : is(x, DType.INT8) ? 2 : 1;
        return Exported.withEmptyOptions(TfliteSchema.OP_PADV2, version, inputs, TfliteSchema.BO_PADV2);
    }

    /** SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: version 4 int16, 3 for other than rank 4, 2 int8, else 1. */
    private static Exported writeSpaceBatch(Op op, TfliteExporters.Context c) {
        OpAttributes.SpaceBatch a = op.attrs(OpAttributes.SpaceBatch.class);
        Tensor x = op.input(0);
        boolean toBatch = op.type() == OpType.SPACE_TO_BATCH_ND;
        String name = op.output(0).name();
        int[] inputs = {
            c.index(x),
            c.int32Constant(name + "/block_shape", new int[] {a.blockShape().length}, a.blockShape()),
            pairsConstant(c, name + (toBatch ? "/paddings" : "/crops"), a.amounts())
        };
        int version = is(x, DType.INT16) ? 4 : x.shape().rank() != 4 ? 3 : is(x, DType.INT8) ? 2 : 1;
        return Exported.withEmptyOptions(
                toBatch ? TfliteSchema.OP_SPACE_TO_BATCH_ND : TfliteSchema.OP_BATCH_TO_SPACE_ND,
                version,
                inputs,
                toBatch ? TfliteSchema.BO_SPACE_TO_BATCH_ND : TfliteSchema.BO_BATCH_TO_SPACE_ND);
    }

    /** SHAPE: ShapeOptions.out_type (field 0), the output's type. Version 1. */
    private static Exported writeShape(Op op, TfliteExporters.Context c) {
        int outType = TfliteSchema.tensorType(op.output(0).dtype());
        return new Exported(TfliteSchema.OP_SHAPE, 1, new int[] {c.index(op.input(0))}, TfliteSchema.BO_SHAPE, b -> {
            b.startTable(1);
            b.addByte(0, (byte) outType, 0);
            return b.endTable();
        });
    }

    /** FILL: the dims as an INT32 constant, then the value. Version 3 int8/int16, 2 bool, else 1. */
    private static Exported writeFill(Op op, TfliteExporters.Context c) {
        int[] dims = op.attrs(OpAttributes.Fill.class).dims();
        Tensor v = op.input(0);
        int[] inputs = {c.int32Constant(op.output(0).name() + "/dims", new int[] {dims.length}, dims), c.index(v)};
        int version = is(v, DType.INT8, DType.INT16) ? 3 : is(v, DType.BOOL) ? 2 : 1;
        return Exported.withEmptyOptions(TfliteSchema.OP_FILL, version, inputs, TfliteSchema.BO_FILL);
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
