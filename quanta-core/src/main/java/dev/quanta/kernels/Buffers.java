package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.ByteBuffer;

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

    /** The array of a constant tensor's data. */
    public static Object of(TensorData data) {
        ByteBuffer b = data.buffer();
        int n = data.elementCount();
        return switch (data.dtype()) {
            case FLOAT32 -> {
                float[] f = new float[n];
                b.asFloatBuffer().get(f);
                yield f;
            }
            case INT8, UINT8, BOOL -> data.bytes();
            case INT16, FLOAT16 -> {
                short[] s = new short[n];
                b.asShortBuffer().get(s);
                yield s;
            }
            case INT32, UINT32 -> {
                int[] v = new int[n];
                b.asIntBuffer().get(v);
                yield v;
            }
            case INT64, UINT64 -> {
                long[] v = new long[n];
                b.asLongBuffer().get(v);
                yield v;
            }
        };
    }

    /** Number of elements of an interpreter array. */
    public static int length(Object array) {
        return java.lang.reflect.Array.getLength(array);
    }

    /** The Java array class that holds {@code dtype}. */
    public static Class<?> arrayClass(DType dtype) {
        return allocate(dtype, 0).getClass();
    }

    /**
     * Real values of a tensor's array: floats as they are, quantized integers as {@code scale × (q − zeroPoint)}
     * (per tensor, or per axis along {@code quant.axis()} with the given shape), FLOAT16 widened.
     */
    public static float[] toFloats(Object array, DType dtype, QuantParams quant, int[] shape) {
        int n = length(array);
        float[] out = new float[n];
        switch (dtype) {
            case FLOAT32 -> System.arraycopy((float[]) array, 0, out, 0, n);
            case FLOAT16 -> {
                short[] h = (short[]) array;
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(h[i]);
                }
            }
            default -> {
                int axis = quant == null || quant.isPerTensor() ? -1 : quant.axis();
                int inner = 1;
                int channels = 1;
                if (axis >= 0) {
                    channels = shape[axis];
                    for (int i = axis + 1; i < shape.length; i++) {
                        inner *= shape[i];
                    }
                }
                float[] scales = quant == null ? new float[] {1f} : quant.scales();
                long[] zps = quant == null ? new long[] {0} : quant.zeroPoints();
                for (int i = 0; i < n; i++) {
                    int c = axis < 0 ? 0 : (i / inner) % channels;
                    long q = switch (dtype) {
                        case INT8 -> ((byte[]) array)[i];
                        case UINT8 -> ((byte[]) array)[i] & 0xFF;
                        case BOOL -> ((byte[]) array)[i];
                        case INT16 -> ((short[]) array)[i];
                        case INT32 -> ((int[]) array)[i];
                        case INT64 -> ((long[]) array)[i];
                        case UINT32 -> Integer.toUnsignedLong(((int[]) array)[i]);
                        case UINT64 -> ((long[]) array)[i]; // values past 2^63 are not expected here
                        default -> throw new IllegalStateException(dtype.name());
                    };
                    out[i] = scales[c] * (q - zps[c]);
                }
            }
        }
        return out;
    }

    /** The array of a constant tensor. */
    public static Object of(Tensor constant) {
        return of(constant.data());
    }
}
