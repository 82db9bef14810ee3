package dev.quanta.quantize;

import java.util.List;
import java.util.Locale;

/**
 * The calibration part of a {@link QuantizationReport}: the calibrator that ran and, per activation tensor whose
 * own range sets its parameters, the range seen, the range chosen and the fraction of calibration values clipped.
 *
 * @param percentile the percentile of {@link Calibrator#PERCENTILE}, else NaN
 */
public record CalibrationReport(Calibrator calibrator, double percentile, List<TensorCalibration> tensors) {
    public CalibrationReport {
        tensors = List.copyOf(tensors);
    }

    static CalibrationReport of(Calibration c, QuantizationConfig config) {
        return new CalibrationReport(
                c.calibrator(),
                c.calibrator() == Calibrator.PERCENTILE ? config.percentile() : Double.NaN,
                c.tensors());
    }

    /** "entropy", or "percentile 99.99". */
    public String describe() {
        return calibrator.cliName()
                + (Double.isNaN(percentile)
                        ? ""
                        : " "
                                + new java.math.BigDecimal(Double.toString(percentile))
                                        .stripTrailingZeros()
                                        .toPlainString());
    }

    private static final int MAX_NAME = 48;

    /** The table: one line per tensor. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("Calibrator: ").append(describe());
        if (calibrator == Calibrator.AUTO) {
            // how many tensors each candidate won: "auto (minmax 3, mse 12)"
            java.util.Map<String, Integer> picks = new java.util.TreeMap<>();
            for (TensorCalibration t : tensors) {
                if (t.method().startsWith(calibrator.cliName() + ": ")) {
                    picks.merge(t.method().substring(calibrator.cliName().length() + 2), 1, Integer::sum);
                }
            }
            StringBuilder won = new StringBuilder();
            picks.forEach((k, v) ->
                    won.append(won.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
            sb.append(" (").append(won).append(')');
        }
        sb.append('\n');
        int nameW = 12;
        for (TensorCalibration t : tensors) {
            nameW = Math.min(MAX_NAME, Math.max(nameW, t.tensor().length() + 1));
        }
        String fmt = "%-" + nameW + "s %-28s %-28s %9s  %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "Tensor", "Seen [min, max]", "Chosen range", "Clipped", "By"));
        for (TensorCalibration t : tensors) {
            String name = t.tensor().length() < MAX_NAME
                    ? t.tensor()
                    : "…" + t.tensor().substring(t.tensor().length() - MAX_NAME + 2);
            sb.append(String.format(
                    Locale.ROOT,
                    fmt,
                    name,
                    range(t.seen()),
                    range(t.chosen()),
                    String.format(Locale.ROOT, "%.4f%%", 100 * t.clippedFraction()),
                    t.method()));
        }
        return sb.toString();
    }

    private static String range(TensorRange r) {
        return String.format(Locale.ROOT, "[%.6g, %.6g]", r.min(), r.max());
    }
}
