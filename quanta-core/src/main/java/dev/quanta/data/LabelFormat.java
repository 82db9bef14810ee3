package dev.quanta.data;

import dev.quanta.QuantaException;
import java.util.Locale;

/** How class labels are stored. */
public enum LabelFormat {
    /** One integer class index per sample (integer dtype, or float holding integral values). */
    INDEX,
    /**
     * One row of {@code k} values per sample, exactly one of them 1 and the rest 0; converted to the index of the 1
     * (argmax). Any other row is an error naming the row.
     */
    ONE_HOT;

    /** Parses {@code index} / {@code sparse} / {@code int}, or {@code one-hot} / {@code onehot} / {@code one_hot}. */
    public static LabelFormat parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (t) {
            case "index", "sparse", "int", "integer", "class" -> INDEX;
            case "one_hot", "onehot", "categorical" -> ONE_HOT;
            default -> throw new QuantaException("unknown label format '" + text + "'; expected index or one-hot");
        };
    }
}
