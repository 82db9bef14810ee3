package dev.quanta.keras;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a {@link KerasGraph} (a parsed Keras model config) and its weights into an IR {@link Model}: the
 * layers the outputs depend on, each after its inputs, as one or two ops each, with the weights converted to the
 * IR layouts of {@link OpType}. The output tensor of each layer's last op is named after the layer; inner tensors
 * are named {@code <layer>/...}. The layers are translated by family: {@link CoreLayers}, {@link SpatialLayers},
 * {@link TemporalLayers}, {@link UpsamplingLayers}, {@link MergeLayers}, {@link PreprocessingLayers},
 * {@link ActivationLayers}, {@link LstmLayer} and {@link RecurrentLayers}. A model input that Embedding layers read
 * holds indices and becomes an INT32 graph input.
 */
final class KerasGraphTranslator {
    private static final Set<String> IDENTITY_LAYERS = Set.of(
            "Dropout",
            "SpatialDropout1D",
            "SpatialDropout2D",
            "SpatialDropout3D",
            "GaussianNoise",
            "GaussianDropout",
            "AlphaDropout",
            "ActivityRegularization");

    private final Path configFile;
    private final WeightSource weights;
    private final boolean matchByPosition;
    private ModelBuilder builder;

    /**
     * @param configFile the file the config came from (named in config errors)
     * @param weights where the weights are (named in weight errors)
     * @param matchByPosition when a layer name is missing from the weights file, match weighted layers by their
     *     order instead, as Keras' {@code load_weights} does for weights-only files
     */
    KerasGraphTranslator(Path configFile, WeightSource weights, boolean matchByPosition) {
        this.configFile = configFile;
        this.weights = weights;
        this.matchByPosition = matchByPosition;
    }

    /** The model; {@code metadata} is stored in it as it is. */
    Model translate(KerasGraph graph, ModelMetadata metadata) {
        builder = new ModelBuilder(graph.name());
        Map<String, KerasLayer> byName = new LinkedHashMap<>();
        for (KerasLayer l : graph.layers()) {
            byName.put(l.name(), l);
        }
        // a layer's outputs by tensor index (a Bidirectional layer with merge_mode None has two)
        Map<String, List<Tensor>> produced = new HashMap<>();
        // Reserve every Keras name first, so that inner tensors never take a layer's name.
        for (KerasGraph.Input in : graph.inputs()) {
            reserve(in.name());
        }
        for (KerasLayer l : graph.layers()) {
            reserve(l.name());
        }
        Set<String> indexInputs = indexInputs(graph);
        for (KerasGraph.Input in : graph.inputs()) {
            DType type = indexInputs.contains(in.name()) ? DType.INT32 : DType.FLOAT32;
            Tensor t = new Tensor(in.name(), in.shape(), type, null, null, false);
            builder.input(t);
            produced.put(in.name(), List.of(t));
        }

        List<KerasLayer> order = order(graph, byName, produced.keySet());
        LayerEmitter emitter = new LayerEmitter(
                builder, graph.trainable(), LayerWeights.plan(weights, order, matchByPosition, graph.trainable()));
        for (KerasLayer l : order) {
            List<Tensor> in = new ArrayList<>();
            for (KerasLayer.Ref r : l.inputs()) {
                in.add(output(produced, r, l.name()));
            }
            produced.put(l.name(), outputs(emitter, l, in));
        }
        for (KerasLayer.Ref r : graph.outputs()) {
            builder.output(output(produced, r, "the model")); // order() refused outputs that are no layer or input
        }
        try {
            return builder.build(metadata);
        } catch (IllegalArgumentException e) {
            throw QuantaException.inFile(configFile, "the layer graph is inconsistent: " + e.getMessage(), e);
        }
    }

