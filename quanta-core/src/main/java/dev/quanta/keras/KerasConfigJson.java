package dev.quanta.keras;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.ir.Model;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import java.util.List;
import java.util.Locale;

/**
 * The JSON that {@link KerasH5Writer} stores in the root attributes {@code model_config} (a Keras 2 Sequential
 * config) and {@code training_config}, and the pieces of JSON the layer configs are made of. Keys are written in
 * the order Keras writes them.
 */
final class KerasConfigJson {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private KerasConfigJson() {}

    /** The Sequential config: an InputLayer named after the model's input, then {@code layers}. */
    static ObjectNode modelConfig(Model model, List<RebuiltLayer> layers) {
        ObjectNode root = JSON.objectNode();
        root.put("class_name", "Sequential");
        ObjectNode config = root.putObject("config");
        config.put("name", model.name());
        ArrayNode list = config.putArray("layers");
        Tensor input = model.inputs().get(0);
        String inputName = input.name();
        for (RebuiltLayer l : layers) {
            if (l.name().equals(inputName)) {
                inputName = inputName + "_input";
            }
        }
        ObjectNode inputLayer = JSON.objectNode();
        inputLayer.set("batch_input_shape", dims(input.shape()));
        inputLayer.put("dtype", "float32");
        inputLayer.put("sparse", false);
        inputLayer.put("ragged", false);
        inputLayer.put("name", inputName);
        list.add(layerEntry("InputLayer", inputLayer, null));
        for (RebuiltLayer l : layers) {
            list.add(layerEntry(l.className(), l.config(), l.inputShape()));
        }
        return root;
    }

    private static ObjectNode layerEntry(String className, ObjectNode config, Shape inputShape) {
        ObjectNode e = JSON.objectNode();
        e.put("module", "keras.layers");
        e.put("class_name", className);
        e.set("config", config);
        e.putNull("registered_name");
        if (inputShape != null) {
            e.putObject("build_config").set("input_shape", dims(inputShape));
        }
        return e;
    }

    /**
     * The training config: the loss (a loss object with {@code from_logits} when the model emits logits, else its
     * name), the metrics and the optimizer.
     */
    static ObjectNode trainingConfig(TrainingConfig tc, KerasH5Writer.Optimizer optimizer) {
        ObjectNode c = JSON.objectNode();
        if (tc.fromLogits()) {
            ObjectNode loss = c.putObject("loss");
            loss.put("module", "keras.losses");
            loss.put("class_name", camelCase(tc.loss()));
            ObjectNode lc = loss.putObject("config");
            lc.put("reduction", "auto");
            lc.put("name", tc.loss());
            lc.put("from_logits", true);
            loss.putNull("registered_name");
        } else {
            c.put("loss", tc.loss());
        }
        ArrayNode metrics = c.putArray("metrics");
        tc.metrics().forEach(metrics::add);
        c.putNull("weighted_metrics");
        c.putNull("loss_weights");
        ObjectNode opt = c.putObject("optimizer_config");
        opt.put("class_name", optimizer.className());
        ObjectNode oc = opt.putObject("config");
        oc.put("name", optimizer.className());
        optimizer.config().forEach((k, v) -> oc.set(k, MAPPER.valueToTree(v)));
        return c;
    }

    /** A layer config's common head: {@code name}, {@code trainable}, {@code dtype}. */
    static ObjectNode layerConfig(String name) {
        ObjectNode c = JSON.objectNode();
        c.put("name", name);
        c.put("trainable", true);
        c.put("dtype", "float32");
        return c;
    }

    /** A Keras initializer object of class {@code className} (with a null seed unless it is {@code Zeros}). */
    static ObjectNode initializer(String className) {
        ObjectNode i = JSON.objectNode();
        i.put("module", "keras.initializers");
        i.put("class_name", className);
        ObjectNode c = i.putObject("config");
        if (!"Zeros".equals(className)) {
            c.putNull("seed");
        }
        i.putNull("registered_name");
        return i;
    }

    /** Sets each of {@code keys} to null. */
    static void nulls(ObjectNode c, String... keys) {
        for (String k : keys) {
            c.putNull(k);
        }
    }

    static ArrayNode pair(int a, int b) {
        return JSON.arrayNode().add(a).add(b);
    }

    /** A shape as a JSON list, a dynamic dimension as null. */
    private static ArrayNode dims(Shape s) {
        ArrayNode a = JSON.arrayNode();
        for (int d : s.dims()) {
            if (d == Shape.DYNAMIC) {
                a.addNull();
            } else {
                a.add(d);
            }
        }
        return a;
    }

    static String padding(Padding p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    /** {@code sparse_categorical_crossentropy} → {@code SparseCategoricalCrossentropy}. */
    private static String camelCase(String snake) {
        StringBuilder sb = new StringBuilder();
        for (String part : snake.split("_")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }

    /** {@code node} as compact JSON text. */
    static String toJson(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
