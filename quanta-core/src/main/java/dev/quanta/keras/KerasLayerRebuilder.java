package dev.quanta.keras;

import static dev.quanta.keras.KerasConfigJson.initializer;
import static dev.quanta.keras.KerasConfigJson.layerConfig;
import static dev.quanta.keras.KerasConfigJson.nulls;
import static dev.quanta.keras.KerasConfigJson.padding;
import static dev.quanta.keras.KerasConfigJson.pair;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.keras.RebuiltLayer.Weight;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rebuilds the Keras layers of an IR model that is a plain chain of ops, for {@link KerasH5Writer}: consecutive
 * ops with the same {@link dev.quanta.ir.Origin} form one layer (a FULLY_CONNECTED followed by a SOFTMAX of the
 * same origin is {@code Dense(activation="softmax")}), fused activations become the layer's {@code activation},
 * a RESHAPE to {@code [-1, n]} is {@code Flatten}, and weights are moved from the IR layouts of {@link OpType}
 * back to Keras' (Dense [in, out], Conv2D [kh, kw, in, out], DepthwiseConv2D [kh, kw, in, multiplier], LSTM's
 * fused gates). Anything else is a {@link QuantaException} naming the op.
 */
final class KerasLayerRebuilder {
    private final Model model;

    private KerasLayerRebuilder(Model model) {
        this.model = model;
    }

    /**
     * The layers of {@code model}, input to output.
     *
     * @throws QuantaException when the model is not a single float32 chain of supported layers with distinct,
     *     HDF5-safe layer names
     */
    static List<RebuiltLayer> rebuild(Model model) {
        return new KerasLayerRebuilder(model).layers();
    }

