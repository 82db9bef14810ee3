package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * IR op → TFLite operator conversions, one {@link OpExporter} per {@link OpType}, each with the operator
 * version the TFLite converter would give it ({@code tensorflow/lite/tools/versioning/op_version.cc}, for the
 * type combination of its tensors). To write another IR op, add its exporter to the map.
 */
final class TfliteExporters {
    private TfliteExporters() {}

    /** What the writer needs of the model while an exporter runs. */
    interface Context {
        /** The subgraph index of an IR tensor of the model. */
        int index(Tensor t);

        /** Adds a constant tensor the IR does not have (an op's axes, shape, paddings); returns its index. */
        int constant(String name, DType type, int[] shape, byte[] data, QuantParams quant);

        /** Adds a constant INT32 tensor of {@code shape}; returns its index. */
        default int int32Constant(String name, int[] shape, int[] values) {
            return constant(name, DType.INT32, shape, TensorData.ofInts(values).bytes(), null);
        }

        /** Adds a variable tensor (is_variable, no data: the LSTM's states); returns its index. */
        int variable(String name, DType type, int[] shape, QuantParams quant);

        /**
         * Adds an operator intermediate tensor (shape [0], no data; the integer LSTM's), quantized with
         * {@code quant} when not null; returns its index.
         */
        int intermediate(String name, DType type, QuantParams quant);
    }

    /**
     * One operator to write: its builtin code and version, its input tensor indices (-1 for an omitted optional
     * input), and its options (union member number and a function that builds the table, or {@code BO_NONE}). A
     * custom op has builtin code {@code OP_CUSTOM}, its {@code customCode} and its custom options bytes (a
     * FlexBuffer); both are null for builtin ops.
     */
    record Exported(
            int builtinCode,
            int version,
            int[] inputs,
            int optionsType,
            ToIntFunction<FlatBufferBuilder> options,
            int[] intermediates,
            String customCode,
            byte[] customOptions) {
        Exported(
                int builtinCode,
                int version,
                int[] inputs,
                int optionsType,
                ToIntFunction<FlatBufferBuilder> options,
                int[] intermediates) {
            this(builtinCode, version, inputs, optionsType, options, intermediates, null, null);
        }

        Exported(
                int builtinCode, int version, int[] inputs, int optionsType, ToIntFunction<FlatBufferBuilder> options) {
            this(builtinCode, version, inputs, optionsType, options, null);
        }

        /** The custom op {@code customCode} with its custom options. */
        static Exported custom(String customCode, int version, int[] inputs, byte[] customOptions) {
            return new Exported(
                    TfliteSchema.OP_CUSTOM,
                    version,
                    inputs,
                    TfliteSchema.BO_NONE,
                    null,
                    null,
                    customCode,
                    customOptions);
        }

        static Exported of(int builtinCode, int version, int[] inputs) {
            return new Exported(builtinCode, version, inputs, TfliteSchema.BO_NONE, null);
        }

        /** An operator whose options are an empty table of union member {@code optionsType}. */
        static Exported withEmptyOptions(int builtinCode, int version, int[] inputs, int optionsType) {
            return new Exported(builtinCode, version, inputs, optionsType, TfliteOptions::writeEmpty);
        }
    }

    @FunctionalInterface
    interface OpExporter {
        Exported write(Op op, Context c);
    }

    private static final Map<OpType, OpExporter> EXPORTERS = new EnumMap<>(OpType.class);

