package dev.quanta.keras;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a {@link KerasGraph} and its weights into an IR {@link Model}: one or two ops per layer, weights
 * converted to the IR layouts of {@link OpType}. The output tensor of each layer's last op is named after the
 * layer; inner tensors are named {@code <layer>/...}.
 */
final class KerasConverter {
    /** Layer classes that own weights (used to match layers to weight groups by position). */
    private static final Set<String> WEIGHTED = Set.of("Dense", "Conv2D", "Convolution2D", "DepthwiseConv2D",
            "BatchNormalization");

    private static final Set<String> IDENTITY_LAYERS = Set.of("Dropout", "SpatialDropout1D", "SpatialDropout2D",
            "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization");

    private final Path configFile;
    private final WeightSource weights;
    private final boolean matchByPosition;
    private ModelBuilder builder;
    private boolean modelTrainable;
    private Map<String, String> weightGroupOf = Map.of();

    /**
     * @param configFile the file the config came from (named in config errors)
     * @param weights where the weights are (named in weight errors)
     * @param matchByPosition when a layer name is missing from the weights file, match weighted layers by their
     *     order instead, as Keras' {@code load_weights} does for weights-only files
     */
    KerasConverter(Path configFile, WeightSource weights, boolean matchByPosition) {
        this.configFile = configFile;
        this.weights = weights;
        this.matchByPosition = matchByPosition;
    }

    Model convert(KerasGraph graph, ModelMetadata metadata) {
        builder = new ModelBuilder(graph.name());
        modelTrainable = graph.trainable();
        Map<String, KerasLayer> byName = new LinkedHashMap<>();
        for (KerasLayer l : graph.layers()) {
            byName.put(l.name(), l);
        }
        Map<String, Tensor> produced = new HashMap<>();
        // Reserve every Keras name first, so that inner tensors never take a layer's name.
        for (KerasGraph.Input in : graph.inputs()) {
            reserve(in.name());
        }
        for (KerasLayer l : graph.layers()) {
            reserve(l.name());
        }
        for (KerasGraph.Input in : graph.inputs()) {
            Tensor t = new Tensor(in.name(), in.shape(), DType.FLOAT32, null, null, false);
            builder.input(t);
            produced.put(in.name(), t);
        }

        List<KerasLayer> order = order(graph, byName, produced.keySet());
        planWeightGroups(order);
        for (KerasLayer l : order) {
            List<Tensor> in = new ArrayList<>();
            for (KerasLayer.Ref r : l.inputs()) {
                in.add(produced.get(r.layer()));
            }
            produced.put(l.name(), layer(l, in));
        }
        for (KerasLayer.Ref r : graph.outputs()) {
            Tensor t = produced.get(r.layer());
            if (t == null) {
                throw QuantaException.inFile(configFile, "output_layers names '" + r.layer()
                        + "', which is not a layer of the model");
            }
            builder.output(t);
        }
        try {
            return builder.build(metadata);
        } catch (IllegalArgumentException e) {
            throw QuantaException.inFile(configFile, "the layer graph is inconsistent: " + e.getMessage(), e);
        }
    }

    private void reserve(String name) {
        if (!builder.unique(name).equals(name)) {
            throw QuantaException.inFile(configFile, "the name '" + name + "' is used twice in the model");
        }
    }

