package dev.quanta.data;

import dev.quanta.QuantaException;
import dev.quanta.ir.InputNormalization;
import java.util.Arrays;

/**
 * Explicit per-value preprocessing of raw samples, applied after decoding the stored type to {@code float}.
 *
 * <p>For a raw value {@code v} at flat index {@code i} of a sample:
 *
 * <pre>
 *   x = v * scale + offset
 *   y = (x - mean[c]) / std[c]      (only when mean/std are set)
 * </pre>
 *
 * where {@code c = i mod C} is the index along the last (channel) axis of length {@code C} when mean/std have more
 * than one entry, and {@code c = 0} otherwise. The usual choices are {@link #scale(float) scale(1/255f)} ({@code
 * v/255}) or {@link #meanStd(float[], float[]) meanStd} ({@code (v - mean)/std}); both may be combined. The channel
 * axis is the last axis of the output shape if its length matches mean/std, else the last axis of the stored shape.
 *
 * <p>{@code reshape} (nullable) replaces the sample shape without moving data (row-major); it must keep the element
 * count, and one entry may be -1 to be inferred, e.g. MNIST {@code 28x28 -> [784]} or {@code [28, 28, 1]}.
 *
 * @param scale multiplier applied first (1 = none)
 * @param offset added after scaling (0 = none)
 * @param mean per-channel or single mean, or null
 * @param std per-channel or single standard deviation (non-zero), or null; set together with {@code mean}
 * @param reshape target sample shape without the batch dimension, or null to keep the stored shape
 */
public record Preprocessing(float scale, float offset, float[] mean, float[] std, int[] reshape) {

    private static final Preprocessing IDENTITY = new Preprocessing(1f, 0f, null, null, null);

    /** Validates and copies the arrays. */
    public Preprocessing {
        if (!Float.isFinite(scale) || !Float.isFinite(offset)) {
            throw new QuantaException(
                    "preprocessing scale and offset must be finite, found scale " + scale + " offset " + offset);
        }
        if ((mean == null) != (std == null)) {
            throw new QuantaException(
                    "preprocessing needs both mean and std, found only " + (mean == null ? "std" : "mean"));
        }
        if (mean != null) {
            if (mean.length == 0 || std.length == 0) {
                throw new QuantaException("preprocessing mean/std must not be empty");
            }
            if (mean.length != std.length && mean.length != 1 && std.length != 1) {
                throw new QuantaException("preprocessing mean has " + mean.length + " entries but std has " + std.length
                        + "; they must match (or one must be a single value)");
            }
            for (float m : mean) {
                if (!Float.isFinite(m)) {
                    throw new QuantaException("preprocessing mean must be finite, found " + m);
                }
            }
            for (float s : std) {
                if (!Float.isFinite(s) || s == 0f) {
                    throw new QuantaException("preprocessing std must be finite and non-zero, found " + s);
                }
            }
            mean = mean.clone();
            std = std.clone();
        }
        if (reshape != null) {
            int inferred = 0;
            for (int d : reshape) {
                if (d == -1) {
                    inferred++;
                } else if (d <= 0) {
                    throw new QuantaException("reshape " + Arrays.toString(reshape) + " has a dimension " + d
                            + "; dimensions must be positive (or one -1)");
                }
            }
            if (inferred > 1) {
                throw new QuantaException("reshape " + Arrays.toString(reshape) + " has more than one -1");
            }
            reshape = reshape.clone();
        }
    }

    /** No change: {@code y = v}. */
    public static Preprocessing identity() {
        return IDENTITY;
    }

    /** {@code y = v * scale}, e.g. {@code scale(1/255f)} maps 0..255 pixels to 0..1. */
    public static Preprocessing scale(float scale) {
        return new Preprocessing(scale, 0f, null, null, null);
    }

    /** {@code y = (v - mean[c]) / std[c]}, per channel {@code c} or with single values. */
    public static Preprocessing meanStd(float[] mean, float[] std) {
        return new Preprocessing(1f, 0f, mean, std, null);
    }

    /** The value transform a model records for its input (see {@link InputNormalization}), with no reshape. */
    public static Preprocessing of(InputNormalization n) {
        return new Preprocessing(n.scale(), n.offset(), n.mean(), n.std(), null);
    }

    /** The value transform alone, as a model records it for its input. */
    public InputNormalization normalization() {
        return new InputNormalization(scale, offset, mean, std);
    }

    /** Same, with {@code x = v * scale + offset} using this offset (e.g. {@code scale(1/127.5f).withOffset(-1)}). */
    public Preprocessing withOffset(float offset) {
        return new Preprocessing(scale, offset, mean, std, reshape);
    }