    static {
        EXPORTERS.put(OpType.FULLY_CONNECTED, TfliteExporters::fullyConnected);
        EXPORTERS.put(OpType.CONV_2D, TfliteExporters::conv2d);
        EXPORTERS.put(OpType.DEPTHWISE_CONV_2D, TfliteExporters::depthwise);
        EXPORTERS.put(OpType.MAX_POOL_2D, (op, c) -> pool(op, c, TfliteSchema.OP_MAX_POOL_2D));
        EXPORTERS.put(OpType.AVERAGE_POOL_2D, (op, c) -> pool(op, c, TfliteSchema.OP_AVERAGE_POOL_2D));
        EXPORTERS.put(OpType.MEAN, TfliteExporters::mean);
        EXPORTERS.put(OpType.RESHAPE, TfliteExporters::reshape);
        EXPORTERS.put(
                OpType.RELU,
                (op, c) -> Exported.of(
                        TfliteSchema.OP_RELU,
                        is(op, 0, DType.INT16) ? 3 : is(op, 0, DType.INT8) || is(op, 0, DType.UINT8) ? 2 : 1,
                        in(op, c)));
        EXPORTERS.put(OpType.RELU6, (op, c) -> Exported.of(TfliteSchema.OP_RELU6, int8Or16(op, 2, 3), in(op, c)));
        EXPORTERS.put(OpType.LOGISTIC, (op, c) -> Exported.of(TfliteSchema.OP_LOGISTIC, logisticTanh(op), in(op, c)));
        EXPORTERS.put(OpType.TANH, (op, c) -> Exported.of(TfliteSchema.OP_TANH, logisticTanh(op), in(op, c)));
        EXPORTERS.put(OpType.LEAKY_RELU, TfliteExporters::leakyRelu);
        EXPORTERS.put(OpType.SOFTMAX, TfliteExporters::softmax);
        EXPORTERS.put(OpType.ADD, TfliteExporters::add);
        EXPORTERS.put(OpType.CONCATENATION, TfliteExporters::concatenation);
        EXPORTERS.put(OpType.PAD, TfliteExporters::pad);
        EXPORTERS.put(OpType.TRANSPOSE, TfliteExporters::transpose);
        EXPORTERS.put(OpType.QUANTIZE, TfliteExporters::quantize);
        EXPORTERS.put(OpType.DEQUANTIZE, TfliteExporters::dequantize);
        EXPORTERS.put(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, TfliteLstm::write);
        EXPORTERS.put(OpType.CAST, (op, c) -> Exported.of(TfliteSchema.OP_CAST, 1, in(op, c)));
        EXPORTERS.put(OpType.STRIDED_SLICE, TfliteExporters::stridedSlice);
        EXPORTERS.put(OpType.MUL, (op, c) -> arithmetic(op, c, TfliteSchema.OP_MUL, TfliteSchema.BO_MUL));
        EXPORTERS.put(OpType.DIV, (op, c) -> arithmetic(op, c, TfliteSchema.OP_DIV, TfliteSchema.BO_DIV));
        EXPORTERS.put(OpType.MINIMUM, (op, c) -> minimumMaximum(op, c, TfliteSchema.OP_MINIMUM));
        EXPORTERS.put(OpType.MAXIMUM, (op, c) -> minimumMaximum(op, c, TfliteSchema.OP_MAXIMUM));

        // -- elementwise and activations (issue 11) --
        TfliteElementwiseOps.registerExporters(EXPORTERS);

        // -- activations (issue 11) --
        TfliteActivationOps.registerExporters(EXPORTERS);

        // -- shape and data movement (issue 11) --
        TfliteDataMovementOps.registerExporters(EXPORTERS);

        // -- resampling and reductions (issue 11) --
        TfliteResampleReduceOps.registerExporters(EXPORTERS);

        // -- linear (issue 11) --
        TfliteLinearOps.registerExporters(EXPORTERS);

        // -- sequence (issue 11) --
        EXPORTERS.put(OpType.UNIDIRECTIONAL_SEQUENCE_RNN, TfliteSequenceOps::writeRnn);
        EXPORTERS.put(OpType.BIDIRECTIONAL_SEQUENCE_LSTM, TfliteSequenceOps::writeBidirectionalLstm);

        // -- detection (issue 11) --
        EXPORTERS.put(OpType.DETECTION_POSTPROCESS, TfliteDetectionOps::write);
    }

    /** MINIMUM and MAXIMUM (version 1: float32), with their empty MaximumMinimumOptions. */
    private static Exported minimumMaximum(Op op, Context c, int code) {
        return Exported.withEmptyOptions(code, 1, in(op, c), TfliteSchema.BO_MAXIMUM_MINIMUM);
    }