    /** The layers the outputs depend on, in config order where possible (every layer after its inputs). */
    private List<KerasLayer> order(KerasGraph graph, Map<String, KerasLayer> byName, Set<String> inputs) {
        Set<String> needed = new HashSet<>();
        List<String> stack = new ArrayList<>();
        for (KerasLayer.Ref r : graph.outputs()) {
            if (!byName.containsKey(r.layer()) && !inputs.contains(r.layer())) {
                throw QuantaException.inFile(configFile, "output_layers names '" + r.layer()
                        + "', which is not a layer of the model");
            }
            stack.add(r.layer());
        }
        while (!stack.isEmpty()) {
            String n = stack.remove(stack.size() - 1);
            KerasLayer l = byName.get(n);
            if (l == null || !needed.add(n)) {
                continue;
            }
            for (KerasLayer.Ref r : l.inputs()) {
                if (!byName.containsKey(r.layer()) && !inputs.contains(r.layer())) {
                    throw l.error("reads from '" + r.layer() + "', which is neither a layer nor an input of the model");
                }
                stack.add(r.layer());
            }
        }
        List<KerasLayer> pending = new ArrayList<>();
        for (KerasLayer l : graph.layers()) {
            if (needed.contains(l.name())) {
                pending.add(l);
            }
        }
        Set<String> done = new HashSet<>(inputs);
        List<KerasLayer> order = new ArrayList<>();
        while (!pending.isEmpty()) {
            boolean progress = false;
            for (int i = 0; i < pending.size(); i++) {
                KerasLayer l = pending.get(i);
                if (l.inputs().stream().allMatch(r -> done.contains(r.layer()))) {
                    order.add(l);
                    done.add(l.name());
                    pending.remove(i--);
                    progress = true;
                }
            }
            if (!progress) {
                throw pending.get(0).error("the layer graph has a cycle through this layer");
            }
        }
        return order;
    }

    /** Decides which weights-file entry holds each layer's weights (by name, else by position). */
    private void planWeightGroups(List<KerasLayer> order) {
        weightGroupOf = new HashMap<>();
        if (!matchByPosition) {
            return;
        }
        List<String> fileLayers = weights.layersWithWeights();
        List<String> configLayers = new ArrayList<>();
        for (KerasLayer l : order) {
            if (WEIGHTED.contains(l.className())) {
                configLayers.add(l.name());
            }
        }
        if (new HashSet<>(fileLayers).containsAll(configLayers) || fileLayers.size() != configLayers.size()) {
            return; // by name; a missing layer is reported when it is converted
        }
        for (int i = 0; i < configLayers.size(); i++) {
            weightGroupOf.put(configLayers.get(i), fileLayers.get(i));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Layers

    private Tensor layer(KerasLayer l, List<Tensor> in) {
        String cls = l.className();
        if (IDENTITY_LAYERS.contains(cls)) {
            return last(l, OpType.IDENTITY, OpAttributes.None.INSTANCE, single(l, in));
        }
        return switch (cls) {
            case "Dense" -> dense(l, single(l, in));
            case "Conv2D", "Convolution2D" -> conv2d(l, single(l, in));
            case "DepthwiseConv2D" -> depthwise(l, single(l, in));
            case "MaxPooling2D", "MaxPool2D" -> pool(l, OpType.MAX_POOL_2D, single(l, in));
            case "AveragePooling2D", "AvgPool2D" -> pool(l, OpType.AVERAGE_POOL_2D, single(l, in));
            case "GlobalAveragePooling2D", "GlobalAvgPool2D" -> globalAverage(l, single(l, in));
            case "Flatten" -> flatten(l, single(l, in));
            case "Reshape" -> reshape(l, single(l, in));
            case "BatchNormalization" -> batchNorm(l, single(l, in));
            case "Activation" -> activationOp(l, l.activation(), single(l, in), l.name(), l.name(), true);
            case "ReLU" -> relu(l, single(l, in));
            case "LeakyReLU" -> leakyRelu(l, single(l, in));
            case "Softmax" -> softmax(l, single(l, in));
            case "Add" -> add(l, in);
            case "Concatenate" -> concatenate(l, in);
            case "ZeroPadding2D" -> zeroPadding(l, single(l, in));
            case "LSTM" -> lstm(l, single(l, in));
            case "Sequential", "Functional", "Model" -> throw l.error(
                    "a nested model used as a layer is not supported (import the inner model on its own)");
            default -> throw l.error("unsupported layer class");
        };
    }

    private static Tensor single(KerasLayer l, List<Tensor> in) {
        if (in.size() != 1) {
            throw l.error("expects 1 input but is connected to " + in.size());
        }
        return in.get(0);
    }

    private static void requireRank(KerasLayer l, Tensor x, int rank) {
        if (x.shape().rank() != rank) {
            throw l.error("expects an input of rank " + rank + " but '" + x.name() + "' has shape " + x.shape());
        }
    }

    private Tensor dense(KerasLayer l, Tensor x) {
        int units = positive(l, "units");
        boolean useBias = l.bool("use_bias", true);
        Activation fused = fusedActivation(l);
        int in = x.shape().rank() == 0 ? -1 : x.shape().dim(-1);
        if (in <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known feature size");
        }
        List<KerasWeight> w = fetch(l, spec("kernel", in, units), useBias ? spec("bias", units) : null);
        float[] kernel = new float[in * units]; // Keras [in, units] -> IR [units, in]
        float[] k = w.get(0).values();
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < units; o++) {
                kernel[o * in + i] = k[i * units + o];
            }
        }
        List<Tensor> inputs = new ArrayList<>(List.of(x, constant(l, "kernel", Shape.of(units, in), kernel)));
        if (useBias) {
            inputs.add(constant(l, "bias", Shape.of(units), w.get(1).values()));
        }
        return withActivation(l, OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(fused), inputs);
    }

