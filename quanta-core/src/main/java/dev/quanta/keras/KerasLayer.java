package dev.quanta.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.quanta.QuantaException;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One layer of a Keras model config: its name, class, config object and the tensors it reads, with typed
 * accessors whose errors name the file, the layer and the key.
 */
final class KerasLayer {
    /** A tensor reference: output {@code tensor} of call {@code node} of layer {@code layer}. */
    record Ref(String layer, int node, int tensor) {}

    private final Path file;
    private final String name;
    private final String className;
    private final JsonNode config;
    private final List<Ref> inputs;

    KerasLayer(Path file, String name, String className, JsonNode config, List<Ref> inputs) {
        this.file = file;
        this.name = name;
        this.className = className;
        this.config = config == null || !config.isObject() ? NullNode.getInstance() : config;
        this.inputs = List.copyOf(inputs);
    }

    /**
     * The layer a wrapper (Bidirectional) holds in config {@code key} ({@code {"class_name", "config"}}), under this
     * layer's name and inputs, so that its config can be read with the same accessors and errors.
     */
    KerasLayer wrapped(String key) {
        JsonNode w = get(key);
        if (w == null
                || !w.isObject()
                || !w.path("class_name").isTextual()
                || !w.path("config").isObject()) {
            throw unsupported(key, "expected a layer {\"class_name\": ..., \"config\": {...}}");
        }
        return new KerasLayer(file, name, w.get("class_name").asText(), w.get("config"), inputs);
    }

    String name() {
        return name;
    }

    String className() {
        return className;
    }

    JsonNode config() {
        return config;
    }

    List<Ref> inputs() {
        return inputs;
    }

    Origin origin() {
        return new Origin(name, className);
    }

    /** {@code layer 'dense_1' (Dense)}. */
    String describe() {
        return "layer '" + name + "' (" + className + ")";
    }

    /** An error about this layer in the config file. */
    QuantaException error(String what) {
        return QuantaException.inFile(file, describe() + ": " + what);
    }

    /** An error about this layer in {@code where} (the weights file, say). */
    QuantaException error(Path where, String what) {
        return QuantaException.inFile(where, describe() + ": " + what);
    }

    /** "unsupported config value key=value". */
    QuantaException unsupported(String key, String why) {
        return error("unsupported config value " + key + "=" + show(config.get(key))
                + (why == null ? "" : " (" + why + ")"));
    }

    static String show(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "<missing>";
        }
        if (v.isTextual()) {
            return "'" + v.asText() + "'";
        }
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    boolean has(String key) {
        JsonNode v = config.get(key);
        return v != null && !v.isNull();
    }

    JsonNode get(String key) {
        JsonNode v = config.get(key);
        return v == null || v.isNull() ? null : v;
    }

    String string(String key, String def) {
        JsonNode v = get(key);
        if (v == null) {
            return def;
        }
        if (!v.isTextual()) {
            throw error("config '" + key + "' must be a string but is " + show(v));
        }
        return v.asText();
    }

    int integer(String key, int def) {
        JsonNode v = get(key);
        if (v == null) {
            return def;
        }
        if (v.isArray() && v.size() == 1) {
            v = v.get(0);
        }
        if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            throw error("config '" + key + "' must be an integer but is " + show(get(key)));
        }
        return v.asInt();
    }

    double number(String key, double def) {
        JsonNode v = get(key);
        if (v == null) {
            return def;
        }
        if (!v.isNumber()) {
            throw error("config '" + key + "' must be a number but is " + show(v));
        }
        return v.asDouble();
    }

    /** A boolean; Keras sometimes writes 0/1 (scale: 1). */
    boolean bool(String key, boolean def) {
        JsonNode v = get(key);
        if (v == null) {
            return def;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isNumber()) {
            return v.asDouble() != 0;
        }
        throw error("config '" + key + "' must be a boolean but is " + show(v));
    }

    /** A pair of positive integers written as {@code [a, b]} or a single {@code a}. */
    int[] pair(String key, int[] def) {
        JsonNode v = get(key);
        if (v == null) {
            if (def == null) {
                throw error("config '" + key + "' is missing");
            }
            return def.clone();
        }
        int a;
        int b;
        if (v.isIntegralNumber()) {
            a = v.asInt();
            b = a;
        } else if (v.isArray()
                && v.size() == 2
                && v.get(0).isIntegralNumber()
                && v.get(1).isIntegralNumber()) {
            a = v.get(0).asInt();
            b = v.get(1).asInt();
        } else if (v.isArray() && v.size() == 1 && v.get(0).isIntegralNumber()) {
            a = v.get(0).asInt();
            b = a;
        } else {
            throw error("config '" + key + "' must be two integers but is " + show(v));
        }
        if (a <= 0 || b <= 0) {
            throw error("config '" + key + "' must be positive but is " + show(v));
        }
        return new int[] {a, b};
    }

    /** A list of integers where null entries (unknown sizes) read as -1. */
    int[] dims(String key) {
        JsonNode v = get(key);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw error("config '" + key + "' must be a list but is " + show(v));
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode d = v.get(i);
            if (d.isNull()) {
                out[i] = -1;
            } else if (d.isIntegralNumber()) {
                out[i] = d.asInt();
            } else {
                throw error("config '" + key + "' must hold integers or null but is " + show(v));
            }
        }
        return out;
    }

    /** The {@code activation} config as a Keras function name ({@code linear} when absent). */
    String activation() {
        JsonNode v = get("activation");
        if (v == null) {
            return "linear";
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject()) {
            JsonNode c = v.get("config");
            if (c != null && c.isTextual()) {
                return c.asText();
            }
            JsonNode cls = v.get("class_name");
            if (cls != null && cls.isTextual()) {
                return KerasNames.snakeCase(cls.asText());
            }
        }
        throw unsupported("activation", null);
    }

    /** A required positive integer. */
    int positive(String key) {
        if (!has(key)) {
            throw error("config '" + key + "' is missing");
        }
        int v = integer(key, 0);
        if (v <= 0) {
            throw unsupported(key, "must be positive");
        }
        return v;
    }

    /** The {@code padding} config: {@code valid} (the default) or {@code same}, in any case. */
    Padding padding() {
        String p = string("padding", "valid");
        return switch (p.toLowerCase(Locale.ROOT)) {
            case "valid" -> Padding.VALID;
            case "same" -> Padding.SAME;
            default -> throw unsupported("padding", "only valid and same are supported");
        };
    }

    /** Requires the layer's input {@code x} to have rank {@code rank}. */
    void requireInputRank(Tensor x, int rank) {
        if (x.shape().rank() != rank) {
            throw error("expects an input of rank " + rank + " but '" + x.name() + "' has shape " + x.shape());
        }
    }

    /** Requires {@code data_format} to be absent or channels_last. */
    void requireChannelsLast() {
        String df = string("data_format", "channels_last");
        if (!"channels_last".equals(df)) {
            throw unsupported("data_format", "only channels_last is supported");
        }
    }
}