    /** MUL and DIV (version 1: float32 and int32). */
    private static Exported arithmetic(Op op, Context c, int code, int optionsType) {
        TfliteOptions.Arithmetic o = new TfliteOptions.Arithmetic(
                optionsType, act(op.attrs(OpAttributes.Arithmetic.class).activation()));
        return new Exported(code, 1, in(op, c), optionsType, o::write);
    }

    /** STRIDED_SLICE: begin, end and strides as INT32 constant inputs 1–3. */
    private static Exported stridedSlice(Op op, Context c) {
        OpAttributes.StridedSlice a = op.attrs(OpAttributes.StridedSlice.class);
        String name = op.output(0).name();
        int rank = a.begin().length;
        int[] inputs = {
            c.index(op.input(0)),
            c.int32Constant(name + "/begin", new int[] {rank}, a.begin()),
            c.int32Constant(name + "/end", new int[] {rank}, a.end()),
            c.int32Constant(name + "/strides", new int[] {rank}, a.strides())
        };
        TfliteOptions.StridedSlice o =
                new TfliteOptions.StridedSlice(a.beginMask(), a.endMask(), 0, 0, a.shrinkAxisMask(), a.offset());
        int version = a.offset() ? 8 : is(op, 0, DType.INT16) ? 5 : is(op, 0, DType.INT8) ? 2 : 1;
        return new Exported(TfliteSchema.OP_STRIDED_SLICE, version, inputs, TfliteOptions.StridedSlice.TYPE, o::write);
    }

    /**
     * The exporter of {@code op}.
     *
     * @throws QuantaException naming the op when TFLite has no operator for it (BATCH_NORM, IDENTITY)
     */
    static OpExporter forOp(Op op) {
        OpExporter e = EXPORTERS.get(op.type());
        if (e != null) {
            return e;
        }
        String hint = switch (op.type()) {
            case BATCH_NORM ->
                "fold BatchNorm first (into the preceding convolution or dense layer), as the TFLite"
                        + " converter does";
            case IDENTITY -> "remove identities first, as the TFLite converter does";
            default ->
                op.type().isSignal()
                        ? "Quanta reads and runs tflite-micro's signal (custom) ops but does not write them"
                        : "no TFLite operator is known for it";
        };
        throw new QuantaException(op.describe() + ": " + op.type() + " has no TFLite op; " + hint);
    }

    // ------------------------------------------------------------------ helpers

    private static boolean is(Op op, int input, DType type) {
        return op.inputs().size() > input && op.input(input).dtype() == type;
    }

    private static boolean outIs(Op op, DType type) {
        return op.output(0).dtype() == type;
    }

    /** Version {@code v16} for INT16 input, {@code v8} for INT8 input, else 1. */
    private static int int8Or16(Op op, int v8, int v16) {
        return is(op, 0, DType.INT16) ? v16 : is(op, 0, DType.INT8) ? v8 : 1;
    }

    private static int logisticTanh(Op op) {
        if (is(op, 0, DType.INT16) && outIs(op, DType.INT16)) {
            return 3;
        }
        return is(op, 0, DType.INT8) ? 2 : 1;
    }

    /**
     * The op's first input, then a new INT32 constant {@code <output name>/<what>} of {@code shape} holding
     * {@code values} (MEAN's axes, RESHAPE's shape, PAD's paddings, TRANSPOSE's permutation).
     */
    private static int[] withInt32Constant(Op op, Context c, String what, int[] shape, int[] values) {
        int constant = c.int32Constant(op.output(0).name() + "/" + what, shape, values);
        return new int[] {c.index(op.input(0)), constant};
    }

    private static int[] in(Op op, Context c) {
        int[] idx = new int[op.inputs().size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = c.index(op.input(i));
        }
        return idx;
    }

    /** x, weights and bias; a missing bias is written as -1 (an omitted optional input). */
    private static int[] withOptionalBias(Op op, Context c) {
        return new int[] {
            c.index(op.input(0)), c.index(op.input(1)), op.inputs().size() > 2 ? c.index(op.input(2)) : -1
        };
    }

