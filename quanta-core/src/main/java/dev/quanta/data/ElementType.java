package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A stored numeric element type: kind ({@code f} float, {@code i} signed, {@code u} unsigned, {@code b} bool), size in
 * bytes and byte order. It covers the NumPy dtypes {@code f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1} and the IDX types.
 */
record ElementType(char kind, int size, boolean bigEndian) {

    /** The IDX element type of a {@link SampleType} (IDX data is big-endian). */
    static ElementType idx(SampleType t) {
        return of(t, true);
    }

    /** The element type of a {@link SampleType} in the given byte order. */
    static ElementType of(SampleType t, boolean bigEndian) {
        return switch (t) {
            case UINT8 -> new ElementType('u', 1, bigEndian);
            case INT8 -> new ElementType('i', 1, bigEndian);
            case INT16 -> new ElementType('i', 2, bigEndian);
            case INT32 -> new ElementType('i', 4, bigEndian);
            case FLOAT32 -> new ElementType('f', 4, bigEndian);
            case FLOAT64 -> new ElementType('f', 8, bigEndian);
        };
    }

    /**
     * Parses a NumPy type descriptor such as {@code <f4}, {@code |u1} or {@code ?}.
     *
     * @throws QuantaException naming {@code file} for object, string or other unsupported dtypes
     */
    static ElementType numpy(String descr, Path file, String where) {
        String d = descr.strip();
        boolean big = false;
        if (!d.isEmpty() && "<>|=".indexOf(d.charAt(0)) >= 0) {
            big = d.charAt(0) == '>';
            d = d.substring(1);
        }
        if (d.equals("?")) {
            d = "b1";
        }
        String supported = "supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1";
        if (d.startsWith("O")) {
            throw QuantaException.inFile(
                    file,
                    where + "unsupported dtype '" + descr + "' (object arrays hold pickled Python objects; " + supported
                            + ")");
        }
        if (d.length() < 2) {
            throw QuantaException.inFile(file, where + "unsupported dtype '" + descr + "' (" + supported + ")");
        }
        char kind = d.charAt(0);
        int size;
        try {
            size = Integer.parseInt(d.substring(1));
        } catch (NumberFormatException e) {
            throw QuantaException.inFile(file, where + "unsupported dtype '" + descr + "' (" + supported + ")");
        }
        boolean ok = switch (kind) {
            case 'f' -> size == 2 || size == 4 || size == 8;
            case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'b' -> size == 1;
            default -> false;
        };
        if (!ok) {
            throw QuantaException.inFile(file, where + "unsupported dtype '" + descr + "' (" + supported + ")");
        }
        return new ElementType(kind, size, big);
    }

    /** True when {@code float} holds every value exactly ({@code b1 f2 f4 i1 i2 u1 u2}). */
    boolean exactInFloat() {
        return kind == 'b' || (kind == 'f' && size <= 4) || ((kind == 'i' || kind == 'u') && size <= 2);
    }

    /** A buffer over {@code bytes} in this type's byte order. */
    ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }

    /** The element at byte {@code at} exactly as a double (64-bit integers beyond 2^53 are rounded). */
    double doubleAt(ByteBuffer b, int at) {
        return switch (kind) {
            case 'b' -> b.get(at) != 0 ? 1 : 0;
            case 'f' ->
                switch (size) {
                    case 2 -> Float.float16ToFloat(b.getShort(at));
                    case 4 -> b.getFloat(at);
                    default -> b.getDouble(at);
                };
            case 'i' ->
                switch (size) {
                    case 1 -> b.get(at);
                    case 2 -> b.getShort(at);
                    case 4 -> b.getInt(at);
                    default -> (double) b.getLong(at);
                };
            default ->
                switch (size) {
                    case 1 -> b.get(at) & 0xFF;
                    case 2 -> b.getShort(at) & 0xFFFF;
                    case 4 -> b.getInt(at) & 0xFFFFFFFFL;
                    default -> unsigned(b.getLong(at));
                };
        };
    }

    /** The element at byte {@code at} as a float: exact for the small types, else the double rounded to float. */
    float floatAt(ByteBuffer b, int at) {
        if (kind == 'u' && size == 1) {
            return b.get(at) & 0xFF;
        }
        if (kind == 'f' && size == 4) {
            return b.getFloat(at);
        }
        return (float) doubleAt(b, at);
    }

    /** Decodes {@code count} elements from byte 0 of {@code b} into {@code dst} from {@code off}. */
    void decode(ByteBuffer b, int count, float[] dst, int off) {
        if (kind == 'u' && size == 1) {
            for (int i = 0; i < count; i++) {
                dst[off + i] = b.get(i) & 0xFF;
            }
        } else if (kind == 'f' && size == 4) {
            for (int i = 0; i < count; i++) {
                dst[off + i] = b.getFloat(4 * i);
            }
        } else {
            for (int i = 0; i < count; i++) {
                dst[off + i] = floatAt(b, i * size);
            }
        }
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
    }
}
