package dev.quanta.ir;

import java.util.List;

/**
 * What the source framework recorded about training: the loss (Keras name, e.g.
 * {@code sparse_categorical_crossentropy}), whether it was computed from logits, and the metric names.
 */
public record TrainingConfig(String loss, boolean fromLogits, List<String> metrics) {
    public TrainingConfig {
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
    }
}