    /**
     * x, weights and bias of a convolution. TFLite's CONV_2D kernel requires a bias (and the converter always
     * writes one), so a missing bias is written as zeros: FLOAT32 for float and hybrid ops, INT32 (INT64 for
     * 16-bit activations) with scale input scale × weight scale for quantized ones.
     *
     * @param channelAxis the weights' output-channel axis (0 for CONV_2D, 3 for DEPTHWISE_CONV_2D)
     */
    private static int[] convInputs(Op op, Context c, int channelAxis) {
        if (op.inputs().size() > 2) {
            return in(op, c);
        }
        Tensor x = op.input(0);
        Tensor w = op.input(1);
        int channels = w.shape().dim(channelAxis);
        DType type;
        QuantParams quant = null;
        switch (x.dtype()) {
            case FLOAT32 -> type = DType.FLOAT32;
            case INT8, UINT8, INT16 -> {
                type = x.dtype() == DType.INT16 ? DType.INT64 : DType.INT32;
                if (x.quant() == null || w.quant() == null) {
                    throw new QuantaException(op.describe() + ": quantized " + op.type() + " without a bias needs"
                            + " quantization parameters on its input and weights to make a zero bias");
                }
                float[] ws = w.quant().scales();
                float[] bs = new float[ws.length];
                for (int i = 0; i < ws.length; i++) {
                    bs[i] = x.quant().scale() * ws[i];
                }
                quant = ws.length == 1
                        ? QuantParams.perTensor(bs[0], 0)
                        : QuantParams.perAxis(bs, new long[bs.length], 0);
            }
            default ->
                throw new QuantaException(op.describe() + ": " + op.type() + " with " + x.dtype()
                        + " input and no bias cannot be written");
        }
        int bias = c.constant(
                op.output(0).name() + "/zero_bias",
                type,
                new int[] {channels},
                new byte[channels * type.byteSize()],
                quant);
        return new int[] {c.index(x), c.index(w), bias};
    }

    private static boolean hybrid(Op op) {
        return is(op, 0, DType.FLOAT32) && is(op, 1, DType.INT8) && outIs(op, DType.FLOAT32);
    }

    /** Per-channel along {@code axis}: as many scales as the weights have entries there. */
    private static boolean perChannel(Tensor weights, int axis) {
        QuantParams q = weights.quant();
        int a = axis < 0 ? axis + weights.shape().rank() : axis;
        return q != null
                && a >= 0
                && a < weights.shape().rank()
                && q.scales().length == weights.shape().dim(a);
    }

    private static int padding(Padding p) {
        return TfliteSchema.padding(p);
    }

    private static int act(dev.quanta.ir.Activation a) {
        return TfliteSchema.activation(a);
    }

    // ------------------------------------------------------------------ ops

    private static Exported fullyConnected(Op op, Context c) {
        OpAttributes.FullyConnected a = op.attrs(OpAttributes.FullyConnected.class);
        boolean keepNumDims = op.input(0).shape().rank() > 2;
        boolean hybrid = hybrid(op);
        TfliteOptions.FullyConnected o = new TfliteOptions.FullyConnected(
                act(a.activation()),
                TfliteSchema.FC_WEIGHTS_DEFAULT,
                keepNumDims,
                hybrid && a.asymmetricQuantizeInputs());
        Tensor w = op.input(1);
        int version;
        if (hybrid && w.quant() != null && w.quant().scales().length > 1 && perChannel(w, 0)) {
            version = 12;
        } else if (is(op, 0, DType.INT16) && is(op, 1, DType.INT16) && outIs(op, DType.INT16)) {
            version = 7;
        } else if (keepNumDims) {
            version = 5;
        } else if (is(op, 0, DType.INT8) && is(op, 1, DType.INT8) && outIs(op, DType.INT8)) {
            version = 4;
        } else if (hybrid && a.asymmetricQuantizeInputs()) {
            version = 9; // asymmetric_quantize_inputs
        } else if (hybrid) {
            version = 3;
        } else {
            version = 1;
        }
        return new Exported(
                TfliteSchema.OP_FULLY_CONNECTED,
                version,
                withOptionalBias(op, c),
                TfliteOptions.FullyConnected.TYPE,
                o::write);
    }