    /**
     * Keras LSTM: TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM (batch-major) with the 4 gates split out of Keras' fused
     * weights (gate order i, f, c, o in both): kernel [in, 4u] → W_x[g] = kernel[:, g·u:(g+1)·u]ᵀ, recurrent_kernel
     * [u, 4u] → W_h[g] likewise, bias [4u] → b[g] (zeros without use_bias). Without return_sequences the last time
     * step is sliced out (STRIDED_SLICE, shrinking the time axis). The recurrent activation must be sigmoid.
     */
    private Tensor lstm(KerasLayer l, Tensor x) {
        requireRank(l, x, 3);
        int units = positive(l, "units");
        String recurrentActivation = l.string("recurrent_activation", "sigmoid");
        if (!recurrentActivation.equals("sigmoid")) {
            throw l.unsupported("recurrent_activation", "only sigmoid is supported (TFLite's LSTM gates use it)");
        }
        OpAttributes.LstmActivation act = switch (l.has("activation") ? l.activation() : "tanh") {
            case "tanh" -> OpAttributes.LstmActivation.TANH;
            case "relu" -> OpAttributes.LstmActivation.RELU;
            case "relu6" -> OpAttributes.LstmActivation.RELU6;
            case "linear" -> OpAttributes.LstmActivation.NONE;
            default -> throw l.unsupported("activation", "supported: tanh, relu, relu6, linear");
        };
        for (String flag : new String[] {"go_backwards", "stateful", "return_state", "time_major"}) {
            if (l.bool(flag, false)) {
                throw l.unsupported(flag, "only false is supported");
            }
        }
        boolean useBias = l.bool("use_bias", true);
        int in = x.shape().dim(2);
        if (in <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known feature size");
        }
        List<KerasWeight> w = fetch(l, spec("kernel", in, 4 * units), spec("recurrent_kernel", units, 4 * units),
                useBias ? spec("bias", 4 * units) : null);
        float[] kernel = w.get(0).values();
        float[] recurrent = w.get(1).values();
        float[] bias = useBias ? w.get(2).values() : new float[4 * units];
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        String[] gates = {"input", "forget", "cell", "output"};
        for (int g = 0; g < 4; g++) {
            inputs.add(constant(l, gates[g] + "_kernel", Shape.of(units, in), gateSlice(kernel, in, units, g)));
        }
        for (int g = 0; g < 4; g++) {
            inputs.add(constant(l, gates[g] + "_recurrent_kernel", Shape.of(units, units),
                    gateSlice(recurrent, units, units, g)));
        }
        for (int g = 0; g < 4; g++) {
            inputs.add(constant(l, gates[g] + "_bias", Shape.of(units),
                    Arrays.copyOfRange(bias, g * units, (g + 1) * units)));
        }
        boolean[] present = new boolean[24];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
            present[i] = true;
        }
        OpAttributes.Lstm attrs = new OpAttributes.Lstm(act, 0f, 0f, false, false, present);
        Tensor[] ins = inputs.toArray(Tensor[]::new);
        if (l.bool("return_sequences", false)) {
            return last(l, OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
        }
        Tensor seq = inner(l, "sequence", OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, attrs, ins);
        // the last step: [:, -1, :] with the time axis shrunk away
        return last(l, OpType.STRIDED_SLICE, new OpAttributes.StridedSlice(new int[] {0, -1, 0}, new int[] {0, 0, 0},
                new int[] {1, 1, 1}, 0b101, 0b101, 0b010, false), seq);
    }