    /**
     * The model inputs that an Embedding layer reads: they hold integer indices, so they become INT32 graph inputs
     * (as the TFLite converter makes them). Such an input must feed nothing but Embedding layers.
     */
    private static Set<String> indexInputs(KerasGraph graph) {
        Set<String> index = new HashSet<>();
        for (KerasLayer l : graph.layers()) {
            if (l.className().equals("Embedding")) {
                l.inputs().forEach(r -> index.add(r.layer()));
            }
        }
        for (KerasLayer l : graph.layers()) {
            for (KerasLayer.Ref r : l.inputs()) {
                if (index.contains(r.layer()) && !l.className().equals("Embedding")) {
                    throw l.error("reads '" + r.layer() + "', which holds the integer indices of an Embedding layer;"
                            + " only Embedding layers may read it");
                }
            }
        }
        return index;
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
                throw QuantaException.inFile(
                        configFile, "output_layers names '" + r.layer() + "', which is not a layer of the model");
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

    /** Output {@code r.tensor()} of layer {@code r.layer()}, which {@code reader} reads. */
    private Tensor output(Map<String, List<Tensor>> produced, KerasLayer.Ref r, String reader) {
        List<Tensor> outs = produced.get(r.layer());
        if (r.tensor() < 0 || r.tensor() >= outs.size()) {
            throw QuantaException.inFile(
                    configFile,
                    reader + " reads output " + r.tensor() + " of layer '" + r.layer() + "', which has " + outs.size());
        }
        return outs.get(r.tensor());
    }

    /** The layer's outputs: one, or the two of a Bidirectional layer with merge_mode None. */
    private static List<Tensor> outputs(LayerEmitter e, KerasLayer l, List<Tensor> in) {
        if (l.className().equals("Bidirectional")) {
            return RecurrentLayers.bidirectional(e, l, single(l, in));
        }
        return List.of(layer(e, l, in));
    }

    /** The output of a single-output layer: its ops added by the translation of its class. */
    private static Tensor layer(LayerEmitter e, KerasLayer l, List<Tensor> in) {
        String cls = l.className();
        if (IDENTITY_LAYERS.contains(cls)) {
            return e.last(l, OpType.IDENTITY, OpAttributes.None.INSTANCE, single(l, in));
        }
        return switch (cls) {
            case "Dense" -> CoreLayers.dense(e, l, single(l, in));
            case "Conv2D", "Convolution2D" -> SpatialLayers.conv2d(e, l, single(l, in));
            case "DepthwiseConv2D" -> SpatialLayers.depthwise(e, l, single(l, in));
            case "MaxPooling2D", "MaxPool2D" -> SpatialLayers.pool(e, l, OpType.MAX_POOL_2D, single(l, in));
            case "AveragePooling2D", "AvgPool2D" -> SpatialLayers.pool(e, l, OpType.AVERAGE_POOL_2D, single(l, in));
            case "GlobalAveragePooling2D", "GlobalAvgPool2D" -> SpatialLayers.globalAverage(e, l, single(l, in));
            case "Flatten" -> CoreLayers.flatten(e, l, single(l, in));
            case "Reshape" -> CoreLayers.reshape(e, l, single(l, in));
            case "BatchNormalization" -> CoreLayers.batchNorm(e, l, single(l, in));
            case "Activation" -> ActivationLayers.activation(e, l, l.activation(), single(l, in));
            case "ReLU" -> ActivationLayers.relu(e, l, single(l, in));
            case "LeakyReLU" -> ActivationLayers.leakyRelu(e, l, single(l, in));
            case "Softmax" -> ActivationLayers.softmax(e, l, single(l, in));
            case "ELU" -> ActivationLayers.elu(e, l, single(l, in));
            case "PReLU" -> ActivationLayers.prelu(e, l, single(l, in));
            case "Add" -> CoreLayers.add(e, l, in);
            case "Concatenate" -> CoreLayers.concatenate(e, l, in);
            case "ZeroPadding2D" -> SpatialLayers.zeroPadding(e, l, single(l, in));
            case "LSTM" -> LstmLayer.lstm(e, l, single(l, in));
            case "Conv1D", "Convolution1D" -> TemporalLayers.conv1d(e, l, single(l, in));
            case "MaxPooling1D", "MaxPool1D" -> TemporalLayers.pool(e, l, OpType.MAX_POOL_2D, single(l, in));
            case "AveragePooling1D", "AvgPool1D" -> TemporalLayers.pool(e, l, OpType.AVERAGE_POOL_2D, single(l, in));
            case "GlobalAveragePooling1D", "GlobalAvgPool1D" -> TemporalLayers.globalAverage(e, l, single(l, in));
            case "ZeroPadding1D" -> TemporalLayers.zeroPadding(e, l, single(l, in));
            case "Cropping1D" -> TemporalLayers.cropping(e, l, single(l, in));
            case "SeparableConv2D", "SeparableConvolution2D" -> SpatialLayers.separable(e, l, single(l, in));
            case "Cropping2D" -> SpatialLayers.cropping(e, l, single(l, in));
            case "Permute" -> CoreLayers.permute(e, l, single(l, in));
            case "Multiply" -> MergeLayers.chain(e, l, OpType.MUL, in);
            case "Maximum" -> MergeLayers.chain(e, l, OpType.MAXIMUM, in);
            case "Minimum" -> MergeLayers.chain(e, l, OpType.MINIMUM, in);
            case "Average" -> MergeLayers.average(e, l, in);
            case "Rescaling" -> PreprocessingLayers.rescaling(e, l, single(l, in));
            case "Normalization" -> PreprocessingLayers.normalization(e, l, single(l, in));
            case "Subtract" -> MergeLayers.subtract(e, l, in);
            case "GlobalMaxPooling1D", "GlobalMaxPool1D" -> TemporalLayers.globalMax(e, l, single(l, in));
            case "GlobalMaxPooling2D", "GlobalMaxPool2D" -> SpatialLayers.globalMax(e, l, single(l, in));
            case "UpSampling2D" -> UpsamplingLayers.upSampling2d(e, l, single(l, in));
            case "Conv2DTranspose", "Convolution2DTranspose" -> UpsamplingLayers.conv2dTranspose(e, l, single(l, in));
            case "Embedding" -> CoreLayers.embedding(e, l, single(l, in));
            case "LayerNormalization" -> CoreLayers.layerNormalization(e, l, single(l, in));
            case "SimpleRNN" -> RecurrentLayers.simpleRnn(e, l, single(l, in));
            case "GRU" -> RecurrentLayers.gru(e, l, single(l, in));
            case "Sequential", "Functional", "Model" ->
                throw l.error("a nested model used as a layer is not supported (import the inner model on its own)");
            default -> throw l.error("unsupported layer class");
        };
    }

    private static Tensor single(KerasLayer l, List<Tensor> in) {
        if (in.size() != 1) {
            throw l.error("expects 1 input but is connected to " + in.size());
        }
        return in.get(0);
    }
}
