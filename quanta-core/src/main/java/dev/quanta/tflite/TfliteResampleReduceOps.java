package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.Map;

/**
 * Reading and writing of the resampling and reduction operators: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR (constant
 * INT32 size input), ARG_MAX, ARG_MIN (constant axis input, output type in the options), SUM, REDUCE_MAX,
 * REDUCE_MIN, REDUCE_PROD (constant axes input, ReducerOptions.keep_dims) and L2_NORMALIZATION. Versions follow
 * {@code tensorflow/lite/tools/versioning/op_version.cc}.
 */
final class TfliteResampleReduceOps {
    private TfliteResampleReduceOps() {}

    // option table field ids (schema.fbs)
    private static final int RESIZE_BILINEAR_ALIGN_CORNERS = 2;
    private static final int RESIZE_BILINEAR_HALF_PIXEL = 3;
    private static final int RESIZE_NEAREST_ALIGN_CORNERS = 0;
    private static final int RESIZE_NEAREST_HALF_PIXEL = 1;

    static void registerImporters() {
        TfliteImporters.register(TfliteSchema.OP_RESIZE_BILINEAR, c -> resize(c, OpType.RESIZE_BILINEAR));
        TfliteImporters.register(
                TfliteSchema.OP_RESIZE_NEAREST_NEIGHBOR, c -> resize(c, OpType.RESIZE_NEAREST_NEIGHBOR));
        TfliteImporters.register(TfliteSchema.OP_ARG_MAX, c -> argMinMax(c, OpType.ARG_MAX, TfliteSchema.BO_ARG_MAX));
        TfliteImporters.register(TfliteSchema.OP_ARG_MIN, c -> argMinMax(c, OpType.ARG_MIN, TfliteSchema.BO_ARG_MIN));
        TfliteImporters.register(TfliteSchema.OP_SUM, c -> reduce(c, OpType.SUM));
        TfliteImporters.register(TfliteSchema.OP_REDUCE_MAX, c -> reduce(c, OpType.REDUCE_MAX));
        TfliteImporters.register(TfliteSchema.OP_REDUCE_MIN, c -> reduce(c, OpType.REDUCE_MIN));
        TfliteImporters.register(TfliteSchema.OP_REDUCE_PROD, c -> reduce(c, OpType.REDUCE_PROD));
        TfliteImporters.register(TfliteSchema.OP_L2_NORMALIZATION, TfliteResampleReduceOps::l2Normalization);
    }

    static void registerExporters(Map<OpType, TfliteExporters.OpExporter> exporters) {
        exporters.put(OpType.RESIZE_BILINEAR, TfliteResampleReduceOps::writeResize);
        exporters.put(OpType.RESIZE_NEAREST_NEIGHBOR, TfliteResampleReduceOps::writeResize);
        exporters.put(OpType.ARG_MAX, TfliteResampleReduceOps::writeArgMinMax);
        exporters.put(OpType.ARG_MIN, TfliteResampleReduceOps::writeArgMinMax);
        exporters.put(OpType.SUM, TfliteResampleReduceOps::writeReduce);
        exporters.put(OpType.REDUCE_MAX, TfliteResampleReduceOps::writeReduce);
        exporters.put(OpType.REDUCE_MIN, TfliteResampleReduceOps::writeReduce);
        exporters.put(OpType.REDUCE_PROD, TfliteResampleReduceOps::writeReduce);
        exporters.put(OpType.L2_NORMALIZATION, TfliteResampleReduceOps::writeL2Normalization);
    }

    // ------------------------------------------------------------------ reading

    /** RESIZE_*: the output size from the constant INT32 [2] input, the two flags from the options. */
    private static void resize(OpContext c, OpType type) {
        boolean bilinear = type == OpType.RESIZE_BILINEAR;
        int optionsType = bilinear ? TfliteSchema.BO_RESIZE_BILINEAR : TfliteSchema.BO_RESIZE_NEAREST_NEIGHBOR;
        boolean[] flags = c.options(
                optionsType,
                t -> t == null
                        ? new boolean[2]
                        : new boolean[] {
                            t.bool(
                                    bilinear ? RESIZE_BILINEAR_ALIGN_CORNERS : RESIZE_NEAREST_ALIGN_CORNERS,
                                    false,
                                    "align_corners"),
                            t.bool(
                                    bilinear ? RESIZE_BILINEAR_HALF_PIXEL : RESIZE_NEAREST_HALF_PIXEL,
                                    false,
                                    "half_pixel_centers")
                        });
        Tensor size = c.input(1);
        if (size.dtype() != DType.INT32) {
            throw c.error("size input " + size.name() + " must be INT32 but is " + size.dtype());
        }
        int[] hw = c.constantInts(1, "size");
        if (hw.length != 2) {
            throw c.error("size input " + size.name() + " holds " + hw.length + " values, expected 2 (height, width)");
        }
        if (hw[0] < 1 || hw[1] < 1) {
            throw c.error("output size " + hw[0] + "x" + hw[1] + " is not positive");
        }
        if (bilinear && flags[0] && flags[1]) {
            throw c.error("align_corners and half_pixel_centers are both set (TFLite refuses this)");
        }
        c.produce(type, new OpAttributes.Resize(hw[0], hw[1], flags[0], flags[1]), c.input(0));
    }

    /** ARG_MAX/ARG_MIN: one axis from the constant second input; the output tensor's type (INT32/INT64). */
    private static void argMinMax(OpContext c, OpType type, int optionsType) {
        c.options(optionsType, t -> t == null ? 0 : t.int8(0, 0, "output_type"));
        int[] axis = c.constantInts(1, "axis");
        if (axis.length != 1) {
            throw c.error("axis input holds " + axis.length + " values, expected 1");
        }
        c.produce(type, new OpAttributes.ArgMinMax(axis[0]), c.input(0));
    }