    /** Gate g of a Keras fused [rows, 4u] matrix, transposed to [u, rows]. */
    private static float[] gateSlice(float[] fused, int rows, int units, int g) {
        float[] out = new float[units * rows];
        for (int r = 0; r < rows; r++) {
            for (int u = 0; u < units; u++) {
                out[u * rows + r] = fused[r * 4 * units + g * units + u];
            }
        }
        return out;
    }

    private Tensor conv2d(KerasLayer l, Tensor x) {
        requireRank(l, x, 4);
        l.requireChannelsLast();
        int filters = positive(l, "filters");
        int[] k = l.pair("kernel_size", null);
        int[] s = l.pair("strides", new int[] {1, 1});
        int[] d = l.pair("dilation_rate", new int[] {1, 1});
        Padding padding = padding(l);
        if (l.integer("groups", 1) != 1) {
            throw l.unsupported("groups", "only 1 is supported");
        }
        boolean useBias = l.bool("use_bias", true);
        Activation fused = fusedActivation(l);
        int cin = x.shape().dim(3);
        List<KerasWeight> w = fetch(l, spec("kernel", k[0], k[1], cin, filters),
                useBias ? spec("bias", filters) : null);
        // Keras [kh, kw, in, out] -> IR [out, kh, kw, in]
        float[] src = w.get(0).values();
        float[] dst = new float[src.length];
        int spatial = k[0] * k[1];
        for (int p = 0; p < spatial; p++) {
            for (int c = 0; c < cin; c++) {
                int from = (p * cin + c) * filters;
                for (int o = 0; o < filters; o++) {
                    dst[(o * spatial + p) * cin + c] = src[from + o];
                }
            }
        }
        List<Tensor> inputs = new ArrayList<>(List.of(x,
                constant(l, "kernel", Shape.of(filters, k[0], k[1], cin), dst)));
        if (useBias) {
            inputs.add(constant(l, "bias", Shape.of(filters), w.get(1).values()));
        }
        return withActivation(l, OpType.CONV_2D,
                new OpAttributes.Conv2D(padding, s[0], s[1], d[0], d[1], fused), inputs);
    }

    private Tensor depthwise(KerasLayer l, Tensor x) {
        requireRank(l, x, 4);
        l.requireChannelsLast();
        int[] k = l.pair("kernel_size", null);
        int[] s = l.pair("strides", new int[] {1, 1});
        int[] d = l.pair("dilation_rate", new int[] {1, 1});
        Padding padding = padding(l);
        int mult = l.has("depth_multiplier") ? positive(l, "depth_multiplier") : 1;
        if (l.integer("groups", 1) != 1) {
            throw l.unsupported("groups", "only 1 is supported");
        }
        boolean useBias = l.bool("use_bias", true);
        Activation fused = fusedActivation(l);
        int cin = x.shape().dim(3);
        List<KerasWeight> w = fetch(l, spec("depthwise_kernel", k[0], k[1], cin, mult).alias("kernel"),
                useBias ? spec("bias", cin * mult) : null);
        // Keras [kh, kw, in, mult] has the same element order as IR [1, kh, kw, in*mult] (channel c*mult+m).
        List<Tensor> inputs = new ArrayList<>(List.of(x,
                constant(l, "depthwise_kernel", Shape.of(1, k[0], k[1], cin * mult), w.get(0).values())));
        if (useBias) {
            inputs.add(constant(l, "bias", Shape.of(cin * mult), w.get(1).values()));
        }
        return withActivation(l, OpType.DEPTHWISE_CONV_2D,
                new OpAttributes.DepthwiseConv2D(padding, s[0], s[1], d[0], d[1], mult, fused), inputs);
    }

