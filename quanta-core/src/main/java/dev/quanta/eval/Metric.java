package dev.quanta.eval;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import java.util.Arrays;
import java.util.Locale;

/**
 * What an evaluation measures: {@link #TOPK} for a classifier (top-k accuracy and the loss, {@link Evaluator}), or
 * for an autoencoder, whose output has its input's shape, the reconstruction error ({@link Reconstruction}).
 */
public enum Metric {
    /** Top-k accuracy over class labels (and the loss). */
    TOPK,
    /** Mean over windows of the reconstruction mean squared error. */
    MSE,
    /** Mean over windows of the reconstruction mean absolute error. */
    MAE,
    /** ROC AUC over clips (label 0 normal, 1 anomalous), a clip scored by the mean of its windows' MSE. */
    AUC;

    /** The lower-case name the command line uses. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the metrics of an autoencoder's reconstruction ({@link #MSE}, {@link #MAE}, {@link #AUC}). */
    public boolean isReconstruction() {
        return this != TOPK;
    }

    /**
     * Parses {@code auc}, {@code mse}, {@code mae} or {@code topk} (case-insensitive; {@code accuracy} and
     * {@code top-k} mean topk).
     *
     * @throws QuantaException for another name
     */
    public static Metric parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "topk", "top-k", "accuracy" -> TOPK;
            case "mse" -> MSE;
            case "mae" -> MAE;
            case "auc", "roc-auc", "roc_auc" -> AUC;
            default -> throw new QuantaException("unknown metric '" + text + "'; expected auc, mse, mae or topk");
        };
    }

    /** The default for {@code model}: {@link #MSE} for an autoencoder ({@link #isAutoencoder}), else {@link #TOPK}. */
    public static Metric defaultFor(Model model) {
        return isAutoencoder(model) ? MSE : TOPK;
    }

    /** True when the model has one input and one output of the same per-sample shape. */
    public static boolean isAutoencoder(Model model) {
        return model.inputs().size() == 1
                && model.outputs().size() == 1
                && Arrays.equals(
                        model.inputs().get(0).shape().sampleDims(),
                        model.outputs().get(0).shape().sampleDims());
    }
}
