package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/** Element type of stored samples; values are decoded to {@code float} before preprocessing. */
public enum SampleType {
    /** Unsigned 8-bit integer, 0..255. */
    UINT8(1),
    /** Signed 8-bit integer (two's complement), -128..127. */
    INT8(1),
    /** Signed 16-bit integer. */
    INT16(2),
    /** Signed 32-bit integer (values beyond 2^24 lose precision as float). */
    INT32(4),
    /** IEEE 754 single precision. */
    FLOAT32(4),
    /** IEEE 754 double precision (rounded to float). */
    FLOAT64(8);

    private final int bytes;

    SampleType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Lower-case name as accepted by {@link #parse}, e.g. {@code "uint8"}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a type name: {@code uint8, int8, int16, int32, float32, float64} (case-insensitive), also the aliases
     * {@code u8, i8, i16, i32, f32, f64, float, double, ubyte, byte, short, int}.
     */
    public static SampleType parse(String text) {
        if (text == null) {
            throw new QuantaException(
                    "missing sample type; expected one of uint8, int8, int16, int32, float32, float64");
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "uint8", "u8", "ubyte" -> UINT8;
            case "int8", "i8", "byte", "sbyte" -> INT8;
            case "int16", "i16", "short" -> INT16;
            case "int32", "i32", "int" -> INT32;
            case "float32", "f32", "float" -> FLOAT32;
            case "float64", "f64", "double" -> FLOAT64;
            default ->
                throw new QuantaException("unknown sample type '" + text
                        + "'; expected one of uint8, int8, int16, int32, float32, float64");
        };
    }

    /**
     * Decodes {@code count} elements starting at byte {@code srcOffset} of {@code src} into {@code dst}.
     *
     * @param bigEndian byte order of multi-byte elements (ignored for 8-bit types)
     */
    public void decode(byte[] src, int srcOffset, boolean bigEndian, float[] dst, int dstOffset, int count) {
        ByteBuffer b = ByteBuffer.wrap(src, srcOffset, count * bytes).slice();
        b.order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        ElementType.of(this, bigEndian).decode(b, count, dst, dstOffset);
    }
}
