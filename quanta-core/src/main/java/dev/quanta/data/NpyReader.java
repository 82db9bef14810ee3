package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads NumPy {@code .npy} files, format versions 1.0, 2.0 and 3.0.
 *
 * <p>Layout: magic {@code \x93NUMPY}, major and minor version bytes, header length (uint16 LE in v1, uint32 LE in
 * v2/v3), then a Python dict literal such as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (45, 40), }}
 * (ASCII; UTF-8 in v3), then the data. Supported dtypes: {@code f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1}, little- or
 * big-endian. Only C order is supported; object and structured dtypes are rejected.
 */
public final class NpyReader {
    private NpyReader() {}

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /**
     * Reads one {@code .npy} file.
     *
     * @throws QuantaException for a missing, truncated or unsupported file
     */
    public static NpyArray read(Path file) {
        return parse(DataIo.readAll(file, "NumPy .npy"), file, "");
    }

    /** True if {@code b} starts with the {@code .npy} magic. */
    static boolean isNpy(byte[] b) {
        if (b.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses the bytes of a {@code .npy} file.
     *
     * @param where prefix for error messages after the file name, e.g. {@code "array 'x': "}
     */
    static NpyArray parse(byte[] b, Path file, String where) {
        if (!isNpy(b)) {
            throw QuantaException.inFile(file, where + "bad magic at offset 0: expected \\x93NUMPY, found " + hex(b, 6));
        }
        if (b.length < 10) {
            throw QuantaException.inFile(file, where + "truncated header: " + b.length + " bytes");
        }
        int major = b[6] & 0xFF;
        int headerStart;
        long headerLen;
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) {
                throw QuantaException.inFile(file, where + "truncated header: " + b.length + " bytes");
            }
            headerLen = bb.getInt(8) & 0xFFFFFFFFL;
            headerStart = 12;
        } else {
            throw QuantaException.inFile(file, where + "unsupported .npy format version " + major + "." + (b[7] & 0xFF)
                    + " at offset 6 (expected 1, 2 or 3)");
        }
        if (headerStart + headerLen > b.length) {
            throw QuantaException.inFile(file, where + "truncated header: declares " + headerLen + " header bytes from offset "
                    + headerStart + ", found " + (b.length - headerStart));
        }
        String header = new String(b, headerStart, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        Object parsed;
        try {
            parsed = new Literal(header).parseAll();
        } catch (IllegalArgumentException e) {
            throw QuantaException.inFile(file, where + "malformed header at offset " + headerStart + ": " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw QuantaException.inFile(file, where + "malformed header: expected a dict, found " + shorten(header));
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeObj = dict.get("shape");
        if (descr == null || fortran == null || shapeObj == null) {
            throw QuantaException.inFile(file, where + "malformed header: needs keys 'descr', 'fortran_order' and 'shape', found "
                    + shorten(header));
        }
        if (!(descr instanceof String dtype)) {
            throw QuantaException.inFile(file, where + "structured dtype " + shorten(String.valueOf(descr))
                    + " is not supported; save a plain numeric array");
        }
        if (Boolean.TRUE.equals(fortran)) {
            throw QuantaException.inFile(file, where + "fortran_order True (column-major) is not supported; save the array "
                    + "with np.ascontiguousarray(a)");
        }
        if (!(shapeObj instanceof List<?> dimsList)) {
            throw QuantaException.inFile(file, where + "malformed header: 'shape' must be a tuple, found " + shapeObj);
        }
        int[] shape = new int[dimsList.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dimsList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw QuantaException.inFile(file, where + "malformed header: bad dimension " + dimsList.get(i) + " in 'shape'");
            }
            shape[i] = (int) (long) d;
            count *= d;
        }
        Dtype t = Dtype.parse(dtype, file, where);
        long offset = headerStart + headerLen;
        long expected = count * t.size;
        long found = b.length - offset;
        if (found < expected) {
            throw QuantaException.inFile(file, where + "truncated: shape " + shapeText(shape) + " " + dtype + " needs "
                    + expected + " data bytes from offset " + offset + ", found " + found);
        }
        if (found > expected) {
            throw QuantaException.inFile(file, where + "shape " + shapeText(shape) + " " + dtype + " needs " + expected
                    + " data bytes from offset " + offset + ", but " + found + " bytes follow (trailing data)");
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw QuantaException.inFile(file, where + "array too large: " + shapeText(shape));
        }
        return t.decode(b, (int) offset, shape, (int) count, dtype);
    }

    static String shapeText(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]).append(shape.length == 1 || i < shape.length - 1 ? "," : "");
            if (i < shape.length - 1) {
                sb.append(' ');
            }
        }
        return sb.append(')').toString();
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.isEmpty() ? "an empty file" : "0x" + sb;
    }

    private static String shorten(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /** A supported element type: kind ({@code f i u b}), byte size and byte order. */
    private record Dtype(char kind, int size, boolean bigEndian) {
        static Dtype parse(String descr, Path file, String where) {
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
                throw QuantaException.inFile(file, where + "unsupported dtype '" + descr
                        + "' (object arrays hold pickled Python objects; " + supported + ")");
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
            return new Dtype(kind, size, big);
        }

        boolean asFloat() {
            return kind == 'b' || (kind == 'f' && size <= 4) || ((kind == 'i' || kind == 'u') && size <= 2);
        }

        NpyArray decode(byte[] b, int offset, int[] shape, int n, String dtype) {
            ByteBuffer bb = ByteBuffer.wrap(b).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            if (asFloat()) {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    int at = offset + i * size;
                    out[i] = switch (kind) {
                        case 'b' -> b[at] != 0 ? 1f : 0f;
                        case 'f' -> size == 2 ? Float.float16ToFloat(bb.getShort(at)) : bb.getFloat(at);
                        case 'i' -> size == 1 ? b[at] : bb.getShort(at);
                        default -> size == 1 ? b[at] & 0xFF : bb.getShort(at) & 0xFFFF;
                    };
                }
                return new NpyArray(dtype, shape, out, null);
            }
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                int at = offset + i * size;
                out[i] = switch (kind) {
                    case 'f' -> bb.getDouble(at);
                    case 'i' -> size == 4 ? bb.getInt(at) : (double) bb.getLong(at);
                    default -> size == 4 ? bb.getInt(at) & 0xFFFFFFFFL : unsigned(bb.getLong(at));
                };
            }
            return new NpyArray(dtype, shape, null, out);
        }

        private static double unsigned(long v) {
            return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
        }
    }

    /** A parser for the Python literals in a header: dict, tuple, list, str, int, True/False/None. */
    private static final class Literal {
        private final String s;
        private int pos;

        Literal(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object v = value();
            skipSpace();
            if (pos != s.length()) {
                throw new IllegalArgumentException("unexpected '" + s.charAt(pos) + "' at character " + pos);
            }
            return v;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private Object value() {
            skipSpace();
            if (pos >= s.length()) {
                throw new IllegalArgumentException("unexpected end of header");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{' -> {
                    pos++;
                    Map<Object, Object> map = new LinkedHashMap<>();
                    while (true) {
                        skipSpace();
                        if (peek('}')) {
                            return map;
                        }
                        Object key = value();
                        skipSpace();
                        expect(':');
                        map.put(key, value());
                        skipSpace();
                        if (peek('}')) {
                            return map;
                        }
                        expect(',');
                    }
                }
                case '(', '[' -> {
                    char close = c == '(' ? ')' : ']';
                    pos++;
                    List<Object> list = new ArrayList<>();
                    while (true) {
                        skipSpace();
                        if (peek(close)) {
                            return list;
                        }
                        list.add(value());
                        skipSpace();
                        if (peek(close)) {
                            return list;
                        }
                        expect(',');
                    }
                }
                case '\'', '"' -> {
                    int end = s.indexOf(c, pos + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated string at character " + pos);
                    }
                    String str = s.substring(pos + 1, end);
                    pos = end + 1;
                    return str;
                }
                default -> {
                    int start = pos;
                    while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '-'
                            || s.charAt(pos) == '_')) {
                        pos++;
                    }
                    String word = s.substring(start, pos);
                    switch (word) {
                        case "True":
                            return Boolean.TRUE;
                        case "False":
                            return Boolean.FALSE;
                        case "None":
                            return null;
                        default:
                            String digits = word.endsWith("L") ? word.substring(0, word.length() - 1) : word;
                            try {
                                return Long.parseLong(digits);
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException("unexpected "
                                        + (word.isEmpty() ? "'" + c + "'" : "'" + word + "'") + " at character " + start);
                            }
                    }
                }
            }
        }

        private boolean peek(char c) {
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("expected '" + c + "' at character " + pos
                        + (pos < s.length() ? ", found '" + s.charAt(pos) + "'" : ", found the end"));
            }
        }
    }
}