    private static Exported conv2d(Op op, Context c) {
        OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
        TfliteOptions.Conv2D o = new TfliteOptions.Conv2D(
                padding(a.padding()), a.strideW(), a.strideH(), act(a.activation()), a.dilationW(), a.dilationH());
        Tensor x = op.input(0);
        Tensor w = op.input(1);
        int version;
        if (x.shape().rank() == 4
                && w.shape().rank() == 4
                && x.shape().dim(3) != w.shape().dim(3)) {
            version = 6; // grouped convolution
        } else if (is(op, 0, DType.INT16) && is(op, 1, DType.INT16) && outIs(op, DType.INT16)) {
            version = 4;
        } else if (is(op, 0, DType.INT8) && is(op, 1, DType.INT8) && outIs(op, DType.INT8)) {
            version = 3;
        } else if (hybrid(op)) {
            version = perChannel(w, 0) ? 5 : 2;
        } else {
            version = 1;
        }
        return new Exported(
                TfliteSchema.OP_CONV_2D, version, convInputs(op, c, 0), TfliteOptions.Conv2D.TYPE, o::write);
    }

    private static Exported depthwise(Op op, Context c) {
        OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
        TfliteOptions.DepthwiseConv2D o = new TfliteOptions.DepthwiseConv2D(
                padding(a.padding()),
                a.strideW(),
                a.strideH(),
                a.depthMultiplier(),
                act(a.activation()),
                a.dilationW(),
                a.dilationH());
        int version;
        if (is(op, 0, DType.INT16) && is(op, 1, DType.INT16) && outIs(op, DType.INT16)) {
            version = 5;
        } else if (hybrid(op)) {
            version = perChannel(op.input(1), 3) ? 6 : 4;
        } else if (is(op, 0, DType.INT8) && is(op, 1, DType.INT8) && outIs(op, DType.INT8)) {
            version = 3;
        } else if (a.dilationH() != 1 || a.dilationW() != 1) {
            version = 2;
        } else {
            version = 1;
        }
        return new Exported(
                TfliteSchema.OP_DEPTHWISE_CONV_2D,
                version,
                convInputs(op, c, 3),
                TfliteOptions.DepthwiseConv2D.TYPE,
                o::write);
    }

    private static Exported pool(Op op, Context c, int code) {
        OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
        TfliteOptions.Pool2D o = new TfliteOptions.Pool2D(
                padding(a.padding()), a.strideW(), a.strideH(), a.filterW(), a.filterH(), act(a.activation()));
        int version = is(op, 0, DType.INT16) && outIs(op, DType.INT16) ? 3 : is(op, 0, DType.INT8) ? 2 : 1;
        return new Exported(code, version, in(op, c), TfliteOptions.Pool2D.TYPE, o::write);
    }

    /** MEAN: axes as an INT32 constant second input, keep_dims in ReducerOptions. */
    private static Exported mean(Op op, Context c) {
        OpAttributes.Mean a = op.attrs(OpAttributes.Mean.class);
        int[] inputs = withInt32Constant(op, c, "axes", new int[] {a.axes().length}, a.axes());
        TfliteOptions.Reducer o = new TfliteOptions.Reducer(a.keepDims());
        return new Exported(TfliteSchema.OP_MEAN, int8Or16(op, 2, 3), inputs, TfliteOptions.Reducer.TYPE, o::write);
    }

    /** RESHAPE: the target both as an INT32 constant shape input and as ReshapeOptions.new_shape. */
    private static Exported reshape(Op op, Context c) {
        int[] target = op.attrs(OpAttributes.Reshape.class).newShape();
        int[] inputs = withInt32Constant(op, c, "shape", new int[] {target.length}, target);
        TfliteOptions.Reshape o = new TfliteOptions.Reshape(target.clone());
        return new Exported(TfliteSchema.OP_RESHAPE, 1, inputs, TfliteOptions.Reshape.TYPE, o::write);
    }

    private static Exported leakyRelu(Op op, Context c) {
        TfliteOptions.LeakyRelu o = new TfliteOptions.LeakyRelu(
                op.attrs(OpAttributes.LeakyRelu.class).alpha());
        return new Exported(
                TfliteSchema.OP_LEAKY_RELU,
                is(op, 0, DType.INT16) ? 2 : 1,
                in(op, c),
                TfliteOptions.LeakyRelu.TYPE,
                o::write);
    }