    private Tensor pool(KerasLayer l, OpType type, Tensor x) {
        requireRank(l, x, 4);
        l.requireChannelsLast();
        int[] size = l.pair("pool_size", new int[] {2, 2});
        int[] s = l.pair("strides", size);
        Padding padding = padding(l);
        Activation fused = fusedActivation(l);
        return withActivation(l, type, new OpAttributes.Pool2D(padding, size[0], size[1], s[0], s[1], fused),
                List.of(x));
    }

    private Tensor globalAverage(KerasLayer l, Tensor x) {
        requireRank(l, x, 4);
        l.requireChannelsLast();
        boolean keep = l.bool("keepdims", false);
        return last(l, OpType.MEAN, new OpAttributes.Mean(new int[] {1, 2}, keep), x);
    }

    private Tensor flatten(KerasLayer l, Tensor x) {
        l.requireChannelsLast();
        int n;
        try {
            n = x.shape().sampleElementCount();
        } catch (IllegalStateException | ArithmeticException e) {
            throw l.error("cannot flatten input '" + x.name() + "' " + x.shape() + ": its size is not known");
        }
        return last(l, OpType.RESHAPE, new OpAttributes.Reshape(new int[] {-1, n}), x);
    }

    private Tensor reshape(KerasLayer l, Tensor x) {
        int[] target = l.dims("target_shape");
        if (target == null) {
            throw l.error("config 'target_shape' is missing");
        }
        int[] shape = new int[target.length + 1];
        shape[0] = -1;
        System.arraycopy(target, 0, shape, 1, target.length);
        return last(l, OpType.RESHAPE, new OpAttributes.Reshape(shape), x);
    }

