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
 * <p>The value transform itself is the IR's {@link InputNormalization}, which a model can record for its input.
 */
public final class Preprocessing {

    private static final Preprocessing IDENTITY = new Preprocessing(InputNormalization.identity(), null);

    private final InputNormalization values;
    private final int[] reshape;

    private Preprocessing(InputNormalization values, int[] reshape) {
        this.values = values;
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
        }
        this.reshape = reshape == null ? null : reshape.clone();
    }

    /**
     * {@code x = v·scale + offset}, then {@code (x − mean[c]) / std[c]} when mean and std are given.
     *
     * @param mean per-channel or single mean, or null
     * @param std per-channel or single standard deviation (non-zero), or null; set together with {@code mean}
     * @param reshape target sample shape without the batch dimension, or null to keep the stored shape
     * @throws QuantaException for values that are not finite, a zero std, or mean and std that do not fit together
     */
    public Preprocessing(float scale, float offset, float[] mean, float[] std, int[] reshape) {
        this(values(scale, offset, mean, std), reshape);
    }

    private static InputNormalization values(float scale, float offset, float[] mean, float[] std) {
        try {
            return new InputNormalization(scale, offset, mean, std);
        } catch (IllegalArgumentException e) {
            throw new QuantaException("preprocessing " + e.getMessage());
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
        return new Preprocessing(n, null);
    }

    /** The value transform alone, as a model records it for its input. */
    public InputNormalization normalization() {
        return values;
    }

    /** Same, with {@code x = v * scale + offset} using this offset (e.g. {@code scale(1/127.5f).withOffset(-1)}). */
    public Preprocessing withOffset(float offset) {
        return new Preprocessing(scale(), offset, mean(), std(), reshape);
    }

    /** Same, with a different multiplier. */
    public Preprocessing withScale(float scale) {
        return new Preprocessing(scale, offset(), mean(), std(), reshape);
    }

    /** Same, followed by {@code (x - mean[c]) / std[c]}. */
    public Preprocessing withMeanStd(float[] mean, float[] std) {
        return new Preprocessing(scale(), offset(), mean, std, reshape);
    }

    /** Same, with the sample shape replaced by {@code shape} (null keeps the stored shape). */
    public Preprocessing withReshape(int... shape) {
        return new Preprocessing(values, shape);
    }

    /** The multiplier applied first (1 = none). */
    public float scale() {
        return values.scale();
    }

    /** Added after scaling (0 = none). */
    public float offset() {
        return values.offset();
    }

    /** Per-channel or single mean (a copy), or null. */
    public float[] mean() {
        return values.mean();
    }

    /** Per-channel or single standard deviation (a copy), or null. */
    public float[] std() {
        return values.std();
    }

    /** The target sample shape (a copy), or null to keep the stored shape. */
    public int[] reshape() {
        return reshape == null ? null : reshape.clone();
    }

    /** True when values are not changed (the shape may still be). */
    public boolean isIdentityOnValues() {
        return values.isIdentity();
    }

    /** Applies the value transform to {@code v} whose channel index is {@code channel}. */
    public float apply(float v, int channel) {
        return values.apply(v, channel);
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
        long count = Shapes.product(sampleShape);
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
        int n = values.channels();
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
    void applyInPlace(float[] samples, int channels) {
        values.applyInPlace(samples, channels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && values.equals(p.values) && Arrays.equals(reshape, p.reshape);
    }

    @Override
    public int hashCode() {
        return values.hashCode() * 31 + Arrays.hashCode(reshape);
    }

    /** E.g. {@code "v*0.003921569+0.0, reshape [784]"} or {@code "identity"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        float scale = scale();
        float offset = offset();
        float[] mean = mean();
        float[] std = std();
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
