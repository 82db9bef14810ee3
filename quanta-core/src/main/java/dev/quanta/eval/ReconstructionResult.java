package dev.quanta.eval;

import dev.quanta.Notice;
import java.util.List;

/**
 * The outcome of scoring an autoencoder's reconstructions ({@link Reconstruction#evaluate}).
 *
 * <pre>
 * window MSE(i) = Σⱼ (xᵢⱼ − yᵢⱼ)² / d      (d values per window, y the reconstruction of x)
 * window MAE(i) = Σⱼ |xᵢⱼ − yᵢⱼ| / d
 * clip score(c) = mean of its windows' MSE (MAE when the metric is MAE)
 * AUC           = P(score of an anomalous clip > score of a normal clip), ties counting one half
 * </pre>
 *
 * @param metric the metric asked for; {@link #value()} is its value
 * @param samples windows scored
 * @param meanMse mean window MSE over all windows
 * @param meanMae mean window MAE over all windows
 * @param windowMse the MSE of each window, in sample order
 * @param clipNames the clips, in order of first appearance (a sample's index when the data has no clips)
 * @param clipScores the score of each clip
 * @param clipLabels the label of each clip, -1 when the data has no labels
 * @param auc ROC AUC over the clips, NaN when the labels do not hold both a normal (0) and an anomalous (1) clip
 * @param notices warnings about the data, such as values that do not fit the model's quantized input
 */
public record ReconstructionResult(
        Metric metric,
        int samples,
        double meanMse,
        double meanMae,
        double[] windowMse,
        List<String> clipNames,
        double[] clipScores,
        int[] clipLabels,
        double auc,
        double seconds,
        List<Notice> notices) {

    public ReconstructionResult {
        clipNames = List.copyOf(clipNames);
        notices = List.copyOf(notices);
    }

    /** The value of {@link #metric}: the AUC, the mean window MSE or the mean window MAE. */
    public double value() {
        return switch (metric) {
            case AUC -> auc;
            case MAE -> meanMae;
            default -> meanMse;
        };
    }

    /** Number of clips scored. */
    public int clips() {
        return clipScores.length;
    }

    /** Clips labelled {@code label}. */
    public int clipsLabelled(int label) {
        int n = 0;
        for (int l : clipLabels) {
            if (l == label) {
                n++;
            }
        }
        return n;
    }

    public double samplesPerSecond() {
        return seconds <= 0 ? 0 : samples / seconds;
    }
}
