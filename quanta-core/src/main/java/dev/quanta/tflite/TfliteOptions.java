package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.tflite.TfliteSchema.AddOptionsF;
import dev.quanta.tflite.TfliteSchema.ConcatenationOptionsF;
import dev.quanta.tflite.TfliteSchema.Conv2DOptionsF;
import dev.quanta.tflite.TfliteSchema.DepthwiseConv2DOptionsF;
import dev.quanta.tflite.TfliteSchema.FullyConnectedOptionsF;
import dev.quanta.tflite.TfliteSchema.Pool2DOptionsF;

/**
 * The builtin options tables this package reads and writes, as records with the schema's field values and
 * defaults. {@code read(null)} gives the defaults (an operator may omit its options table). Each {@code write}
 * builds the table and returns its offset; {@link #type} numbers are members of the BuiltinOptions union.
 */
final class TfliteOptions {
    private TfliteOptions() {}

    /** Conv2DOptions (union member 1). */
    record Conv2D(int padding, int strideW, int strideH, int activation, int dilationW, int dilationH) {
        static final int TYPE = TfliteSchema.BO_CONV_2D;

        static Conv2D read(FbTable t) {
            if (t == null) {
                return new Conv2D(0, 0, 0, 0, 1, 1);
            }
            return new Conv2D(
                    t.int8(Conv2DOptionsF.PADDING, 0, "padding"),
                    t.int32(Conv2DOptionsF.STRIDE_W, 0, "stride_w"),
                    t.int32(Conv2DOptionsF.STRIDE_H, 0, "stride_h"),
                    t.int8(Conv2DOptionsF.FUSED_ACTIVATION, 0, "fused_activation_function"),
                    t.int32(Conv2DOptionsF.DILATION_W, 1, "dilation_w_factor"),
                    t.int32(Conv2DOptionsF.DILATION_H, 1, "dilation_h_factor"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(Conv2DOptionsF.COUNT);
            b.addInt(Conv2DOptionsF.DILATION_H, dilationH, 1);
            b.addInt(Conv2DOptionsF.DILATION_W, dilationW, 1);
            b.addInt(Conv2DOptionsF.STRIDE_H, strideH, 0);
            b.addInt(Conv2DOptionsF.STRIDE_W, strideW, 0);
            b.addByte(Conv2DOptionsF.FUSED_ACTIVATION, (byte) activation, 0);
            b.addByte(Conv2DOptionsF.PADDING, (byte) padding, 0);
            return b.endTable();
        }
    }

    /** DepthwiseConv2DOptions (union member 2). */
    record DepthwiseConv2D(
            int padding, int strideW, int strideH, int depthMultiplier, int activation, int dilationW, int dilationH) {
        static final int TYPE = TfliteSchema.BO_DEPTHWISE_CONV_2D;

        static DepthwiseConv2D read(FbTable t) {
            if (t == null) {
                return new DepthwiseConv2D(0, 0, 0, 0, 0, 1, 1);
            }
            return new DepthwiseConv2D(
                    t.int8(DepthwiseConv2DOptionsF.PADDING, 0, "padding"),
                    t.int32(DepthwiseConv2DOptionsF.STRIDE_W, 0, "stride_w"),
                    t.int32(DepthwiseConv2DOptionsF.STRIDE_H, 0, "stride_h"),
                    t.int32(DepthwiseConv2DOptionsF.DEPTH_MULTIPLIER, 0, "depth_multiplier"),
                    t.int8(DepthwiseConv2DOptionsF.FUSED_ACTIVATION, 0, "fused_activation_function"),
                    t.int32(DepthwiseConv2DOptionsF.DILATION_W, 1, "dilation_w_factor"),
                    t.int32(DepthwiseConv2DOptionsF.DILATION_H, 1, "dilation_h_factor"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(DepthwiseConv2DOptionsF.COUNT);
            b.addInt(DepthwiseConv2DOptionsF.DILATION_H, dilationH, 1);
            b.addInt(DepthwiseConv2DOptionsF.DILATION_W, dilationW, 1);
            b.addInt(DepthwiseConv2DOptionsF.DEPTH_MULTIPLIER, depthMultiplier, 0);
            b.addInt(DepthwiseConv2DOptionsF.STRIDE_H, strideH, 0);
            b.addInt(DepthwiseConv2DOptionsF.STRIDE_W, strideW, 0);
            b.addByte(DepthwiseConv2DOptionsF.FUSED_ACTIVATION, (byte) activation, 0);
            b.addByte(DepthwiseConv2DOptionsF.PADDING, (byte) padding, 0);
            return b.endTable();
        }
    }

    /** Pool2DOptions (union member 5). */
    record Pool2D(int padding, int strideW, int strideH, int filterWidth, int filterHeight, int activation) {
        static final int TYPE = TfliteSchema.BO_POOL_2D;

        static Pool2D read(FbTable t) {
            if (t == null) {
                return new Pool2D(0, 0, 0, 0, 0, 0);
            }
            return new Pool2D(
                    t.int8(Pool2DOptionsF.PADDING, 0, "padding"),
                    t.int32(Pool2DOptionsF.STRIDE_W, 0, "stride_w"),
                    t.int32(Pool2DOptionsF.STRIDE_H, 0, "stride_h"),
                    t.int32(Pool2DOptionsF.FILTER_WIDTH, 0, "filter_width"),
                    t.int32(Pool2DOptionsF.FILTER_HEIGHT, 0, "filter_height"),
                    t.int8(Pool2DOptionsF.FUSED_ACTIVATION, 0, "fused_activation_function"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(Pool2DOptionsF.COUNT);
            b.addInt(Pool2DOptionsF.FILTER_HEIGHT, filterHeight, 0);
            b.addInt(Pool2DOptionsF.FILTER_WIDTH, filterWidth, 0);
            b.addInt(Pool2DOptionsF.STRIDE_H, strideH, 0);
            b.addInt(Pool2DOptionsF.STRIDE_W, strideW, 0);
            b.addByte(Pool2DOptionsF.FUSED_ACTIVATION, (byte) activation, 0);
            b.addByte(Pool2DOptionsF.PADDING, (byte) padding, 0);
            return b.endTable();
        }
    }

    /** FullyConnectedOptions (union member 8). */
    record FullyConnected(int activation, int weightsFormat, boolean keepNumDims, boolean asymmetricQuantizeInputs) {
        static final int TYPE = TfliteSchema.BO_FULLY_CONNECTED;

        static FullyConnected read(FbTable t) {
            if (t == null) {
                return new FullyConnected(0, 0, false, false);
            }
            return new FullyConnected(
                    t.int8(FullyConnectedOptionsF.FUSED_ACTIVATION, 0, "fused_activation_function"),
                    t.int8(FullyConnectedOptionsF.WEIGHTS_FORMAT, 0, "weights_format"),
                    t.bool(FullyConnectedOptionsF.KEEP_NUM_DIMS, false, "keep_num_dims"),
                    t.bool(FullyConnectedOptionsF.ASYMMETRIC_QUANTIZE_INPUTS, false, "asymmetric_quantize_inputs"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(FullyConnectedOptionsF.COUNT);
            b.addByte(FullyConnectedOptionsF.FUSED_ACTIVATION, (byte) activation, 0);
            b.addByte(FullyConnectedOptionsF.WEIGHTS_FORMAT, (byte) weightsFormat, 0);
            b.addBoolean(FullyConnectedOptionsF.KEEP_NUM_DIMS, keepNumDims, false);
            b.addBoolean(FullyConnectedOptionsF.ASYMMETRIC_QUANTIZE_INPUTS, asymmetricQuantizeInputs, false);
            return b.endTable();
        }
    }

    /** SoftmaxOptions (union member 9). */
    record Softmax(float beta) {
        static final int TYPE = TfliteSchema.BO_SOFTMAX;

        static Softmax read(FbTable t) {
            return new Softmax(t == null ? 0f : t.float32(TfliteSchema.SINGLE_FIELD, 0f, "beta"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(1);
            b.addFloat(TfliteSchema.SINGLE_FIELD, beta, 0.0);
            return b.endTable();
        }
    }

    /** ConcatenationOptions (union member 10). */
    record Concatenation(int axis, int activation) {
        static final int TYPE = TfliteSchema.BO_CONCATENATION;

        static Concatenation read(FbTable t) {
            if (t == null) {
                return new Concatenation(0, 0);
            }
            return new Concatenation(
                    t.int32(ConcatenationOptionsF.AXIS, 0, "axis"),
                    t.int8(ConcatenationOptionsF.FUSED_ACTIVATION, 0, "fused_activation_function"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(ConcatenationOptionsF.COUNT);
            b.addInt(ConcatenationOptionsF.AXIS, axis, 0);
            b.addByte(ConcatenationOptionsF.FUSED_ACTIVATION, (byte) activation, 0);
            return b.endTable();
        }
    }

    /** AddOptions (union member 11); pot_scale_int16 is left at its default (true). */
    record Add(int activation) {
        static final int TYPE = TfliteSchema.BO_ADD;

        static Add read(FbTable t) {
            return new Add(t == null ? 0 : t.int8(AddOptionsF.FUSED_ACTIVATION, 0, "fused_activation_function"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(AddOptionsF.COUNT);
            b.addByte(AddOptionsF.FUSED_ACTIVATION, (byte) activation, 0);
            return b.endTable();
        }
    }

    /** MulOptions (union member 21) and DivOptions (29): fused_activation_function (field 0). */
    record Arithmetic(int type, int activation) {
        static Arithmetic read(int type, FbTable t) {
            return new Arithmetic(type, t == null ? 0 : t.int8(0, 0, "fused_activation_function"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(1);
            b.addByte(0, (byte) activation, 0);
            return b.endTable();
        }
    }

    /** StridedSliceOptions (union member 32). */
    record StridedSlice(
            int beginMask, int endMask, int ellipsisMask, int newAxisMask, int shrinkAxisMask, boolean offset) {
        static final int TYPE = TfliteSchema.BO_STRIDED_SLICE;

        static StridedSlice read(FbTable t) {
            if (t == null) {
                return new StridedSlice(0, 0, 0, 0, 0, false);
            }
            return new StridedSlice(
                    t.int32(TfliteSchema.StridedSliceOptionsF.BEGIN_MASK, 0, "begin_mask"),
                    t.int32(TfliteSchema.StridedSliceOptionsF.END_MASK, 0, "end_mask"),
                    t.int32(TfliteSchema.StridedSliceOptionsF.ELLIPSIS_MASK, 0, "ellipsis_mask"),
                    t.int32(TfliteSchema.StridedSliceOptionsF.NEW_AXIS_MASK, 0, "new_axis_mask"),
                    t.int32(TfliteSchema.StridedSliceOptionsF.SHRINK_AXIS_MASK, 0, "shrink_axis_mask"),
                    t.bool(TfliteSchema.StridedSliceOptionsF.OFFSET, false, "offset"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(TfliteSchema.StridedSliceOptionsF.COUNT);
            b.addInt(TfliteSchema.StridedSliceOptionsF.BEGIN_MASK, beginMask, 0);
            b.addInt(TfliteSchema.StridedSliceOptionsF.END_MASK, endMask, 0);
            b.addInt(TfliteSchema.StridedSliceOptionsF.ELLIPSIS_MASK, ellipsisMask, 0);
            b.addInt(TfliteSchema.StridedSliceOptionsF.NEW_AXIS_MASK, newAxisMask, 0);
            b.addInt(TfliteSchema.StridedSliceOptionsF.SHRINK_AXIS_MASK, shrinkAxisMask, 0);
            b.addBoolean(TfliteSchema.StridedSliceOptionsF.OFFSET, offset, false);
            return b.endTable();
        }
    }

    /** ReshapeOptions (union member 17); {@code newShape} is null when absent. */
    record Reshape(int[] newShape) {
        static final int TYPE = TfliteSchema.BO_RESHAPE;

        static Reshape read(FbTable t) {
            return new Reshape(t == null ? null : t.ints(TfliteSchema.SINGLE_FIELD, "new_shape"));
        }

        int write(FlatBufferBuilder b) {
            int shape = TfliteBuilder.intVector(b, newShape);
            b.startTable(1);
            b.addOffset(TfliteSchema.SINGLE_FIELD, shape, 0);
            return b.endTable();
        }
    }

    /** ReducerOptions (union member 27). */
    record Reducer(boolean keepDims) {
        static final int TYPE = TfliteSchema.BO_REDUCER;

        static Reducer read(FbTable t) {
            return new Reducer(t != null && t.bool(TfliteSchema.SINGLE_FIELD, false, "keep_dims"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(1);
            b.addBoolean(TfliteSchema.SINGLE_FIELD, keepDims, false);
            return b.endTable();
        }
    }

    /** LeakyReluOptions (union member 75). */
    record LeakyRelu(float alpha) {
        static final int TYPE = TfliteSchema.BO_LEAKY_RELU;

        static LeakyRelu read(FbTable t) {
            return new LeakyRelu(t == null ? 0f : t.float32(TfliteSchema.SINGLE_FIELD, 0f, "alpha"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(1);
            b.addFloat(TfliteSchema.SINGLE_FIELD, alpha, 0.0);
            return b.endTable();
        }
    }

    /**
     * An options table without fields (PadOptions 22, TransposeOptions 26, DequantizeOptions 38, QuantizeOptions
     * 89).
     */
    static int writeEmpty(FlatBufferBuilder b) {
        b.startTable(0);
        return b.endTable();
    }
}
