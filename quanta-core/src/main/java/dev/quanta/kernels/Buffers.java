package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;

/**
 * The Java array that holds a tensor of each {@link DType} in the interpreter: FLOAT32 {@code float[]}, INT8 and
 * UINT8 {@code byte[]} (UINT8 read as {@code b & 0xFF}), INT16 and FLOAT16 (raw half bits) {@code short[]}, INT32
 * {@code int[]}, INT64 {@code long[]}, BOOL {@code byte[]}.
 */
public final class Buffers {
    private Buffers() {}

    /** A zeroed array of {@code n} elements for {@code dtype}. */
    public static Object allocate(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> new float[n];
            case INT8, UINT8, BOOL -> new byte[n];
            case INT16, FLOAT16 -> new short[n];
            case INT32, UINT32 -> new int[n];
            case INT64, UINT64 -> new long[n];
        };
    }

    /** The array of a constant tensor's data ({@link TensorData#toArray()}). */
    public static Object of(TensorData data) {
        return data.toArray();
    }

    /** Number of elements of an interpreter array. */
    public static int length(Object array) {
        return java.lang.reflect.Array.getLength(array);
    }

    /** The Java array class that holds {@code dtype}. */
    public static Class<?> arrayClass(DType dtype) {
        return allocate(dtype, 0).getClass();
    }

    /** The array of a constant tensor. */
    public static Object of(Tensor constant) {
        return of(constant.data());
    }
}