    private Tensor batchNorm(KerasLayer l, Tensor x) {
        int rank = x.shape().rank();
        JsonNode axisNode = l.get("axis");
        int axis = -1;
        if (axisNode != null) {
            if (axisNode.isArray() && axisNode.size() != 1) {
                throw l.unsupported("axis", "only a single axis is supported");
            }
            axis = l.integer("axis", -1);
        }
        int ax = axis < 0 ? axis + rank : axis;
        if (ax <= 0 || ax >= rank) {
            throw l.error("config 'axis' " + axis + " does not fit input '" + x.name() + "' " + x.shape());
        }
        int channels = x.shape().dim(ax);
        if (channels <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known size on axis " + ax);
        }
        boolean center = l.bool("center", true);
        boolean scale = l.bool("scale", true);
        double eps = l.number("epsilon", 1e-3);
        List<KerasWeight> w = fetch(l, scale ? spec("gamma", channels) : null, center ? spec("beta", channels) : null,
                spec("moving_mean", channels), spec("moving_variance", channels));
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x);
        int i = 0;
        if (scale) {
            inputs.add(constant(l, "gamma", Shape.of(channels), w.get(i++).values()));
        }
        if (center) {
            inputs.add(constant(l, "beta", Shape.of(channels), w.get(i++).values()));
        }
        inputs.add(builder.nonTrainableConstant(l.name() + "/moving_mean", Shape.of(channels), w.get(i++).values()));
        inputs.add(builder.nonTrainableConstant(l.name() + "/moving_variance", Shape.of(channels),
                w.get(i).values()));
        return last(l, OpType.BATCH_NORM, new OpAttributes.BatchNorm((float) eps, ax, scale, center),
                inputs.toArray(Tensor[]::new));
    }

    private Tensor relu(KerasLayer l, Tensor x) {
        double threshold = l.number("threshold", 0);
        if (threshold != 0) {
            throw l.unsupported("threshold", "only 0 is supported");
        }
        double slope = l.number("negative_slope", 0);
        JsonNode max = l.get("max_value");
        if (max != null && !max.isNumber()) {
            throw l.unsupported("max_value", "must be a number or null");
        }
        if (slope != 0) {
            if (max != null) {
                throw l.unsupported("max_value", "a capped leaky ReLU is not supported");
            }
            return last(l, OpType.LEAKY_RELU, new OpAttributes.LeakyRelu((float) slope), x);
        }
        if (max == null) {
            return last(l, OpType.RELU, OpAttributes.None.INSTANCE, x);
        }
        if (max.asDouble() == 6.0) {
            return last(l, OpType.RELU6, OpAttributes.None.INSTANCE, x);
        }
        throw l.unsupported("max_value", "only 6 or null is supported");
    }

    private Tensor leakyRelu(KerasLayer l, Tensor x) {
        double slope = l.has("negative_slope") ? l.number("negative_slope", 0.3) : l.number("alpha", 0.3);
        return last(l, OpType.LEAKY_RELU, new OpAttributes.LeakyRelu((float) slope), x);
    }

    private Tensor softmax(KerasLayer l, Tensor x) {
        JsonNode axisNode = l.get("axis");
        if (axisNode != null) {
            if (axisNode.isArray() && axisNode.size() != 1) {
                throw l.unsupported("axis", "only the last axis is supported");
            }
            int axis = l.integer("axis", -1);
            if (axis != -1 && axis != x.shape().rank() - 1) {
                throw l.unsupported("axis", "only the last axis is supported");
            }
        }
        return last(l, OpType.SOFTMAX, new OpAttributes.Softmax(1f), x);
    }

    private Tensor add(KerasLayer l, List<Tensor> in) {
        if (in.size() < 2) {
            throw l.error("expects at least 2 inputs but is connected to " + in.size());
        }
        OpAttributes.Add attrs = new OpAttributes.Add(Activation.NONE);
        Tensor acc = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            acc = i == in.size() - 1 ? last(l, OpType.ADD, attrs, acc, in.get(i))
                    : inner(l, "add", OpType.ADD, attrs, acc, in.get(i));
        }
        return acc;
    }

    private Tensor concatenate(KerasLayer l, List<Tensor> in) {
        if (in.isEmpty()) {
            throw l.error("has no inputs");
        }
        int axis = l.integer("axis", -1);
        return last(l, OpType.CONCATENATION, new OpAttributes.Concatenation(axis, Activation.NONE),
                in.toArray(Tensor[]::new));
    }

    private Tensor zeroPadding(KerasLayer l, Tensor x) {
        requireRank(l, x, 4);
        l.requireChannelsLast();
        JsonNode p = l.get("padding");
        int[][] hw;
        if (p == null) {
            hw = new int[][] {{1, 1}, {1, 1}};
        } else if (p.isIntegralNumber()) {
            hw = new int[][] {{p.asInt(), p.asInt()}, {p.asInt(), p.asInt()}};
        } else if (p.isArray() && p.size() == 2 && p.get(0).isIntegralNumber() && p.get(1).isIntegralNumber()) {
            hw = new int[][] {{p.get(0).asInt(), p.get(0).asInt()}, {p.get(1).asInt(), p.get(1).asInt()}};
        } else if (p.isArray() && p.size() == 2 && isIntPair(p.get(0)) && isIntPair(p.get(1))) {
            hw = new int[][] {{p.get(0).get(0).asInt(), p.get(0).get(1).asInt()},
                {p.get(1).get(0).asInt(), p.get(1).get(1).asInt()}};
        } else {
            throw l.unsupported("padding", "expected an int, [h, w] or [[top, bottom], [left, right]]");
        }
        for (int[] pair : hw) {
            if (pair[0] < 0 || pair[1] < 0) {
                throw l.unsupported("padding", "amounts must not be negative");
            }
        }
        int[][] paddings = {{0, 0}, hw[0], hw[1], {0, 0}};
        return last(l, OpType.PAD, new OpAttributes.Pad(paddings), x);
    }

    private static boolean isIntPair(JsonNode n) {
        return n.isArray() && n.size() == 2 && n.get(0).isIntegralNumber() && n.get(1).isIntegralNumber();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Activations

    /** The activation to fuse into the main op: NONE, RELU or RELU6; others get a separate op. */
    private static Activation fusedActivation(KerasLayer l) {
        return switch (l.activation()) {
            case "relu" -> Activation.RELU;
            case "relu6" -> Activation.RELU6;
            case "linear", "sigmoid", "tanh", "softmax", "leaky_relu" -> Activation.NONE;
            default -> throw l.unsupported("activation", "supported: linear, relu, relu6, sigmoid, tanh, softmax");
        };
    }

    /** Emits the layer's main op, followed by a separate activation op when the activation cannot be fused. */
    private Tensor withActivation(KerasLayer l, OpType type, OpAttributes attrs, List<Tensor> inputs) {
        String act = l.has("activation") ? l.activation() : "linear";
        Tensor[] in = inputs.toArray(Tensor[]::new);
        switch (act) {
            case "linear", "relu", "relu6" -> {
                return last(l, type, attrs, in);
            }
            case "sigmoid", "tanh", "softmax", "leaky_relu" -> {
                Tensor t = inner(l, type.name().toLowerCase(Locale.ROOT), type, attrs, in);
                return activationOp(l, act, t, builder.unique(l.name() + "/" + act), l.name(), false);
            }
            default -> throw l.unsupported("activation", "supported: linear, relu, relu6, sigmoid, tanh, softmax");
        }
    }

    /** One element-wise activation op. */
    private Tensor activationOp(KerasLayer l, String act, Tensor x, String opName, String outName,
            boolean standalone) {
        return switch (act) {
            case "linear" -> emit(l, OpType.IDENTITY, opName, outName, OpAttributes.None.INSTANCE, x);
            case "relu" -> emit(l, OpType.RELU, opName, outName, OpAttributes.None.INSTANCE, x);
            case "relu6" -> emit(l, OpType.RELU6, opName, outName, OpAttributes.None.INSTANCE, x);
            case "sigmoid" -> emit(l, OpType.LOGISTIC, opName, outName, OpAttributes.None.INSTANCE, x);
            case "tanh" -> emit(l, OpType.TANH, opName, outName, OpAttributes.None.INSTANCE, x);
            case "softmax" -> emit(l, OpType.SOFTMAX, opName, outName, new OpAttributes.Softmax(1f), x);
            case "leaky_relu" -> emit(l, OpType.LEAKY_RELU, opName, outName, new OpAttributes.LeakyRelu(0.2f), x);
            default -> throw l.unsupported("activation",
                    "supported: linear, relu, relu6, sigmoid, tanh, softmax" + (standalone ? ", leaky_relu" : ""));
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Op emission

    /** The layer's last op: op and output tensor are named after the layer. */
    private Tensor last(KerasLayer l, OpType type, OpAttributes attrs, Tensor... in) {
        return emit(l, type, l.name(), l.name(), attrs, in);
    }

    /** An inner op of a layer, named {@code <layer>/<suffix>} (made unique). */
    private Tensor inner(KerasLayer l, String suffix, OpType type, OpAttributes attrs, Tensor... in) {
        String name = builder.unique(l.name() + "/" + suffix);
        return emit(l, type, name, name, attrs, in);
    }

    private Tensor emit(KerasLayer l, OpType type, String opName, String outName, OpAttributes attrs,
            Tensor... in) {
        List<Tensor> inputs = List.of(in);
        Shape out;
        try {
            out = ShapeInference.infer(type, attrs, inputs);
        } catch (IllegalArgumentException | IllegalStateException | ArithmeticException e) {
            throw l.error(e.getMessage());
        }
        Tensor t = Tensor.activation(outName, out);
        builder.add(new Op(opName, type, inputs, List.of(t), attrs, l.origin()));
        return t;
    }

    private Tensor constant(KerasLayer l, String what, Shape shape, float[] values) {
        String name = l.name() + "/" + what;
        boolean trainable = modelTrainable && l.bool("trainable", true);
        return trainable ? builder.constant(name, shape, values) : builder.nonTrainableConstant(name, shape, values);
    }

    private static int positive(KerasLayer l, String key) {
        if (!l.has(key)) {
            throw l.error("config '" + key + "' is missing");
        }
        int v = l.integer(key, 0);
        if (v <= 0) {
            throw l.unsupported(key, "must be positive");
        }
        return v;
    }

    private static Padding padding(KerasLayer l) {
        String p = l.string("padding", "valid");
        return switch (p.toLowerCase(Locale.ROOT)) {
            case "valid" -> Padding.VALID;
            case "same" -> Padding.SAME;
            default -> throw l.unsupported("padding", "only valid and same are supported");
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Weights

    /** A weight a layer expects: its Keras name (plus aliases) and Keras-layout shape. */
    private record Spec(String key, List<String> aliases, int[] shape) {
        Spec alias(String other) {
            List<String> a = new ArrayList<>(aliases);
            a.add(other);
            return new Spec(key, a, shape);
        }

        boolean matches(String k) {
            return key.equals(k) || aliases.contains(k);
        }
    }

    private static Spec spec(String key, int... shape) {
        return new Spec(key, List.of(), shape);
    }

    /** The layer's weights, matched to {@code specs} (null entries skipped) and checked against their shapes. */
    private List<KerasWeight> fetch(KerasLayer l, Spec... specs) {
        List<Spec> expected = new ArrayList<>();
        for (Spec s : specs) {
            if (s != null) {
                expected.add(s);
            }
        }
        String group = weightGroupOf.getOrDefault(l.name(), l.name());
        List<KerasWeight> found = weights.weights(group);
        if (found == null) {
            throw l.error(weights.file(), "no weights in the file (expected " + weights.describe(group) + ")");
        }
        if (found.size() != expected.size()) {
            throw l.error(weights.file(), "the file has " + found.size() + " weight(s) " + found
                    + " but the layer config implies " + expected.size() + " " + describe(expected));
        }
        List<KerasWeight> matched = byName(found, expected);
        for (int i = 0; i < expected.size(); i++) {
            Spec s = expected.get(i);
            KerasWeight w = matched.get(i);
            if (!Arrays.equals(w.shape(), s.shape())) {
                throw l.error(weights.file(), "weight '" + s.key() + "' has shape " + Arrays.toString(w.shape())
                        + " but the layer expects " + Arrays.toString(s.shape()));
            }
        }
        return matched;
    }

    /** Weights in spec order: by name when the file names them all, else in file order. */
    private static List<KerasWeight> byName(List<KerasWeight> found, List<Spec> expected) {
        List<KerasWeight> out = new ArrayList<>();
        Set<KerasWeight> used = new HashSet<>();
        for (Spec s : expected) {
            KerasWeight hit = null;
            for (KerasWeight w : found) {
                if (w.key() != null && s.matches(w.key()) && !used.contains(w)) {
                    hit = w;
                    break;
                }
            }
            if (hit == null) {
                return found;
            }
            used.add(hit);
            out.add(hit);
        }
        return out;
    }

    private static String describe(List<Spec> specs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < specs.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(specs.get(i).key()).append(Arrays.toString(specs.get(i).shape()));
        }
        return sb.append(']').toString();
    }
}
