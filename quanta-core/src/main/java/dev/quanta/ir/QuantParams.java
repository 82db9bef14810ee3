package dev.quanta.ir;

import java.util.Arrays;

/**
 * Affine quantization parameters: {@code real = scale × (q − zeroPoint)}.
 *
 * <p>Per tensor when {@code axis} is -1 (one scale and zero point), per axis otherwise (one entry per index
 * along {@code axis}, e.g. per output channel of a convolution's weights).
 */
public record QuantParams(float[] scales, long[] zeroPoints, int axis) {
    public QuantParams {
        if (scales.length == 0 || scales.length != zeroPoints.length) {
            throw new IllegalArgumentException("scales and zero points must be non-empty and of equal length");
        }
        if (axis < 0 && scales.length != 1) {
            throw new IllegalArgumentException("per-tensor parameters need exactly one scale");
        }
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
    }

    /** Per-tensor parameters. */
    public static QuantParams perTensor(float scale, long zeroPoint) {
        return new QuantParams(new float[] {scale}, new long[] {zeroPoint}, -1);
    }

    /** Per-axis parameters. */
    public static QuantParams perAxis(float[] scales, long[] zeroPoints, int axis) {
        return new QuantParams(scales, zeroPoints, axis);
    }

    public boolean isPerTensor() {
        return axis < 0;
    }

    public float scale() {
        return scales[0];
    }

    public long zeroPoint() {
        return zeroPoints[0];
    }

    @Override
    public float[] scales() {
        return scales.clone();
    }

    @Override
    public long[] zeroPoints() {
        return zeroPoints.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantParams q
                && axis == q.axis
                && Arrays.equals(scales, q.scales)
                && Arrays.equals(zeroPoints, q.zeroPoints);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(scales) + Arrays.hashCode(zeroPoints)) + axis;
    }

    @Override
    public String toString() {
        return isPerTensor()
                ? "scale=" + scales[0] + " zp=" + zeroPoints[0]
                : "per-axis(" + axis + ") x" + scales.length;
    }
}
