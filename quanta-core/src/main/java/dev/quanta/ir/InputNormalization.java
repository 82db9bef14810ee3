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

    /**
     * Checks the values and copies the arrays.
     *
     * @throws IllegalArgumentException for a value that is not finite, a zero std, mean without std (or the other
     *     way round), or per-channel mean and std of different lengths
     */
    public InputNormalization {
        if (!Float.isFinite(scale) || !Float.isFinite(offset)) {
            throw new IllegalArgumentException(
                    "scale and offset must be finite, found scale " + scale + " offset " + offset);
        }
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException(
                    "needs both mean and std, found only " + (mean == null ? "std" : "mean"));
        }
        if (mean != null) {
            if (mean.length == 0 || std.length == 0) {
                throw new IllegalArgumentException("mean/std must not be empty");
            }
            if (mean.length != std.length && mean.length != 1 && std.length != 1) {
                throw new IllegalArgumentException("mean has " + mean.length + " entries but std has " + std.length
                        + "; they must match (or one must be a single value)");
            }
            for (float m : mean) {
                if (!Float.isFinite(m)) {
                    throw new IllegalArgumentException("mean must be finite, found " + m);
                }
            }
            for (float s : std) {
                if (!Float.isFinite(s) || s == 0f) {
                    throw new IllegalArgumentException("std must be finite and non-zero, found " + s);
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

    /** True when values are not changed. */
    public boolean isIdentity() {
        return scale == 1f && offset == 0f && mean == null;
    }

    /** Length of the channel axis mean and std run along (1 when they are single values or absent). */
    public int channels() {
        return mean == null ? 1 : Math.max(mean.length, std.length);
    }

    /** The transform of {@code v} on channel {@code channel}. */
    public float apply(float v, int channel) {
        float x = v * scale + offset;
        if (mean != null) {
            float m = mean.length == 1 ? mean[0] : mean[channel];
            float s = std.length == 1 ? std[0] : std[channel];
            x = (x - m) / s;
        }
        return x;
    }

    /** Transforms {@code values} in place: whole samples back to back, {@code channels} the last axis' length. */
    public void applyInPlace(float[] values, int channels) {
        if (isIdentity()) {
            return;
        }
        if (mean == null) {
            for (int i = 0; i < values.length; i++) {
                values[i] = values[i] * scale + offset;
            }
            return;
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = apply(values[i], channels == 1 ? 0 : i % channels);
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
