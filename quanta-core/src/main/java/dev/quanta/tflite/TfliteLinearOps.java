package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.Map;

/**
 * Issue 11's linear ops in TFLite files: TRANSPOSE_CONV (TransposeConvOptions, union member 49) and BATCH_MATMUL
 * (BatchMatMulOptions, union member 101), and their operator versions
 * ({@code tensorflow/lite/tools/versioning/op_version.cc}).
 */
final class TfliteLinearOps {
    private TfliteLinearOps() {}

    /** TransposeConvOptions field ids. */
    private static final int TC_PADDING = 0;

    private static final int TC_STRIDE_W = 1;
    private static final int TC_STRIDE_H = 2;
    private static final int TC_FUSED_ACTIVATION = 3;
    private static final int TC_FIELDS = 5;

    /** BatchMatMulOptions field ids. */
    private static final int BMM_ADJ_X = 0;

    private static final int BMM_ADJ_Y = 1;
    private static final int BMM_ASYMMETRIC_QUANTIZE_INPUTS = 2;
    private static final int BMM_FIELDS = 3;

    static void registerImporters() {
        TfliteImporters.register(TfliteSchema.OP_TRANSPOSE_CONV, TfliteLinearOps::readTransposeConv);
        TfliteImporters.register(TfliteSchema.OP_BATCH_MATMUL, TfliteLinearOps::readBatchMatMul);
    }

    static void registerExporters(Map<OpType, TfliteExporters.OpExporter> exporters) {
        exporters.put(OpType.TRANSPOSE_CONV, TfliteLinearOps::writeTransposeConv);
        exporters.put(OpType.BATCH_MATMUL, TfliteLinearOps::writeBatchMatMul);
    }

    /**
     * TRANSPOSE_CONV: TFLite's inputs are output_shape (a constant [4] int32), weights [O, kh, kw, I], input and an
     * optional bias; the IR op takes input, weights and bias, with the output's height and width as attributes.
     */
    private static void readTransposeConv(OpContext c) {
        TransposeConvOptions o = c.options(TfliteSchema.BO_TRANSPOSE_CONV, TransposeConvOptions::read);
        int[] outShape = c.constantInts(0, "output_shape");
        Tensor w = c.input(1);
        Tensor x = c.input(2);
        if (outShape.length != 4) {
            throw c.error("output_shape " + java.util.Arrays.toString(outShape) + " must have 4 entries (NHWC)");
        }
        if (w.shape().rank() != 4 || outShape[3] != w.shape().dim(0)) {
            throw c.error("output_shape " + java.util.Arrays.toString(outShape) + " does not have the "
                    + (w.shape().rank() == 4 ? w.shape().dim(0) : "?") + " output channels of weights " + w.shape());
        }
        c.produce(
                OpType.TRANSPOSE_CONV,
                new OpAttributes.TransposeConv(
                        c.padding(o.padding),
                        c.positive(o.strideH, "stride_h"),
                        c.positive(o.strideW, "stride_w"),
                        c.positive(outShape[1], "output_shape height"),
                        c.positive(outShape[2], "output_shape width"),
                        c.activation(o.activation)),
                x,
                w,
                c.inputCount() > 3 ? c.optionalInput(3) : null);
    }

    /**
     * TRANSPOSE_CONV: version 4 with a fused activation, 3 with a bias, 2 for int8 weights, else 1 (16x8 files are
     * version 3: they always carry their int64 bias).
     */
    private static TfliteExporters.Exported writeTransposeConv(Op op, TfliteExporters.Context c) {
        OpAttributes.TransposeConv a = op.attrs(OpAttributes.TransposeConv.class);
        Tensor x = op.input(0);
        Tensor w = op.input(1);
        int batch = x.shape().dim(0) == Shape.DYNAMIC ? 1 : x.shape().dim(0);
        int outputShape = c.int32Constant(op.output(0).name() + "/output_shape", new int[] {4}, new int[] {
            batch, a.outH(), a.outW(), w.shape().dim(0)
        });
        boolean bias = op.inputs().size() > 2;
        int[] inputs = bias
                ? new int[] {outputShape, c.index(w), c.index(x), c.index(op.input(2))}
                : new int[] {outputShape, c.index(w), c.index(x)};
        int version = a.activation() != Activation.NONE ? 4 : bias ? 3 : w.dtype() == DType.INT8 ? 2 : 1;
        TransposeConvOptions o = new TransposeConvOptions(
                TfliteSchema.padding(a.padding()), a.strideW(), a.strideH(), TfliteSchema.activation(a.activation()));
        return new TfliteExporters.Exported(
                TfliteSchema.OP_TRANSPOSE_CONV, version, inputs, TfliteSchema.BO_TRANSPOSE_CONV, o::write);
    }

