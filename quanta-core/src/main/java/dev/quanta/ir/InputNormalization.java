package dev.quanta.ir;

import java.util.Arrays;
import java.util.Objects;

/**
 * How raw data values become a model's float input, as the model's producer recorded it (for example the
 * preprocessing its calibration data went through). For a raw value {@code v} on channel {@code c} (the last axis):
 *
 * <pre>
 *   x = v · scale + offset
 *   y = (x − mean[c]) / std[c]      (only when mean and std are set; a single value serves every channel)
 * </pre>
 *
 * <p>TFLite's metadata records the second line alone ({@code NormalizationOptions}); a file from elsewhere reads as
 * {@code scale = 1, offset = 0}. A mean of 0 and std of 1 on every channel is the identity and is kept as no mean
 * and std.
 *
 * @param mean per-channel or single means, or null
 * @param std per-channel or single standard deviations (non-zero), or null; set together with {@code mean}
 */
public record InputNormalization(float scale, float offset, float[] mean, float[] std) {

    /** Checks the values and copies the arrays. */
    public InputNormalization {
        if (!Float.isFinite(scale) || !Float.isFinite(offset)) {
            throw new IllegalArgumentException("scale and offset must be finite, found " + scale + ", " + offset);
        }
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("mean and std go together");
        }
        if (mean != null) {
            if (mean.length == 0 || std.length == 0) {
                throw new IllegalArgumentException("mean and std must not be empty");
            }
            for (float s : std) {
                if (s == 0f || !Float.isFinite(s)) {
                    throw new IllegalArgumentException("std must be finite and non-zero, found " + s);
                }
            }
            for (float m : mean) {
                if (!Float.isFinite(m)) {
                    throw new IllegalArgumentException("mean must be finite, found " + m);
                }
            }
            mean = mean.clone();
            std = std.clone();
            if (allEqual(mean, 0f) && allEqual(std, 1f)) { // (x − 0) / 1 = x: the same transform as none
                mean = null;
                std = null;
            }
        }
    }

    private static boolean allEqual(float[] values, float v) {
        for (float x : values) {
            if (x != v) {
                return false;
            }
        }
        return true;
    }

    /** {@code y = v}. */
    public static InputNormalization identity() {
        return new InputNormalization(1f, 0f, null, null);
    }

    @Override
    public float[] mean() {
        return mean == null ? null : mean.clone();
    }

    @Override
    public float[] std() {
        return std == null ? null : std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputNormalization n
                && Float.compare(scale, n.scale) == 0
                && Float.compare(offset, n.offset) == 0
                && Arrays.equals(mean, n.mean)
                && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scale, offset, Arrays.hashCode(mean), Arrays.hashCode(std));
    }

    /** E.g. {@code "x = v·0.003921569"}, {@code "x = (v − [127.5]) / [127.5]"} or {@code "identity"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (scale != 1f || offset != 0f) {
            sb.append("v·").append(scale);
            if (offset != 0f) {
                sb.append(offset < 0 ? " − " : " + ").append(Math.abs(offset));
            }
        }
        if (mean != null) {
            String x = sb.isEmpty() ? "v" : "(" + sb + ")";
            sb.setLength(0);
            sb.append("(")
                    .append(x)
                    .append(" − ")
                    .append(Arrays.toString(mean))
                    .append(") / ")
                    .append(Arrays.toString(std));
        }
        return sb.isEmpty() ? "identity" : sb.toString();
    }
}
