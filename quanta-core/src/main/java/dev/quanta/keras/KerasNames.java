package dev.quanta.keras;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.ir.TrainingConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Keras naming helpers and the reading of {@code training_config} / {@code compile_config}. */
final class KerasNames {
    private KerasNames() {}

    private static final Map<String, String> LOSS_ALIASES = Map.of(
            "mse", "mean_squared_error",
            "mae", "mean_absolute_error",
            "mape", "mean_absolute_percentage_error",
            "msle", "mean_squared_logarithmic_error",
            "kld", "kl_divergence",
            "kullback_leibler_divergence", "kl_divergence",
            "logcosh", "log_cosh");

    /** {@code SparseCategoricalCrossentropy} → {@code sparse_categorical_crossentropy}; snake case stays. */
    static String snakeCase(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                char prev = name.charAt(i - 1);
                boolean nextLower = i + 1 < name.length() && Character.isLowerCase(name.charAt(i + 1));
                if (Character.isLowerCase(prev)
                        || Character.isDigit(prev)
                        || (Character.isUpperCase(prev) && nextLower)) {
                    sb.append('_');
                }
            }
            sb.append(Character.toLowerCase(c));
        }
        return sb.toString();
    }

    /** A loss name as Keras spells its function: snake case, common abbreviations expanded. */
    static String lossName(String raw) {
        String s = snakeCase(raw.trim());
        return LOSS_ALIASES.getOrDefault(s.toLowerCase(Locale.ROOT), s);
    }

    /**
     * Reads a Keras 2 {@code training_config} or Keras 3 {@code compile_config}; null when there is no loss and
     * no metric to report.
     */
    static TrainingConfig trainingConfig(JsonNode cfg) {
        if (cfg == null || !cfg.isObject()) {
            return null;
        }
        String loss = null;
        boolean fromLogits = false;
        JsonNode l = firstLoss(cfg.get("loss"));
        if (l != null) {
            if (l.isTextual()) {
                loss = lossName(l.asText());
            } else if (l.isObject()) {
                JsonNode cls = l.get("class_name");
                JsonNode c = l.get("config");
                if (cls != null && cls.isTextual()) {
                    loss = lossName(cls.asText());
                    // A LossFunctionWrapper names the function in its config.
                    if (("loss_function_wrapper".equals(loss) || "function".equals(loss)) && c != null) {
                        JsonNode fn = c.isTextual() ? c : c.get("fn");
                        if (fn != null && fn.isTextual()) {
                            loss = lossName(fn.asText());
                        }
                    }
                }
                if (c != null && c.isObject()) {
                    JsonNode fl = c.get("from_logits");
                    fromLogits = fl != null && fl.asBoolean(false);
                }
            }
        }
        List<String> metrics = new ArrayList<>();
        collectMetrics(cfg.get("metrics"), metrics);
        if (loss == null && metrics.isEmpty()) {
            return null;
        }
        return new TrainingConfig(loss, fromLogits, metrics);
    }

    /** A loss node; per-output losses (a list or a map of output name to loss) give their first entry. */
    private static JsonNode firstLoss(JsonNode l) {
        if (l == null || l.isNull()) {
            return null;
        }
        if (l.isArray()) {
            return l.isEmpty() ? null : firstLoss(l.get(0));
        }
        if (l.isObject() && !l.has("class_name")) {
            Iterator<JsonNode> it = l.elements();
            return it.hasNext() ? firstLoss(it.next()) : null;
        }
        return l;
    }

    private static void collectMetrics(JsonNode m, List<String> out) {
        if (m == null || m.isNull()) {
            return;
        }
        if (m.isTextual()) {
            String name = snakeCase(m.asText());
            if (!out.contains(name)) {
                out.add(name);
            }
        } else if (m.isArray()) {
            for (JsonNode e : m) {
                collectMetrics(e, out);
            }
        } else if (m.isObject()) {
            JsonNode cls = m.get("class_name");
            if (cls != null && cls.isTextual()) {
                JsonNode c = m.get("config");
                JsonNode n = c != null && c.isObject() ? c.get("name") : null;
                String name = n != null && n.isTextual() ? n.asText() : snakeCase(cls.asText());
                if (!out.contains(name)) {
                    out.add(name);
                }
            } else {
                for (JsonNode e : m) { // per-output metrics
                    collectMetrics(e, out);
                }
            }
        }
    }
}