    /**
     * BATCH_MATMUL: adj_x, adj_y and asymmetric_quantize_inputs (hybrid files: a float32 first input with int8
     * weights) from its options.
     */
    private static void readBatchMatMul(OpContext c) {
        boolean[] flags = c.options(
                TfliteSchema.BO_BATCH_MATMUL,
                t -> t == null
                        ? new boolean[3]
                        : new boolean[] {
                            t.bool(BMM_ADJ_X, false, "adj_x"),
                            t.bool(BMM_ADJ_Y, false, "adj_y"),
                            t.bool(BMM_ASYMMETRIC_QUANTIZE_INPUTS, false, "asymmetric_quantize_inputs")
                        });
        Tensor a = c.input(0);
        Tensor b = c.input(1);
        if (a.dtype() == DType.FLOAT32 && b.dtype() != DType.FLOAT32 && b.dtype() != DType.INT8) {
            throw c.error("hybrid BATCH_MATMUL takes int8 weights, found " + b.dtype());
        }
        c.produce(OpType.BATCH_MATMUL, new OpAttributes.BatchMatMul(flags[0], flags[1], flags[2]), a, b);
    }

    /**
     * BATCH_MATMUL: version 3 for int16, 2 for int8, 4 for a hybrid op with asymmetric input quantization (TFLite's
     * op versioning), else 1.
     */
    private static TfliteExporters.Exported writeBatchMatMul(Op op, TfliteExporters.Context c) {
        OpAttributes.BatchMatMul a = op.attrs(OpAttributes.BatchMatMul.class);
        DType t = op.input(0).dtype();
        boolean hybrid = t == DType.FLOAT32 && op.input(1).dtype() == DType.INT8;
        int version = t == DType.INT16 ? 3 : t == DType.INT8 ? 2 : hybrid && a.asymmetricQuantizeInputs() ? 4 : 1;
        return new TfliteExporters.Exported(
                TfliteSchema.OP_BATCH_MATMUL,
                version,
                new int[] {c.index(op.input(0)), c.index(op.input(1))},
                TfliteSchema.BO_BATCH_MATMUL,
                b -> {
                    b.startTable(BMM_FIELDS);
                    b.addBoolean(BMM_ASYMMETRIC_QUANTIZE_INPUTS, a.asymmetricQuantizeInputs(), false);
                    b.addBoolean(BMM_ADJ_Y, a.adjY(), false);
                    b.addBoolean(BMM_ADJ_X, a.adjX(), false);
                    return b.endTable();
                });
    }

    /** TransposeConvOptions: padding, strides and (since version 4) the fused activation. */
    private record TransposeConvOptions(int padding, int strideW, int strideH, int activation) {
        static TransposeConvOptions read(FbTable t) {
            if (t == null) {
                return new TransposeConvOptions(0, 0, 0, 0);
            }
            return new TransposeConvOptions(
                    t.int8(TC_PADDING, 0, "padding"),
                    t.int32(TC_STRIDE_W, 0, "stride_w"),
                    t.int32(TC_STRIDE_H, 0, "stride_h"),
                    t.int8(TC_FUSED_ACTIVATION, 0, "fused_activation_function"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(TC_FIELDS);
            b.addInt(TC_STRIDE_H, strideH, 0);
            b.addInt(TC_STRIDE_W, strideW, 0);
            b.addByte(TC_FUSED_ACTIVATION, (byte) activation, 0);
            b.addByte(TC_PADDING, (byte) padding, 0);
            return b.endTable();
        }
    }
}
