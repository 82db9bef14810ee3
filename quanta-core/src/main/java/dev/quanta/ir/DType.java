package dev.quanta.ir;

/** Element types of IR tensors. */
public enum DType {
    FLOAT32(4),
    FLOAT16(2),
    INT8(1),
    UINT8(1),
    INT16(2),
    INT32(4),
    INT64(8),
    BOOL(1),
    /** Unsigned 32-bit integers (held in an {@code int[]}, read as unsigned). */
    UINT32(4),
    /** Unsigned 64-bit integers (held in a {@code long[]}, read as unsigned). */
    UINT64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Lower-case name as Keras and NumPy spell it ({@code float32}). */
    public String lowerName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