    private List<RebuiltLayer> layers() {
        if (model.inputs().size() != 1 || model.outputs().size() != 1) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras Sequential HDF5 file: it"
                    + " has " + model.inputs().size() + " inputs and "
                    + model.outputs().size()
                    + " outputs (need 1 and 1)");
        }
        Tensor input = model.inputs().get(0);
        if (input.dtype() != DType.FLOAT32 || input.quant() != null) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras HDF5 file: its input "
                    + input.name() + " is " + input.dtype().lowerName() + (input.quant() != null ? " (quantized)" : "")
                    + ", not float32");
        }
        List<Op> ops = model.ops();
        if (ops.isEmpty()) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras HDF5 file: it has no ops");
        }
        List<RebuiltLayer> layers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Tensor current = input;
        int i = 0;
        while (i < ops.size()) {
            Op op = ops.get(i);
            requireChained(op, current);
            Op activation = null;
            if (i + 1 < ops.size() && ops.get(i + 1).origin().equals(op.origin()) && takesActivation(op)) {
                activation = ops.get(i + 1);
                requireChained(activation, op.output(0));
            }
            RebuiltLayer layer = layer(op, activation);
            String name = layer.name();
            boolean invalid = name.isEmpty() || name.contains("/") || name.equals(".");
            if (invalid || !names.add(name)) {
                throw unsupported(
                        op,
                        "layer name '" + name + "' is "
                                + (invalid ? "not a valid HDF5 group name" : "used by more than one layer"));
            }
            layers.add(layer);
            current = (activation != null ? activation : op).output(0);
            i += activation != null ? 2 : 1;
        }
        if (current != model.outputs().get(0)) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras Sequential HDF5 file: its "
                    + "output " + model.outputs().get(0).name() + " is not the output of the last op");
        }
        return layers;
    }

    private void requireChained(Op op, Tensor current) {
        if (op.outputs().size() != 1 || op.inputs().isEmpty() || op.input(0) != current) {
            throw unsupported(
                    op, "the graph is not a single chain of layers (it does not read the previous layer's output)");
        }
        for (int k = 1; k < op.inputs().size(); k++) {
            if (!op.input(k).isConstant()) {
                throw unsupported(op, "input " + op.input(k).name() + " is not a constant");
            }
        }
        for (Tensor t : op.inputs()) {
            if (t.quant() != null || t.dtype() != DType.FLOAT32) {
                throw unsupported(
                        op,
                        "tensor " + t.name() + " is " + t.dtype().lowerName()
                                + (t.quant() != null ? " (quantized)" : "") + "; only float32 models can be written");
            }
        }
    }

    /** True for a weighted op without a fused activation: the next op of the same layer can be its activation. */
    private static boolean takesActivation(Op op) {
        Activation fused = switch (op.type()) {
            case FULLY_CONNECTED -> op.attrs(OpAttributes.FullyConnected.class).activation();
            case CONV_2D -> op.attrs(OpAttributes.Conv2D.class).activation();
            case DEPTHWISE_CONV_2D ->
                op.attrs(OpAttributes.DepthwiseConv2D.class).activation();
            default -> null;
        };
        return fused == Activation.NONE;
    }

    private QuantaException unsupported(Op op, String why) {
        return new QuantaException("cannot write model '" + model.name() + "' as a Keras HDF5 file: op '" + op.name()
                + "' (" + op.type() + ") of " + op.describe() + ": " + why);
    }

    /** The layer of {@code op}, with {@code activationOp} (null when none) as its activation. */
    private RebuiltLayer layer(Op op, Op activationOp) {
        String name = op.origin().layerName();
        Shape in = op.input(0).shape();
        String activation = activationOp == null ? null : activationName(activationOp);
        return switch (op.type()) {
            case FULLY_CONNECTED -> dense(op, name, in, activation);
            case CONV_2D -> conv(op, name, in, activation);
            case DEPTHWISE_CONV_2D -> depthwise(op, name, in, activation);
            case MAX_POOL_2D, AVERAGE_POOL_2D -> pool(op, name, in);
            case RESHAPE -> reshape(op, name, in);
            case RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX, IDENTITY -> activationLayer(op, name, in);
            case UNIDIRECTIONAL_SEQUENCE_LSTM -> lstm(op, name, in);
            default -> throw unsupported(op, op.type() + " has no Keras HDF5 equivalent in this writer");
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Layers with weights

    private RebuiltLayer dense(Op op, String name, Shape in, String activation) {
        requireWeights(op, 2);
        Tensor w = op.input(1);
        int units = w.shape().dim(0);
        int features = w.shape().dim(1);
        float[] ir = w.data().floats();
        float[] kernel = new float[ir.length];
        for (int o = 0; o < units; o++) {
            for (int i = 0; i < features; i++) {
                kernel[i * units + o] = ir[o * features + i];
            }
        }
        List<Weight> weights = new ArrayList<>();
        weights.add(new Weight("kernel", new int[] {features, units}, kernel));
        boolean bias = addBias(op, weights);
        ObjectNode c = layerConfig(name);
        c.put("units", units);
        c.put(
                "activation",
                activation != null
                        ? activation
                        : fusedName(
                                op, op.attrs(OpAttributes.FullyConnected.class).activation()));
        c.put("use_bias", bias);
        weightSettings(c, "kernel", "bias");
        return new RebuiltLayer(name, "Dense", c, weights, in);
    }

    /**
     * A batch-major float LSTM without peepholes, projection, layer normalization or clipping, as a Keras LSTM
     * with return_sequences: the 4 gates' weights fused back into Keras' [in, 4u] kernel, [u, 4u] recurrent kernel
     * and [4u] bias (gate order i, f, c, o).
     */
    private RebuiltLayer lstm(Op op, String name, Shape in) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int i = 0; i < 24; i++) {
            boolean expected = i <= 8 || (i >= 12 && i <= 15);
            if (a.has(i) != expected) {
                throw unsupported(
                        op,
                        "only an LSTM with all gates and no peepholes, projection or layer"
                                + " normalization has a Keras equivalent (TFLite input " + i + ")");
            }
        }
        if (a.timeMajor()
                || a.cellClip() != 0f
                || a.projClip() != 0f
                || op.input(0).dtype() != DType.FLOAT32) {
            throw unsupported(op, "only a float, batch-major LSTM without clipping has a Keras equivalent");
        }
        String activation = switch (a.activation()) {
            case TANH -> "tanh";
            case RELU -> "relu";
            case RELU6 -> "relu6";
            case NONE -> "linear";
            case RELU_N1_TO_1 -> throw unsupported(op, "activation RELU_N1_TO_1 has no Keras name");
        };
        int features = op.input(a.position(1)).shape().dim(1);
        int units = op.input(a.position(1)).shape().dim(0);
        float[] kernel = new float[features * 4 * units];
        float[] recurrent = new float[units * 4 * units];
        float[] bias = new float[4 * units];
        for (int g = 0; g < 4; g++) {
            float[] wx = op.input(a.position(1 + g)).data().floats();
            float[] wh = op.input(a.position(5 + g)).data().floats();
            float[] b = op.input(a.position(12 + g)).data().floats();
            for (int u = 0; u < units; u++) {
                for (int r = 0; r < features; r++) {
                    kernel[r * 4 * units + g * units + u] = wx[u * features + r];
                }
                for (int r = 0; r < units; r++) {
                    recurrent[r * 4 * units + g * units + u] = wh[u * units + r];
                }
                bias[g * units + u] = b[u];
            }
        }
        List<Weight> weights = List.of(
                new Weight("kernel", new int[] {features, 4 * units}, kernel),
                new Weight("recurrent_kernel", new int[] {units, 4 * units}, recurrent),
                new Weight("bias", new int[] {4 * units}, bias));
        ObjectNode c = layerConfig(name);
        c.put("units", units);
        c.put("activation", activation);
        c.put("recurrent_activation", "sigmoid");
        c.put("use_bias", true);
        c.put("return_sequences", true);
        c.put("return_state", false);
        c.put("go_backwards", false);
        c.put("stateful", false);
        c.put("unroll", false);
        c.put("time_major", false);
        c.put("unit_forget_bias", true);
        c.put("dropout", 0.0);
        c.put("recurrent_dropout", 0.0);
        c.put("implementation", 2);
        weightSettings(c, "kernel", "recurrent", "bias");
        return new RebuiltLayer(name, "LSTM", c, weights, in);
    }

    private RebuiltLayer conv(Op op, String name, Shape in, String activation) {
        requireWeights(op, 4);
        OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
        Tensor w = op.input(1);
        int cout = w.shape().dim(0);
        int kh = w.shape().dim(1);
        int kw = w.shape().dim(2);
        int cin = w.shape().dim(3);
        float[] ir = w.data().floats();
        float[] kernel = new float[ir.length];
        for (int o = 0; o < cout; o++) {
            for (int k = 0; k < kh * kw; k++) {
                for (int c = 0; c < cin; c++) {
                    kernel[(k * cin + c) * cout + o] = ir[(o * kh * kw + k) * cin + c];
                }
            }
        }
        List<Weight> weights = new ArrayList<>();
        weights.add(new Weight("kernel", new int[] {kh, kw, cin, cout}, kernel));
        boolean bias = addBias(op, weights);
        ObjectNode c = layerConfig(name);
        c.put("filters", cout);
        window(c, op, w.shape(), a, activation, bias);
        weightSettings(c, "kernel", "bias");
        return new RebuiltLayer(name, "Conv2D", c, weights, in);
    }

    private RebuiltLayer depthwise(Op op, String name, Shape in, String activation) {
        requireWeights(op, 4);
        OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
        int mult = a.depthMultiplier();
        Shape k = op.input(1).shape();
        // IR [1, kh, kw, C*m] with channel c*m+j and Keras [kh, kw, C, m] have the same row-major order.
        int[] kerasShape = {k.dim(1), k.dim(2), k.dim(3) / mult, mult};
        List<Weight> weights = new ArrayList<>();
        weights.add(
                new Weight("depthwise_kernel", kerasShape, op.input(1).data().floats()));
        boolean bias = addBias(op, weights);
        ObjectNode c = layerConfig(name);
        window(c, op, k, a, activation, bias);
        weightSettings(c, "bias");
        c.put("depth_multiplier", mult);
        c.set("depthwise_initializer", initializer("GlorotUniform"));
        nulls(c, "depthwise_regularizer", "depthwise_constraint");
        return new RebuiltLayer(name, "DepthwiseConv2D", c, weights, in);
    }

    /**
     * The convolution keys from {@code kernel_size} to {@code use_bias}, in Keras' order; {@code kernel} is the IR
     * weight shape ([out, kh, kw, in] or [1, kh, kw, in·m]), {@code activation} that of a separate activation op,
     * or null for the fused one.
     */
    private void window(
            ObjectNode c, Op op, Shape kernel, OpAttributes.Convolution w, String activation, boolean bias) {
        c.set("kernel_size", pair(kernel.dim(1), kernel.dim(2)));
        c.set("strides", pair(w.strideH(), w.strideW()));
        c.put("padding", padding(w.padding()));
        c.put("data_format", "channels_last");
        c.set("dilation_rate", pair(w.dilationH(), w.dilationW()));
        c.put("groups", 1);
        c.put("activation", activation != null ? activation : fusedName(op, w.activation()));
        c.put("use_bias", bias);
    }

    /**
     * The initializer, regularizer and constraint keys of the named weights ({@code kernel}, {@code recurrent},
     * {@code bias}) in Keras' order: every initializer (Glorot uniform, orthogonal for the recurrent kernel, zeros
     * for the bias), every regularizer then the activity regularizer, every constraint; regularizers and
     * constraints null.
     */
    private static void weightSettings(ObjectNode c, String... weights) {
        for (String w : weights) {
            String init = switch (w) {
                case "recurrent" -> "Orthogonal";
                case "bias" -> "Zeros";
                default -> "GlorotUniform";
            };
            c.set(w + "_initializer", initializer(init));
        }
        for (String w : weights) {
            c.putNull(w + "_regularizer");
        }
        c.putNull("activity_regularizer");
        for (String w : weights) {
            c.putNull(w + "_constraint");
        }
    }

    private void requireWeights(Op op, int rank) {
        if (op.inputs().size() < 2
                || op.inputs().size() > 3
                || !op.input(1).isConstant()
                || op.input(1).shape().rank() != rank) {
            throw unsupported(op, "expected a constant rank-" + rank + " weight tensor and an optional bias");
        }
    }

    private static boolean addBias(Op op, List<Weight> weights) {
        if (op.inputs().size() < 3) {
            return false;
        }
        Tensor b = op.input(2);
        weights.add(new Weight(
                "bias",
                new int[] {Math.toIntExact(b.shape().elementCount())},
                b.data().floats()));
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Layers without weights

    private RebuiltLayer pool(Op op, String name, Shape in) {
        OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
        if (a.activation() != Activation.NONE) {
            throw unsupported(op, "Keras pooling layers have no fused activation (found " + a.activation() + ")");
        }
        ObjectNode c = layerConfig(name);
        c.set("pool_size", pair(a.filterH(), a.filterW()));
        c.put("padding", padding(a.padding()));
        c.set("strides", pair(a.strideH(), a.strideW()));
        c.put("data_format", "channels_last");
        return new RebuiltLayer(
                name, op.type() == OpType.MAX_POOL_2D ? "MaxPooling2D" : "AveragePooling2D", c, List.of(), in);
    }

    private static RebuiltLayer reshape(Op op, String name, Shape in) {
        int[] target = op.attrs(OpAttributes.Reshape.class).newShape();
        Shape out = op.output(0).shape();
        boolean flatten = out.rank() == 2
                && target.length == 2
                && target[0] == -1
                && !"Reshape".equals(op.origin().layerClass());
        ObjectNode c = layerConfig(name);
        if (flatten) {
            c.put("data_format", "channels_last");
            return new RebuiltLayer(name, "Flatten", c, List.of(), in);
        }
        ArrayNode t = c.putArray("target_shape");
        int[] dims = out.dims();
        for (int k = 1; k < dims.length; k++) {
            t.add(dims[k]);
        }
        return new RebuiltLayer(name, "Reshape", c, List.of(), in);
    }

    private RebuiltLayer activationLayer(Op op, String name, Shape in) {
        String cls = op.origin().layerClass();
        ObjectNode c = layerConfig(name);
        switch (op.type()) {
            case RELU, RELU6 -> {
                if ("ReLU".equals(cls)) {
                    if (op.type() == OpType.RELU6) {
                        c.put("max_value", 6.0);
                    } else {
                        c.putNull("max_value");
                    }
                    c.put("negative_slope", 0.0);
                    c.put("threshold", 0.0);
                    return new RebuiltLayer(name, "ReLU", c, List.of(), in);
                }
            }
            case LEAKY_RELU -> {
                c.put("alpha", (double) op.attrs(OpAttributes.LeakyRelu.class).alpha());
                return new RebuiltLayer(name, "LeakyReLU", c, List.of(), in);
            }
            case SOFTMAX -> {
                if ("Softmax".equals(cls)) {
                    requireUnitBeta(op);
                    c.put("axis", -1);
                    return new RebuiltLayer(name, "Softmax", c, List.of(), in);
                }
            }
            default -> {
                // an Activation layer below
            }
        }
        c.put("activation", op.type() == OpType.IDENTITY ? "linear" : activationName(op));
        return new RebuiltLayer(name, "Activation", c, List.of(), in);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Activation names

    /** The Keras activation name of an element-wise activation op. */
    private String activationName(Op op) {
        return switch (op.type()) {
            case RELU -> "relu";
            case RELU6 -> "relu6";
            case LOGISTIC -> "sigmoid";
            case TANH -> "tanh";
            case SOFTMAX -> {
                requireUnitBeta(op);
                yield "softmax";
            }
            default ->
                throw unsupported(
                        op,
                        op.type() + " cannot be written as a Keras activation of layer '"
                                + op.origin().layerName() + "'");
        };
    }

    private void requireUnitBeta(Op op) {
        float beta = op.attrs(OpAttributes.Softmax.class).beta();
        if (beta != 1f) {
            throw unsupported(op, "Keras softmax has no beta (found beta=" + beta + ")");
        }
    }

    /** The Keras name of a fused activation. */
    private String fusedName(Op op, Activation a) {
        return switch (a) {
            case NONE -> "linear";
            case RELU -> "relu";
            case RELU6 -> "relu6";
            case RELU_N1_TO_1 -> throw unsupported(op, "fused activation RELU_N1_TO_1 has no Keras name");
        };
    }
}