    private static Exported softmax(Op op, Context c) {
        TfliteOptions.Softmax o =
                new TfliteOptions.Softmax(op.attrs(OpAttributes.Softmax.class).beta());
        return new Exported(
                TfliteSchema.OP_SOFTMAX, int8Or16(op, 2, 3), in(op, c), TfliteOptions.Softmax.TYPE, o::write);
    }

    private static Exported add(Op op, Context c) {
        TfliteOptions.Add o =
                new TfliteOptions.Add(act(op.attrs(OpAttributes.Add.class).activation()));
        boolean quantized = op.input(0).quant() != null;
        int version;
        if (is(op, 0, DType.INT16) && !quantized) {
            version = 5;
        } else if (is(op, 0, DType.INT64)) {
            version = 4;
        } else if (is(op, 0, DType.INT8)) {
            version = 2;
        } else {
            version = 1;
        }
        return new Exported(TfliteSchema.OP_ADD, version, in(op, c), TfliteOptions.Add.TYPE, o::write);
    }

    /** CONCATENATION; a negative axis is written as its non-negative equivalent. */
    private static Exported concatenation(Op op, Context c) {
        OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
        int rank = op.input(0).shape().rank();
        int axis = a.axis() < 0 ? a.axis() + rank : a.axis();
        TfliteOptions.Concatenation o = new TfliteOptions.Concatenation(axis, act(a.activation()));
        return new Exported(
                TfliteSchema.OP_CONCATENATION,
                int8Or16(op, 2, 3),
                in(op, c),
                TfliteOptions.Concatenation.TYPE,
                o::write);
    }

    /** PAD: paddings as an INT32 [rank, 2] constant second input. */
    private static Exported pad(Op op, Context c) {
        int[][] p = op.attrs(OpAttributes.Pad.class).paddings();
        int[] flat = new int[2 * p.length];
        for (int i = 0; i < p.length; i++) {
            flat[2 * i] = p[i][0];
            flat[2 * i + 1] = p[i][1];
        }
        int[] inputs = withInt32Constant(op, c, "paddings", new int[] {p.length, 2}, flat);
        int rank = op.input(0).shape().rank();
        int version = rank > 4 ? 4 : int8Or16(op, 2, 3);
        return Exported.withEmptyOptions(TfliteSchema.OP_PAD, version, inputs, TfliteSchema.BO_PAD);
    }

    /** TRANSPOSE: the permutation as an INT32 constant second input, empty TransposeOptions. */
    private static Exported transpose(Op op, Context c) {
        int[] perm = op.attrs(OpAttributes.Transpose.class).perm();
        int[] inputs = withInt32Constant(op, c, "perm", new int[] {perm.length}, perm);
        int rank = op.input(0).shape().rank();
        int version;
        if (rank > 5) {
            version = 6;
        } else if (is(op, 0, DType.INT16)) {
            version = 5;
        } else if (rank > 4) {
            version = 4;
        } else if (is(op, 0, DType.INT8)) {
            version = 2;
        } else {
            version = 1;
        }
        return Exported.withEmptyOptions(TfliteSchema.OP_TRANSPOSE, version, inputs, TfliteSchema.BO_TRANSPOSE);
    }

    private static Exported quantize(Op op, Context c) {
        Tensor out = op.output(0);
        int version = out.quant() != null && !out.quant().isPerTensor() ? 3 : outIs(op, DType.INT16) ? 2 : 1;
        return new Exported(TfliteSchema.OP_QUANTIZE, version, in(op, c), TfliteSchema.BO_NONE, null);
    }

    private static Exported dequantize(Op op, Context c) {
        Tensor x = op.input(0);
        int version;
        if (is(op, 0, DType.INT16) || is(op, 0, DType.FLOAT16)) {
            version = 3;
        } else if (is(op, 0, DType.INT8)) {
            version = x.quant() != null && !x.quant().isPerTensor() ? 5 : 2;
        } else {
            version = 1;
        }
        return new Exported(TfliteSchema.OP_DEQUANTIZE, version, in(op, c), TfliteSchema.BO_NONE, null);
    }
}