    /** Same, with a different multiplier. */
    public Preprocessing withScale(float scale) {
        return new Preprocessing(scale, offset, mean, std, reshape);
    }

    /** Same, followed by {@code (x - mean[c]) / std[c]}. */
    public Preprocessing withMeanStd(float[] mean, float[] std) {
        return new Preprocessing(scale, offset, mean, std, reshape);
    }

    /** Same, with the sample shape replaced by {@code shape} (null keeps the stored shape). */
    public Preprocessing withReshape(int... shape) {
        return new Preprocessing(scale, offset, mean, std, shape);
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
    public int[] reshape() {
        return reshape == null ? null : reshape.clone();
    }

    /** True when values are not changed (the shape may still be). */
    public boolean isIdentityOnValues() {
        return scale == 1f && offset == 0f && mean == null;
    }

    /** Applies the value transform to {@code v} whose channel index is {@code channel}. */
    public float apply(float v, int channel) {
        float x = v * scale + offset;
        if (mean != null) {
            float m = mean.length == 1 ? mean[0] : mean[channel];
            float s = std.length == 1 ? std[0] : std[channel];
            x = (x - m) / s;
        }
        return x;
    }

    /**
     * The sample shape after {@link #reshape()}.
     *
     * @throws QuantaException if the reshape does not keep the element count of {@code sampleShape}
     */
    public int[] outputShape(int[] sampleShape) {
        return outputShape(sampleShape, "");
    }

    int[] outputShape(int[] sampleShape, String where) {
        if (reshape == null) {
            return sampleShape.clone();
        }
        long count = product(sampleShape);
        long known = 1;
        int inferAt = -1;
        for (int i = 0; i < reshape.length; i++) {
            if (reshape[i] == -1) {
                inferAt = i;
            } else {
                known *= reshape[i];
            }
        }
        int[] out = reshape.clone();
        if (inferAt >= 0) {
            if (known == 0 || count % known != 0) {
                throw new QuantaException(where + "cannot reshape samples of shape " + Shapes.format(sampleShape) + " ("
                        + count + " elements) to " + Arrays.toString(reshape));
            }
            out[inferAt] = (int) (count / known);
        } else if (known != count) {
            throw new QuantaException(where + "reshape " + Arrays.toString(reshape) + " has " + known
                    + " elements but samples of shape " + Shapes.format(sampleShape) + " have " + count);
        }
        return out;
    }

    /** Length of the channel axis used for mean/std (1 when they are single values). */
    int channels(int[] storedShape, int[] outShape, String where) {
        int n = mean == null ? 1 : Math.max(mean.length, std.length);
        if (n == 1) {
            return 1;
        }
        if (outShape.length > 0 && outShape[outShape.length - 1] == n) {
            return n;
        }
        if (storedShape.length > 0 && storedShape[storedShape.length - 1] == n) {
            return n;
        }
        throw new QuantaException(where + "mean/std have " + n
                + " entries but the last (channel) axis of samples of shape " + Shapes.format(storedShape) + " has "
                + (storedShape.length == 0 ? 1 : storedShape[storedShape.length - 1]));
    }

    /** Applies the value transform in place to whole samples laid out back to back. */
    void applyInPlace(float[] values, int channels) {
        if (isIdentityOnValues()) {
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

    private static long product(int[] shape) {
        long p = 1;
        for (int d : shape) {
            p *= d;
        }
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p
                && Float.compare(scale, p.scale) == 0
                && Float.compare(offset, p.offset) == 0
                && Arrays.equals(mean, p.mean)
                && Arrays.equals(std, p.std)
                && Arrays.equals(reshape, p.reshape);
    }

    @Override
    public int hashCode() {
        int h = Float.hashCode(scale) * 31 + Float.hashCode(offset);
        h = h * 31 + Arrays.hashCode(mean);
        h = h * 31 + Arrays.hashCode(std);
        return h * 31 + Arrays.hashCode(reshape);
    }

    /** E.g. {@code "v*0.003921569+0.0, reshape [784]"} or {@code "identity"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (scale != 1f || offset != 0f) {
            sb.append("v*").append(scale).append('+').append(offset);
        }
        if (mean != null) {
            if (!sb.isEmpty()) {
                sb.append(", then ");
            }
            sb.append("(x-").append(Arrays.toString(mean)).append(")/").append(Arrays.toString(std));
        }
        if (reshape != null) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append("reshape ").append(Arrays.toString(reshape));
        }
        return sb.isEmpty() ? "identity" : sb.toString();
    }
}
