package dev.quanta.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An n-dimensional array read from a NumPy {@code .npy} file, in C (row-major) order.
 *
 * <p>Exactly one of {@code floatData} / {@code doubleData} is set: types that {@code float} holds exactly ({@code
 * f2 f4 u1 i1 u2 i2 b1}) are stored as {@code float[]}, the others ({@code f8 i4 u4 i8 u8}) as {@code double[]} (64-bit
 * integers beyond 2^53 are rounded).
 *
 * @param dtype the NumPy type descriptor from the header, e.g. {@code "<f4"}, {@code "|u1"}
 * @param shape dimensions; empty for a 0-d (scalar) array
 * @param floatData values as floats, or null
 * @param doubleData values as doubles, or null
 */
public record NpyArray(String dtype, int[] shape, float[] floatData, double[] doubleData) {

    /** Checks that exactly one data array is set and that its length matches the shape. */
    public NpyArray {
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if ((floatData == null) == (doubleData == null)) {
            throw new IllegalArgumentException("exactly one of floatData and doubleData must be set");
        }
        long n = Shapes.product(shape);
        int len = floatData != null ? floatData.length : doubleData.length;
        if (n != len) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " values, found " + len);
        }
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int ndim() {
        return shape.length;
    }

    /** Number of elements (1 for a scalar). */
    public int size() {
        return floatData != null ? floatData.length : doubleData.length;
    }

    /** Element {@code i} in flat C order. */
    public double get(int i) {
        return floatData != null ? floatData[i] : doubleData[i];
    }

    /** All values as a new {@code float[]}. */
    public float[] toFloatArray() {
        if (floatData != null) {
            return floatData.clone();
        }
        float[] out = new float[doubleData.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) doubleData[i];
        }
        return out;
    }

    /** All values as a new {@code double[]}. */
    public double[] toDoubleArray() {
        if (doubleData != null) {
            return doubleData.clone();
        }
        double[] out = new double[floatData.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = floatData[i];
        }
        return out;
    }

    /** True for boolean and integer dtypes. */
    public boolean isIntegral() {
        char kind = dtype.length() > 1 ? dtype.charAt(1) : '?';
        return kind == 'i' || kind == 'u' || kind == 'b';
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray a
                && dtype.equals(a.dtype)
                && Arrays.equals(shape, a.shape)
                && Arrays.equals(floatData, a.floatData)
                && Arrays.equals(doubleData, a.doubleData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(floatData), Arrays.hashCode(doubleData));
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
