package dev.quanta.keras;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.QuantaException;
import dev.quanta.ir.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The layer graph of a Keras model config ({@code model_config}, {@code config.json} or {@code model.to_json()}),
 * for Sequential and Functional models in both the Keras 2 and the Keras 3 spelling.
 *
 * @param modelClass {@code Sequential} or {@code Functional}
 * @param inputs the graph inputs in order
 * @param layers every non-input layer in config order, each with the tensors it reads
 * @param outputs the graph outputs in order
 * @param trainable false when the whole model is frozen
 */
record KerasGraph(
        String name,
        String modelClass,
        List<Input> inputs,
        List<KerasLayer> layers,
        List<KerasLayer.Ref> outputs,
        boolean trainable) {

    /** A graph input: the tensor name (the InputLayer's name, or {@code <first layer>_input}) and shape. */
    record Input(String name, Shape shape) {}

    static KerasGraph parse(Path file, JsonNode model) {
        if (model == null || !model.isObject()) {
            throw QuantaException.inFile(file, "the model config is not a JSON object");
        }
        JsonNode cls = model.get("class_name");
        if (cls == null || !cls.isTextual()) {
            throw QuantaException.inFile(file, "the model config has no class_name: not a Keras model config");
        }
        JsonNode config = model.get("config");
        if (config == null || !(config.isObject() || config.isArray())) {
            throw QuantaException.inFile(file, "the model config of class " + cls.asText() + " has no config object");
        }
        return switch (cls.asText()) {
            case "Sequential" -> sequential(file, model, config);
            case "Functional", "Model" -> functional(file, config);
            default ->
                throw QuantaException.inFile(
                        file,
                        "unsupported model class '" + cls.asText()
                                + "': only Sequential and Functional models can be imported "
                                + "(subclassed models have no layer graph)");
        };
    }

    private static boolean trainable(JsonNode config) {
        JsonNode t = config.isObject() ? config.get("trainable") : null;
        return t == null || t.isNull() || t.asBoolean(true);
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n == null ? null : n.get(key);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String layerName(Path file, JsonNode layer, int index) {
        String name = text(layer, "name");
        if (name == null) {
            name = text(layer.get("config"), "name");
        }
        if (name == null || name.isEmpty()) {
            throw QuantaException.inFile(file, "layer #" + index + " of the model config has no name");
        }
        return name;
    }

    private static String layerClass(Path file, JsonNode layer, String name) {
        String cls = text(layer, "class_name");
        if (cls == null) {
            throw QuantaException.inFile(file, "layer '" + name + "' of the model config has no class_name");
        }
        return cls;
    }

    private static JsonNode layerList(Path file, JsonNode layers) {
        if (layers == null || !layers.isArray()) {
            throw QuantaException.inFile(file, "the model config has no list of layers");
        }
        if (layers.isEmpty()) {
            throw QuantaException.inFile(file, "the model config has no layers");
        }
        for (int i = 0; i < layers.size(); i++) {
            if (!layers.get(i).isObject()) {
                throw QuantaException.inFile(file, "layer #" + i + " of the model config is not a JSON object");
            }
        }
        return layers;
    }

    private static KerasGraph sequential(Path file, JsonNode model, JsonNode config) {
        JsonNode layers = layerList(file, config.isArray() ? config : config.get("layers"));
        String name = config.isObject() && text(config, "name") != null ? text(config, "name") : "sequential";
        List<Input> inputs = new ArrayList<>();
        List<KerasLayer> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        String previous = null;
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            String lname = layerName(file, l, i);
            String cls = layerClass(file, l, lname);
            if (!names.add(lname)) {
                throw QuantaException.inFile(file, "two layers are named '" + lname + "'");
            }
            KerasLayer layer = new KerasLayer(
                    file,
                    lname,
                    cls,
                    l.get("config"),
                    previous == null ? List.of() : List.of(new KerasLayer.Ref(previous, 0, 0)));
            if ("InputLayer".equals(cls)) {
                if (previous != null) {
                    throw layer.error("an InputLayer can only come first in a Sequential model");
                }
                inputs.add(new Input(lname, inputShape(layer, true)));
                previous = lname;
                continue;
            }
            if (previous == null) {
                // Keras 2: the first layer carries batch_input_shape; Keras names the input "<layer>_input".
                Shape shape = inputShape(layer, false);
                if (shape == null) {
                    shape = buildShape(layer, config, model);
                }
                if (shape == null) {
                    throw QuantaException.inFile(
                            file,
                            "Sequential model '" + name + "' declares no input shape "
                                    + "(no InputLayer and no batch_input_shape on its first layer '" + lname + "')");
                }
                String inputName = lname + "_input";
                for (JsonNode other : layers) {
                    if (inputName.equals(text(other, "name")) || inputName.equals(text(other.get("config"), "name"))) {
                        inputName = inputName + "_0";
                    }
                }
                inputs.add(new Input(inputName, shape));
                layer = new KerasLayer(file, lname, cls, l.get("config"), List.of(new KerasLayer.Ref(inputName, 0, 0)));
            }
            out.add(layer);
            previous = lname;
        }
        if (out.isEmpty()) {
            throw QuantaException.inFile(file, "Sequential model '" + name + "' has no layers besides its input");
        }
        return new KerasGraph(
                name, "Sequential", inputs, out, List.of(new KerasLayer.Ref(previous, 0, 0)), trainable(config));
    }

    /** Keras 2 {@code build_input_shape} / Keras 3 {@code build_config.input_shape} of a Sequential model. */
    private static Shape buildShape(KerasLayer first, JsonNode config, JsonNode model) {
        JsonNode shape = config.isObject() ? config.get("build_input_shape") : null;
        if ((shape == null || shape.isNull()) && model.get("build_config") != null) {
            shape = model.get("build_config").get("input_shape");
        }
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            return null;
        }
        int[] dims = new int[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shape.get(i);
            if (!(d.isNull() || d.isIntegralNumber())) {
                return null;
            }
            dims[i] = d.isNull() ? -1 : d.asInt();
        }
        return batched(first, "build_input_shape", dims);
    }

    /**
     * The input shape an InputLayer (or the first layer of a Keras 2 Sequential model) declares: the batch
     * becomes dynamic; another unknown dimension is an error. Null when {@code required} is false and the layer
     * declares none.
     */
    static Shape inputShape(KerasLayer layer, boolean required) {
        if ("InputLayer".equals(layer.className())) {
            if (layer.bool("sparse", false)) {
                throw layer.unsupported("sparse", "sparse inputs are not supported");
            }
            if (layer.bool("ragged", false)) {
                throw layer.unsupported("ragged", "ragged inputs are not supported");
            }
        }
        for (String key : new String[] {"batch_input_shape", "batch_shape"}) {
            int[] dims = layer.dims(key);
            if (dims != null) {
                return batched(layer, key, dims);
            }
        }
        for (String key : new String[] {"input_shape", "shape"}) {
            int[] dims = layer.dims(key);
            if (dims != null) {
                int[] withBatch = new int[dims.length + 1];
                withBatch[0] = -1;
                System.arraycopy(dims, 0, withBatch, 1, dims.length);
                return batched(layer, key, withBatch);
            }
        }
        if (required) {
            throw layer.error("no batch_input_shape or batch_shape in the config");
        }
        return null;
    }

    private static Shape batched(KerasLayer layer, String key, int[] dims) {
        if (dims.length == 0) {
            throw layer.error("config '" + key + "' is empty: a scalar input is not supported");
        }
        for (int i = 1; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw layer.error("config '" + key + "' " + shapeText(dims) + " has an unknown size (None) in "
                        + "dimension " + i + ": only the batch dimension may be unknown");
            }
            if (dims[i] == 0) {
                throw layer.error("config '" + key + "' " + shapeText(dims) + " has a zero-sized dimension");
            }
        }
        return Shape.batched(Arrays.copyOfRange(dims, 1, dims.length));
    }

    private static String shapeText(int[] dims) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(dims[i] < 0 ? "None" : Integer.toString(dims[i]));
        }
        return sb.append(')').toString();
    }

    private static KerasGraph functional(Path file, JsonNode config) {
        if (!config.isObject()) {
            throw QuantaException.inFile(file, "the Functional model config is not a JSON object");
        }
        JsonNode layers = layerList(file, config.get("layers"));
        String name = text(config, "name") != null ? text(config, "name") : "model";
        List<KerasLayer> out = new ArrayList<>();
        List<Input> declared = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            String lname = layerName(file, l, i);
            String cls = layerClass(file, l, lname);
            if (!names.add(lname)) {
                throw QuantaException.inFile(file, "two layers are named '" + lname + "'");
            }
            JsonNode inbound = l.get("inbound_nodes");
            List<KerasLayer.Ref> refs = new ArrayList<>();
            KerasLayer probe = new KerasLayer(file, lname, cls, l.get("config"), List.of());
            if (inbound != null && !inbound.isNull()) {
                if (!inbound.isArray()) {
                    throw probe.error("inbound_nodes is not a list");
                }
                if (inbound.size() > 1) {
                    throw probe.error("the layer is called " + inbound.size()
                            + " times (a shared layer): shared layers are not supported");
                }
                if (inbound.size() == 1) {
                    collectRefs(inbound.get(0), refs, probe, true);
                    if (refs.isEmpty()) {
                        throw probe.error("its inbound node names no input tensor");
                    }
                }
            }
            if ("InputLayer".equals(cls)) {
                declared.add(new Input(lname, inputShape(probe, true)));
                continue;
            }
            if (refs.isEmpty()) {
                throw probe.error("the layer has no inbound nodes: it is not connected to the graph");
            }
            out.add(new KerasLayer(file, lname, cls, l.get("config"), refs));
        }
        List<KerasLayer.Ref> inputRefs = refList(file, config.get("input_layers"), "input_layers");
        List<KerasLayer.Ref> outputRefs = refList(file, config.get("output_layers"), "output_layers");
        if (inputRefs.isEmpty()) {
            throw QuantaException.inFile(file, "the Functional model config has no input_layers");
        }
        if (outputRefs.isEmpty()) {
            throw QuantaException.inFile(file, "the Functional model config has no output_layers");
        }
        List<Input> inputs = new ArrayList<>();
        for (KerasLayer.Ref r : inputRefs) {
            Input found = null;
            for (Input in : declared) {
                if (in.name().equals(r.layer())) {
                    found = in;
                }
            }
            if (found == null) {
                throw QuantaException.inFile(
                        file,
                        "input_layers names '" + r.layer() + "', which is not an InputLayer "
                                + "of the model (nested models are not supported)");
            }
            inputs.add(found);
        }
        return new KerasGraph(name, "Functional", inputs, out, outputRefs, trainable(config));
    }

    /**
     * The tensors one inbound node reads: Keras 2 {@code [["layer", node, tensor, {kwargs}], ...]}, or Keras 3
     * {@code {"args": [...], "kwargs": {...}}} holding {@code __keras_tensor__} objects with a
     * {@code keras_history}.
     */
    private static void collectRefs(JsonNode node, List<KerasLayer.Ref> refs, KerasLayer layer, boolean top) {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isArray()) {
            if (isHistory(node)) {
                refs.add(toRef(node, layer));
                return;
            }
            for (JsonNode e : node) {
                collectRefs(e, refs, layer, false);
            }
        } else if (node.isObject()) {
            JsonNode cls = node.get("class_name");
            if (cls != null && "__keras_tensor__".equals(cls.asText())) {
                JsonNode h =
                        node.get("config") == null ? null : node.get("config").get("keras_history");
                if (h == null || !isHistory(h)) {
                    throw layer.error("an input tensor has no valid keras_history");
                }
                refs.add(toRef(h, layer));
                return;
            }
            JsonNode h = node.get("keras_history");
            if (h != null && isHistory(h)) {
                refs.add(toRef(h, layer));
                return;
            }
            if (top && node.has("args")) {
                collectRefs(node.get("args"), refs, layer, false);
                if (refs.isEmpty()) {
                    collectRefs(node.get("kwargs"), refs, layer, false);
                }
                return;
            }
            if (!top) {
                for (JsonNode e : node) {
                    collectRefs(e, refs, layer, false);
                }
            }
        }
    }

    private static boolean isHistory(JsonNode n) {
        return n.isArray()
                && n.size() >= 3
                && n.get(0).isTextual()
                && n.get(1).isIntegralNumber()
                && n.get(2).isIntegralNumber();
    }

    private static KerasLayer.Ref toRef(JsonNode h, KerasLayer layer) {
        KerasLayer.Ref r =
                new KerasLayer.Ref(h.get(0).asText(), h.get(1).asInt(), h.get(2).asInt());
        if (r.node() != 0) {
            throw layer.error("reads call " + r.node() + " of layer '" + r.layer()
                    + "' (a shared layer): shared layers are not supported");
        }
        // an output index beyond the layer's outputs (one, or two for a Bidirectional layer with merge_mode None)
        // is refused by the translation, which knows them
        return r;
    }

    /** {@code input_layers} / {@code output_layers}: a list of triples, a single triple, or a map of them. */
    private static List<KerasLayer.Ref> refList(Path file, JsonNode n, String key) {
        List<KerasLayer.Ref> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (n.isArray() && isHistory(n)) {
            addModelRef(file, n, key, out);
        } else if (n.isArray() || n.isObject()) {
            for (JsonNode e : n) {
                if (!isHistory(e)) {
                    throw QuantaException.inFile(
                            file, key + " entry " + KerasLayer.show(e) + " is not [layer, node, tensor]");
                }
                addModelRef(file, e, key, out);
            }
        } else {
            throw QuantaException.inFile(file, key + " is not a list");
        }
        return out;
    }

    private static void addModelRef(Path file, JsonNode h, String key, List<KerasLayer.Ref> out) {
        KerasLayer.Ref r =
                new KerasLayer.Ref(h.get(0).asText(), h.get(1).asInt(), h.get(2).asInt());
        if (r.node() != 0) {
            throw QuantaException.inFile(
                    file, key + " names " + KerasLayer.show(h) + ": shared layers are not supported");
        }
        out.add(r);
    }
}
