package dev.quanta.tflite;

import static dev.quanta.tflite.TfliteSchema.OP_ADD;
import static dev.quanta.tflite.TfliteSchema.OP_AVERAGE_POOL_2D;
import static dev.quanta.tflite.TfliteSchema.OP_CONCATENATION;
import static dev.quanta.tflite.TfliteSchema.OP_CONV_2D;
import static dev.quanta.tflite.TfliteSchema.OP_DEPTHWISE_CONV_2D;
import static dev.quanta.tflite.TfliteSchema.OP_DEQUANTIZE;
import static dev.quanta.tflite.TfliteSchema.OP_FULLY_CONNECTED;
import static dev.quanta.tflite.TfliteSchema.OP_LEAKY_RELU;
import static dev.quanta.tflite.TfliteSchema.OP_LOGISTIC;
import static dev.quanta.tflite.TfliteSchema.OP_MAX_POOL_2D;
import static dev.quanta.tflite.TfliteSchema.OP_MEAN;
import static dev.quanta.tflite.TfliteSchema.OP_PAD;
import static dev.quanta.tflite.TfliteSchema.OP_QUANTIZE;
import static dev.quanta.tflite.TfliteSchema.OP_RELU;
import static dev.quanta.tflite.TfliteSchema.OP_RELU6;
import static dev.quanta.tflite.TfliteSchema.OP_RESHAPE;
import static dev.quanta.tflite.TfliteSchema.OP_SOFTMAX;
import static dev.quanta.tflite.TfliteSchema.OP_TANH;
import static dev.quanta.tflite.TfliteSchema.OP_TRANSPOSE;