    /** SUM/REDUCE_*: the axes from the constant second input, keep_dims from ReducerOptions. */
    private static void reduce(OpContext c, OpType type) {
        boolean keepDims = c.options(TfliteOptions.Reducer.TYPE, TfliteOptions.Reducer::read)
                .keepDims();
        c.produce(type, new OpAttributes.Reduce(c.constantInts(1, "axes"), keepDims), c.input(0));
    }

    /** L2_NORMALIZATION without a fused activation (the only form TFLite's kernel computes as written). */
    private static void l2Normalization(OpContext c) {
        int act = c.options(TfliteSchema.BO_L2_NORM, t -> t == null ? 0 : t.int8(0, 0, "fused_activation_function"));
        if (act != 0) {
            throw c.error("fused activation " + TfliteSchema.activationName(act) + " is not supported");
        }
        c.produce(OpType.L2_NORMALIZATION, OpAttributes.None.INSTANCE, c.input(0));
    }

    // ------------------------------------------------------------------ writing

    private static boolean is(Op op, DType type) {
        return op.input(0).dtype() == type;
    }

    private static TfliteExporters.Exported writeResize(Op op, TfliteExporters.Context c) {
        OpAttributes.Resize a = op.attrs(OpAttributes.Resize.class);
        boolean bilinear = op.type() == OpType.RESIZE_BILINEAR;
        int[] inputs = {
            c.index(op.input(0)),
            c.int32Constant(op.output(0).name() + "/size", new int[] {2}, new int[] {a.height(), a.width()})
        };
        int version;
        if (is(op, DType.INT16)) {
            version = 4;
        } else if (a.halfPixelCenters() || (!bilinear && a.alignCorners())) {
            version = 3;
        } else if (is(op, DType.INT8)) {
            version = 2;
        } else {
            version = 1;
        }
        int alignField = bilinear ? RESIZE_BILINEAR_ALIGN_CORNERS : RESIZE_NEAREST_ALIGN_CORNERS;
        int halfField = bilinear ? RESIZE_BILINEAR_HALF_PIXEL : RESIZE_NEAREST_HALF_PIXEL;
        int fields = bilinear ? 4 : 2;
        return new TfliteExporters.Exported(
                bilinear ? TfliteSchema.OP_RESIZE_BILINEAR : TfliteSchema.OP_RESIZE_NEAREST_NEIGHBOR,
                version,
                inputs,
                bilinear ? TfliteSchema.BO_RESIZE_BILINEAR : TfliteSchema.BO_RESIZE_NEAREST_NEIGHBOR,
                (FlatBufferBuilder b) -> {
                    b.startTable(fields);
                    b.addBoolean(alignField, a.alignCorners(), false);
                    b.addBoolean(halfField, a.halfPixelCenters(), false);
                    return b.endTable();
                });
    }

    private static TfliteExporters.Exported writeArgMinMax(Op op, TfliteExporters.Context c) {
        int axis = op.attrs(OpAttributes.ArgMinMax.class).axis();
        int[] inputs = {
            c.index(op.input(0)), c.int32Constant(op.output(0).name() + "/axis", new int[] {1}, new int[] {axis})
        };
        boolean max = op.type() == OpType.ARG_MAX;
        int outputType = TfliteSchema.tensorType(op.output(0).dtype());
        int version = is(op, DType.BOOL) ? 3 : is(op, DType.INT8) ? 2 : 1;
        return new TfliteExporters.Exported(
                max ? TfliteSchema.OP_ARG_MAX : TfliteSchema.OP_ARG_MIN,
                version,
                inputs,
                max ? TfliteSchema.BO_ARG_MAX : TfliteSchema.BO_ARG_MIN,
                (FlatBufferBuilder b) -> {
                    b.startTable(1);
                    b.addByte(0, (byte) outputType, 0);
                    return b.endTable();
                });
    }

    private static TfliteExporters.Exported writeReduce(Op op, TfliteExporters.Context c) {
        OpAttributes.Reduce a = op.attrs(OpAttributes.Reduce.class);
        int[] inputs = {
            c.index(op.input(0)), c.int32Constant(op.output(0).name() + "/axes", new int[] {a.axes().length}, a.axes())
        };
        int code = switch (op.type()) {
            case SUM -> TfliteSchema.OP_SUM;
            case REDUCE_MAX -> TfliteSchema.OP_REDUCE_MAX;
            case REDUCE_MIN -> TfliteSchema.OP_REDUCE_MIN;
            default -> TfliteSchema.OP_REDUCE_PROD;
        };
        boolean minMax = op.type() == OpType.REDUCE_MAX || op.type() == OpType.REDUCE_MIN;
        int version;
        if (is(op, DType.INT16)) {
            version = minMax ? 3 : 2; // SUM and REDUCE_PROD are registered up to version 2
        } else {
            version = is(op, DType.INT8) ? 2 : 1;
        }
        TfliteOptions.Reducer o = new TfliteOptions.Reducer(a.keepDims());
        return new TfliteExporters.Exported(code, version, inputs, TfliteOptions.Reducer.TYPE, o::write);
    }

    private static TfliteExporters.Exported writeL2Normalization(Op op, TfliteExporters.Context c) {
        int version = op.output(0).dtype() == DType.INT8 ? 2 : 1;
        return TfliteExporters.Exported.withEmptyOptions(
                TfliteSchema.OP_L2_NORMALIZATION, version, new int[] {c.index(op.input(0))}, TfliteSchema.BO_L2_NORM);
    }
}
