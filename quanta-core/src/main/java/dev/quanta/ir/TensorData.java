package dev.quanta.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Constant tensor contents: raw little-endian bytes of a given {@link DType}. Immutable: accessors return
 * copies.
 */
public final class TensorData {
    private final DType dtype;
    private final byte[] bytes;

    private TensorData(DType dtype, byte[] bytes) {
        if (bytes.length % dtype.byteSize() != 0) {
            throw new IllegalArgumentException(bytes.length + " bytes is not a whole number of " + dtype);
        }
        this.dtype = dtype;
        this.bytes = bytes;
    }

    /** Wraps a copy of little-endian {@code bytes}. */
    public static TensorData ofBytes(DType dtype, byte[] bytes) {
        return new TensorData(dtype, bytes.clone());
    }

    public static TensorData ofFloats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new TensorData(DType.FLOAT32, b.array());
    }

    public static TensorData ofInts(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return new TensorData(DType.INT32, b.array());
    }

    public DType dtype() {
        return dtype;
    }

    public int elementCount() {
        return bytes.length / dtype.byteSize();
    }

    public int byteSize() {
        return bytes.length;
    }

    /** A copy of the raw little-endian bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * The values as the Java array that holds this type: FLOAT32 {@code float[]}, INT8, UINT8 and BOOL
     * {@code byte[]}, INT16 and FLOAT16 (raw half bits) {@code short[]}, INT32 and UINT32 {@code int[]}, INT64 and
     * UINT64 {@code long[]} (a new array).
     */
    public Object toArray() {
        ByteBuffer b = buffer();
        int n = elementCount();
        return switch (dtype) {
            case FLOAT32 -> {
                float[] f = new float[n];
                b.asFloatBuffer().get(f);
                yield f;
            }
            case INT8, UINT8, BOOL -> bytes();
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

    /** A read-only little-endian view. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The values as floats; only for {@link DType#FLOAT32}. */
    public float[] floats() {
        if (dtype != DType.FLOAT32) {
            throw new IllegalStateException("tensor data is " + dtype + ", not FLOAT32");
        }
        float[] f = new float[elementCount()];
        buffer().asFloatBuffer().get(f);
        return f;
    }

    /** The values as ints; only for {@link DType#INT32}. */
    public int[] ints() {
        if (dtype != DType.INT32) {
            throw new IllegalStateException("tensor data is " + dtype + ", not INT32");
        }
        int[] v = new int[elementCount()];
        buffer().asIntBuffer().get(v);
        return v;
    }
}