import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * TFLite operator → IR op conversions, one {@link OpImporter} per builtin code. To support another operator,
 * write its importer here and {@link #register} it (and, for writing, add the IR op to {@link TfliteExporters}).
 */
final class TfliteImporters {
    private TfliteImporters() {}

    /** Converts one operator through its {@link OpContext}. */
    @FunctionalInterface
    interface OpImporter {
        void read(OpContext c);
    }

    private static final Map<Integer, OpImporter> IMPORTERS = new HashMap<>();

    static void register(int builtinCode, OpImporter importer) {
        IMPORTERS.put(builtinCode, importer);
    }

    /** The importer of {@code builtinCode}, or null when the reader does not support it. */
    static OpImporter forCode(int builtinCode) {
        return IMPORTERS.get(builtinCode);
    }

    private static final Map<String, OpImporter> CUSTOM_IMPORTERS = new HashMap<>();

    /** Registers the importer of the custom op whose custom code is {@code customCode}. */
    static void registerCustom(String customCode, OpImporter importer) {
        CUSTOM_IMPORTERS.put(customCode, importer);
    }

    /**
     * The importer of the custom op {@code customCode} (tflite-micro's signal ops included), or null when the reader
     * does not support it.
     */
    static OpImporter forCustomCode(String customCode) {
        OpImporter signal = TfliteSignal.forName(customCode);
        return signal != null || customCode == null ? signal : CUSTOM_IMPORTERS.get(customCode);
    }

    static {
        register(OP_CONV_2D, TfliteImporters::conv2d);
        register(OP_DEPTHWISE_CONV_2D, TfliteImporters::depthwise);
        register(OP_FULLY_CONNECTED, TfliteImporters::fullyConnected);
        register(OP_MAX_POOL_2D, c -> pool(c, OpType.MAX_POOL_2D));
        register(OP_AVERAGE_POOL_2D, c -> pool(c, OpType.AVERAGE_POOL_2D));
        register(OP_MEAN, TfliteImporters::mean);
        register(OP_RESHAPE, TfliteImporters::reshape);
        register(OP_RELU, c -> unary(c, OpType.RELU));
        register(OP_RELU6, c -> unary(c, OpType.RELU6));
        register(OP_LOGISTIC, c -> unary(c, OpType.LOGISTIC));
        register(OP_TANH, c -> unary(c, OpType.TANH));
        register(OP_QUANTIZE, c -> unary(c, OpType.QUANTIZE));
        register(OP_DEQUANTIZE, c -> unary(c, OpType.DEQUANTIZE));
        register(
                OP_LEAKY_RELU,
                c -> c.produce(
                        OpType.LEAKY_RELU,
                        new OpAttributes.LeakyRelu(
                                c.options(TfliteOptions.LeakyRelu.TYPE, TfliteOptions.LeakyRelu::read)
                                        .alpha()),
                        c.input(0)));
        register(
                OP_SOFTMAX,
                c -> c.produce(
                        OpType.SOFTMAX,
                        new OpAttributes.Softmax(c.options(TfliteOptions.Softmax.TYPE, TfliteOptions.Softmax::read)
                                .beta()),
                        c.input(0)));
        register(
                OP_ADD,
                c -> c.produce(
                        OpType.ADD,
                        new OpAttributes.Add(c.activation(c.options(TfliteOptions.Add.TYPE, TfliteOptions.Add::read)
                                .activation())),
                        c.input(0),
                        c.input(1)));
        register(OP_CONCATENATION, TfliteImporters::concatenation);
        register(OP_PAD, TfliteImporters::pad);
        register(OP_TRANSPOSE, TfliteImporters::transpose);
        register(TfliteLstm.OP_UNIDIRECTIONAL_SEQUENCE_LSTM, TfliteLstm::read);
        register(TfliteSchema.OP_CAST, TfliteImporters::cast);
        register(TfliteSchema.OP_STRIDED_SLICE, TfliteImporters::stridedSlice);
        register(TfliteSchema.OP_MUL, c -> arithmetic(c, OpType.MUL, TfliteSchema.BO_MUL));
        register(TfliteSchema.OP_DIV, c -> arithmetic(c, OpType.DIV, TfliteSchema.BO_DIV));
        register(
                TfliteSchema.OP_MINIMUM,
                c -> c.produce(OpType.MINIMUM, OpAttributes.None.INSTANCE, c.input(0), c.input(1)));
        register(
                TfliteSchema.OP_MAXIMUM,
                c -> c.produce(OpType.MAXIMUM, OpAttributes.None.INSTANCE, c.input(0), c.input(1)));

        // -- elementwise and activations (issue 11) --
        TfliteElementwiseOps.registerImporters();

        // -- activations (issue 11) --
        TfliteActivationOps.registerImporters();

        // -- shape and data movement (issue 11) --
        TfliteDataMovementOps.registerImporters();

        // -- resampling and reductions (issue 11) --
        TfliteResampleReduceOps.registerImporters();

        // -- linear (issue 11) --
        TfliteLinearOps.registerImporters();

        // -- sequence (issue 11) --
        register(TfliteSchema.OP_UNIDIRECTIONAL_SEQUENCE_RNN, TfliteSequenceOps::readRnn);
        register(TfliteSchema.OP_BIDIRECTIONAL_SEQUENCE_LSTM, TfliteSequenceOps::readBidirectionalLstm);

        // -- detection (issue 11) --
        TfliteDetectionOps.registerImporters();
    }

    /** CAST: the target type is the output tensor's; CastOptions (when present) only repeat the two types. */
    private static void cast(OpContext c) {
        c.produce(OpType.CAST, OpAttributes.None.INSTANCE, c.input(0));
    }

    /** MUL and DIV with their fused activation. */
    private static void arithmetic(OpContext c, OpType type, int optionsType) {
        TfliteOptions.Arithmetic o = c.options(optionsType, t -> TfliteOptions.Arithmetic.read(optionsType, t));
        c.produce(type, new OpAttributes.Arithmetic(c.activation(o.activation())), c.input(0), c.input(1));
    }

    /** STRIDED_SLICE: begin, end and strides come from constant inputs 1–3. */
    private static void stridedSlice(OpContext c) {
        TfliteOptions.StridedSlice o = c.options(TfliteOptions.StridedSlice.TYPE, TfliteOptions.StridedSlice::read);
        if (o.ellipsisMask() != 0 || o.newAxisMask() != 0) {
            throw c.error(
                    "ellipsis_mask " + o.ellipsisMask() + " / new_axis_mask " + o.newAxisMask() + " are not supported");
        }
        c.produce(
                OpType.STRIDED_SLICE,
                new OpAttributes.StridedSlice(
                        c.constantInts(1, "begin"),
                        c.constantInts(2, "end"),
                        c.constantInts(3, "strides"),
                        o.beginMask(),
                        o.endMask(),
                        o.shrinkAxisMask(),
                        o.offset()),
                c.input(0));
    }

    private static void unary(OpContext c, OpType type) {
        c.produce(type, OpAttributes.None.INSTANCE, c.input(0));
    }

    private static void conv2d(OpContext c) {
        TfliteOptions.Conv2D o = c.options(TfliteOptions.Conv2D.TYPE, TfliteOptions.Conv2D::read);
        c.produce(
                OpType.CONV_2D,
                new OpAttributes.Conv2D(
                        c.padding(o.padding()),
                        c.positive(o.strideH(), "stride_h"),
                        c.positive(o.strideW(), "stride_w"),
                        c.positive(o.dilationH(), "dilation_h_factor"),
                        c.positive(o.dilationW(), "dilation_w_factor"),
                        c.activation(o.activation())),
                c.input(0),
                c.input(1),
                c.optionalInput(2));
    }

    /**
     * DEPTHWISE_CONV_2D. Recent TFLite ignores {@code depth_multiplier} and derives it from the shapes (output
     * channels / input channels); so does this reader when the shapes allow it.
     */
    private static void depthwise(OpContext c) {
        TfliteOptions.DepthwiseConv2D o =
                c.options(TfliteOptions.DepthwiseConv2D.TYPE, TfliteOptions.DepthwiseConv2D::read);
        Tensor x = c.input(0);
        Tensor w = c.input(1);
        int multiplier = o.depthMultiplier();
        if (x.shape().rank() == 4
                && w.shape().rank() == 4
                && x.shape().dim(3) > 0
                && w.shape().dim(3) % x.shape().dim(3) == 0) {
            multiplier = w.shape().dim(3) / x.shape().dim(3);
        }
        c.produce(
                OpType.DEPTHWISE_CONV_2D,
                new OpAttributes.DepthwiseConv2D(
                        c.padding(o.padding()),
                        c.positive(o.strideH(), "stride_h"),
                        c.positive(o.strideW(), "stride_w"),
                        c.positive(o.dilationH(), "dilation_h_factor"),
                        c.positive(o.dilationW(), "dilation_w_factor"),
                        c.positive(multiplier, "depth_multiplier"),
                        c.activation(o.activation())),
                x,
                w,
                c.optionalInput(2));
    }

    /**
     * FULLY_CONNECTED. Without {@code keep_num_dims}, TFLite flattens an input of rank other than 2 to
     * {@code [-1, in]} and gives a rank-2 output; the IR op keeps the leading axes, so a RESHAPE goes first.
     */
    private static void fullyConnected(OpContext c) {
        TfliteOptions.FullyConnected o =
                c.options(TfliteOptions.FullyConnected.TYPE, TfliteOptions.FullyConnected::read);
        if (o.weightsFormat() != TfliteSchema.FC_WEIGHTS_DEFAULT) {
            throw c.error("weights_format " + o.weightsFormat() + " (shuffled weights) is not supported");
        }
        Tensor x = c.input(0);
        Tensor w = c.input(1);
        if (!o.keepNumDims() && x.shape().rank() != 2) {
            if (w.shape().rank() != 2) {
                throw c.error("weights " + w.name() + " must have rank 2 but have shape " + w.shape());
            }
            x = c.emit(
                    OpType.RESHAPE,
                    new OpAttributes.Reshape(new int[] {-1, w.shape().dim(1)}),
                    x);
        }
        // the option only means something for hybrid layers (float input, integer weights)
        boolean hybrid = x.dtype() == dev.quanta.ir.DType.FLOAT32
                && w.dtype() != dev.quanta.ir.DType.FLOAT32
                && w.quant() != null;
        c.produce(
                OpType.FULLY_CONNECTED,
                new OpAttributes.FullyConnected(c.activation(o.activation()), !hybrid || o.asymmetricQuantizeInputs()),
                x,
                w,
                c.optionalInput(2));
    }

    private static void pool(OpContext c, OpType type) {
        TfliteOptions.Pool2D o = c.options(TfliteOptions.Pool2D.TYPE, TfliteOptions.Pool2D::read);
        c.produce(
                type,
                new OpAttributes.Pool2D(
                        c.padding(o.padding()),
                        c.positive(o.filterHeight(), "filter_height"),
                        c.positive(o.filterWidth(), "filter_width"),
                        c.positive(o.strideH(), "stride_h"),
                        c.positive(o.strideW(), "stride_w"),
                        c.activation(o.activation())),
                c.input(0));
    }

    /** MEAN: the axes come from the constant second input. */
    private static void mean(OpContext c) {
        boolean keepDims = c.options(TfliteOptions.Reducer.TYPE, TfliteOptions.Reducer::read)
                .keepDims();
        c.produce(OpType.MEAN, new OpAttributes.Mean(c.constantInts(1, "axes"), keepDims), c.input(0));
    }

    /**
     * RESHAPE: the target comes from the constant 1-D shape input when there is one (as TFLite does), else from
     * ReshapeOptions.new_shape. With a dynamic batch, a first entry equal to the file's batch becomes -1.
     */
    private static void reshape(OpContext c) {
        Tensor x = c.input(0);
        int[] target = null;
        Tensor shape = c.inputCount() > 1 ? c.optionalInput(1) : null;
        if (shape != null && shape.isConstant() && shape.shape().rank() == 1) {
            target = c.constantInts(1, "shape");
        }
        if (target == null) {
            target = c.options(TfliteOptions.Reshape.TYPE, TfliteOptions.Reshape::read)
                    .newShape();
        }
        if (target == null) {
            throw c.error(
                    shape == null
                            ? "has neither a shape input nor a new_shape option"
                            : "a computed (non-constant) shape input is not supported");
        }
        int[] fileShape = c.fileShape(0);
        if (c.dynamicBatch()
                && x.shape().rank() > 0
                && x.shape().dim(0) == Shape.DYNAMIC
                && target.length > 0
                && fileShape.length > 0
                && target[0] == fileShape[0]) {
            target = target.clone();
            target[0] = -1;
        }
        c.produce(OpType.RESHAPE, new OpAttributes.Reshape(target), x);
    }

    private static void concatenation(OpContext c) {
        TfliteOptions.Concatenation o = c.options(TfliteOptions.Concatenation.TYPE, TfliteOptions.Concatenation::read);
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < c.inputCount(); i++) {
            inputs.add(c.input(i));
        }
        if (inputs.isEmpty()) {
            throw c.error("has no inputs");
        }
        c.produce(
                OpType.CONCATENATION,
                new OpAttributes.Concatenation(o.axis(), c.activation(o.activation())),
                inputs.toArray(Tensor[]::new));
    }

    /** PAD: the paddings come from the constant [rank, 2] second input. */
    private static void pad(OpContext c) {
        Tensor x = c.input(0);
        int[] flat = c.constantInts(1, "paddings");
        int rank = x.shape().rank();
        if (flat.length != 2 * rank) {
            throw c.error("paddings hold " + flat.length + " values but the input " + x.shape() + " needs " + 2 * rank);
        }
        int[][] paddings = new int[rank][];
        for (int i = 0; i < rank; i++) {
            if (flat[2 * i] < 0 || flat[2 * i + 1] < 0) {
                throw c.error("negative padding " + flat[2 * i] + ", " + flat[2 * i + 1] + " on axis " + i);
            }
            paddings[i] = new int[] {flat[2 * i], flat[2 * i + 1]};
        }
        c.produce(OpType.PAD, new OpAttributes.Pad(paddings), x);
    }

    /**
     * TRANSPOSE: the permutation comes from the constant 1-D int32 second input (negative entries count from the
     * end, as in TFLite).
     */
    private static void transpose(OpContext c) {
        Tensor x = c.input(0);
        int[] perm = c.constantInts(1, "perm");
        int rank = x.shape().rank();
        if (perm.length != rank) {
            throw c.error("permutation " + java.util.Arrays.toString(perm) + " has " + perm.length
                    + " entries but the input " + x.shape() + " has rank " + rank);
        }
        boolean[] seen = new boolean[rank];
        for (int p : perm) {
            int a = p < 0 ? p + rank : p;
            if (a < 0 || a >= rank || seen[a]) {
                throw c.error("permutation " + java.util.Arrays.toString(perm) + " is not a permutation of the " + rank
                        + " axes");
            }
            seen[a] = true;
        }
        c.produce(OpType.TRANSPOSE, new OpAttributes.Transpose(perm), x);
    }
}
