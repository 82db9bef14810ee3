package dev.quanta.kernels;

import dev.quanta.ir.DType;

/**
 * Element access to interpreter arrays of any {@link DType} with C++ conversion semantics, for the type-generic
 * kernels ({@link TensorOps}): integers are read as their exact value (UINT8/UINT32 unsigned) and stored by
 * keeping the low bits, as a C++ {@code static_cast} to a narrower integer does; floats are stored rounded to
 * float32, and a float stored to an integer is truncated toward zero.
 */
public final class Elements {
    private Elements() {}

    /** True for the float types (FLOAT32, FLOAT16). */
    public static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT16;
    }

    /** Element {@code i} of an integer or BOOL array as a long. */
    public static long getLong(Object a, DType t, int i) {
        return switch (t) {
            case INT8, BOOL -> ((byte[]) a)[i];
            case UINT8 -> ((byte[]) a)[i] & 0xFF;
            case INT16 -> ((short[]) a)[i];
            case INT32 -> ((int[]) a)[i];
            case UINT32 -> Integer.toUnsignedLong(((int[]) a)[i]);
            case INT64, UINT64 -> ((long[]) a)[i];
            case FLOAT32 -> (long) ((float[]) a)[i];
            case FLOAT16 -> (long) Float.float16ToFloat(((short[]) a)[i]);
        };
    }

    /** Element {@code i} as a double (exact for every integer type up to 2^53 and for floats). */
    public static double getDouble(Object a, DType t, int i) {
        return switch (t) {
            case FLOAT32 -> ((float[]) a)[i];
            case FLOAT16 -> Float.float16ToFloat(((short[]) a)[i]);
            case UINT64 -> {
                long v = ((long[]) a)[i];
                yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            default -> getLong(a, t, i);
        };
    }

    /** Stores an integer value, keeping its low bits (BOOL stores 1 for any non-zero value). */
    public static void setLong(Object a, DType t, int i, long v) {
        switch (t) {
            case INT8, UINT8 -> ((byte[]) a)[i] = (byte) v;
            case BOOL -> ((byte[]) a)[i] = (byte) (v != 0 ? 1 : 0);
            case INT16 -> ((short[]) a)[i] = (short) v;
            case INT32, UINT32 -> ((int[]) a)[i] = (int) v;
            case INT64, UINT64 -> ((long[]) a)[i] = v;
            case FLOAT32 -> ((float[]) a)[i] = v;
            case FLOAT16 -> ((short[]) a)[i] = Float.floatToFloat16(v);
        }
    }

    /** Stores a real value: rounded to the float type, or truncated toward zero for integer types. */
    public static void setDouble(Object a, DType t, int i, double v) {
        switch (t) {
            case FLOAT32 -> ((float[]) a)[i] = (float) v;
            case FLOAT16 -> ((short[]) a)[i] = Float.floatToFloat16((float) v);
            case BOOL -> ((byte[]) a)[i] = (byte) (v != 0 ? 1 : 0);
            default -> setLong(a, t, i, (long) v);
        }
    }
}
