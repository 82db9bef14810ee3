package dev.quanta.eval;

import dev.quanta.Notice;
import java.util.List;

/**
 * The outcome of evaluating a classifier on a labelled dataset.
 *
 * @param loss mean per-sample loss, or NaN when no loss was named
 * @param lossName Keras name of the loss, or null
 * @param correct samples whose label is among the top-k outputs
 * @param predictions top-1 class per sample
 * @param hits per sample, whether its label is among the top-k outputs (what {@code correct} counts)
 * @param notices warnings about the data, such as values that do not fit the model's quantized input
 */
public record EvaluationResult(
        int samples,
        String lossName,
        boolean fromLogits,
        double loss,
        int topK,
        int correct,
        double seconds,
        int[] predictions,
        boolean[] hits,
        List<Notice> notices) {

    public EvaluationResult {
        notices = List.copyOf(notices);
    }

    public double accuracy() {
        return samples == 0 ? 0 : (double) correct / samples;
    }

    public double samplesPerSecond() {
        return seconds <= 0 ? 0 : samples / seconds;
    }
}
