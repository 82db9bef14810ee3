package dev.quanta.eval;

import dev.quanta.QuantaException;
import java.util.Locale;

/**
 * Per-sample losses with Keras' definitions. For probabilities (not logits) Keras clips to
 * [ε, 1 − ε] with ε = 1e−7 before the logarithm.
 *
 * <pre>
 * sparse/categorical crossentropy, probabilities: −log( clip(p_y) / Σ_j clip(p_j) )
 * sparse/categorical crossentropy, logits z:      log Σ_j e^{z_j} − z_y
 * mean squared error against a one-hot target t:  Σ_j (p_j − t_j)² / n
 * </pre>
 */
public enum Loss {
    SPARSE_CATEGORICAL_CROSSENTROPY("sparse_categorical_crossentropy"),
    CATEGORICAL_CROSSENTROPY("categorical_crossentropy"),
    MEAN_SQUARED_ERROR("mean_squared_error"),
    MEAN_ABSOLUTE_ERROR("mean_absolute_error");

    /** Keras' fuzz factor. */
    public static final double EPSILON = 1e-7;

    private final String kerasName;

    Loss(String kerasName) {
        this.kerasName = kerasName;
    }

    public String kerasName() {
        return kerasName;
    }

    /** Parses a Keras loss name or alias ({@code mse}, {@code SparseCategoricalCrossentropy}). */
    public static Loss parse(String name) {
        String n = name.trim().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
        return switch (n) {
            case "sparse_categorical_crossentropy" -> SPARSE_CATEGORICAL_CROSSENTROPY;
            case "categorical_crossentropy" -> CATEGORICAL_CROSSENTROPY;
            case "mse", "mean_squared_error" -> MEAN_SQUARED_ERROR;
            case "mae", "mean_absolute_error" -> MEAN_ABSOLUTE_ERROR;
            default ->
                throw new QuantaException("unsupported loss '" + name + "' (supported: "
                        + "sparse_categorical_crossentropy, categorical_crossentropy, "
                        + "mean_squared_error, mean_absolute_error)");
        };
    }

    /**
     * The loss of one sample whose model output is {@code out[off .. off+n)} and whose class is {@code label}.
     */
    public double of(float[] out, int off, int n, int label, boolean fromLogits) {
        return switch (this) {
            case SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY ->
                fromLogits ? logitsCrossentropy(out, off, n, label) : probabilityCrossentropy(out, off, n, label);
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR -> {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    double d = out[off + j] - (j == label ? 1.0 : 0.0);
                    s += this == MEAN_SQUARED_ERROR ? d * d : Math.abs(d);
                }
                yield s / n;
            }
        };
    }

    private static double probabilityCrossentropy(float[] p, int off, int n, int label) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += clip(p[off + j]);
        }
        return -Math.log(clip(p[off + label]) / sum);
    }

    private static double clip(double v) {
        return Math.min(Math.max(v, EPSILON), 1 - EPSILON);
    }

    private static double logitsCrossentropy(float[] z, int off, int n, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, z[off + j]);
        }
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += Math.exp(z[off + j] - max);
        }
        return max + Math.log(s) - z[off + label];
    }
}
